/* ---------------------------------------------------------------------------
 * interpose.c: the exported malloc family, and nothing else.
 *
 * Each entry calls glibc's own implementation and hands the result to the
 * tracer (tracer.c). malloc, calloc, realloc, free, memalign, valloc and
 * pvalloc reach glibc through its exported __libc_* names, so no dlsym is
 * needed before the constructor runs; posix_memalign, aligned_alloc and
 * reallocarray are resolved once in the constructor and emulated with
 * glibc's own checks until then. Pointers returned are glibc's own (no
 * header in front), so malloc_usable_size, malloc_trim and mallinfo2 work.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);

/* ---- fallbacks with glibc 2.36's semantics, for calls before start-up ---- */
static int boot_posix_memalign(void **out, size_t align, size_t size)
{
    if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
        return EINVAL;
    int saved = errno;
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    errno = saved;
    *out = p;
    return 0;
}

static void *boot_reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return __libc_realloc(p, bytes);
}

void mt_interpose_init(void)
{
    /* The guard is held: whatever dlsym allocates goes straight to glibc. */
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    real_reallocarray = dlsym(RTLD_NEXT, "reallocarray");
}

static inline bool tracing(void)
{
    return MT_LIKELY(!mt_self.guard) && MT_LIKELY(mt_fp.state == MT_ON);
}

/* A snapshot asked for while no tracer thread runs (see enter). */
static void serve_pending(void)
{
    int saved = errno;
    mt_self.guard = 1;
    mt_trigger_slow();
    mt_self.guard = 0;
    errno = saved;
}

/* MTRACE_SAMPLE_BYTES: an unsampled allocation goes straight to glibc
 * after a countdown (sample.c), before the guard or anything else. */
static inline bool unsampled(size_t size)
{
    if (MT_LIKELY(!mt_fp.sample_bytes))
        return false;
    if (MT_UNLIKELY(mt_fp.pending))
        serve_pending();
    return mt_sample_skip(size);
}

/* Under sampling, most frees are of blocks never sampled: one lookup. */
static inline bool never_sampled(void *p)
{
    if (MT_LIKELY(!mt_fp.sample_bytes) ||
        (mt_sample_filter_maybe((uintptr_t)p) && mt_livemap_maybe((uintptr_t)p)))
        return false;
    mt_python_before_free();
    return true;
}

/* Records a fresh block; the guard is already held. errno is the
 * program's: the tracer's own system calls must not change it. */
static inline void *traced(void *p, size_t size)
{
    if (p) {
        int saved = errno;
        mt_on_alloc(p, size);
        errno = saved;
    }
    mt_self.guard = 0;
    return p;
}

/* Takes the guard. A snapshot asked for (signal, timer) while no tracer
 * thread runs is written here, before the call it interrupts: it describes
 * the heap as it was when the signal came. */
static inline void enter(void)
{
    mt_self.guard = 1;
    if (MT_UNLIKELY(mt_fp.pending)) {
        int saved = errno;
        mt_trigger_slow();
        errno = saved;
    }
}

/* Under sampling, whether this call was counted down already (the fast
 * path ran out): then mt_sample_slow decides. */
static inline bool skip_counted(size_t size, bool counted)
{
    return counted ? !mt_sample_slow(size) : unsampled(size);
}

/* Nothing can be recorded now (the tracer's own call, tracing off): a
 * countdown the fast path ran out is drawn afresh, and the sample point
 * that fell in this allocation is skipped (handing it to the next call
 * would weigh that call with this one's point). */
static inline bool untraced_now(bool counted, size_t size)
{
    if (tracing())
        return false;
    if (counted)
        (void)mt_sample_slow(size);
    return true;
}

__attribute__((noinline)) static void *malloc_slow(size_t size, bool counted)
{
    if (untraced_now(counted, size) || skip_counted(size, counted))
        return __libc_malloc(size);
    enter();
    mt_unwind_prefetch();
    return traced(__libc_malloc(size), size);
}

/* The hooks keep their fast paths (under sampling: an allocation the
 * countdown skips, a free the filter clears) free of calls, so that they
 * need no registers saved and end in a jump to glibc; everything else is
 * out of line. They read mt_fp alone (internal.h): with the guard held
 * (the tracer's own calls) a call they pass goes to glibc anyway, and a
 * countdown that runs out there is drawn afresh (untraced_now). An
 * allocation's fast path is 7 instructions on x86-64. */
__attribute__((visibility("default"))) void *malloc(size_t size)
{
    intptr_t off = mt_fp.countdown;
    if (off) {
        if (MT_LIKELY(mt_countdown(off, size)))
            return __libc_malloc(size);
        return malloc_slow(size, true);
    }
    return malloc_slow(size, false);
}

/* counted: the fast path counted this allocation down already. */
__attribute__((noinline)) static void *calloc_slow(size_t n, size_t size, bool counted)
{
    size_t bytes;
    /* counted: the fast path found that n * size does not overflow. */
    if (untraced_now(counted, n * size) || __builtin_mul_overflow(n, size, &bytes) ||
        skip_counted(bytes, counted))
        return __libc_calloc(n, size);
    enter();
    mt_unwind_prefetch();
    return traced(__libc_calloc(n, size), bytes);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
    size_t bytes;
    intptr_t off = mt_fp.countdown;
    if (off && !__builtin_mul_overflow(n, size, &bytes)) {
        if (MT_LIKELY(mt_countdown(off, bytes)))
            return __libc_calloc(n, size);
        return calloc_slow(n, size, true);
    }
    return calloc_slow(n, size, false);
}

/* The fast paths' test for an old block: under sampling, the filter's
 * first level proves it was never sampled, and no finalizing interpreter
 * makes a free wait (never_sampled is the slow paths' full version).
 * Without sampling the filter has every bit set. */
static inline bool fast_unsampled_block(void *p)
{
    bool unsampled = !mt_sample_page_bit(mt_fp.pages, (uintptr_t)p);
    return MT_LIKELY(unsampled) &&
           MT_LIKELY(!__atomic_load_n(mt_fp.finalizing, __ATOMIC_ACQUIRE));
}

__attribute__((noinline)) static void free_slow(void *p)
{
    if (!p)
        return;
    if (tracing() && !never_sampled(p)) {
        int saved = errno;
        enter();
        mt_on_free(p);
        mt_self.guard = 0;
        errno = saved;
    }
    __libc_free(p);
}

/* free(NULL) takes the fast path when the filter's bit for address 0 is
 * clear (glibc's free ignores NULL), else free_slow. */
__attribute__((visibility("default"))) void free(void *p)
{
    if (fast_unsampled_block(p))
        return __libc_free(p);
    free_slow(p);
}

/* realloc is free + malloc for the counters. The old entry is taken out
 * before the call (after it, another thread may get the address) and put
 * back when the call fails. Under sampling the old block and the new one
 * are each sampled or not on their own. */
__attribute__((noinline)) static void *realloc_slow(void *p, size_t size, bool counted)
{
    if (untraced_now(counted, size))
        return __libc_realloc(p, size);
    if (!p)
        return counted ? malloc_slow(size, true) : malloc(size);
    bool old_out = never_sampled(p);
    bool new_out = skip_counted(size, counted);
    if (old_out && new_out)
        return __libc_realloc(p, size);
    enter();
    if (!new_out)
        mt_unwind_prefetch();
    struct mt_taken t;
    bool known = !old_out && mt_take(p, &t);
    int saved = errno;
    void *q = __libc_realloc(p, size);
    if (q)
        errno = saved;
    if (known) {
        if (q || size == 0)
            mt_account_free(&t);     /* moved, resized, or freed by realloc(p, 0) */
        else
            mt_restore(p, &t);       /* failed: p is still the caller's */
    }
    if (new_out) {
        mt_self.guard = 0;
        return q;
    }
    return traced(q, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t size)
{
    /* Under sampling: neither the old block nor the new one sampled. */
    intptr_t off = mt_fp.countdown;
    if (p && off && fast_unsampled_block(p)) {
        if (MT_LIKELY(mt_countdown(off, size)))
            return __libc_realloc(p, size);
        return realloc_slow(p, size, true);
    }
    return realloc_slow(p, size, false);
}

__attribute__((visibility("default"))) void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    if (!tracing())
        return real_reallocarray ? real_reallocarray(p, n, size) : boot_reallocarray(p, n, size);
    return realloc(p, bytes);
}

__attribute__((visibility("default"))) void *memalign(size_t align, size_t size)
{
    if (!tracing() || unsampled(size))
        return __libc_memalign(align, size);
    enter();
    return traced(__libc_memalign(align, size), size);
}

__attribute__((visibility("default"))) void *aligned_alloc(size_t align, size_t size)
{
    void *(*fn)(size_t, size_t) = real_aligned_alloc ? real_aligned_alloc : __libc_memalign;
    if (!tracing() || unsampled(size))
        return fn(align, size);
    enter();
    return traced(fn(align, size), size);
}

__attribute__((visibility("default"))) int posix_memalign(void **out, size_t align, size_t size)
{
    int (*fn)(void **, size_t, size_t) =
        real_posix_memalign ? real_posix_memalign : boot_posix_memalign;
    if (!tracing() || unsampled(size))
        return fn(out, align, size);
    enter();
    int r = fn(out, align, size);
    traced(r == 0 ? *out : NULL, size);
    return r;
}

__attribute__((visibility("default"))) void *valloc(size_t size)
{
    if (!tracing() || unsampled(size))
        return __libc_valloc(size);
    enter();
    return traced(__libc_valloc(size), size);
}

__attribute__((visibility("default"))) void *pvalloc(size_t size)
{
    /* pvalloc rounds the request up to whole pages: that is what is used,
     * counted down and recorded. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t used = size ? (size + page - 1) & ~(page - 1) : page;
    if (used < size)
        used = size;                     /* wrapped: glibc fails the call */
    if (!tracing() || unsampled(used))
        return __libc_pvalloc(size);
    enter();
    return traced(__libc_pvalloc(size), used);
}
