/* Shared by bench/churn.c and bench/threads.c: block sizes, allocation
 * sites and call depths for the scripts/bench churn workloads.
 *
 * Sizes: 70% 8..256 bytes (multiples of 8), 25% 256..4096 (multiples of
 * 16), 5% 4 KiB..64 KiB (multiples of 256): about 500 distinct sizes, like
 * a real program's mix of structs, strings and buffers.
 * Stacks: 8 allocation sites, each reached through a chain of 0..7 distinct
 * intermediate functions (64 distinct call stacks, 3 to 13 frames deep). */
#ifndef BENCH_CHURN_H
#define BENCH_CHURN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t churn_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline size_t churn_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 100);
    r >>= 8;
    if (k < 70)
        return 8 + 8 * (size_t)(r % 32);
    if (k < 95)
        return 256 + 16 * (size_t)(r % 241);
    return 4096 + 256 * (size_t)(r % 241);
}

static void *churn_checked(void *p)
{
    if (!p) {
        fputs("bench: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

#define CHURN_SITE(n)                                                   \
    __attribute__((noinline)) static void *churn_site##n(size_t s)      \
    {                                                                   \
        unsigned char *p = churn_checked(malloc(s));                    \
        memset(p, n + 1, s < 64 ? s : 64);                              \
        return p;                                                       \
    }
CHURN_SITE(0) CHURN_SITE(1) CHURN_SITE(2) CHURN_SITE(3)
CHURN_SITE(4) CHURN_SITE(5) CHURN_SITE(6) CHURN_SITE(7)
static void *(*const churn_sites[8])(size_t) = {
    churn_site0, churn_site1, churn_site2, churn_site3,
    churn_site4, churn_site5, churn_site6, churn_site7,
};

/* churn_level<d> goes through d more distinct functions before it calls
 * the site; the empty asm after each call keeps the frame (no tail call). */
typedef void *churn_fn(int depth, int site, size_t size);
static churn_fn *const churn_levels[8];
#define CHURN_LEVEL(n)                                                  \
    __attribute__((noinline)) static void *churn_level##n(int depth,   \
                                                          int site,    \
                                                          size_t size) \
    {                                                                   \
        void *p = depth <= 0 ? churn_sites[site](size)                  \
                             : churn_levels[n + 1 < 8 ? n + 1 : 7](    \
                                   depth - 1, site, size);              \
        __asm__ volatile("" ::: "memory");                              \
        return p;                                                       \
    }
CHURN_LEVEL(0) CHURN_LEVEL(1) CHURN_LEVEL(2) CHURN_LEVEL(3)
CHURN_LEVEL(4) CHURN_LEVEL(5) CHURN_LEVEL(6) CHURN_LEVEL(7)
static churn_fn *const churn_levels[8] = {
    churn_level0, churn_level1, churn_level2, churn_level3,
    churn_level4, churn_level5, churn_level6, churn_level7,
};

/* One block from site `site`, through `depth` (0..7) extra frames. */
static inline void *churn_alloc(int depth, int site, size_t size)
{
    return churn_levels[0](depth, site, size);
}

#endif
