/* 8 threads: each allocates blocks that the next thread frees (cross-thread
 * frees through a ring of mailboxes), and leaks exactly LEAKS blocks of
 * LEAK_SIZE bytes at @thread_leak. Totals are exact and known. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(void)
{
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
