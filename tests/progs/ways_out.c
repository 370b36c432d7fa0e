/* One way out per mode, each after keeping 4242 bytes at a known line:
 *   ways_out return|exit_thread|_exit|_Exit|quick_exit|abort|segv|term|exec|exec_fail
 * term waits to be killed (prints "ready" first); exec replaces itself with
 * /bin/true; exec_fail tries a missing program, then returns 4.
 *   ways_out vfork: 200 vfork children exec /bin/true (as CPython's
 * subprocess does); prints how much the parent's address space grew. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile kept;

static long vm_kib(void)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static int vfork_children(void)
{
    extern char **environ;
    char *argv[] = { "true", NULL };
    long before = vm_kib();
    for (int i = 0; i < 200; i++) {
        pid_t p = vfork();
        if (p == 0) {
            execve("/bin/true", argv, environ);
            _exit(127);
        }
        int status;
        if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status))
            return 1;
    }
    printf("vm grew %ld KiB\n", vm_kib() - before);
    return 0;
}

static void *exit_thread(void *arg)
{
    (void)arg;
    exit(6);
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "return";
    kept = malloc(4242); /* @kept */
    if (strcmp(m, "exit_thread") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exit_thread, NULL);
        pause();
    }
    if (strcmp(m, "_exit") == 0)
        _exit(3);
    if (strcmp(m, "_Exit") == 0)
        _Exit(5);
    if (strcmp(m, "quick_exit") == 0)
        quick_exit(7);
    if (strcmp(m, "abort") == 0)
        abort();
    if (strcmp(m, "segv") == 0)
        *(volatile int *)(uintptr_t)8 = 1;
    if (strcmp(m, "term") == 0) {
        puts("ready");
        fflush(stdout);
        for (;;)
            pause();
    }
    if (strcmp(m, "exec") == 0)
        execl("/bin/true", "true", (char *)NULL);
    if (strcmp(m, "vfork") == 0)
        return vfork_children();
    if (strcmp(m, "exec_fail") == 0) {
        execlp("mtrace-no-such-program", "x", (char *)NULL);
        execl("/nonexistent/prog", "x", (char *)NULL);
        return 4;
    }
    return 9;
}
