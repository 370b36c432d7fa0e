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
 * A free must cost next to nothing when its block was not sampled. It asks
 * a small filter of where sampled blocks start (below), whose bits frees
 * of neighbouring blocks share: a clear bit proves the block was not
 * sampled; a set bit sends the free to the live map (the blocks that share
 * the sampled one's 256-byte granule, and a few percent of the rest once
 * thousands of sampled blocks are live). (With 16-bit counters, 32 KiB,
 * read by every free, churn-anysize took 620,000 more L1 misses per
 * million calls than untraced; with one bit per granule, 330,000. With a
 * bit per 4 KiB page alone, 1,689 frees per million calls went to the
 * live map, each a miss there and 0.7% of the run's time in all; per 256
 * bytes, 530. The pages now stand in front of the granules.)
 *
 * A sampled block stands for 1/p blocks and s/p bytes: unbiased estimates
 * whatever the sizes. The weight depends on the size alone, so a free
 * subtracts exactly what the allocation added without storing it.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "internal.h"

#define bytes_left mt_self.sample_left

static uint64_t next_random(void)
{
    /* splitmix64: tiny state, good enough for spacing samples. */
    uint64_t z = (mt_self.rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The sampled path's arithmetic stays inline: libm's log, expm1 and
 * llround were three more cold code regions (17 instruction cache lines,
 * 3 pages) on every sample, after the program's own work between samples
 * had evicted them. expm1 remains for blocks of an eighth of the interval
 * or more. */

/* ln(u) for u in (0, 1], relative error under 1e-12: u = m * 2^e with m in
 * (sqrt(1/2), sqrt(2)], ln(m) = 2 atanh(f) with f = (m - 1) / (m + 1),
 * |f| < 0.172, by its series to f^15. */
static inline double ln_unit(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023;     /* u >= 2^-53: normal */
    bits = (bits & ((1ull << 52) - 1)) | (1023ull << 52);
    double m;
    memcpy(&m, &bits, sizeof m);                     /* [1, 2) */
    if (m > 1.4142135623730951) {
        m *= 0.5;
        e++;
    }
    double f = (m - 1.0) / (m + 1.0), f2 = f * f;
    double series = 1.0 + f2 * (1.0 / 3 + f2 * (1.0 / 5 + f2 * (1.0 / 7 + f2 * (1.0 / 9 +
                    f2 * (1.0 / 11 + f2 * (1.0 / 13 + f2 * (1.0 / 15)))))));
    return (double)e * 0.6931471805599453 + 2.0 * f * series;
}

static int64_t draw(void)
{
    double u = (double)((next_random() >> 11) + 1) * 0x1p-53;      /* (0, 1] */
    double d = -ln_unit(u) * (double)mt_fp.sample_bytes;
    return d < 1.0 ? 1 : d > 0x1p62 ? INT64_MAX / 2 : (int64_t)d;
}

bool mt_sample_slow(size_t size)
{
    if (!mt_self.rng) {
        /* First event of this thread: start at a random point too, or the
         * first block of every thread would always be sampled. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        mt_self.rng = ((uint64_t)syscall(SYS_gettid) << 32) ^ (uint64_t)ts.tv_nsec ^ 1;
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
    mt_self.rng = 0;
    bytes_left = 0;
}

/* 1 / (1 - exp(-x)) for x > 0. Below 1/8 (every block under an eighth of
 * the interval) its Laurent series, 1/x + 1/2 + x/12 - x^3/720 + x^5/30240,
 * whose next term is under 4e-13; above, libm. */
static inline double inverse_probability(double x)
{
    if (x < 0.125) {
        double x2 = x * x;
        return 1.0 / x + 0.5 + x * (1.0 / 12 + x2 * (-1.0 / 720 + x2 * (1.0 / 30240)));
    }
    return -1.0 / expm1(-x);
}

/* llround for v >= 0, saturating where a counter could not hold it. */
static inline uint64_t round_weight(double v)
{
    return v < 0x1p63 ? (uint64_t)(v + 0.5) : INT64_MAX;
}

void mt_sample_weight(size_t size, uint64_t *n, uint64_t *bytes, unsigned shift)
{
    double s = size ? (double)size : 1.0;
    double w = (double)(1u << shift) * inverse_probability(s / (double)mt_fp.sample_bytes);
    *n = round_weight(w);
    *bytes = round_weight(w * (double)size);
}

/* ---- the filter of sampled addresses -------------------------------------- */
/* Two levels of bits, each saying "count != 0" for the counters beside it:
 * pages (4 KiB, modulo 64 MiB of address space, 2 KiB of bits) and
 * granules (256 bytes, modulo 16 MiB, 8 KiB). Every free under sampling
 * reads the pages' word inline; the few pages that hold a sampled block's
 * start send it on to the granules' word, and a set bit there to the live
 * map. Bits and counters change together, on sampled events only, under
 * the live map's side-table lock (livemap.c calls these as it adds and
 * removes a sampled block's entry): a bit is set before the sampled block
 * is returned and cleared only when its count drops to zero, so a free
 * that finds either bit clear cannot be of a sampled block. Under sparse
 * sampling every sampled entry takes that lock anyway; a lock of the
 * filter's own was one more cold line and atomic exchange per sample.
 *
 * Why two levels: the granules alone are 128 lines, which the program's
 * own data keeps evicting. Under cachegrind, 2 M calls of churn-anysize
 * took 747,000 more L1 data misses than untraced with the granules read
 * by every free, 322,000 with the pages in front (churn: 712,000 and
 * 400,000), for 0.05% more instructions. A heap of H bytes keeps
 * H / 2 MiB lines of the pages' bits busy, which stay in L1; at the
 * default interval a heap holds a sampled block for every 512 KiB, so
 * about one free in 128 goes on to the granules until the heap nears
 * 64 MiB, where pages alias, and one in 8 at 1 GiB. An earlier design
 * padded sampled blocks to chunk sizes that glibc's chunk header would
 * tell apart, at no extra read: the padding moved where glibc put later
 * blocks and when it trimmed its heap, which here cost or saved hundreds
 * of page faults a run (churn-anysize: 155 brk calls untraced, 175-270
 * sampled; churn 627 and 476-505). Sampled requests now reach glibc
 * unchanged, and its heap is the untraced one. */
_Atomic uint64_t mt_sample_pages[(1u << MT_SAMPLE_PAGE_BITS) / 64] __attribute__((aligned(64)));
const _Atomic uint64_t mt_sample_all_pages[(1u << MT_SAMPLE_PAGE_BITS) / 64] = {
    [0 ... (1u << MT_SAMPLE_PAGE_BITS) / 64 - 1] = ~0ull};
_Atomic uint64_t mt_sample_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64];
/* Live sampled blocks per page and per granule, saturating: a count that
 * reached 255 keeps its bit set for good (a clear bit must stay sure). A
 * byte each, 16 + 64 KiB, of which a sampled event touches two cold lines. */
static struct {
    uint8_t page[1u << MT_SAMPLE_PAGE_BITS];
    uint8_t granule[1u << MT_SAMPLE_FILTER_BITS];
} counts __attribute__((aligned(4096)));

static void count_up(uint8_t *count, _Atomic uint64_t *bits, uint32_t b)
{
    if (count[b] < UINT8_MAX && count[b]++ == 0)
        atomic_fetch_or_explicit(&bits[b / 64], 1ull << (b % 64), memory_order_relaxed);
}

static void count_down(uint8_t *count, _Atomic uint64_t *bits, uint32_t b)
{
    if (count[b] && count[b] < UINT8_MAX && --count[b] == 0)
        atomic_fetch_and_explicit(&bits[b / 64], ~(1ull << (b % 64)), memory_order_relaxed);
}

void mt_sample_filter_add(uintptr_t p)
{
    count_up(counts.page, mt_sample_pages, mt_sample_page(p));
    count_up(counts.granule, mt_sample_granules, mt_sample_granule(p));
}

void mt_sample_filter_del(uintptr_t p)
{
    count_down(counts.page, mt_sample_pages, mt_sample_page(p));
    count_down(counts.granule, mt_sample_granules, mt_sample_granule(p));
}

void mt_sample_setup(void)
{
    /* Sampled blocks' counters spread over all of them: 20 pages in one
     * system call rather than a fault for most of them (pool.c). */
    if (mt_fp.sample_bytes)
        mt_populate(&counts, sizeof counts);
}
