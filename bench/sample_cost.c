/* sample_cost: what one sampled allocation costs when the program's own
 * work has pushed the tracer out of the caches and TLBs in between, as it
 * does between samples that are 512 KiB apart (scripts/bench's churn runs
 * about 64 us of its own work per sample there).
 *
 *   cc -O2 -g bench/sample_cost.c -o /tmp/sample_cost
 *   /tmp/sample_cost [ITERATIONS [THRASH_BYTES [SIZE]]]
 *   LD_PRELOAD=build/lib/libmtrace.so MTRACE_SAMPLE_BYTES=1 /tmp/sample_cost
 *   LD_PRELOAD=build/lib/libmtrace.so MTRACE_SAMPLE_BYTES=64k /tmp/sample_cost
 *
 * Each iteration writes THRASH_BYTES (default 4 MiB) of its own memory,
 * then times one malloc(SIZE) and its free (SIZE default 1000, three calls
 * deep). It prints the mean time of the pair. At MTRACE_SAMPLE_BYTES=1
 * every block is sampled: the difference to the untraced run is the cost
 * of a sample with the tracer's code hot and its data cold; at 64k one
 * block in 65 is, and the difference divided by 1 - exp(-SIZE / 65536)
 * is the cost of a sample with everything cold. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char buf[64 << 20];

__attribute__((noinline)) static void *leaf(size_t n) { return malloc(n); }
__attribute__((noinline)) static void *mid(size_t n) { return leaf(n); }
__attribute__((noinline)) static void *top(size_t n) { return mid(n); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    size_t thrash = argc > 2 ? (size_t)atol(argv[2]) : (size_t)4 << 20;
    size_t size = argc > 3 ? (size_t)atol(argv[3]) : 1000;
    if (n <= 0 || thrash > sizeof buf || size == 0) {
        fprintf(stderr, "usage: sample_cost [ITERATIONS [THRASH_BYTES (<= 64 MiB) [SIZE]]]\n");
        return 2;
    }
    double spent = 0;
    for (long i = 0; i < n; i++) {
        memset(buf, (int)i, thrash);
        double t0 = now();
        void *volatile p = top(size);
        free(p);
        spent += now() - t0;
    }
    printf("%.0f ns per malloc+free (%ld iterations, %zu bytes written between)\n",
           spent / (double)n * 1e9, n, thrash);
    return 0;
}
