/* Memory over time (test_timeline.py): holds 50 MiB for a second, frees it,
 * then holds 10 MiB for SECONDS (argv[1], default 1) before exiting. Small
 * allocations every millisecond keep the allocation path ticking (no
 * tracer thread runs). Labels through the C API mark the phases; it prints
 * the phases' CLOCK_REALTIME bounds as JSON for the test. */
#define _GNU_SOURCE
#define MTRACE_WEAK
#include <mtrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1u << 20)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Small churn for about seconds s, freeing all of it. */
static void tick_for(double s)
{
    double end = now() + s;
    struct timespec ms = { 0, 1000000L };
    while (now() < end) {
        void *volatile p = malloc(32);
        free(p);
        nanosleep(&ms, NULL);
    }
}

/* Threads: in /proc/self/status (the timeline starts none). */
static int threads(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* Stored where the compiler cannot see it unused (gcc drops a malloc
 * whose block never escapes). */
static char *volatile sink;

static char *hold(size_t mib)
{
    char *p = malloc(mib * MIB);
    memset(p, 1, mib * MIB);
    sink = p;
    return p;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (mtrace_label)
        mtrace_label("big");
    double t0 = now();
    char *big = hold(50);
    double t1 = now();
    tick_for(1.0);
    free(big);
    double t2 = now();
    if (mtrace_label)
        mtrace_label("small");
    char *small = hold(10);
    tick_for(seconds);
    printf("{\"big_from\": %.6f, \"big_held\": %.6f, \"big_to\": %.6f, \"end\": %.6f, "
           "\"threads\": %d}\n", t0, t1, t2, now(), threads());
    fflush(stdout);
    return small[0] != 1;
}
