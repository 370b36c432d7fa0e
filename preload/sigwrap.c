/* ---------------------------------------------------------------------------
 * sigwrap.c: the shim's signal handlers, invisible to the program.
 *
 * The shim installs its handlers (the snapshot signal, trigger.c; the
 * signals that end the process, deathsig.c) only over SIG_DFL, but a
 * handler the program can see changes what the program does: CPython's
 * signal module reports a foreign handler, and code that installs its own
 * handler "only when none is set" skips it. So sigaction, signal and their
 * aliases are interposed: for a signal the shim holds, queries answer
 * SIG_DFL, setting SIG_DFL keeps the shim's handler (the default action is
 * what the program asked for and the snapshot is what the user asked for),
 * and any other disposition is installed for real and the shim lets go of
 * that signal for good (one line on stderr). Every other signal goes
 * straight to glibc.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"

#define API __attribute__((visibility("default")))

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*handler_fn)(int, sighandler_t);

static sigaction_fn real_sigaction;
static handler_fn real_signal, real_sysv_signal, real_sigset;
/* The signals the shim's handlers hold, a bit per signal (1..64): the
 * snapshot signal (trigger.c) and the ones that end the process (deathsig.c). */
static _Atomic uint64_t owned;

/* Resolved on first use: a library constructor that runs before ours may
 * already set handlers. dlsym may allocate: hold the guard. */
static void resolve(void)
{
    if (__atomic_load_n(&real_sigaction, __ATOMIC_ACQUIRE))
        return;
    int guard = mt_self.guard;
    mt_self.guard = 1;
    void *s = dlsym(RTLD_NEXT, "signal");
    void *v = dlsym(RTLD_NEXT, "sysv_signal");
    void *t = dlsym(RTLD_NEXT, "sigset");
    __atomic_store_n(&real_signal, (handler_fn)s, __ATOMIC_RELAXED);
    __atomic_store_n(&real_sysv_signal, (handler_fn)v, __ATOMIC_RELAXED);
    __atomic_store_n(&real_sigset, (handler_fn)t, __ATOMIC_RELAXED);
    __atomic_store_n(&real_sigaction, (sigaction_fn)dlsym(RTLD_NEXT, "sigaction"),
                     __ATOMIC_RELEASE);
    mt_self.guard = guard;
}

int mt_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    return real_sigaction(sig, act, old);
}

static uint64_t bit(int sig)
{
    return sig > 0 && sig <= 64 ? (uint64_t)1 << (sig - 1) : 0;
}

void mt_sigwrap_own(int sig)
{
    atomic_fetch_or(&owned, bit(sig));
}

static bool holds(int sig)
{
    return (atomic_load_explicit(&owned, memory_order_relaxed) & bit(sig)) != 0;
}

/* The program installed a disposition of its own: it wins. Said once for
 * the snapshot signal; a program handling SIGINT or SIGSEGV itself is
 * normal (the final snapshot then comes from its own way out). */
static void let_go(int sig)
{
    uint64_t was = atomic_fetch_and(&owned, ~bit(sig));
    if ((was & bit(sig)) && sig == mt_opt.signal)
        mt_log("mtrace: the program set its own handler for signal %d; snapshots on that "
               "signal are off", sig);
}

static void as_default(struct sigaction *old)
{
    memset(old, 0, sizeof *old);
    old->sa_handler = SIG_DFL;
    sigemptyset(&old->sa_mask);
}

static bool is_default(sighandler_t h)
{
    return h == SIG_DFL;
}

API int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    resolve();
    if (!holds(sig))
        return real_sigaction(sig, act, old);
    if (act && !(!(act->sa_flags & SA_SIGINFO) && is_default(act->sa_handler))) {
        int r = real_sigaction(sig, act, NULL);
        if (r != 0)
            return r;
        let_go(sig);
    }
    if (old)
        as_default(old);
    return 0;
}

/* glibc's own aliases of these entry points are aliases here too. */
API int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
    __attribute__((alias("sigaction"), copy(sigaction)));

static sighandler_t wrap(handler_fn real, int sig, sighandler_t h)
{
    if (!holds(sig) || !real)
        return real ? real(sig, h) : SIG_ERR;
    if (is_default(h))
        return SIG_DFL;
    if (real(sig, h) == SIG_ERR)
        return SIG_ERR;
    let_go(sig);
    return SIG_DFL;
}

API sighandler_t signal(int sig, sighandler_t h)
{
    resolve();
    return wrap(real_signal, sig, h);
}

API sighandler_t bsd_signal(int sig, sighandler_t h) __attribute__((alias("signal"), copy(signal)));
API sighandler_t ssignal(int sig, sighandler_t h) __attribute__((alias("signal"), copy(signal)));

API sighandler_t sysv_signal(int sig, sighandler_t h)
{
    resolve();
    return wrap(real_sysv_signal, sig, h);
}

API sighandler_t __sysv_signal(int sig, sighandler_t h)
    __attribute__((alias("sysv_signal"), copy(sysv_signal)));

API sighandler_t sigset(int sig, sighandler_t h)
{
    resolve();
    /* SIG_HOLD only blocks the signal: the handler stays the shim's. */
    if (holds(sig) && h == SIG_HOLD && real_sigset)
        return real_sigset(sig, h) == SIG_ERR ? SIG_ERR : SIG_DFL;
    return wrap(real_sigset, sig, h);
}
