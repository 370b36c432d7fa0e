/* ---------------------------------------------------------------------------
 * sample.c: MTRACE_SAMPLE_BYTES, Poisson sampling over allocated bytes (as
 * tcmalloc and jemalloc's heap profilers do).
 *
 * Sample points fall on the stream of allocated bytes with mean spacing T:
 * a block of s bytes is sampled when at least one point falls in it, with
 * probability p = 1 - exp(-s/T). Each thread counts down the bytes to its
 * next point, so an unsampled allocation costs a subtraction and a compare;
 * the distance to the next point is drawn afresh (exponential, mean T) after
 * every sample, which the memoryless distribution allows. The countdown is
 * inlined into the hooks (internal.h), before anything else they do.
 *
 * A free must cost next to nothing when its block was not sampled. A
 * lookup in the live map costs a cache miss per free (its slots spread
 * over 2 KiB per heap page), so the 256-byte granules where sampled blocks
 * start are also marked in a small filter: one bit per granule number
 * modulo 64 Ki (8 KiB, which stays in L1 beside the program's data; its
 * counters, 32 bits per granule, are read only on sampled events), so that
 * frees of neighbouring blocks read the same word. A clear bit proves the
 * block was not sampled. A set bit sends the free to the live map: the
 * blocks that share the sampled one's granule, and a few percent of the
 * rest once thousands of sampled blocks are live. (With 16-bit counters,
 * 32 KiB, read by every free, churn-anysize took 620,000 more L1 misses
 * per million calls than untraced; with the bits, 330,000. With a bit per
 * 4 KiB page, 1,689 frees per million calls went to the live map, each a
 * miss there and 0.7% of the run's time in all; per 256 bytes, 530.)
 *
 * A sampled block stands for 1/p blocks and s/p bytes: unbiased estimates
 * whatever the sizes. The weight depends on the size alone, so a free
 * subtracts exactly what the allocation added without storing it.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <math.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "internal.h"

__thread int64_t mt_sample_left __attribute__((tls_model("initial-exec")));
#define bytes_left mt_sample_left
static __thread uint64_t rng __attribute__((tls_model("initial-exec")));

static uint64_t next_random(void)
{
    /* splitmix64: tiny state, good enough for spacing samples. */
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int64_t draw(void)
{
    double u = (double)((next_random() >> 11) + 1) * 0x1p-53;      /* (0, 1] */
    double d = -log(u) * (double)mt_opt.sample_bytes;
    return d < 1.0 ? 1 : d > 0x1p62 ? INT64_MAX / 2 : (int64_t)d;
}

bool mt_sample_slow(size_t size)
{
    if (!rng) {
        /* First event of this thread: start at a random point too, or the
         * first block of every thread would always be sampled. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng = ((uint64_t)syscall(SYS_gettid) << 32) ^ (uint64_t)ts.tv_nsec ^ 1;
        int64_t d = draw();
        if ((uint64_t)d > size) {       /* unsigned, as in mt_countdown */
            bytes_left = d - (int64_t)size;
            return false;
        }
    }
    bytes_left = draw();
    return true;
}

void mt_sample_after_fork_child(void)
{
    rng = 0;
    bytes_left = 0;
}

void mt_sample_weight(size_t size, uint64_t *n, uint64_t *bytes, unsigned shift)
{
    double s = size ? (double)size : 1.0;
    double p = -expm1(-s / (double)mt_opt.sample_bytes);
    double one = (double)(1u << shift);
    *n = (uint64_t)llround(one / p);
    *bytes = (uint64_t)llround(one * (double)size / p);
}

/* ---- the filter of sampled addresses -------------------------------------- */
/* The bits say "count != 0" for the counters beside them. Both change
 * together under a lock, on sampled events only: a bit is set before the
 * sampled block is returned and cleared only when its granule's count drops
 * to zero, so a free that finds it clear cannot be of a sampled block. */
_Atomic uint64_t mt_sample_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64];
const _Atomic uint64_t mt_sample_all_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64] = {
    [0 ... (1u << MT_SAMPLE_FILTER_BITS) / 64 - 1] = ~0ull};
static uint32_t granule_count[1u << MT_SAMPLE_FILTER_BITS];
static mt_lock filter_lock = MT_LOCK_INIT;

void mt_sample_filter_add(uintptr_t p)
{
    uint32_t b = mt_sample_granule(p);
    mt_lock_acquire(&filter_lock);
    if (granule_count[b]++ == 0)
        atomic_fetch_or_explicit(&mt_sample_granules[b / 64], 1ull << (b % 64), memory_order_relaxed);
    mt_lock_release(&filter_lock);
}

void mt_sample_filter_del(uintptr_t p)
{
    uint32_t b = mt_sample_granule(p);
    mt_lock_acquire(&filter_lock);
    if (granule_count[b] && --granule_count[b] == 0)
        atomic_fetch_and_explicit(&mt_sample_granules[b / 64], ~(1ull << (b % 64)),
                                  memory_order_relaxed);
    mt_lock_release(&filter_lock);
}

void mt_sample_lock(void)
{
    mt_lock_acquire(&filter_lock);
}

void mt_sample_unlock(bool child)
{
    mt_lock_after_fork(&filter_lock, child);
}
