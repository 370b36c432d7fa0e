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
 * A free must cost next to nothing when its block was not sampled. First
 * glibc's chunk header, which its free reads next anyway, answers for most
 * blocks: sampled ones are padded to chunk sizes in a window that others
 * fall in rarely (marks, below). The rest ask a small filter: the 256-byte
 * granules where sampled blocks start, one bit per granule number modulo
 * 64 Ki (8 KiB; its counters are read only on sampled events), so that
 * frees of neighbouring blocks read the same word. A clear bit proves the
 * block was not sampled. A set bit sends the free to the live map: the
 * blocks that share the sampled one's granule, and a few percent of the
 * rest once thousands of sampled blocks are live. (With 16-bit counters,
 * 32 KiB, read by every free, churn-anysize took 620,000 more L1 misses
 * per million calls than untraced; with the bits, 330,000. Later, at the
 * bench's full input: 480,000 with the bits, 190,000 with the marks in
 * front of them, most of those per sample. With a bit per 4 KiB page,
 * 1,689 frees per million calls went to the live map, each a miss there
 * and 0.7% of the run's time in all; per 256 bytes, 530.)
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
/* The bits say "count != 0" for the counters beside them. Both change
 * together, on sampled events only, under the live map's side-table lock
 * (livemap.c calls these as it adds and removes a sampled block's entry):
 * a bit is set before the sampled block is returned and cleared only when
 * its granule's count drops to zero, so a free that finds it clear cannot
 * be of a sampled block. Under sparse sampling every sampled entry takes
 * that lock anyway; a lock of the filter's own was one more cold line and
 * atomic exchange per sampled event. */
_Atomic uint64_t mt_sample_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64];
const _Atomic uint64_t mt_sample_all_granules[(1u << MT_SAMPLE_FILTER_BITS) / 64] = {
    [0 ... (1u << MT_SAMPLE_FILTER_BITS) / 64 - 1] = ~0ull};
/* Live sampled blocks per granule, saturating: a count that reached 255
 * keeps its bit set for good (a clear bit must stay sure). A byte each,
 * 64 KiB, of which a sampled event touches one cold line. */
static uint8_t granule_count[1u << MT_SAMPLE_FILTER_BITS];

void mt_sample_filter_add(uintptr_t p)
{
    uint32_t b = mt_sample_granule(p);
    if (granule_count[b] < UINT8_MAX && granule_count[b]++ == 0)
        atomic_fetch_or_explicit(&mt_sample_granules[b / 64], 1ull << (b % 64), memory_order_relaxed);
}

void mt_sample_filter_del(uintptr_t p)
{
    uint32_t b = mt_sample_granule(p);
    if (granule_count[b] && granule_count[b] < UINT8_MAX && --granule_count[b] == 0)
        atomic_fetch_and_explicit(&mt_sample_granules[b / 64], ~(1ull << (b % 64)),
                                  memory_order_relaxed);
}

/* ---- marks in glibc's chunk headers --------------------------------------
 * The filter costs a free one read of its 8 KiB, which the program's own
 * data keeps evicting from L1 (churn-anysize: a miss on 43% of frees).
 * glibc's chunk header, the size word just before the block, is read by its
 * free right after the hook anyway. A sampled block is asked for padded so
 * that its chunk size falls in [960, 1024) modulo 1024: a chunk size
 * elsewhere proves the block unsampled, and only 1 free in 16 (when sizes
 * spread evenly; sizes under 937 bytes never) goes on to the filter. The
 * window holds what glibc may add to a request: 16 bytes when a remainder is
 * too small to split, 32 from memalign's tail. mmapped chunks (page sized,
 * or cut by memalign) always ask. The padding, under 1 KiB, is paid once
 * per sample: under 0.2% of the heap at the default 512 KiB, which is why
 * denser sampling (under MT_SAMPLE_SPARSE_BYTES) goes without marks.
 *
 * The layout is checked at start-up on glibc's own malloc. A sampled block
 * that comes back unmarked anyway (a glibc that splits differently) clears
 * mt_fp.marks for good before it is returned, and frees ask the filter as
 * before. Only that store ever follows the one that set it: a thread that
 * read 0 when it padded or checked its block has also ordered every later
 * read of it, so whoever frees that block reads 0 too. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);

void mt_sample_marks_init(void)
{
    if (!MT_SAMPLE_MARKS || mt_fp.sample_bytes < MT_SAMPLE_SPARSE_BYTES)
        return;
    /* Above tcache's largest chunk (1032 bytes) and freed in this order,
     * the probes merge back into the top chunk: the program's blocks then
     * lie where they would untraced (small probes stayed in tcache and
     * shifted them: churn-anysize made 378 more page faults). The padding's
     * arithmetic is the same at every size; small ones keep to the pages
     * the program's first blocks touch anyway (a 100,000-byte probe grew
     * the heap and trimmed it again: 100 us). */
    static const size_t sizes[] = {1100, 2100, 4100};
    bool ok = true;
    for (size_t i = 0; ok && i < sizeof sizes / sizeof *sizes; i++) {
        size_t n = sizes[i], want = mt_chunk_for(n);
        void *plain = __libc_malloc(n), *padded = __libc_malloc(mt_sample_padded_on(n));
        if (!plain || !padded) {
            ok = false;
        } else {
            size_t size = mt_chunk_size(plain);
            ok = ((mt_chunk_head(plain) & MT_CHUNK_IS_MMAPPED) || size == want ||
                  size == want + 16) &&
                 !mt_sample_unmarked(padded, MT_SAMPLE_MARK_BITS);
        }
        __libc_free(plain);
        __libc_free(padded);
    }
    if (ok)
        __atomic_store_n(&mt_fp.marks, MT_SAMPLE_MARK_BITS, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) size_t mt_sample_padded_on(size_t size)
{
    if (size > ((size_t)1 << 48))
        return size;
    return ((mt_chunk_for(size) + 64 + 1023) & ~(size_t)1023) - 64 - 8;
}

void mt_sample_check_mark(const void *p)
{
    if (MT_LIKELY(!__atomic_load_n(&mt_fp.marks, __ATOMIC_RELAXED) ||
                  !mt_sample_unmarked(p, MT_SAMPLE_MARK_BITS)))
        return;
    __atomic_store_n(&mt_fp.marks, 0, __ATOMIC_SEQ_CST);   /* before the block is returned */
}
