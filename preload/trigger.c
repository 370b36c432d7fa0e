/* ---------------------------------------------------------------------------
 * trigger.c: snapshots while the program runs — on a signal (MTRACE_SIGNAL,
 * default SIGUSR2), on a timer (MTRACE_INTERVAL seconds) and when the heap
 * or RSS reaches a new high (MTRACE_PEAK_SNAPSHOT percent).
 *
 * The signal handler only sets a flag (and posts a semaphore, which is
 * async-signal-safe). The snapshot is written outside any handler: by the
 * tracer thread when one runs, otherwise by the next malloc-family call of
 * any thread (under sampling, a free that glibc's chunk header proves
 * unsampled goes straight to glibc: the next allocation serves it), which
 * also starts the tracer thread so that later signals are
 * served even while the program sleeps. No thread exists until a signal or
 * a timer asks for one: a thread in every traced process would break
 * unshare(CLONE_NEWUSER) and make CPython 3.12+ warn on every fork. After
 * fork the child has no thread; its next call starts one if needed.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

static atomic_int signal_requests;       /* snapshots asked for by the signal */
static atomic_int thread_state;          /* 0 none, 1 starting, 2 running */
static bool thread_wanted;               /* a timer needs the thread */
static sem_t wake;
static uint64_t next_timer_ns;

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    atomic_fetch_add(&signal_requests, 1);
    mt_set_pending(1);
    if (atomic_load(&thread_state) == 2)
        sem_post(&wake);
    errno = saved;
}

/* ---- peak snapshots (MTRACE_PEAK_SNAPSHOT) -------------------------------
 * For the end no handler sees: SIGKILL, the OOM killer. The tracer thread
 * looks every PEAK_TICK_MS at the traced peak and at RSS (what the OOM
 * killer goes by) and writes a "peak" snapshot when either grew by the
 * percentage over the last one written, above a floor, at most once a
 * second. The allocating threads never wait for it. Each file has a new
 * name; then the previous one goes, if it is still the file we wrote. */
#define PEAK_TICK_MS 100u
#define PEAK_FLOOR (16ull << 20)
#define PEAK_MIN_GAP_NS 1000000000ull

static struct {
    uint64_t heap, rss, at_ns;           /* as of the last peak snapshot */
    char path[4096];
    dev_t dev;
    ino_t ino;
} last_peak;

static bool grew(uint64_t now, uint64_t before)
{
    uint64_t base = before > PEAK_FLOOR ? before : PEAK_FLOOR;
    return now >= PEAK_FLOOR && now > base + base / 100u * mt_opt.peak_pct;
}

static bool peak_snapshot(void)
{
    uint64_t heap, rss, hwm;
    mt_stacks_totals(NULL, &heap, NULL);
    mt_proc_rss(&rss, &hwm);
    uint64_t now = mono_ns();
    if ((!grew(heap, last_peak.heap) && !grew(rss, last_peak.rss)) ||
        (last_peak.at_ns && now - last_peak.at_ns < PEAK_MIN_GAP_NS) || mt_fp.state != MT_ON)
        return false;
    char path[4096];
    if (!mt_write_snapshot(MT_REASON_PEAK, path, sizeof path))
        return false;
    struct stat st, old;
    if (last_peak.path[0] && stat(last_peak.path, &old) == 0 && old.st_dev == last_peak.dev &&
        old.st_ino == last_peak.ino)
        unlink(last_peak.path);
    if (stat(path, &st) == 0) {
        memcpy(last_peak.path, path, sizeof path);
        last_peak.dev = st.st_dev;
        last_peak.ino = st.st_ino;
    }
    last_peak.heap = heap;
    last_peak.rss = rss;
    last_peak.at_ns = now;
    return true;
}

/* Writes the snapshots asked for; returns true if it wrote any. */
static bool serve(void)
{
    bool wrote = false;
    if (mt_opt.peak_pct && peak_snapshot())
        wrote = true;
    if (atomic_exchange(&signal_requests, 0) > 0 && mt_fp.state == MT_ON) {
        mt_write_snapshot(MT_REASON_SIGNAL, NULL, 0);
        wrote = true;
    }
    if (mt_opt.interval_ms && mono_ns() >= next_timer_ns && mt_fp.state == MT_ON) {
        next_timer_ns = mono_ns() + (uint64_t)mt_opt.interval_ms * 1000000ull;
        mt_write_snapshot(MT_REASON_TIMER, NULL, 0);
        wrote = true;
    }
    return wrote;
}

static _Atomic pid_t tracer_tid;

pid_t mt_trigger_thread_tid(void)
{
    return atomic_load(&tracer_tid);
}

static void *tracer_thread(void *arg)
{
    (void)arg;
    mt_self.guard = 1;                        /* nothing this thread does is traced */
    atomic_store(&tracer_tid, gettid());
    for (;;) {
        if (mt_fp.state == MT_DONE)
            return NULL;
        serve();
        mt_timeline_tick(mt_timeline_clock());   /* an idle program still gets points */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t wait_ms = mt_opt.interval_ms ? (uint64_t)mt_opt.interval_ms : 60000;
        if (mt_opt.interval_ms) {
            uint64_t now = mono_ns();
            wait_ms = next_timer_ns > now ? (next_timer_ns - now) / 1000000 + 1 : 0;
        }
        if (mt_opt.peak_pct && wait_ms > PEAK_TICK_MS)
            wait_ms = PEAK_TICK_MS;
        if (mt_opt.timeline_ms && wait_ms > mt_opt.timeline_ms)
            wait_ms = mt_opt.timeline_ms;
        ts.tv_sec += (time_t)(wait_ms / 1000);
        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (sem_timedwait(&wake, &ts) < 0 && errno == EINTR)
            ;
    }
}

static void start_thread(void)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&thread_state, &expected, 1))
        return;
    /* The thread blocks every signal: process-directed signals must still
     * reach the program's own threads. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t t;
    int err = pthread_create(&t, &attr, tracer_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        atomic_store(&thread_state, 0);
        thread_wanted = false;           /* do not retry on every call */
        mt_log("mtrace: cannot start the tracer thread (%s); timed snapshots are off",
               strerrordesc_np(err));
        return;
    }
    pthread_setname_np(t, "mtrace");
    atomic_store(&thread_state, 2);
    sem_post(&wake);
}

/* From a hook, guard held, no tracer lock held. */
void mt_trigger_slow(void)
{
    mt_set_pending(0);
    if (atomic_load(&thread_state) == 2) {
        sem_post(&wake);
        return;
    }
    if (!serve() && !thread_wanted && atomic_load(&signal_requests) == 0)
        return;
    start_thread();
}

void mt_trigger_init(void)
{
    sem_init(&wake, 0, 0);
    if (mt_opt.peak_pct) {
        thread_wanted = true;
        mt_set_pending(1);               /* the first hook call starts the thread */
    }
    if (mt_opt.interval_ms) {
        thread_wanted = true;
        next_timer_ns = mono_ns() + (uint64_t)mt_opt.interval_ms * 1000000ull;
        mt_set_pending(1);               /* the first hook call starts the thread */
    }
    if (mt_opt.signal <= 0)
        return;
    struct sigaction old;
    if (mt_real_sigaction(mt_opt.signal, NULL, &old) != 0)
        return;
    if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO)) {
        mt_log("mtrace: signal %d already has a handler; snapshots on that signal are off",
               mt_opt.signal);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (mt_real_sigaction(mt_opt.signal, &sa, NULL) == 0)
        mt_sigwrap_own(mt_opt.signal);
}

void mt_trigger_after_fork_child(void)
{
    memset(&last_peak, 0, sizeof last_peak);   /* the child's peaks are its own */
    atomic_store(&tracer_tid, 0);
    atomic_store(&thread_state, 0);
    sem_init(&wake, 0, 0);
    if (thread_wanted)
        mt_set_pending(1);
}
