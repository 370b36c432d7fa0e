/* Threads on small stacks (test_small_stacks.py). PTHREAD_STACK_MIN is
 * 16 KiB, and glibc takes every thread's static TLS out of its stack: the
 * shim must leave pthread_create working there and fit its own work in
 * what the thread leaves free, also when that thread ends the process.
 * Each thread uses 4 KiB of its stack, then allocates: 100 blocks kept,
 * 1,000 freed.
 *
 *   smallstack MODE          8 threads of PTHREAD_STACK_MIN do the work;
 *                            then, by MODE: "join" joins them and returns,
 *                            "exit" has a ninth one call exit(0), "exec"
 *                            a ninth one exec /bin/true
 *   smallstack measure MODE  one thread does the same in a forked child,
 *                            on a 1 MiB stack shared with the parent, which
 *                            prints how much of it the child used
 *   smallstack reuse         50 rounds of 8 threads on stacks of 16 KiB,
 *                            64 KiB and 1 MiB in turn, 1 to 4 frames deep:
 *                            each takes the stack memo an earlier one left
 *   smallstack overflow      the work on the main thread, then unbounded
 *                            recursion: SIGSEGV, handled on an 8 KiB
 *                            signal stack (the shim's final snapshot) */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 8
#define KEEP 100
#define TEMP 1000
static void *volatile kept[THREADS + 1][KEEP];
static void *volatile temp[THREADS + 1];          /* each thread its own */
static void *volatile sink;
static const char *mode;

static __attribute__((noinline)) void allocate(int t)
{
    for (int i = 0; i < KEEP; i++)
        kept[t][i] = malloc(300);                  /* @small_keep */
    for (int i = 0; i < TEMP; i++) {
        temp[t] = malloc(64);                      /* @small_temp */
        free(temp[t]);
    }
}

/* 4 frames of 1 KiB each, then the allocations. */
static __attribute__((noinline)) void descend(int t, int levels)
{
    volatile char pad[1024];
    memset((char *)pad, levels, sizeof pad);
    if (levels > 1)
        descend(t, levels - 1);
    else
        allocate(t);
    sink = (void *)(long)pad[levels];
}

static void *body(void *arg)
{
    descend((int)(long)arg, 4);
    return NULL;
}

static void *body_at(void *arg)
{
    long v = (long)arg;
    descend((int)(v % THREADS), 1 + (int)(v / THREADS) % 4);
    return NULL;
}

/* The thread that ends the process, after the same work. */
static void *last(void *arg)
{
    body(arg);
    if (strcmp(mode, "exit") == 0)
        exit(0);
    if (strcmp(mode, "exec") == 0) {
        execl("/bin/true", "true", (char *)NULL);
        perror("execl");
        exit(2);
    }
    return NULL;
}

static __attribute__((noinline)) int recurse(int n)
{
    volatile char pad[256];
    memset((char *)pad, n, sizeof pad);
    return n ? recurse(n + 1) + pad[3] : 0;
}

static int overflow(void)
{
    stack_t ss = { .ss_sp = malloc(8192), .ss_size = 8192 };
    if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
        return 1;
    body((void *)(long)THREADS);
    return recurse(1);
}

static int start(pthread_t *t, pthread_attr_t *a, void *(*fn)(void *), int i);

static int reuse(void)
{
    static const size_t sizes[] = { 0, 64 << 10, 1 << 20 };   /* 0: PTHREAD_STACK_MIN */
    for (int round = 0; round < 50; round++) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        size_t size = sizes[round % 3];
        pthread_attr_setstacksize(&a, size ? size : PTHREAD_STACK_MIN);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            if (start(&t[i], &a, body_at, round * THREADS + i))
                return 1;
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        pthread_attr_destroy(&a);
    }
    puts("reuse done");
    return 0;
}

static int start(pthread_t *t, pthread_attr_t *a, void *(*fn)(void *), int i)
{
    int e = pthread_create(t, a, fn, (void *)(long)i);
    if (e)
        fprintf(stderr, "pthread_create: %s\n", strerror(e));
    return e;
}

static int measure(void)
{
    enum { SIZE = 1 << 20 };
    unsigned char *stack = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
    if (stack == MAP_FAILED)
        return 1;
    memset(stack, 0xA5, SIZE);
    pid_t child = fork();
    if (child == 0) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstack(&a, stack, SIZE);
        pthread_t t;
        if (start(&t, &a, last, THREADS))
            _exit(1);
        pthread_join(t, NULL);
        exit(0);
    }
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return 1;
    size_t untouched = 0;
    while (untouched < SIZE && stack[untouched] == 0xA5)
        untouched++;
    printf("stack used %zu\n", SIZE - untouched);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "measure") == 0) {
        mode = argv[2];
        return measure();
    }
    mode = argc > 1 ? argv[1] : "join";
    if (strcmp(mode, "overflow") == 0)
        return overflow();
    if (strcmp(mode, "reuse") == 0)
        return reuse();
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN);
    pthread_t t[THREADS + 1];
    int created = 0;
    while (created < THREADS && start(&t[created], &a, body, created) == 0)
        created++;
    for (int i = 0; i < created; i++)
        pthread_join(t[i], NULL);
    printf("created %d\n", created);
    fflush(stdout);
    if (created < THREADS)
        return 1;
    if (strcmp(mode, "join") == 0)
        return 0;
    if (start(&t[THREADS], &a, last, THREADS))
        return 1;
    pthread_join(t[THREADS], NULL);
    return 1;                            /* the last thread ends the process */
}
