/* The program's signal mask under the shim, which interposes sigprocmask
 * and pthread_sigmask (sigmask.c): both still block, unblock, report the
 * old mask and refuse a bad `how`, and the mask the program set survives
 * allocations whose stacks the shim unwinds with signals held. The
 * allocations come from 256 call paths 8 levels deep (callpaths.h: each
 * a memo fill), and a signal the program blocked and raised is
 * delivered once when it unblocks it. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

#include "callpaths.h"

static volatile sig_atomic_t delivered;

static void on_usr1(int sig) { (void)sig; delivered++; }

static int fail(const char *what)
{
    printf("FAIL %s\n", what);
    return 1;
}

static int blocked(int sig)
{
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    return sigismember(&now, sig);
}

int main(void)
{
    signal(SIGUSR1, on_usr1);
    sigset_t usr1, usr2, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);

    if (sigprocmask(SIG_BLOCK, &usr2, &old) != 0 || sigismember(&old, SIGUSR2))
        return fail("sigprocmask SIG_BLOCK");
    if (pthread_sigmask(SIG_BLOCK, &usr1, &old) != 0 || !sigismember(&old, SIGUSR2) ||
        sigismember(&old, SIGUSR1))
        return fail("pthread_sigmask SIG_BLOCK reports the old mask");
    raise(SIGUSR1);
    if (delivered != 0)
        return fail("a blocked signal waits");

    for (int round = 0; round < 4; round++)
        for (unsigned path = 0; path < CALLPATHS; path++)
            callpath(path, 0);
    if (!blocked(SIGUSR1) || !blocked(SIGUSR2) || blocked(SIGTERM))
        return fail("the program's mask survives the allocations");

    errno = 0;
    if (sigprocmask(12345, &usr1, NULL) != -1 || errno != EINVAL)
        return fail("sigprocmask: a bad how is EINVAL, -1");
    if (pthread_sigmask(12345, &usr1, NULL) != EINVAL)
        return fail("pthread_sigmask: a bad how is EINVAL");

    if (sigprocmask(SIG_UNBLOCK, &usr1, NULL) != 0 || delivered != 1)
        return fail("the pending signal is delivered once on unblock");
    if (pthread_sigmask(SIG_SETMASK, NULL, &old) != 0 || sigismember(&old, SIGUSR1) ||
        !sigismember(&old, SIGUSR2))
        return fail("pthread_sigmask query");
    printf("ok\n");
    return 0;
}
