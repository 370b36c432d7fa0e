/* Threads still running when the process exits, for the leak scan:
 *   leak_threads busy     4 threads malloc/realloc/free in a loop, each
 *                         keeping a list only its stack and registers point
 *                         to; main leaks 777 bytes and exits under them
 *   leak_threads filling  the same with threads that allocate through 256
 *                         call paths sharing one stack-memo key, so that
 *                         most of their time is a memo fill, with signals
 *                         held by the shim (sigmask.c): they must still be
 *                         parked
 *   leak_threads sigwait  a thread waits in sigwaitinfo for every signal
 *                         (the kernel unblocks what it waits for) and says
 *                         on stderr which one it got: the scan must not
 *                         hand it the park signal. main leaks 777 bytes
 *   leak_threads blocked  a thread that blocks every signal holds the only
 *                         pointer to 888 bytes; main leaks 777 bytes. The
 *                         thread cannot be parked, so nothing may be called
 *                         definitely lost. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callpaths.h"

void *volatile sink;
static pthread_barrier_t ready;

__attribute__((noinline)) static void leak_777(void)
{
    char *p = malloc(777);
    memset(p, 7, 777);
    sink = p;
    sink = NULL;
}

/* Overwrites the stack below main's frame, where leak_777's frame was:
 * exit's own frames later lie there, and a stale copy of the pointer in
 * one of their unwritten slots would read as a reference (as under
 * LeakSanitizer); seen once in a few hundred runs. */
__attribute__((noinline)) static void scrub(void)
{
    volatile char area[8192];
    for (unsigned i = 0; i < sizeof area; i++)
        area[i] = 0;
}

struct item { struct item *next; char pad[56]; };

static void *busy(void *arg)
{
    (void)arg;
    struct item *list = NULL;
    unsigned n = 0;
    pthread_barrier_wait(&ready);
    for (;;) {
        struct item *x = malloc(sizeof *x);
        x->next = list;
        list = x;
        char *r = realloc(NULL, 16 + n % 512);
        r = realloc(r, 600 + n % 300);
        free(r);
        if (++n % 1000 == 0)             /* keep the list short */
            while (list) {
                struct item *next = list->next;
                free(list);
                list = next;
            }
    }
    return NULL;
}

static void *filling(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&ready);
    for (unsigned path = 0;; path++)
        callpath(path % CALLPATHS, 0);
    return NULL;
}

static void block_all(sigset_t *all)
{
    sigfillset(all);
    pthread_sigmask(SIG_BLOCK, all, NULL);
}

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t all;
    block_all(&all);
    pthread_barrier_wait(&ready);
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        char line[48];
        int n = snprintf(line, sizeof line, "sigwait got signal %d\n", sig);
        if (write(2, line, (size_t)n) < 0)
            return NULL;
    }
}

static void *blocked(void *arg)
{
    (void)arg;
    sigset_t all;
    block_all(&all);
    void *volatile mine = malloc(888);
    pthread_barrier_wait(&ready);
    for (;;)
        sleep(1);
    return (void *)mine;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "blocked";
    int busy_mode = strcmp(mode, "busy") == 0, fill_mode = strcmp(mode, "filling") == 0;
    int wait_mode = strcmp(mode, "sigwait") == 0;
    int n = busy_mode || fill_mode ? 4 : 1;
    pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, busy_mode ? busy : fill_mode ? filling : wait_mode ? waiter : blocked,
                       NULL);
    }
    pthread_barrier_wait(&ready);
    leak_777();
    scrub();
    if (busy_mode || fill_mode || wait_mode)
        usleep(20000);                   /* let them run, or wait */
    exit(0);
}
