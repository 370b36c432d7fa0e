/* Leaks GROW_BLOCKS blocks of GROW_SIZE bytes per iteration at @grow, and
 * takes a snapshot after every iteration: by the C API ("api"), by sending
 * itself MTRACE_SIGNAL ("signal"), or by waiting for the MTRACE_INTERVAL
 * timer while idle in nanosleep ("timer"). "peak": 100 MB at @peak_a freed,
 * then 10 MB at @peak_b kept. "storm": 8 threads allocate while the main
 * thread sends itself 1000 signals. Runs unchanged without the shim. */
#define _GNU_SOURCE
#define MTRACE_WEAK
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtrace.h"

#define ITERATIONS 4
#define GROW_BLOCKS 100
#define GROW_SIZE 1000

void *volatile kept[ITERATIONS * GROW_BLOCKS];
static atomic_int stop;

__attribute__((noinline)) static void grow(int it)
{
    for (int i = 0; i < GROW_BLOCKS; i++)
        kept[it * GROW_BLOCKS + i] = malloc(GROW_SIZE); /* @grow */
}

__attribute__((noinline)) static void noise(void)
{
    for (int i = 0; i < 1000; i++) {
        void *volatile p = malloc(64); /* @noise */
        free(p);
    }
}

/* Writes every page, so that the block counts in RSS (a memset before free
 * is a dead store the compiler may drop). */
static void touch(char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        ((volatile char *)p)[i] = 1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *volatile p = malloc(128);
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "api";
    if (strcmp(mode, "peak") == 0) {
        char *volatile a = malloc(100u << 20); /* @peak_a */
        touch(a, 100u << 20);
        free(a);
        char *volatile b = malloc(10u << 20); /* @peak_b */
        touch(b, 10u << 20);
        puts("peak done");
        return 0;
    }
    if (strcmp(mode, "reset") == 0) {
        size_t cur, peak, peak_after;
        if (!mtrace_get_traced || !mtrace_reset_peak)
            return 2;
        char *volatile a = malloc(50u << 20);
        free(a);
        mtrace_get_traced(&cur, &peak);
        mtrace_reset_peak();
        kept[0] = malloc(1u << 20);
        mtrace_get_traced(&cur, &peak_after);
        printf("peak before %d after %d current %d\n", peak >= (50u << 20),
               peak_after >= (1u << 20) && peak_after < (2u << 20), cur >= (1u << 20));
        return 0;
    }
    if (strcmp(mode, "storm") == 0) {
        pthread_t t[8];
        for (int i = 0; i < 8; i++)
            pthread_create(&t[i], NULL, churn, NULL);
        for (int i = 0; i < 1000; i++)
            kill(getpid(), SIGUSR2);
        sleep_ms(200);
        atomic_store(&stop, 1);
        for (int i = 0; i < 8; i++)
            pthread_join(t[i], NULL);
        puts("storm done");
        return 0;
    }
    for (int it = 0; it < ITERATIONS; it++) {
        grow(it);
        noise();
        if (strcmp(mode, "api") == 0) {
            char path[4096] = "";
            if (mtrace_snapshot && mtrace_snapshot(path, sizeof path) != 0)
                return 1;
        } else if (strcmp(mode, "signal") == 0) {
            kill(getpid(), SIGUSR2);
            sleep_ms(100);
        } else if (strcmp(mode, "timer") == 0) {
            sleep_ms(300);
        }
    }
    size_t cur = 0, peak = 0;
    if (mtrace_get_traced)
        mtrace_get_traced(&cur, &peak);
    printf("done %d\n", cur >= (size_t)ITERATIONS * GROW_BLOCKS * GROW_SIZE);
    return 0;
}
