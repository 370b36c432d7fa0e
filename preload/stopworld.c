/* ---------------------------------------------------------------------------
 * stopworld.c: parks every other thread of the process for the leak scan,
 * with its registers and stack pointer saved where the scan can read them.
 *
 * LeakSanitizer stops threads with ptrace from a helper process; a preloaded
 * shim cannot count on ptrace (Yama, containers), so each thread gets a
 * real-time signal whose handler saves the interrupted context and waits on
 * a futex. The scan runs in the last exit handler, so they are never let
 * go: a thread returning from the handler would see an interrupted
 * pause(), poll() or nanosleep() fail with EINTR, which the program could
 * notice. The signal is one nobody handles (found at SIG_DFL when the scan
 * starts) and the handler is installed only then, at exit.
 *
 * A thread inside the tracer (its guard set: it may hold a block taken
 * out of the live map by realloc) does not park; it is asked again a
 * millisecond later, by which time its call has returned. A thread that
 * blocks the signal is asked once it unblocks it, if that happens within
 * BLOCKED_GRACE_MS or while it may be inside the shim's own hold around a
 * stack memo fill (sigmask.c; no new hold starts once the scan has begun)
 * or inside libunwind, which then blocks every signal itself.
 * One that blocks it for good is not waited for longer, nor is a thread
 * waiting in sigwait (or sigwaitinfo, sigtimedwait): the kernel unblocks
 * the signals it waits for, and the park signal would be handed to the
 * program. Threads that do not park within the deadline (signals blocked,
 * stuck in the kernel) are counted as missed: the scan then reports
 * nothing as definitely lost.
 * The tracer's own thread blocks every signal and holds no program data.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "internal.h"
#include "sigmask.h"

#define PARK_DEADLINE_MS 1000
#define BLOCKED_GRACE_MS 20
#define RESEND_MS 1

static struct mt_world *world;           /* the request being served */
static atomic_int active;                /* handlers park only while set */
static atomic_int release;               /* futex word: parked threads wait while 0 */
static int park_signal;

static pid_t gettid_raw(void) { return (pid_t)syscall(SYS_gettid); }

static void save_context(struct mt_thread_ctx *t, const ucontext_t *uc)
{
    t->nregs = 0;
#if defined(__x86_64__)
    for (int i = 0; i < NGREG && i < MT_MAX_REGS; i++)
        t->regs[t->nregs++] = (uintptr_t)uc->uc_mcontext.gregs[i];
    t->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    for (int i = 0; i < 31 && i < MT_MAX_REGS; i++)
        t->regs[t->nregs++] = (uintptr_t)uc->uc_mcontext.regs[i];
    t->sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    (void)uc;
    t->sp = (uintptr_t)__builtin_frame_address(0);
#endif
}

static void park_handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    if (!atomic_load(&active) || si->si_code != SI_TKILL || mt_self.guard)
        return;
    int saved = errno;
    pid_t me = gettid_raw();
    struct mt_world *w = world;
    struct mt_thread_ctx *t = NULL;
    for (int i = 0; i < w->n; i++)
        if (w->t[i].tid == me && atomic_load(&w->t[i].state) == MT_THREAD_ASKED) {
            t = &w->t[i];
            break;
        }
    if (t) {
        save_context(t, ucv);
        t->tp = (uintptr_t)pthread_self();
        mt_thread_stack(&t->stack_lo, &t->stack_hi);
        atomic_store(&t->state, MT_THREAD_PARKED);
        while (!atomic_load(&release)) {
            struct timespec ts = { 0, 100 * 1000 * 1000 };
            syscall(SYS_futex, &release, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
        }
    }
    errno = saved;
}

/* A real-time signal nobody handles, with the park handler on it. */
static int claim_signal(void)
{
    for (int s = SIGRTMAX; s >= SIGRTMIN; s--) {
        struct sigaction old;
        if (s == mt_opt.signal || mt_real_sigaction(s, NULL, &old) != 0)
            continue;
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = park_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (mt_real_sigaction(s, &sa, NULL) == 0)
            return s;
    }
    return 0;
}

/* Calls fn for every thread id in /proc/self/task. */
static bool each_task(void (*fn)(struct mt_world *, pid_t), struct mt_world *w)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    static char buf[8192];                /* the leak scan's, once, at exit */
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type;
                     char name[]; } *d = (void *)(buf + off);
            off += d->reclen;
            const char *end;
            pid_t tid = (pid_t)mt_parse_decimal(d->name, &end);
            if (end != d->name)
                fn(w, tid);
        }
    }
    close(fd);
    return true;
}

static bool skip_tid(pid_t tid)
{
    return tid == gettid_raw() || tid == mt_trigger_thread_tid();
}

static void add_task(struct mt_world *w, pid_t tid)
{
    if (skip_tid(tid))
        return;
    if (w->n == w->cap) {
        w->missed++;
        return;
    }
    struct mt_thread_ctx *t = &w->t[w->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    atomic_store(&t->state, MT_THREAD_ASKED);
}

/* A thread that appeared after the first listing was not asked to park. */
static void check_task(struct mt_world *w, pid_t tid)
{
    if (skip_tid(tid))
        return;
    for (int i = 0; i < w->n; i++)
        if (w->t[i].tid == tid)
            return;
    w->missed++;
}

/* Whether tid waits in rt_sigtimedwait, which every sigwait variant is. */
static bool in_sigwait(pid_t tid)
{
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (!mt_proc_read(path, buf, sizeof buf))
        return false;
    const char *end;
    uint64_t nr = mt_parse_decimal(buf, &end);
    return end != buf && nr == SYS_rt_sigtimedwait;   /* "running", -1: not in a call */
}

/* What /proc/self/task/TID/status says about parking tid: a zombie (a
 * main thread that called pthread_exit) is gone; a thread that blocks sig
 * or waits in sigwait cannot be parked. */
static int task_state(pid_t tid, int sig)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    if (!mt_proc_read(path, buf, sizeof buf))
        return MT_THREAD_GONE;
    const char *st = strstr(buf, "State:");
    if (st) {
        st += 6;
        while (*st == ' ' || *st == '\t')
            st++;
        if (*st == 'Z' || *st == 'X')
            return MT_THREAD_GONE;
    }
    const char *p = strstr(buf, "SigBlk:");
    if (!p)
        return MT_THREAD_ASKED;
    p += 7;
    while (*p == ' ' || *p == '\t')
        p++;
    uint64_t mask = 0;
    for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
        mask = mask << 4 | (uint64_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    if ((mask >> (sig - 1)) & 1 || in_sigwait(tid))
        return MT_THREAD_BLOCKED;
    return MT_THREAD_ASKED;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool mt_world_stop(struct mt_world *w)
{
    w->n = w->missed = 0;
    w->cap = MT_MAX_THREADS;
    w->t = mt_map((size_t)w->cap * sizeof *w->t);
    if (!w->t)
        return false;
    if (!park_signal)
        park_signal = claim_signal();
    world = w;
    atomic_store(&release, 0);
    atomic_store(&active, 1);
    if (!each_task(add_task, w)) {
        atomic_store(&active, 0);
        return false;
    }
    if (w->n && !park_signal) {
        w->missed += w->n;               /* no free signal: nobody can be parked */
        w->n = 0;
        return true;
    }
    pid_t pid = mt_pid();
    mt_signals_close();
    for (int i = 0; i < w->n; i++)
        atomic_store(&w->t[i].state, task_state(w->t[i].tid, park_signal));
    uint64_t start = mono_ms(), deadline = start + PARK_DEADLINE_MS;
    for (bool first = true;; first = false) {
        int waiting = 0;
        bool grace = mono_ms() < start + BLOCKED_GRACE_MS;
        for (int i = 0; i < w->n; i++) {
            struct mt_thread_ctx *t = &w->t[i];
            int st = atomic_load(&t->state);
            bool looked = first;          /* task_state read it just now */
            if (st == MT_THREAD_BLOCKED) {
                bool program = true;
                if (!looked) {
                    uint64_t before = mt_signals_holds();
                    unsigned unwinding = mt_unwind_inside();
                    st = task_state(t->tid, park_signal);
                    atomic_store(&t->state, st);
                    looked = true;
                    /* Blocked by the program, not by a hold of the
                     * shim's: no hold inside or begun around the look,
                     * and nobody inside libunwind, which blocks every
                     * signal on its own once holds are closed (seen: a
                     * thread filling its memo counted missed under load). */
                    program = before == mt_signals_holds() && (uint32_t)before == 0 &&
                              !unwinding && !mt_unwind_inside();
                }
                if (st == MT_THREAD_BLOCKED && (grace || !program)) {
                    waiting++;
                    continue;
                }
            }
            if (st != MT_THREAD_ASKED)
                continue;
            if (!looked && in_sigwait(t->tid)) { /* went into sigwait since */
                atomic_store(&t->state, MT_THREAD_BLOCKED);
                waiting += grace;
                continue;
            }
            if (syscall(SYS_tgkill, pid, t->tid, park_signal) != 0 && errno == ESRCH) {
                atomic_store(&t->state, MT_THREAD_GONE);
                continue;
            }
            waiting++;
        }
        if (!waiting || mono_ms() >= deadline)
            break;
        struct timespec ts = { 0, RESEND_MS * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < w->n; i++) {
        int st = atomic_load(&w->t[i].state);
        if (st == MT_THREAD_ASKED || st == MT_THREAD_BLOCKED)
            w->missed++;
    }
    each_task(check_task, w);
    return true;
}
