/* ---------------------------------------------------------------------------
 * deathsig.c: the final snapshot when a signal ends the process.
 *
 * Each fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) and each
 * terminating one (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM,
 * SIGUSR1, SIGXCPU, SIGXFSZ) found at SIG_DFL at start gets the shim's
 * handler, hidden from the program by sigwrap.c: the program still reads
 * SIG_DFL, and a handler it installs replaces the shim's. The handler
 * writes the snapshot, puts SIG_DFL back and lets the signal finish the
 * process the default way: a fault returns to the faulting instruction,
 * which faults again; any other signal is raised again, pending until the
 * handler returns. The exit status (WTERMSIG) and the core dump are what
 * they would have been untraced.
 *
 * A snapshot needs the tracer's locks. A signal that interrupted this very
 * thread inside a tracer critical section waits until the thread leaves it
 * (mt_lock_release calls mt_death_resume); a fault inside one (a crash in
 * the tracer itself) gives up on the snapshot rather than deadlock. A
 * second thread dying meanwhile waits for the first one's snapshot.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

static const int death_signals[] = {
    SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
    SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1, SIGXCPU, SIGXFSZ,
};

static atomic_int writing;               /* 0 none, 1 in progress, 2 written */

static bool is_fault(int sig, const siginfo_t *si)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) &&
           si && si->si_code > 0;        /* raised by the kernel for an instruction */
}

/* Back to SIG_DFL; an asynchronous signal is raised again, to be delivered
 * when the handler returns (it is blocked until then). */
static void finish(int sig, bool fault)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    mt_real_sigaction(sig, &dfl, NULL);
    if (!fault)
        syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
}

static void write_once(int sig)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&writing, &expected, 1)) {
        if (mt_fp.state == MT_ON)
            mt_final_snapshot(MT_REASON_KILLED, sig, 0, 0);
        atomic_store(&writing, 2);
        return;
    }
    /* Another thread is writing: let it finish before this signal kills
     * the process (bounded: it may be stuck). */
    for (int i = 0; i < 5000 && atomic_load(&writing) == 1; i++) {
        struct timespec ts = { 0, 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void on_death(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    bool fault = is_fault(sig, si);
    if ((pid_t)syscall(SYS_getpid) != mt_pid() || mt_fp.state != MT_ON) {
        finish(sig, fault);              /* a vfork child, or already done */
    } else if (mt_self.locks_held > 0) {
        if (fault) {
            mt_log("mtrace: signal %d inside the tracer; no final snapshot", sig);
            finish(sig, true);
        } else {
            mt_self.death_deferred = sig;     /* written when this thread leaves the lock */
        }
    } else {
        write_once(sig);
        finish(sig, fault);
    }
    errno = saved;
}

/* This thread left its last tracer lock with a terminating signal pending
 * on it: the snapshot, then the signal. */
void mt_death_resume(void)
{
    int sig = mt_self.death_deferred;
    mt_self.death_deferred = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    write_once(sig);
    finish(sig, false);
    pthread_sigmask(SIG_SETMASK, &old, NULL);   /* delivers it */
}

void mt_deathsig_init(void)
{
    for (size_t i = 0; i < sizeof death_signals / sizeof death_signals[0]; i++) {
        int sig = death_signals[i];
        struct sigaction old;
        if (sig == mt_opt.signal || mt_real_sigaction(sig, NULL, &old) != 0)
            continue;
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_death;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigfillset(&sa.sa_mask);
        if (mt_real_sigaction(sig, &sa, NULL) == 0)
            mt_sigwrap_own(sig);
    }
}
