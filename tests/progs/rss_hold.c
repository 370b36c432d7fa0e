/* --rss-only's subject (test_rss_only.py), built static: the loader never
 * reads LD_PRELOAD for it, so only RSS can be followed. rss_hold MIB
 * SECONDS [PIDFILE]: touches MIB MiB, appends its pid to PIDFILE once they
 * are resident, holds them SECONDS, then frees them and exits 0. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    size_t bytes = strtoul(argv[1], NULL, 10) << 20;
    double secs = strtod(argv[2], NULL);
    char *block = malloc(bytes);
    if (!block)
        return 1;
    memset(block, 0x5a, bytes);          /* resident, not just reserved */
    if (argc > 3) {
        FILE *f = fopen(argv[3], "a");
        if (!f)
            return 1;
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
    volatile char sink = block[bytes / 2];
    (void)sink;
    free(block);
    return 0;
}
