/* fork: the parent leaks at @parent_leak before forking; the child leaks at
 * @child_leak and frees one inherited block; both exit normally, so each
 * writes its own snapshot. With "stress", threads allocate while the main
 * thread forks repeatedly (children _exit at once): it must not deadlock. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void *volatile keep[64];
static atomic_int stop;

static void *spin_alloc(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *volatile p = malloc(100);
        free(p);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "stress") == 0) {
        pthread_t t[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&t[i], NULL, spin_alloc, NULL);
        for (int i = 0; i < 200; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                void *volatile p = malloc(10);
                free(p);
                _exit(0);
            }
            int st;
            waitpid(pid, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return 1;
        }
        atomic_store(&stop, 1);
        for (int i = 0; i < 3; i++)
            pthread_join(t[i], NULL);
        puts("stress done");
        return 0;
    }
    for (int i = 0; i < 10; i++)
        keep[i] = malloc(1000); /* @parent_leak */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 10; i < 15; i++)
            keep[i] = malloc(2000); /* @child_leak */
        free(keep[0]);
        keep[0] = NULL;
        return 0;
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child %d exit %d\n", (int)pid, WEXITSTATUS(st));
    return 0;
}
