/* Snapshot pause under load: N live blocks from 64 call sites, one thread
 * allocating and freeing in a loop while the main thread takes snapshots
 * through the C API. Prints how long mtrace_snapshot() took and the longest
 * time one malloc+free pair of the other thread was held up meanwhile.
 *   LD_PRELOAD=build/lib/libmtrace.so bench/pause N */
#define _GNU_SOURCE
#define MTRACE_WEAK
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mtrace.h"

static atomic_int stop;
static atomic_llong worst_ns;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        long long t = now_ns();
        void *volatile p = malloc(32);
        free(p);
        long long d = now_ns() - t;
        if (d > atomic_load(&worst_ns))
            atomic_store(&worst_ns, d);
    }
    return NULL;
}

#define SITE(n) __attribute__((noinline)) static void *site##n(size_t s) { return malloc(s); }
#define S8(n) SITE(n##0) SITE(n##1) SITE(n##2) SITE(n##3) SITE(n##4) SITE(n##5) SITE(n##6) SITE(n##7)
S8(0) S8(1) S8(2) S8(3) S8(4) S8(5) S8(6) S8(7)
#define R8(n) site##n##0, site##n##1, site##n##2, site##n##3, site##n##4, site##n##5, site##n##6, site##n##7
static void *(*sites[64])(size_t) = { R8(0), R8(1), R8(2), R8(3), R8(4), R8(5), R8(6), R8(7) };

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000;
    if (!mtrace_snapshot) {
        fprintf(stderr, "run under LD_PRELOAD=libmtrace.so\n");
        return 2;
    }
    void **blocks = malloc((size_t)n * sizeof *blocks);
    for (long i = 0; i < n; i++)
        blocks[i] = sites[i % 64](16 + (size_t)(i % 7) * 8);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    long long best = -1, worst = 0;
    for (int i = 0; i < 5; i++) {
        struct timespec pause = { 0, 50 * 1000000L };
        nanosleep(&pause, NULL);
        atomic_store(&worst_ns, 0);
        long long t0 = now_ns();
        mtrace_snapshot(NULL, 0);
        long long d = now_ns() - t0;
        if (best < 0 || d < best)
            best = d;
        if (d > worst)
            worst = d;
    }
    atomic_store(&stop, 1);
    pthread_join(t, NULL);
    printf("live=%ld snapshot: min %.2f ms max %.2f ms; longest malloc+free of the other thread %.3f ms\n",
           n, best / 1e6, worst / 1e6, atomic_load(&worst_ns) / 1e6);
    return 0;
}
