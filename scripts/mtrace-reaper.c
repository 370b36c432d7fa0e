/* mtrace-reaper: mtrace-run's process-tree keeper.
 *   mtrace-reaper PRELOAD CMD [ARGS...]
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
 * the subreaper role itself, hence this small program. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static volatile pid_t child;

static void forward(int sig)
{
    if (child > 0)
        kill(child, sig);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--has-caps") == 0)
        return getxattr(argv[2], "security.capability", NULL, 0) > 0 ? 0 : 1;
    if (argc < 3) {
        fputs("usage: mtrace-reaper PRELOAD CMD [ARGS...]\n", stderr);
        return 2;
    }
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
    pid_t pid = fork();
    if (pid < 0) {
        perror("mtrace-reaper: fork");
        return 2;
    }
    if (pid == 0) {
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        const char *old = getenv("LD_PRELOAD");
        char *v = NULL;
        if (old && *old && asprintf(&v, "%s:%s", argv[1], old) > 0)
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
    for (;;) {
        int st;
        pid_t w = waitpid(-1, &st, 0);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;                       /* ECHILD: the whole tree has ended */
        }
        if (w == pid) {
            status = st;
            child = 0;
        }
    }
    if (WIFEXITED(status))
        rc = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        rc = 128 + WTERMSIG(status);
    return rc;
}
