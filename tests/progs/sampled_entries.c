/* Every member of the malloc family, for test_sampled_entries.py: run with
 * MTRACE_SAMPLE_BYTES=1 every block is sampled and must be counted exactly
 * as in exact mode, every free included; at 4 KiB and 64 KiB a free must
 * never take a sampled block for unsampled: realloc growing and shrinking in place and
 * moving, realloc(p, 0), a realloc that fails, aligned blocks from 16 bytes
 * to 64 KiB, mmapped ones, whole pages. Sizes are >= 64 bytes, for which a
 * sample's weight is exactly 1. Each block is filled and checked through
 * every move; the checksum printed must not change under the shim. Sites
 * are tagged @name; "live" sites keep their blocks to the end. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 300
static uint64_t sum;
static void *live[8][ROUNDS];

static size_t size_of(int i)
{
    /* Spread over small, medium, page-sized and mmapped (>= 128 KiB). */
    static const size_t base[] = {64, 100, 936, 1000, 1016, 4000, 4096, 40000, 200000};
    return base[i % 9] + (size_t)(i / 9) * 48;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 61)
        p[i] = (unsigned char)(seed + i);
}

static void check(const unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 61) {
        if (p[i] != (unsigned char)(seed + i)) {
            fprintf(stderr, "sampled_entries: block content lost at %zu of %zu\n", i, n);
            exit(3);
        }
        sum += p[i];
    }
}

static void *must(void *p)
{
    if (!p) {
        fprintf(stderr, "sampled_entries: allocation failed\n");
        exit(2);
    }
    return p;
}

/* "layout": where glibc puts 20,000 blocks of mixed sizes (16 B to 68 KiB,
 * made by malloc, calloc and realloc, some freed along the way), as a hash
 * of each block's distance from the first and of its usable size. Sampled
 * requests reach glibc unchanged (sample.c), so whatever the shim samples
 * the heap must be the untraced one. */
static uint64_t layout(void)
{
    static void *b[4096];
    uint64_t h = 1469598103934665603ull, rng = 42;
    uintptr_t first = 0;
    for (int i = 0; i < 20000; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int slot = (int)(rng >> 52);
        size_t n = 16 + (size_t)(rng >> 20) % 70000;
        if (b[slot] && (rng & 1)) {
            free(b[slot]);
            b[slot] = NULL;
            continue;
        }
        b[slot] = b[slot] ? must(realloc(b[slot], n)) : rng & 2 ? must(calloc(1, n)) : must(malloc(n));
        if (!first)
            first = (uintptr_t)b[slot];
        h = (h ^ ((uintptr_t)b[slot] - first)) * 1099511628211ull;
        h = (h ^ malloc_usable_size(b[slot])) * 1099511628211ull;
    }
    for (int i = 0; i < 4096; i++)
        free(b[i]);
    return h;
}

int main(int argc, char **argv)
{
    /* First, while the heap has only what the program's start left there
     * (later, memalign's cuts depend on where the heap began). */
    if (argc > 1 && strcmp(argv[1], "layout") == 0)
        fprintf(stderr, "layout %016llx\n", (unsigned long long)layout());
    for (int i = 0; i < ROUNDS; i++) {
        size_t n = size_of(i), small = n / 2 + 64;
        unsigned char *p, *q;
        void *a;

        p = must(malloc(n));                            /* @e_malloc */
        fill(p, n, 1);
        check(p, n, 1);
        free(p);

        p = must(calloc(n / 16, 16));                   /* @e_calloc */
        for (size_t k = 0; k < n / 16 * 16; k += 97)
            sum += p[k];                                /* zeroed, padding or not */
        free(p);

        /* Grow (in place when the neighbour's chunk, past the tcache's
         * sizes, merged into free space behind it), shrink in place. */
        p = must(malloc(small));                        /* @e_grow_from */
        q = must(malloc(2048));                         /* @e_neighbour */
        fill(p, small, 2);
        free(q);
        p = must(realloc(p, n + 64));                   /* @e_grow */
        check(p, small, 2);
        fill(p, n + 64, 3);
        p = must(realloc(p, small));                    /* @e_shrink */
        check(p, small, 3);
        /* A realloc that fails keeps the block where it was. */
        q = realloc(p, SIZE_MAX / 2);                   /* @e_fail */
        if (q) {
            fprintf(stderr, "sampled_entries: huge realloc succeeded\n");
            return 2;
        }
        check(p, small, 3);
        if (i % 2) {
            free(p);
        } else {
            /* realloc(p, 0) frees it. */
            q = realloc(p, 0);                          /* @e_realloc0 */
            free(q);
        }

        p = must(reallocarray(NULL, n / 8, 8));         /* @e_reallocarray */
        fill(p, n / 8 * 8, 4);
        free(p);

        size_t align = (size_t)16 << (i % 13);          /* 16 B .. 64 KiB */
        a = must(memalign(align, n));                   /* @e_memalign */
        if ((uintptr_t)a % align) {
            fprintf(stderr, "sampled_entries: memalign misaligned\n");
            return 2;
        }
        fill(a, n, 5);
        free(a);
        if (posix_memalign(&a, align, n) != 0)          /* @e_posix_memalign */
            return 2;
        fill(a, n, 6);
        free(a);
        a = must(aligned_alloc(align, n / align * align + align));   /* @e_aligned_alloc */
        free(a);
        a = must(valloc(n));                            /* @e_valloc */
        fill(a, n, 7);
        free(a);
        a = must(pvalloc(n));                           /* @e_pvalloc */
        fill(a, n, 8);
        free(a);

        /* Kept to the end: live at exit, exactly. */
        live[0][i] = must(malloc(n));                   /* @e_live_malloc */
        live[1][i] = must(calloc(1, n));                /* @e_live_calloc */
        live[2][i] = must(memalign(align, n));          /* @e_live_memalign */
        p = must(malloc(small));                        /* @e_live_from */
        live[3][i] = must(realloc(p, n));               /* @e_live_realloc */
        live[4][i] = must(pvalloc(n));                  /* @e_live_pvalloc */
    }
    for (int s = 0; s < 5; s++)
        for (int i = 0; i < ROUNDS; i++)
            sum += (uintptr_t)live[s][i] % 16;          /* all 16-aligned: 0 */
    printf("checksum %llu\n", (unsigned long long)sum);

    return 0;
}
