/* Preloaded after the shim: counts the calls that reach glibc's
 * sigprocmask and pthread_sigmask (each one a system call), and prints
 * the count to stderr at exit. Its constructor, which runs before the
 * shim's, blocks every signal through the shim's pthread_sigmask before
 * the shim has resolved glibc's, and says whether glibc's two internal
 * signals stayed unblocked and errno untouched, as glibc's would leave
 * them ("early mask: ok"). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*mask_fn)(int, const sigset_t *, sigset_t *);
static atomic_long calls;

/* Counts the call and passes it to the next definition of name. */
static int counted(mask_fn *real, const char *name, int how, const sigset_t *set, sigset_t *old)
{
    if (!*real)
        *real = (mask_fn)dlsym(RTLD_NEXT, name);
    atomic_fetch_add(&calls, 1);
    return (*real)(how, set, old);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    static mask_fn real;
    return counted(&real, "sigprocmask", how, set, old);
}

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    static mask_fn real;
    return counted(&real, "pthread_sigmask", how, set, old);
}

static void say(const char *line)
{
    if (write(2, line, strlen(line)) < 0)
        return;
}

/* SigBlk of this thread, from /proc. */
static unsigned long long blocked_now(void)
{
    FILE *f = fopen("/proc/thread-self/status", "r");
    char line[256];
    unsigned long long mask = ~0ull;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "SigBlk:", 7) == 0)
            mask = strtoull(line + 7, NULL, 16);
    if (f)
        fclose(f);
    return mask;
}

__attribute__((constructor)) static void early_mask(void)
{
    sigset_t all, old;
    memset(&all, 0xff, sizeof all);
    errno = 0;
    int r = pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = errno;
    unsigned long long mask = blocked_now();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    bool internal_free = !(mask >> 31 & 1) && !(mask >> 32 & 1);
    say(r == 0 && e == 0 && internal_free && (mask >> 9 & 1) ? "early mask: ok\n"
                                                              : "early mask: FAIL\n");
}

__attribute__((destructor)) static void report(void)
{
    char line[64];
    int n = snprintf(line, sizeof line, "sigmask calls: %ld\n", atomic_load(&calls));
    if (write(2, line, (size_t)n) < 0)
        return;
}
