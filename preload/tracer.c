/* ---------------------------------------------------------------------------
 * tracer.c: the tracer's life cycle and its event entry points.
 *
 * Start: the constructor reads the options and resolves what it needs while
 * the guard is held, then switches tracing on. Exit: the destructor runs in
 * _dl_fini *before* the destructors of libraries loaded after the shim, so
 * it only registers the exit snapshot with on_exit, which glibc runs
 * after _dl_fini returns: memory freed by any destructor is not a leak.
 * fork: every tracer lock is taken in prepare, so the child inherits
 * consistent tables (its heap is a copy of the parent's) and re-arms them.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"
#include "scratch.h"
#include "sigmask.h"

__thread struct mt_thread mt_self __attribute__((tls_model("initial-exec")));
struct mt_fastpath mt_fp = {                 /* slow until tracing starts */
    .pages = mt_sample_all_pages,
    .finalizing = &mt_fp.zero,
    .state = MT_OFF,
};

/* Where this thread's countdown lies from the thread pointer: the same in
 * every thread, and never 0 (the TCB sits at the thread pointer). */
static intptr_t countdown_offset(void)
{
#if defined(__x86_64__) && defined(__LP64__)
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return (intptr_t)((uintptr_t)&mt_self.sample_left - tp);
#else
    return 1;                            /* the hooks only test it against 0 */
#endif
}

/* Its inputs may change while it runs (a signal handler setting
 * mt_fp.pending in this thread, another thread's refresh): it writes, then
 * reads them again, and goes round until they held still, so that the
 * last refresh to finish leaves what they say. */
void mt_fast_refresh(void)
{
    for (;;) {
        int state = mt_fp.state, pending = mt_fp.pending;
        const char *const *finalizing = mt_python_finalizing;
        bool fast = state == MT_ON && mt_fp.sample_bytes && !pending;
        if (!fast)
            mt_fp.countdown = 0;        /* allocations first: they record */
        mt_fp.finalizing = finalizing ? finalizing : &mt_fp.zero;
        mt_fp.pages = fast ? mt_sample_pages : mt_sample_all_pages;
        if (fast)
            mt_fp.countdown = countdown_offset();
        atomic_thread_fence(memory_order_seq_cst);
        if (state == mt_fp.state && pending == mt_fp.pending && finalizing == mt_python_finalizing)
            return;
    }
}

static pid_t cached_pid, parent_pid;
static bool is_fork_child;
static uint64_t start_ns;
static atomic_uint_fast64_t dropped;
static bool warned_dropped;

pid_t mt_pid(void) { return cached_pid; }
pid_t mt_ppid(void) { return parent_pid; }
bool mt_forked(void) { return is_fork_child; }
uint64_t mt_start_time_ns(void) { return start_ns; }
uint64_t mt_dropped(void) { return atomic_load(&dropped); }

static void drop_event(void)
{
    atomic_fetch_add(&dropped, 1);
    if (!warned_dropped) {
        warned_dropped = true;
        mt_log("mtrace: tracer memory exhausted; some allocations are not traced");
    }
}

/* The stack of this allocation, interned. A thread running Python code
 * gets a hybrid stack: the native frames up to the interpreter's eval loop,
 * then its Python frames (the native frames further out are interpreter
 * plumbing, and skipping them keeps the unwind short). */
static uint32_t capture_and_intern(struct mt_scratch *s, bool *truncated)
{
    int depth = mt_fp.depth;
    uintptr_t *ips = s->ips, *py = s->py;
    bool py_more;
    uintptr_t anchor;
    int npy = mt_python_walk(py, depth, &py_more, &anchor, s);
    uintptr_t lo = 0, hi = 0;            /* stay 0 when the loop is unknown */
    if (npy)
        mt_python_eval_range(&lo, &hi);
    uint32_t *memo_id;
    int n = mt_unwind(ips, depth, truncated, lo, hi, hi ? anchor : 0, &memo_id, s);
    if (!npy && memo_id) {
        /* The memo's entry names this very stack: intern it once. */
        if (*memo_id)
            return *memo_id - 1;
        uint32_t id = mt_stacks_intern(ips, n, *truncated, s->intern);
        if (id != UINT32_MAX)
            *memo_id = id + 1;
        return id;
    }
    if (npy) {
        /* Eval loop not found (an eval-frame hook, an unusual build): the
         * Python frames follow the whole native stack. */
        int take = npy < depth - n ? npy : depth - n;
        memcpy(ips + n, py, (size_t)take * sizeof *py);
        *truncated = *truncated || py_more || take < npy;
        n += take;
    }
    return mt_stacks_intern(ips, n, *truncated, s->intern);
}

/* What a block of size bytes adds to the counters (stacks.c's units). */
static inline void weigh(size_t size, uint64_t *n, uint64_t *bytes)
{
    if (MT_LIKELY(!mt_fp.sample_bytes)) {
        *n = 1;
        *bytes = size;
        return;
    }
    mt_sample_weight(size, n, bytes, mt_stacks_unit_shift());
}

/* Called with the guard held, after the real allocation succeeded (under
 * sampling, only for sampled ones: interpose.c decides before). */
void mt_on_alloc(void *p, size_t size)
{
    bool truncated;
    mt_livemap_prefetch((uintptr_t)p);
    struct mt_scratch *s = mt_scratch_get();
    uint32_t id = UINT32_MAX;
    if (MT_LIKELY(s != NULL)) {
        id = capture_and_intern(s, &truncated);
        mt_scratch_put(s);
    }
    if (MT_UNLIKELY(id == UINT32_MAX)) {
        drop_event();
        return;
    }
    uint32_t stale_id;
    size_t stale_size;
    int r = mt_livemap_insert((uintptr_t)p, id, size, &stale_id, &stale_size);
    if (MT_UNLIKELY(r < 0)) {
        drop_event();
        return;
    }
    uint64_t n, bytes;
    if (MT_UNLIKELY(r > 0)) {
        weigh(stale_size, &n, &bytes);
        mt_stacks_on_free(stale_id, n, bytes);
    }
    weigh(size, &n, &bytes);
    uint64_t mono = mt_timeline_clock();
    mt_stacks_on_alloc(id, n, bytes, mono);
    mt_timeline_tick(mono);
}

/* Called with the guard held, before the real free: once the block is
 * released another thread may receive the same address. */
bool mt_on_free(void *p)
{
    struct mt_taken t;
    if (!mt_take(p, &t))
        return false;
    mt_account_free(&t);
    return true;
}

bool mt_take(void *p, struct mt_taken *t)
{
    mt_python_before_free();
    return mt_livemap_remove((uintptr_t)p, &t->stack, &t->size);
}

void mt_account_free(const struct mt_taken *t)
{
    uint64_t n, bytes;
    weigh(t->size, &n, &bytes);
    mt_stacks_on_free(t->stack, n, bytes);
}

void mt_restore(void *p, const struct mt_taken *t)
{
    uint32_t sid;
    size_t sz;
    int r = mt_livemap_insert((uintptr_t)p, t->stack, t->size, &sid, &sz);
    if (r < 0) {
        /* Cannot keep tracking it: account it as gone rather than lie later. */
        mt_account_free(t);
        drop_event();
    }
}

/* ---- fork ---------------------------------------------------------------- */

static void fork_prepare(void)
{
    mt_self.fork_saved_guard = mt_self.guard;
    mt_self.guard = 1;
    mt_unwind_fork_prepare();
    mt_writer_lock();
    mt_python_lock();
    mt_timeline_lock();
    mt_stacks_lock_all();
}

static void fork_parent(void)
{
    mt_stacks_unlock_all(false);
    mt_timeline_unlock(false);
    mt_python_unlock(false);
    mt_writer_unlock(false);
    mt_unwind_fork_done();
    mt_self.guard = mt_self.fork_saved_guard;
}

static void fork_child(void)
{
    mt_sample_after_fork_child();
    mt_scratch_after_fork_child();
    mt_memo_after_fork_child();
    mt_stacks_unlock_all(true);
    mt_timeline_unlock(true);
    mt_python_unlock(true);
    mt_writer_unlock(true);
    mt_unwind_fork_done();
    parent_pid = cached_pid;
    cached_pid = getpid();
    is_fork_child = true;
    uint64_t allocs, bytes;
    mt_stacks_inherited(&allocs, &bytes);
    mt_tree_after_fork_child(allocs, bytes);
    mt_trigger_after_fork_child();
    mt_self.guard = mt_self.fork_saved_guard;
}

/* ---- start and exit --------------------------------------------------------- */
bool mt_is_traced_process(void)
{
    return (pid_t)syscall(SYS_getpid) == cached_pid;
}

/* The last snapshot. At exit and _exit the leak scan runs first; it parks
 * the other threads for good, and a parked thread may hold the loader's
 * lock (inside dlopen, or an unwinder's dl_iterate_phdr): whatever needs
 * the loader (the module list, the gate's symbol tables) is read before
 * it, and the writer lock is taken first so that the tracer thread is not
 * midway through a snapshot, waiting for that lock while holding ours. A
 * killing signal gets no scan (it is not signal-safe); exec gets none
 * either (the program goes on if exec fails, with its threads). */
const char *mt_final_snapshot(int reason, int sig, int status, uintptr_t stack_from)
{
    if (mt_fp.state != MT_ON || !mt_is_traced_process())
        return NULL;
    if (mt_self.locks_held > 0) {
        /* _exit or exec from a signal handler that interrupted the tracer
         * on this thread: the lock it holds would wait for itself. */
        mt_log("mtrace: %s from a signal handler inside the tracer: no final snapshot",
               reason == MT_REASON_EXEC ? "exec" : "exit");
        return NULL;
    }
    int guard = mt_self.guard;
    mt_self.guard = 1;
    uint64_t allocs;
    mt_stacks_totals(NULL, NULL, &allocs);
    if (!mt_tree_wants_final(reason, allocs)) {
        if (reason != MT_REASON_EXEC)    /* a helper with few allocations: quiet */
            mt_set_state(MT_DONE);
        mt_self.guard = guard;
        return NULL;
    }
    mt_writer_exit_begin(reason);
    bool scan = mt_opt.leak_scan && (reason == MT_REASON_EXIT || reason == MT_REASON_EXIT_NOW);
    bool gate = mt_opt.leak_check && reason == MT_REASON_EXIT;
    if (gate)
        mt_dynsym_load();
    struct mt_leak_result leaks;
    memset(&leaks, 0, sizeof leaks);
    if (scan)
        mt_leakscan_run(&leaks, stack_from);
    static char path[4096];
    if (!mt_write_final_snapshot(reason, sig, status, &leaks, path, sizeof path))
        path[0] = '\0';
    if (reason != MT_REASON_EXEC) {
        mt_set_state(MT_DONE);
        mt_tree_root_done();             /* before the gate, which may end the process */
    }
    if (gate)
        mt_leak_gate(&leaks, path);      /* may end the process with the gate's code */
    mt_leakscan_release(&leaks);
    mt_writer_exit_end();
    mt_self.guard = guard;
    return path[0] ? path : NULL;
}

/* on_exit, not atexit: the status goes into the header. */
__attribute__((noinline)) static void exit_snapshot(int status, void *arg)
{
    MT_STACK_BOUNDARY(from);
    (void)arg;
    mt_final_snapshot(MT_REASON_EXIT, 0, status, from);
}

__attribute__((destructor)) static void mt_fini(void)
{
    if (mt_fp.state == MT_ON)
        on_exit(exit_snapshot, NULL);
}

__attribute__((constructor)) static void mt_init(void)
{
    mt_self.guard = 1;
    mt_options_load();
    /* Interposed whether or not tracing is on: their real ones first. */
    mt_exits_init();
    mt_sigmask_init();
    if (mt_opt.enabled) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        cached_pid = getpid();
        parent_pid = getppid();
        mt_interpose_init();
        mt_tree_init();
        mt_unwind_setup();
        mt_python_init();
        mt_writer_init();
        mt_writer_checkin();
        mt_livemap_init();
        mt_stacks_setup(mt_fp.sample_bytes != 0);
        mt_sample_setup();                  /* under sampling: it checks */
        mt_journal_setup();
        mt_scratch_setup();
        mt_timeline_init();
        mt_leakscan_init();
        pthread_atfork(fork_prepare, fork_parent, fork_child);
        mt_trigger_init();
        mt_deathsig_init();
        mt_set_state(MT_ON);
    }
    mt_self.guard = 0;
    if (mt_fp.state == MT_ON)
        mt_tree_publish();
}
