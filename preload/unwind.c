/* ---------------------------------------------------------------------------
 * unwind.c: stack capture with libunwind's unw_backtrace (its fast trace with
 * a per-thread cache), the shim's own frames dropped by address range so the
 * result does not depend on what the compiler inlined. Called before any
 * tracer lock is taken: libunwind enters the loader (dl_iterate_phdr).
 *
 * MTRACE_UNWIND=fp walks the frame-pointer chain instead, for programs
 * built with frame pointers: a few loads per frame, no unwind tables, no
 * loader. It reads only inside the thread's known stack, and a chain that
 * leaves the stack other than by a zero frame pointer (code without frame
 * pointers, a coroutine or signal stack, unknown bounds) is unwound by
 * libunwind instead: never a fault, at worst the usual cost. One break is
 * taken as the end: right after a return into libc's start-up code, which
 * Debian builds without frame pointers (libunwind would add two frames of
 * it, __libc_start_main and _start).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "scratch.h"
#include "sigmask.h"
#include "stripes.h"

MT_HOT static uintptr_t own_lo, own_hi;
/* libc's code: its start-up frames (__libc_start_call_main) need not keep
 * the frame-pointer chain, so a chain that breaks there is complete. */
static uintptr_t libc_lo, libc_hi;
extern int __libc_start_main();

/* Fork barrier. libunwind keeps internal locks that a fork child would
 * inherit held if another thread was unwinding at that moment (seen: the
 * child blocks forever in _ULx86_64_step). So fork waits until no thread is
 * inside libunwind, and unwinding waits while a fork is in progress. */
static struct mt_stripes inside;
static atomic_int fork_pending;
static atomic_int *enter(void)
{
    for (;;) {
        atomic_int *c = mt_stripes_enter(&inside);
        if (MT_LIKELY(!atomic_load(&fork_pending)))
            return c;
        mt_stripes_leave(c);
        while (atomic_load_explicit(&fork_pending, memory_order_acquire))
            sched_yield();
    }
}

unsigned mt_unwind_inside(void)
{
    unsigned n = 0;
    for (int i = 0; i < MT_STRIPES; i++)
        n += (unsigned)atomic_load(&inside.s[i].n);
    return n;
}

void mt_unwind_fork_prepare(void)
{
    atomic_store(&fork_pending, 1);
    mt_stripes_wait_idle(&inside);
}

void mt_unwind_fork_done(void)
{
    atomic_store_explicit(&fork_pending, 0, memory_order_release);
}

void mt_unwind_setup(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    if (!mt_modules_own_text(&own_lo, &own_hi))
        own_lo = own_hi = 0;
    if (mt_opt.unwind_fp && !mt_modules_text_of((uintptr_t)&__libc_start_main, &libc_lo, &libc_hi))
        libc_lo = libc_hi = 0;
    mt_memo_setup();
    if (own_hi)
        mt_thread_bounds(true);        /* the main thread's memo */
}

/* One unw_backtrace of up to want frames, the shim's own dropped. */
static int capture(void **buf, int want, int *skip)
{
    atomic_int *c = enter();
    int n = unw_backtrace(buf, want);
    mt_stripes_leave(c);
    int s = 0;
    while (s < n && (uintptr_t)buf[s] >= own_lo && (uintptr_t)buf[s] < own_hi)
        s++;
    *skip = s;
    return n;
}

/* Index of the first frame in (lo, hi], or n. */
static int find_stop(void *const *buf, int from, int n, uintptr_t lo, uintptr_t hi)
{
    for (int i = from; i < n; i++)
        if ((uintptr_t)buf[i] > lo && (uintptr_t)buf[i] <= hi)
            return i;
    return n;
}

static int capture_full(uintptr_t *ips, int depth, bool *truncated,
                        uintptr_t stop_lo, uintptr_t stop_hi, void **buf);

#if defined(__x86_64__) || defined(__aarch64__)
/* The frame record of both ABIs: [fp] = caller's fp, [fp + 8] = return
 * address. Returns the frames kept, or -1 when the chain broke; slots, when
 * given, gets where each return address is (for the stack memo). */
__attribute__((noinline)) static int capture_fp(uintptr_t *ips, uintptr_t *slots, int depth,
                                                bool *truncated, uintptr_t stop_lo, uintptr_t stop_hi)
{
    uintptr_t lo, hi;
    mt_thread_stack(&lo, &hi);
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    if (!hi || fp < lo || fp >= hi)
        return -1;
    int n = 0;
    bool own = true;                     /* still in the shim's frames */
    for (;;) {
        const uintptr_t *rec = (const uintptr_t *)fp;
        uintptr_t next = rec[0], ra = rec[1];
        if (own && !(ra >= own_lo && ra < own_hi))
            own = false;
        if (!own) {
            if (!ra || (stop_hi && ra > stop_lo && ra <= stop_hi)) {
                *truncated = false;
                return n;
            }
            if (n == depth) {
                *truncated = true;
                return n;
            }
            if (slots)
                slots[n] = fp + sizeof(uintptr_t);
            ips[n++] = ra;
        }
        if (next == 0) {                 /* the outermost frame (_start clears it) */
            *truncated = false;
            return n;
        }
        if (next <= fp || next + 2 * sizeof(uintptr_t) > hi || (next & 7)) {
            if (n && ips[n - 1] >= libc_lo && ips[n - 1] < libc_hi) {
                *truncated = false;
                return n;
            }
            return -1;
        }
        fp = next;
    }
}
#else
static int capture_fp(uintptr_t *ips, uintptr_t *slots, int depth, bool *truncated,
                      uintptr_t stop_lo, uintptr_t stop_hi)
{
    (void)ips, (void)slots, (void)depth, (void)truncated, (void)stop_lo, (void)stop_hi;
    return -1;
}
#endif

void mt_unwind_prefetch(void)
{
    /* Under Python the memo's key needs the walk's anchor: not known yet. */
    if (!mt_python_finalizing)
        mt_memo_prefetch(own_lo, own_hi);
}

/* The exit's leak scan is parking the other threads (sigmask.c's holds are
 * closed). A thread that keeps unwinding would be inside the tracer, where
 * it does not park, whenever the park signal came, and libunwind blocks
 * every signal around its lock: a thread filling its memo was counted
 * missed under load. From then on a stack the memo does not know is only
 * its call site, and the block is still recorded (a block left out would
 * cut the chains the scan follows through it). */
static int caller_only(uintptr_t *ips, bool *truncated)
{
    *truncated = true;
    return mt_memo_caller(own_lo, own_hi, &ips[0]) ? 1 : 0;
}

int mt_unwind(uintptr_t *ips, int depth, bool *truncated, uintptr_t stop_lo,
              uintptr_t stop_hi, uintptr_t anchor, uint32_t **id, struct mt_scratch *s)
{
    *id = NULL;
    /* The memo serves native stacks, and the native frames above Python's
     * eval loop when the loop's frame is known (the anchor): keyed by the
     * distance to it, they recur whatever the Python call depth. Its hits
     * beat walking frame pointers too (bench churn: 1.9x vs 2.3x): the
     * slots to check are known, so their loads do not wait on each other
     * as a chain's do. */
    if (!stop_hi || anchor) {
        struct mt_memo_stop stop = { stop_lo, stop_hi, anchor };
        struct mt_memo_miss miss;
        int n = mt_memo_lookup(own_lo, own_hi, &stop, ips, depth, truncated, &miss, id);
        if (n >= 0)
            return n;
        if (MT_UNLIKELY(mt_signals_are_closed()))
            return caller_only(ips, truncated);
        /* Fill from the frame-pointer chain where it holds, else by libunwind. */
        bool more;
        int w = miss.entry && mt_opt.unwind_fp && !stop_hi
                    ? capture_fp(s->ra, s->slot, mt_memo_want(depth), &more, 0, 0)
                    : -1;
        if (w > 0) {
            n = mt_memo_record(&miss, s->ra, s->slot, w, !more, 0, ips, depth, truncated, id);
            if (n >= 0)
                return n;
        } else if (miss.entry) {
            atomic_int *c = enter();
            n = mt_memo_fill(&miss, ips, depth, truncated, id, s);
            mt_stripes_leave(c);
            if (n >= 0)
                return n;
        }
    }
    if (MT_UNLIKELY(mt_signals_are_closed()))
        return caller_only(ips, truncated);
    if (mt_opt.unwind_fp) {
        int n = capture_fp(ips, NULL, depth, truncated, stop_lo, stop_hi);
        if (n > 0)
            return n;
    }
    return capture_full(ips, depth, truncated, stop_lo, stop_hi, s->raw);
}

/* libunwind's fast trace (unw_backtrace). */
static int capture_full(uintptr_t *ips, int depth, bool *truncated,
                        uintptr_t stop_lo, uintptr_t stop_hi, void **buf)
{
    /* buf has room for the shim's frames (hook, tracer, this function) on top. */
    enum { SLACK = MT_UNWIND_SLACK, PROBE = 8 };
    int want = depth + SLACK;
    int skip, n;
    if (stop_hi) {
        /* Python: the eval loop is usually a few frames up; look there
         * first and unwind no further than that. */
        int probe = PROBE + SLACK < want ? PROBE + SLACK : want;
        n = capture(buf, probe, &skip);
        if (n == probe && probe < want && find_stop(buf, skip, n, stop_lo, stop_hi) == n)
            n = capture(buf, want, &skip);
        int at = find_stop(buf, skip, n, stop_lo, stop_hi);
        if (at < n) {
            n = at;
            want = INT32_MAX;           /* the whole prefix is in buf: not truncated */
        }
    } else {
        n = capture(buf, want, &skip);
    }
    int kept = n - skip;
    *truncated = n == want || kept > depth;
    if (kept > depth)
        kept = depth;
    for (int i = 0; i < kept; i++)
        ips[i] = (uintptr_t)buf[skip + i];
    return kept < 0 ? 0 : kept;
}
