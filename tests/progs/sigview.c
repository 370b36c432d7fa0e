/* What the program sees of the shim's snapshot signal (SIGUSR2): SIG_DFL
 * through every query interface; raising it writes a snapshot; a handler
 * the program installs replaces the shim's and is the one that runs. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t mine;
static void handler(int sig) { (void)sig; mine++; }

static const char *name(void (*h)(int))
{
    return h == SIG_DFL ? "default" : h == SIG_IGN ? "ignore" : h == handler ? "mine" : "other";
}

int main(void)
{
    struct sigaction old;
    sigaction(SIGUSR2, NULL, &old);
    printf("query: %s\n", name(old.sa_handler));
    printf("signal(SIG_DFL) returned: %s\n", name(signal(SIGUSR2, SIG_DFL)));
    sigaction(SIGUSR2, NULL, &old);
    printf("after SIG_DFL: %s\n", name(old.sa_handler));
    char *keep = malloc(1000);                 /* the snapshot below sees it */
    raise(SIGUSR2);                            /* the shim's: a snapshot, no exit */
    free(malloc(16));                          /* a hook call serves the request */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGUSR2, &sa, &old);
    printf("replaced: %s\n", name(old.sa_handler));
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &old);
    printf("now: %s, handler ran %d time(s)\n", name(old.sa_handler), (int)mine);
    printf("signal() returned: %s\n", name(signal(SIGUSR2, SIG_IGN)));
    free(keep);
    return 0;
}
