/* memory: scripts/bench's tracer-memory workload. Keeps BLOCKS blocks of 16
 * bytes live at once (default 10,000,000), allocated from 4 call sites, and
 * prints the process's resident size (/proc/self/statm) just before the
 * first of them and once all are allocated, then frees them all (so an exit
 * leak scan has nothing to do). The difference between the two figures
 * under a tracer, minus the same difference untraced, divided by BLOCKS, is
 * the tracer's memory per live block beyond its fixed base.
 *   bench/memory [BLOCKS]
 * prints: memory: BLOCKS blocks of 16 bytes, rss_before_kib N rss_live_kib M */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2) {
        fputs("memory: cannot read /proc/self/statm\n", stderr);
        exit(1);
    }
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

#define SITE(n)                                                         \
    __attribute__((noinline)) static void *site##n(void)                \
    {                                                                   \
        void *p = malloc(16);                                           \
        if (!p) {                                                       \
            fputs("memory: out of memory\n", stderr);                   \
            exit(1);                                                    \
        }                                                               \
        memset(p, n, 16);                                               \
        KEEP(p);                                                        \
        return p;                                                       \
    }
SITE(0) SITE(1) SITE(2) SITE(3)

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10000000;
    if (n <= 0) {
        fputs("usage: memory [BLOCKS]\n", stderr);
        return 2;
    }
    void **blocks = malloc((size_t)n * sizeof *blocks);
    if (!blocks) {
        fputs("memory: out of memory\n", stderr);
        return 1;
    }
    memset(blocks, 0, (size_t)n * sizeof *blocks);   /* resident before we start */
    long before = rss_kib();
    for (long i = 0; i < n; i++) {
        switch (i & 3) {
        case 0: blocks[i] = site0(); break;
        case 1: blocks[i] = site1(); break;
        case 2: blocks[i] = site2(); break;
        default: blocks[i] = site3(); break;
        }
    }
    long live = rss_kib();
    for (long i = 0; i < n; i++)
        free(blocks[i]);
    free(blocks);
    printf("memory: %ld blocks of 16 bytes, rss_before_kib %ld rss_live_kib %ld\n", n, before, live);
    return 0;
}
