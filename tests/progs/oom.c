/* Grows to 96 MiB at @oom_grow in three steps a second apart, then is
 * killed by SIGKILL (as the OOM killer would): only a peak snapshot
 * (MTRACE_PEAK_SNAPSHOT) can tell what held the memory. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP (32u << 20)

void *volatile keep[3];

int main(void)
{
    for (int i = 0; i < 3; i++) {
        keep[i] = malloc(STEP); /* @oom_grow */
        memset(keep[i], 1, STEP);
        usleep(1300 * 1000);
    }
    raise(SIGKILL);
    return 0;
}
