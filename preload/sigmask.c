/* ---------------------------------------------------------------------------
 * sigmask.c: libunwind's signal masking, paid once per walk instead of
 * twice per frame.
 *
 * libunwind takes a lock around its cache of unwind rules on every
 * unw_step, with all signals blocked while it holds it (a handler that
 * unwound would deadlock on it): two sigprocmask system calls per frame.
 * Its per-thread cache, which would need neither, is a build option that
 * Debian's package leaves off. A stack memo fill walks every frame with
 * unw_step, so under CPython in exact mode those calls were 1.36 M per run,
 * 0.8 s of system time beside 1.3 s untraced.
 *
 * So the shim blocks signals itself, once, around its own unw_step walks
 * (mt_signals_hold), and while it does, the same thread's sigprocmask and
 * pthread_sigmask (libunwind 1.7 and later prefer the latter) answer
 * without entering the kernel: every signal stays blocked until
 * mt_signals_release, as inside libunwind's lock. All of them, faults
 * included: a fault inside the lock must end the process (the kernel
 * forces a blocked fault signal to its default action), not run a handler
 * that could unwind and wait on that lock for good.
 *
 * Both are interposed for the whole process, so every other call goes to
 * glibc's, resolved at start-up even when tracing is off (dlsym is not
 * async-signal-safe, and these are called from handlers). A call before
 * that, from a constructor that runs before ours, makes the system call
 * itself, leaving glibc's two internal signals unblocked as glibc does.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "sigmask.h"

#define API __attribute__((visibility("default")))

typedef int (*mask_fn)(int, const sigset_t *, sigset_t *);
static mask_fn real_sigprocmask, real_pthread_sigmask;

/* Holds begun (high 32 bits) and threads inside one now (low 32 bits). */
static _Atomic uint64_t holds;
atomic_bool mt_signals_closed;                 /* mt_signals_close: no new holds */
static sigset_t held_mask;                     /* what mt_signals_hold installs */

void mt_sigmask_init(void)
{
    /* The guard is held: whatever dlsym allocates is not traced. */
    sigfillset(&held_mask);
    __atomic_store_n(&real_sigprocmask, (mask_fn)dlsym(RTLD_NEXT, "sigprocmask"),
                     __ATOMIC_RELEASE);
    __atomic_store_n(&real_pthread_sigmask, (mask_fn)dlsym(RTLD_NEXT, "pthread_sigmask"),
                     __ATOMIC_RELEASE);
}

/* Before mt_sigmask_init: the system call, as glibc makes it (its two
 * internal signals, cancellation and setxid, are never blocked; sigdelset
 * refuses to name them, so their bits are cleared by hand). Returns 0 or
 * an errno value, errno untouched. */
static int direct(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t local;
    if (set) {
        local = *set;
        local.__val[0] &= ~(3ul << 31);   /* signals 32 and 33 */
        set = &local;
    }
    int saved = errno;
    long r = syscall(SYS_rt_sigprocmask, how, set, old, (size_t)_NSIG / 8);
    int err = r < 0 ? errno : 0;
    errno = saved;
    return err;
}

/* Inside mt_signals_hold: the mask stays what the hold installed. As
 * the kernel, `how` is checked only when there is a set. */
static int answer_held(int how, const sigset_t *set, sigset_t *old)
{
    if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
        return EINVAL;
    if (old)
        *old = held_mask;
    return 0;
}

API int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    int r;
    if (MT_UNLIKELY(mt_self.signals_held))
        r = answer_held(how, set, old);
    else {
        mask_fn real = __atomic_load_n(&real_sigprocmask, __ATOMIC_ACQUIRE);
        if (MT_LIKELY(real != NULL))
            return real(how, set, old);
        r = direct(how, set, old);
    }
    if (r) {
        errno = r;
        return -1;
    }
    return 0;
}

API int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (MT_UNLIKELY(mt_self.signals_held))
        return answer_held(how, set, old);
    mask_fn real = __atomic_load_n(&real_pthread_sigmask, __ATOMIC_ACQUIRE);
    if (MT_LIKELY(real != NULL))
        return real(how, set, old);
    return direct(how, set, old);
}

bool mt_signals_hold(sigset_t *saved)
{
    if (mt_self.signals_held || mt_signals_are_closed())
        return false;
    mask_fn real = __atomic_load_n(&real_pthread_sigmask, __ATOMIC_ACQUIRE);
    atomic_fetch_add(&holds, (1ull << 32) + 1);
    if (!real || real(SIG_SETMASK, &held_mask, saved) != 0) {
        atomic_fetch_sub(&holds, 1);
        return false;
    }
    mt_self.signals_held = true;
    return true;
}

void mt_signals_release(const sigset_t *saved)
{
    mt_self.signals_held = false;
    __atomic_load_n(&real_pthread_sigmask, __ATOMIC_ACQUIRE)(SIG_SETMASK, saved, NULL);
    atomic_fetch_sub(&holds, 1);
}

uint64_t mt_signals_holds(void)
{
    return atomic_load(&holds);
}

void mt_signals_close(void)
{
    atomic_store(&mt_signals_closed, true);
}
