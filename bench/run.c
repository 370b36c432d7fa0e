/* run: scripts/bench's measuring parent. Forks, execs CMD, waits for it with
 * wait4 and writes one line to REPORT:
 *     WALL_NS STATUS UTIME_US STIME_US MAXRSS_KIB
 * (STATUS as wait4 returned it). It exists because a child's ru_maxrss
 * starts at its parent's resident size (the kernel carries the pre-exec
 * image's high-water mark over exec): measured from the Python bench, every
 * program would seem to use at least the bench's own ~14 MiB. This parent
 * is a few hundred KiB. The NAME=VALUE settings are made in the child only
 * (LD_PRELOAD there must not trace this parent). With -c CPU the command
 * runs on that CPU alone (set before the fork, so nothing of it runs
 * elsewhere first).
 *   bench/run [-c CPU] REPORT [NAME=VALUE...] -- CMD [ARGS...] */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "-c") == 0) {
        char *end;
        long cpu = strtol(argv[2], &end, 10);
        if (!*argv[2] || *end || cpu < 0 || cpu >= CPU_SETSIZE) {
            fprintf(stderr, "run: -c %s: not a CPU number\n", argv[2]);
            return 2;
        }
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            fprintf(stderr, "run: -c %ld: %s\n", cpu, strerror(errno));
            return 2;
        }
        argv[2] = argv[0];
        argv += 2;
        argc -= 2;
    }
    int cmd = 2;
    while (cmd < argc && strcmp(argv[cmd], "--") != 0)
        cmd++;
    if (argc < 3 || cmd + 1 >= argc) {
        fputs("usage: run [-c CPU] REPORT [NAME=VALUE...] -- CMD [ARGS...]\n", stderr);
        return 2;
    }
    for (int i = 2; i < cmd; i++) {
        if (!strchr(argv[i], '=') || argv[i][0] == '=') {
            fprintf(stderr, "run: %s: not NAME=VALUE\n", argv[i]);
            return 2;
        }
    }
    cmd++;
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        fprintf(stderr, "run: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "run: fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        for (int i = 2; i < cmd - 1; i++)
            putenv(argv[i]);
        execv(argv[cmd], argv + cmd);
        fprintf(stderr, "run: %s: %s\n", argv[cmd], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "run: wait4: %s\n", strerror(errno));
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long wall = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    fprintf(report, "%lld %d %lld %lld %ld\n", wall, status,
            (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
            (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
    if (fclose(report) != 0) {
        fprintf(stderr, "run: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    return 0;
}
