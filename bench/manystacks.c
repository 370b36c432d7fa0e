/* manystacks: 2^DEPTH distinct allocation stacks, for the reporter's
 * benchmark (scripts/bench-report). Counter i walks DEPTH levels; at each
 * level one bit of i picks which of two functions calls the next level, so
 * each i is a distinct call path of 2 * DEPTH + 2 frames (plus main and
 * libc's start), ending in one malloc. Every block is freed: the snapshot
 * holds the stacks, not the heap.
 *   bench/manystacks [DEPTH]   (default 17: 131,072 stacks) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int depth;

static void *level_a(unsigned long path, int d);
static void *level_b(unsigned long path, int d);

/* The allocation, behind an inlined helper: the reporter expands it too. */
static inline __attribute__((always_inline)) void *alloc_block(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("manystacks: out of memory\n", stderr);
        exit(1);
    }
    return memset(p, 1, n);
}

/* noipa: no inlining, and no identical-code folding of level_a and level_b
 * into one function (GCC's -fipa-icf would merge them). */
#if defined(__GNUC__) && !defined(__clang__)
#define OPAQUE __attribute__((noipa))
#else
#define OPAQUE __attribute__((noinline))
#endif

OPAQUE static void *leaf(unsigned long path)
{
    return alloc_block(16 + (path & 15) * 8);
}

/* The volatiles keep the calls from becoming tail calls (a tail call would
 * drop the caller's frame, and with it the path). */
OPAQUE static void *next(unsigned long path, int d)
{
    void *volatile p;
    if (d == depth)
        p = leaf(path);
    else if ((path >> d) & 1)
        p = level_b(path, d + 1);
    else
        p = level_a(path, d + 1);
    return p;
}

/* Two functions, so two distinct return addresses per level. */
OPAQUE static void *level_a(unsigned long path, int d)
{
    void *volatile p = next(path, d);
    return p;
}

OPAQUE static void *level_b(unsigned long path, int d)
{
    void *volatile p = next(path, d);
    return p;
}

int main(int argc, char **argv)
{
    depth = argc > 1 ? atoi(argv[1]) : 17;
    if (depth < 1 || depth > 24) {
        fputs("usage: manystacks [DEPTH 1..24]\n", stderr);
        return 2;
    }
    unsigned long n = 1ul << depth, sum = 0;
    for (unsigned long i = 0; i < n; i++) {
        unsigned char *p = next(i, 0);
        sum += p[0];
        free(p);
    }
    printf("manystacks: %lu stacks, checksum %lu\n", n, sum);
    return 0;
}
