/* threads: THREADS threads (default 4), each doing PAIRS malloc/free pairs
 * (default 1000000) of varying sizes (bench/churn.h). Three blocks in four
 * replace one of the thread's own 64 live blocks; the fourth replaces one of
 * 256 live blocks shared by all threads (atomic exchange), so about a fifth
 * of all frees free a block another thread allocated. A workload of
 * scripts/bench; prints a checksum.
 *   bench/threads [PAIRS [THREADS]] */
#include <pthread.h>
#include <stdatomic.h>

#include "churn.h"

#define SLOTS 64
#define SHARED 256
#define MAX_THREADS 64

static _Atomic(unsigned char *) shared[SHARED];
static long pairs = 1000000;

struct worker {
    pthread_t thread;
    uint64_t seed, sum;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    uint64_t rng = w->seed, sum = 0;
    unsigned char *slot[SLOTS] = { 0 };
    for (long i = 0; i < pairs; i++) {
        uint64_t r = churn_next(&rng);
        int cross = (r & 3) == 0;
        r >>= 2;
        unsigned j = (unsigned)(r % (cross ? SHARED : SLOTS));
        r >>= 8;
        unsigned char *p = churn_alloc((int)(r & 7), (int)((r >> 3) & 7), churn_size(r >> 6));
        unsigned char *old;
        if (cross) {
            old = atomic_exchange(&shared[j], p);
        } else {
            old = slot[j];
            slot[j] = p;
        }
        if (old) {
            sum += old[0];
            free(old);
        }
    }
    for (int j = 0; j < SLOTS; j++)
        free(slot[j]);
    w->sum = sum;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        pairs = atol(argv[1]);
    int nthreads = argc > 2 ? atoi(argv[2]) : 4;
    if (pairs <= 0 || nthreads < 1 || nthreads > MAX_THREADS) {
        fputs("usage: threads [PAIRS [THREADS]]\n", stderr);
        return 2;
    }
    struct worker w[MAX_THREADS];
    for (int t = 0; t < nthreads; t++) {
        w[t].seed = 0x9E3779B97F4A7C15ull * (uint64_t)(t + 1);
        w[t].sum = 0;
        int rc = pthread_create(&w[t].thread, NULL, work, &w[t]);
        if (rc) {
            fprintf(stderr, "threads: pthread_create: %s\n", strerror(rc));
            return 1;
        }
    }
    uint64_t sum = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(w[t].thread, NULL);
        sum += w[t].sum;
    }
    for (int j = 0; j < SHARED; j++)
        free(atomic_load(&shared[j]));
    printf("threads: %d x %ld pairs, checksum %llu\n", nthreads, pairs,
           (unsigned long long)sum);
    return 0;
}
