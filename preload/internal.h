/* ---------------------------------------------------------------------------
 * Cross-file declarations of the shim, grouped by the file that defines
 * them. Everything here has hidden visibility: the only exported symbols of
 * libmtrace.so are the malloc family (interpose.c) and the public API
 * (api.c, include/mtrace.h). Error convention: functions returning bool
 * return true on success.
 * ------------------------------------------------------------------------- */
#ifndef MT_INTERNAL_H
#define MT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock.h"

#define MT_HIDDEN __attribute__((visibility("hidden")))
#define MT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MT_MAX_DEPTH 256
/* Globals that a sampled event reads, written rarely (on sampled events,
 * big blocks, timeline points, signals): one section, so that they share
 * a few cache lines instead of taking one each. A sample finds them all
 * evicted by the program's work since the last one. */
#define MT_HOT __attribute__((section(".data.mt_hot")))

/* ---- tracer.c: state, guard, event entry points ------------------------- */

enum mt_state { MT_OFF = 0, MT_ON = 1, MT_DONE = 2 };

MT_HIDDEN void mt_on_alloc(void *p, size_t size);
/* Returns true when p was a traced block (and forgets it). */
MT_HIDDEN bool mt_on_free(void *p);
/* realloc support: mt_take forgets p but keeps what it knew, then either
 * mt_account_free (the block is gone) or mt_restore (realloc failed). */
struct mt_taken { uint32_t stack; size_t size; };
MT_HIDDEN bool mt_take(void *p, struct mt_taken *out);
MT_HIDDEN void mt_restore(void *p, const struct mt_taken *t);
MT_HIDDEN void mt_account_free(const struct mt_taken *t);
/* interpose.c: resolves the real functions that glibc does not export
 * under a __libc_ name. Called once from the constructor. */
MT_HIDDEN void mt_interpose_init(void);
MT_HIDDEN uint64_t mt_dropped(void);
MT_HIDDEN pid_t mt_pid(void);
/* The process's last snapshot (reason: exit, _exit, killed, exec), with
 * the leak scan and gate where they apply. Returns the path written, or
 * NULL; the caller of the exec hook unlinks it when exec fails. */
/* stack_from: where the leak scan starts reading this thread's stack,
 * MT_STACK_BOUNDARY's, or 0 (no scan, or from the scan's own frame). */
MT_HIDDEN const char *mt_final_snapshot(int reason, int sig, int status, uintptr_t stack_from);
/* In a shim entry point that runs the leak scan: the program's callee-saved
 * registers go into this frame, and the address of a local below them is
 * where the scan reads this thread's stack from. The shim's own frames
 * further in are left out: their stale slots hold copies of pointers the
 * program no longer has (the allocation hook's argument: a leak read as
 * reachable). */
#define MT_STACK_BOUNDARY(var)                                          \
    __builtin_unwind_init();                                            \
    volatile char var##_mark = 0;                                       \
    uintptr_t var = (uintptr_t)&var##_mark;                             \
    if ((uintptr_t)__builtin_frame_address(0) < var)                    \
        var = (uintptr_t)__builtin_frame_address(0)  /* saves above the frame record (AArch64 GCC) */
/* Whether this is the traced process itself (a vfork child runs on the
 * parent's memory and must leave the tracer alone): the raw getpid. */
MT_HIDDEN bool mt_is_traced_process(void);
/* deathsig.c, exits.c */
MT_HIDDEN void mt_deathsig_init(void);
MT_HIDDEN void mt_exits_init(void);
/* tree.c: the traced process tree (MTRACE_FOLLOW, _MIN_ALLOCS, _MAX_FILES). */
MT_HIDDEN void mt_tree_init(void);
MT_HIDDEN void mt_tree_publish(void);
/* The shim's copy of the environment (lies in no module or stack: a leak
 * scan root), or lo == hi. */
MT_HIDDEN void mt_tree_env_range(uintptr_t *lo, uintptr_t *hi);
MT_HIDDEN void mt_tree_after_fork_child(uint64_t parent_allocs, uint64_t parent_bytes);
/* stacks.c: the parent's total_allocs and current bytes at the fork. */
MT_HIDDEN void mt_stacks_inherited(uint64_t *allocs, uint64_t *bytes);
MT_HIDDEN bool mt_tree_wants_final(int reason, uint64_t total_allocs);
MT_HIDDEN bool mt_tree_claim_file(int reason);
MT_HIDDEN void mt_tree_root_done(void);
MT_HIDDEN void mt_tree_before_exec(void);
MT_HIDDEN const char *mt_tree_replaced_entry(void);
struct mt_file_header;
struct mt_strtab;
MT_HIDDEN void mt_tree_header(struct mt_file_header *h, struct mt_strtab *st);
MT_HIDDEN pid_t mt_ppid(void);
MT_HIDDEN bool mt_forked(void);
MT_HIDDEN uint64_t mt_start_time_ns(void);

/* ---- options.c: MTRACE_* knobs ------------------------------------------ */
struct mt_options {
    int depth;               /* MTRACE_DEPTH */
    const char *out;         /* MTRACE_OUT template */
    const char *manifest;    /* MTRACE_MANIFEST: list of files written (mtrace-run) */
    bool quiet;              /* MTRACE_QUIET */
    bool enabled;            /* MTRACE_DISABLE unset */
    int signal;              /* MTRACE_SIGNAL: snapshot signal, 0 = none */
    unsigned interval_ms;    /* MTRACE_INTERVAL: timed snapshots, 0 = none */
    bool python;             /* MTRACE_PYTHON: Python frames when CPython runs */
    bool keep_pymalloc;      /* MTRACE_PYMALLOC: leave PYTHONMALLOC alone */
    bool unwind_memo;        /* MTRACE_UNWIND_MEMO: the per-thread stack memo */
    bool follow;             /* MTRACE_FOLLOW: trace children */
    unsigned min_allocs;     /* MTRACE_MIN_ALLOCS: fewer and a descendant writes nothing */
    unsigned max_files;      /* MTRACE_MAX_FILES: snapshot files per process tree, 0 = no cap */
    unsigned peak_pct;       /* MTRACE_PEAK_SNAPSHOT: growth in % that writes a peak snapshot */
    bool leak_scan;          /* MTRACE_LEAK_SCAN: classify live blocks at exit */
    bool leak_check;         /* MTRACE_LEAK_CHECK: exit with leak_exitcode on leaks */
    int leak_exitcode;       /* MTRACE_LEAK_EXITCODE */
    const char *suppressions;/* MTRACE_SUPPRESSIONS: LeakSanitizer-format file */
    bool default_suppressions; /* MTRACE_DEFAULT_SUPPRESSIONS */
    unsigned timeline_ms;    /* MTRACE_TIMELINE_MS: memory-over-time interval, 0 = off */
    unsigned timeline_points;/* MTRACE_TIMELINE_POINTS: the series' buffer (merged when full) */
    uint64_t sample_bytes;   /* MTRACE_SAMPLE_BYTES: mean bytes between samples, 0 = exact */
    bool unwind_fp;          /* MTRACE_UNWIND=fp: frame-pointer walk instead of libunwind */
};
extern struct mt_options mt_opt MT_HIDDEN;
MT_HIDDEN void mt_options_load(void);

/* ---- trigger.c: snapshots on a signal and on a timer ------------------ */
/* The hooks' fast paths under sampling (sampling, tracing on, nothing
 * pending) read one cache line, mt_fastpath:
 * - countdown: where this thread's countdown (mt_self.sample_left) lies from
 *   the thread pointer, the same in every thread (static TLS), or 0 when
 *   allocations must take the slow path. On x86-64 the hooks subtract
 *   from %fs:countdown in one instruction, without the GOT's TLS entry.
 * - pages: the first level of the filter of sampled blocks (sample.c), or
 *   all ones when frees must take the slow path: the filter's word is then
 *   also the flag. A free it proves unsampled has nothing to record in any
 *   state (a pending snapshot waits for the next allocation, which the
 *   countdown sends to the slow path).
 * - finalizing: where a traced interpreter says it is finalizing (a free
 *   must then wait, python.c), else the zero beside it.
 * mt_fp.state and mt_fp.pending are written only through the setters below,
 * which recompute it (and python.c when it finds the interpreter). The
 * fields change one at a time: a stale or mixed view only delays pending
 * work to the next slow path, which checks everything again (a clear bit
 * in the filter is sure whichever filter it was read from), and without
 * sampling countdown and pages never leave their slow values. */
struct mt_fastpath {
    volatile intptr_t countdown;
    const _Atomic uint64_t *volatile pages;
    const char *const *volatile finalizing;
    const char *zero;
    /* Not read by the fast paths: the slow paths' reads, in the line the
     * fast paths keep in cache (a sampled event found each of them in a
     * cold line of its own). */
    volatile int state;                 /* enum mt_state */
    volatile int pending;               /* trigger work waits (trigger.c) */
    uint64_t sample_bytes;              /* mt_opt's, copied at start-up */
    int depth;                          /* mt_opt's */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct mt_fastpath) == 64, "the hooks' data is one cache line");
extern struct mt_fastpath mt_fp MT_HIDDEN;
extern const char *const *volatile mt_python_finalizing MT_HIDDEN;
/* Async-signal-safe (the signal handler sets mt_fp.pending). */
MT_HIDDEN void mt_fast_refresh(void);
static inline void mt_set_state(int state)
{
    mt_fp.state = state;
    mt_fast_refresh();
}
static inline void mt_set_pending(int pending)
{
    mt_fp.pending = pending;
    mt_fast_refresh();
}
MT_HIDDEN void mt_trigger_init(void);
MT_HIDDEN void mt_trigger_slow(void);
MT_HIDDEN void mt_trigger_after_fork_child(void);
MT_HIDDEN pid_t mt_trigger_thread_tid(void);   /* the tracer thread, 0: none */

/* ---- sigwrap.c: the shim's signal handler, hidden from the program ----- */
struct sigaction;
MT_HIDDEN int mt_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
/* The shim's handler now holds sig: the program reads SIG_DFL there. */
MT_HIDDEN void mt_sigwrap_own(int sig);

/* ---- log.c: messages without allocating --------------------------------- */
MT_HIDDEN void mt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
MT_HIDDEN void mt_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- pool.c: the tracer's own memory, never from the traced heap -------- */
MT_HIDDEN void *mt_pool_alloc(size_t size);
MT_HIDDEN void mt_pool_free(void *p, size_t size);
MT_HIDDEN void *mt_map(size_t size);          /* zeroed pages, NULL on failure */
MT_HIDDEN void mt_unmap(void *p, size_t size);
/* Faulting in ahead (pool.c): pages the tracer is about to write, many per
 * system call. mt_populate_ahead advances *ready (page-aligned) past need
 * in steps of MT_POPULATE_STEP, never past end; mt_map_filled is mt_map
 * for a buffer that will be written whole. */
#define MT_POPULATE_STEP ((size_t)64 * 1024)
MT_HIDDEN void mt_populate(void *p, size_t len);
MT_HIDDEN void mt_populate_steps(char **ready, const char *need, const char *end);
static inline void mt_populate_ahead(char **ready, const char *need, const char *end)
{
    if (MT_UNLIKELY(need > *ready))
        mt_populate_steps(ready, need, end);
}
MT_HIDDEN void *mt_map_filled(size_t size);
MT_HIDDEN void mt_pool_lock_all(void);
MT_HIDDEN void mt_pool_unlock_all(bool child);

/* ---- unwind.c: stack capture -------------------------------------------- */
MT_HIDDEN void mt_unwind_setup(void);
/* Fills ips (innermost first) without the shim's own frames; returns the
 * count and sets *truncated when the stack was deeper than depth. With a
 * stop range (stop_hi != 0), the capture ends before the first frame whose
 * return address lies in (stop_lo, stop_hi]. */
/* Called before the allocator runs: warms what the unwind will read. */
MT_HIDDEN void mt_unwind_prefetch(void);
/* Threads inside libunwind now (the fork barrier's count): it blocks every
 * signal around its cache's lock (stopworld.c must not take that for the
 * program's own blocking). */
MT_HIDDEN unsigned mt_unwind_inside(void);
struct mt_scratch;                     /* scratch.h: the thread's buffers */
MT_HIDDEN int mt_unwind(uintptr_t *ips, int depth, bool *truncated, uintptr_t stop_lo,
                        uintptr_t stop_hi, uintptr_t anchor, uint32_t **id,
                        struct mt_scratch *s);
/* *id, when set, is the stack memo's cache of this stack's interned id + 1
 * (0: not known yet; then ips holds the frames, else they may not). */
/* stackmemo.c: native stacks memoized per thread, validated on the stack:
 * whole stacks, and the native frames above Python's eval loop (a stop
 * range with an anchor, see mt_python_walk). */
struct mt_memo_stop { uintptr_t lo, hi, anchor; };
struct mt_memo_miss {
    void *entry;
    int way;
    unsigned set;                    /* the set of way */
    uint16_t key;
    uintptr_t ra0, slot0, where;     /* where: slot0, or its distance to the anchor */
    struct mt_memo_stop stop;        /* hi == 0: whole stacks */
};
/* The return address into the first frame outside the shim (the program's
 * call of the hook), through the shim's own frame pointers. */
MT_HIDDEN bool mt_memo_caller(uintptr_t own_lo, uintptr_t own_hi, uintptr_t *ra);
MT_HIDDEN void mt_memo_setup(void);
MT_HIDDEN void mt_memo_thread_start(uintptr_t lo, uintptr_t hi);
MT_HIDDEN void mt_memo_thread_end(void);
MT_HIDDEN void mt_memo_after_fork_child(void);   /* the other threads' memos go back */
/* The memoized stack (its frame count), or -1; then miss->entry, when set,
 * asks mt_memo_fill (inside the libunwind fork barrier) to fill it. */
MT_HIDDEN void mt_memo_prefetch(uintptr_t own_lo, uintptr_t own_hi);
MT_HIDDEN int mt_memo_lookup(uintptr_t own_lo, uintptr_t own_hi, const struct mt_memo_stop *stop,
                             uintptr_t *ips, int depth, bool *truncated,
                             struct mt_memo_miss *miss, uint32_t **id);
MT_HIDDEN int mt_memo_fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth,
                           bool *truncated, uint32_t **id, struct mt_scratch *s);
/* The same from a frame-pointer walk: ra and slot from the missed frame
 * outward (see stackmemo.c). */
#define MT_MEMO_FRAMES 64              /* deeper stacks are not memoized */
/* The frames a fill walks: depth, and one past it to know whether the
 * stack was cut there. */
static inline int mt_memo_want(int depth)
{
    return (depth < MT_MEMO_FRAMES ? depth : MT_MEMO_FRAMES) + 1;
}
MT_HIDDEN int mt_memo_record(const struct mt_memo_miss *miss, const uintptr_t *ra,
                             const uintptr_t *slot, int n, bool end, uintptr_t stop_slot,
                             uintptr_t *ips, int depth, bool *truncated, uint32_t **id);
/* threads.c: the calling thread's stack bounds to the memo and the leak
 * scan (mt_thread_stack: 0, 0 when unknown; async-signal-safe). */
MT_HIDDEN void mt_thread_bounds(bool main_thread);
MT_HIDDEN void mt_thread_stack(uintptr_t *lo, uintptr_t *hi);
/* fork: waits until no thread is inside libunwind and holds new ones off. */
MT_HIDDEN void mt_unwind_fork_prepare(void);
MT_HIDDEN void mt_unwind_fork_done(void);

/* ---- python.c: Python frames (pylayout.c: per-version offsets) ---------- */
/* A Python frame in a stack: tag | code id << 32 | line. Native return
 * addresses never have the top bit set in user space. */
#define MT_PYFRAME_TAG ((uintptr_t)1 << 63)
static inline bool mt_is_pyframe(uintptr_t w) { return (w & MT_PYFRAME_TAG) != 0; }
MT_HIDDEN void mt_python_init(void);
/* The calling thread's Python frames, innermost first, as tagged words.
 * *anchor: an address inside the C frame of the eval loop running them
 * (3.11 and 3.12 keep their _PyCFrame there, 3.13 its entry frame), 0 when
 * unknown: the stack memo places the native frames above the loop by their
 * distance to it. */
MT_HIDDEN int mt_python_walk(uintptr_t *words, int max, bool *more, uintptr_t *anchor,
                             struct mt_scratch *s);
/* Where the interpreter's eval loop lies: native frames beyond it are
 * replaced by the Python frames. */
MT_HIDDEN bool mt_python_eval_range(uintptr_t *lo, uintptr_t *hi);
struct mt_strtab;
struct mt_frame;
MT_HIDDEN void mt_python_export_begin(void);
MT_HIDDEN void mt_python_export(uintptr_t word, struct mt_strtab *st, struct mt_frame *out);
/* File and function of a Python frame word (NULL when unknown). */
MT_HIDDEN void mt_python_names(uintptr_t word, const char **file, const char **func);
/* Called before every free while tracing: during interpreter finalization
 * it waits for frame walks in flight (other threads' memory is going away).
 * mt_python_finalizing: where the interpreter says it is finalizing, while
 * a free may have to wait (NULL without Python, and once drained). */
extern const char *const *volatile mt_python_finalizing MT_HIDDEN;
MT_HIDDEN void mt_python_drain(void);
static inline bool mt_python_finalizing_now(void)
{
    const char *const *f = mt_python_finalizing;
    return MT_UNLIKELY(f != NULL) && __atomic_load_n(f, __ATOMIC_ACQUIRE);
}
static inline void mt_python_before_free(void)
{
    if (mt_python_finalizing_now())
        mt_python_drain();
}
MT_HIDDEN void mt_python_lock(void);
MT_HIDDEN void mt_python_unlock(bool child);

/* ---- journal.c: each thread's counter events, applied in batches -------- */
#define MT_JOURNAL_LEN 32
struct mt_jevent {
    uint32_t id;
    uint32_t is_free;
    uint64_t n, bytes;                  /* counter units */
    uint64_t mono;                      /* allocations: the timeline clock */
};
struct mt_journal;
typedef void mt_jevent_fn(const struct mt_jevent *e, uint32_t n);
MT_HIDDEN void mt_journal_setup(void);
MT_HIDDEN struct mt_journal *mt_journal_open(void);
/* With the stats lock held: */
MT_HIDDEN void mt_journal_drain_mine(mt_jevent_fn *apply);
MT_HIDDEN void mt_journal_drain_all(mt_jevent_fn *apply);
MT_HIDDEN void mt_journal_set_cap(uint64_t peak);
MT_HIDDEN void mt_journal_fork_child(void);
/* A thread ends (threads.c): its last events are applied. */
MT_HIDDEN void mt_journal_thread_end(void);

/* ---- stacks.c: interned stacks and their counters ----------------------- */
struct mt_stackrec;
struct mt_intern_slot;
/* cache: the thread's recently interned stacks (scratch.h). */
MT_HIDDEN uint32_t mt_stacks_intern(const uintptr_t *ips, int n, bool truncated,
                                    struct mt_intern_slot *cache);
/* n blocks of bytes in all, in counter units (mt_stacks_units); they reach
 * the counters through the thread's journal. */
MT_HIDDEN void mt_stacks_on_alloc(uint32_t id, uint64_t n, uint64_t bytes, uint64_t mono);
MT_HIDDEN void mt_stacks_on_free(uint32_t id, uint64_t n, uint64_t bytes);
/* Applies the calling thread's journal; takes the stats lock. */
MT_HIDDEN void mt_stacks_flush_mine(void);
/* Exact mode counts as is; sampling keeps fractional estimates. */
MT_HIDDEN void mt_stacks_setup(bool sampling);
MT_HIDDEN unsigned mt_stacks_unit_shift(void);
MT_HIDDEN void mt_stacks_reset_peak(void);
/* Traced bytes live now and at the peak, allocations so far; any may be NULL. */
MT_HIDDEN void mt_stacks_totals(uint64_t *current, uint64_t *peak, uint64_t *allocs);
/* For a timeline point taken at clock reading mono: current bytes, the
 * most live since the previous point and the clock reading when that was
 * first reached (the previous point's when it held it already; 0 before
 * the first point), total allocations. */
MT_HIDDEN void mt_stacks_timeline_point(uint64_t *cur, uint64_t *max, uint64_t *max_mono,
                                        uint64_t *allocs, uint64_t mono);
/* The calling thread's own figures (mtrace_thread_traced). */
MT_HIDDEN void mt_stacks_thread(int64_t *current, uint64_t *allocated);
MT_HIDDEN void mt_stacks_lock_all(void);
MT_HIDDEN void mt_stacks_unlock_all(bool child);
/* For the writer: called with mt_stacks_lock_all() held. */
struct mt_file_header;
struct mt_stack;
struct mt_frame;
MT_HIDDEN uint32_t mt_stacks_count(uint64_t *frame_count);
/* The frames of stack id (innermost first); its count, 0 when unknown. */
MT_HIDDEN int mt_stacks_frames(uint32_t id, const uintptr_t **frames);
struct mt_ftree;
/* Stacks 0..n-1: their counters into stacks[] and the totals into h, with
 * every tracer lock held; then, without them, their frames into the tree. */
MT_HIDDEN void mt_stacks_export(struct mt_stack *stacks, uint32_t n, struct mt_file_header *h);
MT_HIDDEN void mt_stacks_export_frames(struct mt_stack *stacks, uint32_t n, struct mt_ftree *ftree,
                                       struct mt_strtab *st);

/* ---- frametree.c: the snapshot's NODES section (a prefix tree) ---------- */
struct mt_node;
struct mt_ftree {
    struct mt_node *nodes;       /* count used of cap; parents before children */
    uint32_t count, cap;
    size_t nodes_bytes;
    char *nodes_ready;           /* populated up to here */
    uint64_t *slots;             /* (parent, word) -> node; see frametree.c */
    size_t mask;
    uint32_t path[MT_MAX_DEPTH]; /* the previous stack's nodes, outermost first */
    const uintptr_t *prev;       /* the previous stack's words, innermost first */
    int prev_n;
    bool failed;                 /* out of tracer memory */
};
/* With mt_stacks_lock_all() held, for up to frame_total frames in all. */
MT_HIDDEN bool mt_ftree_init(struct mt_ftree *t, uint64_t frame_total);
/* Adds a stack (words innermost first; they must stay until the next call);
 * returns its innermost node, UINT32_MAX when n is 0 or on failure. */
MT_HIDDEN uint32_t mt_ftree_add(struct mt_ftree *t, const uintptr_t *frames, int n);
/* Turns the nodes' words into frames (Python names into st); no more adds. */
MT_HIDDEN void mt_ftree_export(struct mt_ftree *t, struct mt_strtab *st);
/* Frees what only adding needed (after the locks: see frametree.c). */
MT_HIDDEN void mt_ftree_drop_index(struct mt_ftree *t);
MT_HIDDEN void mt_ftree_release(struct mt_ftree *t);

/* ---- sample.c: MTRACE_SAMPLE_BYTES -------------------------------------- */
/* When the thread's countdown to the next sample (mt_self.sample_left,
 * bytes) runs out: true when this allocation is sampled. */
MT_HIDDEN bool mt_sample_slow(size_t size);
/* In a fork child: a fresh random start, not the parent's sample points. */
MT_HIDDEN void mt_sample_after_fork_child(void);
/* Under sampling: true when this allocation is not sampled. */
/* Subtracts size from this thread's countdown and says whether bytes were
 * left beyond this allocation: the countdown was above size both
 * unsigned, so that a size of 2^63 or more (a failed malloc(-n)) cannot
 * add to it and stop the thread's sampling, and signed, so that a
 * countdown left below 0 (a signal handler that jumped out of a hook
 * before the slow path drew afresh) sends the next call there. */
static inline bool mt_sample_count_down(size_t size)
{
    int64_t left = mt_self.sample_left;
    mt_self.sample_left = (int64_t)((uint64_t)left - size);
    return left > 0 && (uint64_t)left > size;
}
static inline bool mt_sample_skip(size_t size)
{
    if (MT_LIKELY(mt_sample_count_down(size)))
        return true;
    return !mt_sample_slow(size);
}
/* The hooks' countdown, mt_sample_count_down for the countdown at offset
 * off from the thread pointer (mt_fp.countdown, never 0 here): on x86-64
 * one subtraction on %fs and a branch on each of its two comparisons. */
static inline bool mt_countdown(intptr_t off, size_t size)
{
#if defined(__x86_64__) && defined(__LP64__)
    __asm__ goto("subq %[size], %%fs:(%[off])\n\t"
                 "jbe %l[out]\n\t"
                 "jle %l[out]"
                 :
                 : [size] "r"(size), [off] "r"(off)
                 : "memory", "cc"
                 : out);
    return true;
out:
    return false;
#else
    (void)off;
    return mt_sample_count_down(size);
#endif
}
/* Where sampled blocks may start, in two levels (sample.c). Every free
 * under sampling tests the pages filter inline: a bit per 4 KiB page
 * number modulo 16 Ki, 2 KiB, whose few lines a heap's frees keep in L1
 * (a line covers 2 MiB of heap). A set bit sends the free to the granules
 * filter, a bit per 256-byte granule number modulo 64 Ki (8 KiB), and a
 * set bit there to the live map. A clear bit is sure at either level. */
#define MT_SAMPLE_PAGE_BITS 14
#define MT_SAMPLE_PAGE_GRAIN 12         /* log2 of the bytes a bit covers */
#define MT_SAMPLE_FILTER_BITS 16
#define MT_SAMPLE_FILTER_GRAIN 8
extern _Atomic uint64_t mt_sample_pages[(1u << MT_SAMPLE_PAGE_BITS) / 64] MT_HIDDEN;
extern _Atomic uint64_t mt_sample_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64] MT_HIDDEN;
static inline uint32_t mt_sample_page(uintptr_t p)
{
    return (uint32_t)(p >> MT_SAMPLE_PAGE_GRAIN) & ((1u << MT_SAMPLE_PAGE_BITS) - 1);
}
static inline uint32_t mt_sample_granule(uintptr_t p)
{
    return (uint32_t)(p >> MT_SAMPLE_FILTER_GRAIN) & ((1u << MT_SAMPLE_FILTER_BITS) - 1);
}
static inline bool mt_sample_bit(const _Atomic uint64_t *filter, uint32_t b)
{
    return (atomic_load_explicit(&filter[b / 64], memory_order_relaxed) >> (b % 64)) & 1;
}
/* The hooks' test: filter is mt_fp.pages (all ones when frees must go slow). */
static inline bool mt_sample_page_bit(const _Atomic uint64_t *filter, uintptr_t p)
{
    return mt_sample_bit(filter, mt_sample_page(p));
}
static inline bool mt_sample_filter_maybe(uintptr_t p)
{
    return mt_sample_bit(mt_sample_pages, mt_sample_page(p)) &&
           mt_sample_bit(mt_sample_granules, mt_sample_granule(p));
}
/* glibc's chunk header: the size word just before a block, flags in its low
 * 3 bits (the block's own, read by glibc's free right after the hook). */
static inline size_t mt_chunk_size(const void *p)
{
    return ((const size_t *)p)[-1] & ~(size_t)7;
}
/* From this interval on, sampled blocks are few and scattered: the live
 * map keeps them in its side table (livemap.c). */
#define MT_SAMPLE_SPARSE_BYTES (64u * 1024u)
/* Under sampling: the filters' counters faulted in. */
MT_HIDDEN void mt_sample_setup(void);
/* A filter with every bit set: mt_fp.pages when frees must go slow. */
extern const _Atomic uint64_t mt_sample_all_pages[(1u << MT_SAMPLE_PAGE_BITS) / 64] MT_HIDDEN;
/* A sampled block's entry came or went: the live map calls these with its
 * side-table lock held, which is also the filter's lock. */
MT_HIDDEN void mt_sample_filter_add(uintptr_t p);
MT_HIDDEN void mt_sample_filter_del(uintptr_t p);
/* What a sampled block of size bytes stands for, with shift fractional bits. */
MT_HIDDEN void mt_sample_weight(size_t size, uint64_t *n, uint64_t *bytes, unsigned shift);

/* ---- timeline.c: memory over time, labels -------------------------------- */
#define MT_TIMELINE_LABELS 4096
struct mt_tl_point;
struct mt_tl_label;
MT_HIDDEN void mt_timeline_init(void);
/* The coarse monotonic clock (vDSO), 0 when the timeline is off. */
MT_HIDDEN uint64_t mt_timeline_clock(void);
/* From the allocation path (guard held, no tracer lock held) with the
 * clock's reading: at most one caller per interval gets past a compare. */
MT_HIDDEN void mt_timeline_tick(uint64_t mono);
/* The writer: a point at the snapshot's moment (its time in *time_ns:
 * the header's), then copies. Returns the points held, 0 when off. */
MT_HIDDEN size_t mt_timeline_snapshot_point(uint64_t *time_ns);
MT_HIDDEN size_t mt_timeline_copy(struct mt_tl_point *out, size_t cap);
MT_HIDDEN size_t mt_timeline_label_count(void);
MT_HIDDEN size_t mt_timeline_labels(struct mt_tl_label *out, size_t cap, struct mt_strtab *st);
MT_HIDDEN bool mt_timeline_label(const char *text);
MT_HIDDEN void mt_timeline_lock(void);
MT_HIDDEN void mt_timeline_unlock(bool child);

/* ---- livemap.c: pointer -> (size, stack) for live blocks ---------------- */
MT_HIDDEN bool mt_livemap_init(void);
/* Inserts p. Returns 0, or 1 when p was already present (freed behind our
 * back) with the stale entry in *stale_*, or -1 when out of memory. Under
 * sampling, insert and remove keep sample.c's filter in step with them. */
MT_HIDDEN int mt_livemap_insert(uintptr_t p, uint32_t stack, size_t size,
                                 uint32_t *stale_stack, size_t *stale_size);
MT_HIDDEN void mt_livemap_prefetch(uintptr_t p);
MT_HIDDEN bool mt_livemap_remove(uintptr_t p, uint32_t *stack, size_t *size);
/* Whether p may be a live traced block: false is sure (sampling's frees). */
MT_HIDDEN bool mt_livemap_maybe(uintptr_t p);
/* Generations: mark starts the next one and returns its id (> 0);
 * live_since sums the live blocks allocated in generation id or later
 * (id 0: every live block); false when id is unknown (not handed out yet,
 * or swept: older than the last 16383 marks). */
MT_HIDDEN uint64_t mt_livemap_mark(void);
MT_HIDDEN bool mt_livemap_live_since(uint64_t id, uint64_t *bytes, uint64_t *blocks);
MT_HIDDEN void mt_livemap_lock_all(void);
MT_HIDDEN void mt_livemap_unlock_all(bool child);

/* ---- sidetable.c: the live map's side table (its lock held) -------------- */
struct mt_side_entry {
    uintptr_t ptr;                    /* 0: empty */
    uint64_t size;
    uint32_t stack, epoch;
} __attribute__((aligned(32)));
/* The entry of p, or NULL. */
MT_HIDDEN struct mt_side_entry *mt_side_find(uintptr_t p);
/* A new entry for p, which must be absent (its other fields 0); NULL when
 * out of memory. */
MT_HIDDEN struct mt_side_entry *mt_side_add(uintptr_t p);
/* Removes e, which may move other entries: pointers to them go stale. */
MT_HIDDEN void mt_side_del(struct mt_side_entry *e);
/* The array to walk (*n slots; those with ptr 0 are empty). */
MT_HIDDEN struct mt_side_entry *mt_side_slots(size_t *n);
/* Its entries: written under the lock, read without it (a removal's test
 * whether there can be anything to find). */
extern _Atomic size_t mt_side_count MT_HIDDEN;

/* ---- modules.c: the module map written into snapshots ------------------- */
struct mt_strtab;
struct mt_module;
/* Fills up to max modules; returns the count. Calls the loader: never call
 * it with a tracer lock held. */
MT_HIDDEN int mt_modules_collect(struct mt_module *mods, int max, struct mt_strtab *st);
MT_HIDDEN bool mt_modules_own_text(uintptr_t *lo, uintptr_t *hi);
/* The executable segment holding addr. */
MT_HIDDEN bool mt_modules_text_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi);

/* ---- maps.c: /proc/self/maps, parsed without malloc ------------------------ */
struct mt_map_range { uintptr_t lo, hi; bool readable, writable; };
struct mt_maps { struct mt_map_range *r; size_t n, cap; };
MT_HIDDEN bool mt_maps_load(struct mt_maps *m);
MT_HIDDEN void mt_maps_release(struct mt_maps *m);
MT_HIDDEN const struct mt_map_range *mt_maps_find(const struct mt_maps *m, uintptr_t addr);

/* ---- memread.c: reading our own memory without faulting ---------------- */
#define MT_SEG_BATCH 1024
struct mt_seg { uintptr_t addr; size_t len; uint32_t block; };
/* Reads segs back to back into buf; ok[i] tells which were readable. */
MT_HIDDEN void mt_memread(const struct mt_seg *segs, int n, char *buf, bool *ok,
                          const struct mt_maps *maps);
/* Whether reads are direct (process_vm_readv refused): safe only while
 * every other thread is parked. */
MT_HIDDEN bool mt_memread_direct(void);
MT_HIDDEN void mt_memread_prefer_direct(bool on);

/* ---- stopworld.c: parking the other threads for the leak scan ---------- */
#define MT_MAX_THREADS 8192
#define MT_MAX_REGS 32
enum { MT_THREAD_ASKED = 1, MT_THREAD_PARKED = 2, MT_THREAD_GONE = 3, MT_THREAD_BLOCKED = 4 };
struct mt_thread_ctx {
    pid_t tid;
    _Atomic int state;
    uintptr_t sp, tp, stack_lo, stack_hi;
    uintptr_t regs[MT_MAX_REGS];
    int nregs;
};
struct mt_world {
    struct mt_thread_ctx *t;
    int n, cap;
    int missed;              /* threads that could not be parked */
};
/* Parks every other thread for good (the process is exiting). */
MT_HIDDEN bool mt_world_stop(struct mt_world *w);

/* ---- leakscan.c: reachability of the live blocks at exit ---------------- */
struct mt_leak;
struct mt_leak_result {
    uint32_t status;         /* enum mt_leak_scan */
    uint32_t threads, missed, ms;
    uint32_t nstacks;        /* per-stack classes for stack ids below this */
    struct mt_leak *per_stack; /* indexed by stack id; .stack unused */
    size_t per_stack_bytes;
};
/* At exit: parks the other threads for good and classifies every live
 * block. After it, nothing may call into the loader (dladdr, dlsym,
 * dl_iterate_phdr): a parked thread may hold the loader's lock. */
MT_HIDDEN void mt_leakscan_init(void);
MT_HIDDEN bool mt_leakscan_run(struct mt_leak_result *out, uintptr_t stack_from);
MT_HIDDEN void mt_leakscan_release(struct mt_leak_result *r);
/* livemap.c: every live block (addresses ascending), for the scan. */
struct mt_block { uintptr_t addr; uint64_t size; uint32_t stack; uint8_t state; };
MT_HIDDEN size_t mt_livemap_collect(struct mt_block *out, size_t cap, size_t *sorted);

/* ---- dynsym.c: dladdr without the loader lock, for the gate -------------- */
struct mt_symbol {
    const char *module, *function;   /* NULL when unknown */
    uintptr_t module_base, function_addr;
};
MT_HIDDEN void mt_dynsym_load(void);
MT_HIDDEN bool mt_dynsym_lookup(uintptr_t addr, struct mt_symbol *out);
/* Whether a loaded module's dynamic symbols define name: dlsym without the
 * dlerror state it mallocs when the answer is no. */
MT_HIDDEN bool mt_dynsym_defined(const char *name);

/* ---- leakgate.c: MTRACE_LEAK_CHECK, the exit-code gate ------------------- */
/* Prints the summary and exits with the gate's code when leaks are found. */
MT_HIDDEN void mt_leak_gate(const struct mt_leak_result *r, const char *snapshot);

/* ---- strtab.c: string table built in tracer memory ---------------------- */
struct mt_strtab {
    char *buf;
    size_t len, cap;
    bool failed;
};
MT_HIDDEN uint32_t mt_strtab_add(struct mt_strtab *st, const char *s, size_t n);
MT_HIDDEN void mt_strtab_release(struct mt_strtab *st);

/* ---- writer.c: snapshot files ------------------------------------------- */
/* Writes a snapshot; the final path goes to path_out when given. */
MT_HIDDEN bool mt_write_snapshot(int reason, char *path_out, size_t path_len);
/* The exit sequence: begin takes the writer lock (no snapshot in flight)
 * and the module list while no thread is parked; the exit snapshot, with
 * the leak classes when the scan ran, is then written under that lock. */
MT_HIDDEN void mt_writer_exit_begin(int reason);
MT_HIDDEN void mt_writer_exit_end(void);
MT_HIDDEN void mt_writer_forget_last(void);
MT_HIDDEN void mt_writer_checkin(void);
MT_HIDDEN bool mt_write_final_snapshot(int reason, int sig, int status,
                                       const struct mt_leak_result *r, char *path_out,
                                       size_t path_len);
MT_HIDDEN void mt_writer_init(void);
/* fork: taken in prepare, released (or re-armed in the child) after. */
MT_HIDDEN void mt_writer_lock(void);
MT_HIDDEN void mt_writer_unlock(bool child);

/* ---- procfs.c: facts about this process ---------------------------------- */
MT_HIDDEN void mt_proc_rss(uint64_t *rss, uint64_t *hwm);
MT_HIDDEN size_t mt_proc_read(const char *path, char *buf, size_t cap);
/* The digits at p as a number (no locale, no errno: async-signal-safe);
 * *end (when given) is where they stop, p itself when there are none. */
MT_HIDDEN uint64_t mt_parse_decimal(const char *p, const char **end);
MT_HIDDEN const char *mt_proc_progname(void);
MT_HIDDEN size_t mt_proc_exe(char *buf, size_t cap);

#endif
