/* mtrace-reaper: mtrace-run's process-tree keeper.
 *   mtrace-reaper PRELOAD CMD [ARGS...]
 *   mtrace-reaper --rss-only CMD [ARGS...]
 *                                   no preload: poll the RSS of every process
 *                                   of the tree every MTRACE_TIMELINE_MS and
 *                                   write a snapshot per process (reaper.h)
 *   mtrace-reaper --has-caps FILE   exit 0 when FILE carries file capabilities
 *                                   (the loader then ignores LD_PRELOAD)
 * Becomes the child subreaper (prctl PR_SET_CHILD_SUBREAPER), so the
 * descendants a command leaves behind (a daemonizing helper, a killed
 * parent's children) are re-parented here rather than to init; starts CMD
 * with LD_PRELOAD=PRELOAD (the reaper itself is not traced: it would become
 * the tree's root); forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to CMD;
 * waits until every process of the tree has ended, so that every snapshot
 * is on disk before mtrace-run reads them; and exits with CMD's status,
 * 128+N when a signal ended it, as a shell reports it. Bash cannot ask for
 * the subreaper role itself, hence this small program. With --rss-only it
 * also samples the tree between the reaping (reaper_rss.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

static volatile pid_t child;

static void forward(int sig)
{
    if (child > 0)
        kill(child, sig);
}

/* --rss-only: sample the tree every interval, reap what ends (SIGCHLD,
 * blocked, wakes the wait early), until nothing is left; CMD's status. */
static int poll_tree(const struct rss_opts *o, pid_t cmd)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    int status = 0;
    for (;;) {
        next.tv_nsec += (long)(o->interval_ns % 1000000000u);
        next.tv_sec += (time_t)(o->interval_ns / 1000000000u) + next.tv_nsec / 1000000000;
        next.tv_nsec %= 1000000000;
        for (;;) {
            int st;
            pid_t w;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                rss_reaped(o, w, st);
                if (w == cmd) {
                    status = st;
                    child = 0;
                }
            }
            if (w < 0 && errno == ECHILD) {
                rss_finish(o);           /* the whole tree has ended */
                return status;
            }
            struct timespec now, left;
            clock_gettime(CLOCK_MONOTONIC, &now);
            left.tv_sec = next.tv_sec - now.tv_sec;
            left.tv_nsec = next.tv_nsec - now.tv_nsec;
            if (left.tv_nsec < 0) {
                left.tv_nsec += 1000000000;
                left.tv_sec--;
            }
            if (left.tv_sec < 0)
                break;                   /* due */
            sigtimedwait(&chld, NULL, &left);
        }
        rss_poll(o);
    }
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--has-caps") == 0)
        return getxattr(argv[2], "security.capability", NULL, 0) > 0 ? 0 : 1;
    if (argc < 3) {
        fputs("usage: mtrace-reaper PRELOAD CMD [ARGS...]\n"
              "       mtrace-reaper --rss-only CMD [ARGS...]\n", stderr);
        return 2;
    }
    struct rss_opts rss;
    bool rss_only = strcmp(argv[1], "--rss-only") == 0;
    if (rss_only && !rss_opts_init(&rss))
        return 2;
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        perror("mtrace-reaper: PR_SET_CHILD_SUBREAPER (descendants may escape)");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    /* --rss-only: SIGCHLD wakes the poll loop (sigtimedwait) to reap at once. */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t pid = fork();
    if (pid < 0) {
        perror("mtrace-reaper: fork");
        return 2;
    }
    if (pid == 0) {
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
        const char *pre = getenv("LD_PRELOAD");
        char *v = NULL;
        if (rss_only)
            ;                            /* untouched: nothing is preloaded */
        else if (pre && *pre && asprintf(&v, "%s:%s", argv[1], pre) > 0)
            setenv("LD_PRELOAD", v, 1);
        else
            setenv("LD_PRELOAD", argv[1], 1);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "mtrace-reaper: %s: %s\n", argv[2], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    child = pid;
    const char *pidfile = getenv("MTRACE_REAPER_PIDFILE");   /* mtrace-run reads CMD's pid */
    FILE *f = pidfile ? fopen(pidfile, "w") : NULL;
    if (f) {
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
    int status = 0, rc = 0;
    if (rss_only) {
        status = poll_tree(&rss, pid);
    } else {
        for (;;) {
            int st;
            pid_t w = waitpid(-1, &st, 0);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                break;                   /* ECHILD: the whole tree has ended */
            }
            if (w == pid) {
                status = st;
                child = 0;
            }
        }
    }
    if (WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        rc = 128 + WTERMSIG(status);
    return rc;
}
