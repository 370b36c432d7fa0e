/* 8 threads: each allocates blocks that the next thread frees (cross-thread
 * frees through a ring of mailboxes), and leaks exactly LEAKS blocks of
 * LEAK_SIZE bytes at @thread_leak. Totals are exact and known.
 *
 * "short": SHORT_THREADS threads, SHORT_AT_ONCE at a time, each with fewer
 * events than a journal holds (preload/journal.c), half of them ending in
 * pthread_exit: none of their events may be lost or counted twice.
 * "forkpending": a thread allocates PENDING blocks and waits while the main
 * thread forks; the child frees none of them and exits.
 * "handoff": after a first peak (so that a thread's journal may hold a few
 * KiB), a thread allocates a block and hands it to another, which frees it
 * and then makes a new peak with a big block, while the allocation is
 * still in the first thread's journal.
 * "snapshots": a producer hands blocks to a consumer through one slot,
 * IDLE idle threads' journals between theirs, while the main thread takes
 * snapshots and reads the traced total through the C API: no figure may
 * read below zero (wrapped), though a reader applies the journals one
 * after another and can see a block's free before its allocation.
 * Each "short" thread also calls strerror with an unknown number: glibc
 * frees its buffer after the thread's TLS destructors have run. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS 20000
#define LEAKS 100
#define LEAK_SIZE 333

static _Atomic(void *) mailbox[THREADS][64];
void *volatile leaked[THREADS][LEAKS];

__attribute__((noinline)) static void *make_block(int round)
{
    return malloc(48 + (size_t)(round % 5) * 16); /* @thread_alloc */
}

/* A first malloc-family call: under the shim it opens this thread's
 * journal, so that what follows finds the thread's ring in place. */
static void open_journal(void)
{
    void *volatile w = malloc(16);
    free(w);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    int next = (id + 1) % THREADS;
    for (int r = 0; r < ROUNDS; r++) {
        void *b = make_block(r);
        void *old = atomic_exchange(&mailbox[next][r % 64], b);
        free(old);
        old = atomic_exchange(&mailbox[id][(r * 7) % 64], NULL);
        free(old);
    }
    for (int i = 0; i < LEAKS; i++)
        leaked[id][i] = malloc(LEAK_SIZE); /* @thread_leak */
    return NULL;
}

#define SHORT_THREADS 400
#define SHORT_AT_ONCE 4
#define SHORT_KEEP 6
#define SHORT_TEMP 5
void *volatile kept[SHORT_THREADS][SHORT_KEEP];

__attribute__((noinline)) static void *short_keep(void)
{
    return malloc(200); /* @short_keep */
}

__attribute__((noinline)) static void *short_temp(void)
{
    return malloc(100); /* @short_temp */
}

static void *short_worker(void *arg)
{
    int id = (int)(long)arg;
    for (int i = 0; i < SHORT_KEEP; i++)
        kept[id][i] = short_keep();
    for (int i = 0; i < SHORT_TEMP; i++)
        free(short_temp());
    const char *volatile msg = strerror(9999);
    (void)msg;
    if (id % 2)
        pthread_exit(NULL);
    return NULL;
}

static int run_short(void)
{
    for (int i = 0; i < SHORT_THREADS; i += SHORT_AT_ONCE) {
        pthread_t t[SHORT_AT_ONCE];
        for (int j = 0; j < SHORT_AT_ONCE; j++)
            pthread_create(&t[j], NULL, short_worker, (void *)(long)(i + j));
        for (int j = 0; j < SHORT_AT_ONCE; j++)
            pthread_join(t[j], NULL);
    }
    puts("short done");
    return 0;
}

#define PENDING 10
void *volatile pending[PENDING];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stage;

__attribute__((noinline)) static void *pending_block(void)
{
    return malloc(1000); /* @pending_block */
}

static void *pending_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PENDING; i++)
        pending[i] = pending_block();
    pthread_mutex_lock(&mu);
    stage = 1;
    pthread_cond_broadcast(&cv);
    while (stage != 2)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static int run_forkpending(void)
{
    pthread_t t;
    pthread_create(&t, NULL, pending_worker, NULL);
    pthread_mutex_lock(&mu);
    while (stage != 1)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child %d\n", (int)getpid());
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    pthread_mutex_lock(&mu);
    stage = 2;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static void *volatile handed;
static int handoff_stage;

__attribute__((noinline)) static void *handoff_block(void)
{
    return malloc(1000); /* @handoff_block */
}

static void wait_stage(int want)
{
    pthread_mutex_lock(&mu);
    while (handoff_stage != want)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void set_stage(int v)
{
    pthread_mutex_lock(&mu);
    handoff_stage = v;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Stages: the taker's journal opens first (a new journal makes every
 * thread apply at its next event), then the maker's; then the maker
 * allocates the block, the taker frees it and makes the new peak. */
static void *handoff_maker(void *arg)
{
    (void)arg;
    wait_stage(1);
    open_journal();
    handed = handoff_block();
    set_stage(2);
    wait_stage(3);
    return NULL;
}

static void *handoff_taker(void *arg)
{
    (void)arg;
    open_journal();
    set_stage(1);
    wait_stage(2);
    free(handed);
    char *volatile big = malloc(128u << 20); /* @handoff_big */
    free(big);
    set_stage(3);
    return NULL;
}

static int run_handoff(void)
{
    char *volatile first = malloc(64u << 20); /* @handoff_first */
    free(first);
    pthread_t a, b;
    pthread_create(&a, NULL, handoff_maker, NULL);
    pthread_create(&b, NULL, handoff_taker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    puts("handoff done");
    return 0;
}

#define IDLE 200
static _Atomic(void *) slot;
static atomic_int stop, consumer_ready;

static void *producer(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        void *p = malloc(1024); /* @handed_on */
        void *expect = NULL;
        while (!atomic_compare_exchange_weak(&slot, &expect, p)) {
            expect = NULL;
            if (atomic_load(&stop)) {
                free(p);
                return NULL;
            }
            sched_yield();
        }
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    open_journal();
    atomic_store(&consumer_ready, 1);
    while (!atomic_load(&stop)) {
        void *p = atomic_exchange(&slot, NULL);
        if (p)
            free(p);
        else
            sched_yield();
    }
    return NULL;
}

static void *idle(void *arg)
{
    (void)arg;
    open_journal();
    while (!atomic_load(&stop)) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static int run_snapshots(void)
{
    void (*get)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(RTLD_DEFAULT, "mtrace_get_traced");
    int (*snap)(char *, size_t) = (int (*)(char *, size_t))dlsym(RTLD_DEFAULT, "mtrace_snapshot");
    if (!get || !snap) {
        puts("no mtrace API");
        return 2;
    }
    char *volatile big = malloc((size_t)1 << 30); /* a high peak: the journals may hold their 32 */
    free(big);
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 << 10);
    pthread_t c, p, ids[IDLE];
    pthread_create(&c, NULL, consumer, NULL);
    while (!atomic_load(&consumer_ready))
        sched_yield();
    for (int i = 0; i < IDLE; i++)
        pthread_create(&ids[i], &small, idle, NULL);
    pthread_create(&p, NULL, producer, NULL);
    long bad = 0;
    for (long i = 0; i < 300000; i++) {
        size_t cur, peak;
        if (i % 1500 == 0)
            snap(NULL, 0);
        get(&cur, &peak);
        if (cur > ((size_t)1 << 40))
            bad++;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < IDLE; i++)
        pthread_join(ids[i], NULL);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    free(atomic_exchange(&slot, NULL));
    printf("snapshots done, %ld bad readings\n", bad);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "snapshots") == 0)
        return run_snapshots();
    if (argc > 1 && strcmp(argv[1], "handoff") == 0)
        return run_handoff();
    if (argc > 1 && strcmp(argv[1], "short") == 0)
        return run_short();
    if (argc > 1 && strcmp(argv[1], "forkpending") == 0)
        return run_forkpending();
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < 64; j++)
            free(atomic_exchange(&mailbox[i][j], NULL));
    puts("done");
    return 0;
}
