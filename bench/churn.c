/* churn: scripts/bench's allocation-churn workload (its churn, churn-anysize
 * and threads workloads are this one program).
 *
 * CALLS malloc/calloc/realloc/free calls in total (default 6,000,000), split
 * over THREADS threads (default 1: all in the main thread). Each thread owns
 * 4096/THREADS slots and repeatedly picks one at random: an empty slot gets a
 * new block (malloc, or calloc one time in four), a full one is realloc'ed to
 * a new size (3 times in 10) or freed. One step in four works on a pool of
 * 1024 slots shared by all threads instead: a new block replaces the one
 * there (atomic exchange), which is freed, so with several threads about
 * half of those frees free another thread's block. At the end every block is
 * freed except LEAK_BLOCKS blocks of LEAK_SIZE bytes that leak_blocks()
 * allocates at start and drops (definitely lost: the known leak).
 *
 * Sizes: 18 classes from 16 B to 64 KiB, most of them small (see CLASSES).
 * With --anysize each draw of a class takes instead the next size of the
 * class's band (its predecessor + 1 .. the class), stepping through the
 * band in a scrambled order: with the default CALLS every size from 16 to
 * 65536 occurs.
 *
 * Stacks: main, work, step, then 1..26 frames of three mutually recursive
 * functions (rec_a, rec_b, rec_c) along one of 4 routes, then alloc_leaf's
 * malloc, calloc or realloc call: 5 to 30 frames from main to alloc_leaf
 * (with several threads work is the threads' start routine: one frame
 * less, under libc's start_thread). 505 distinct call stacks: 101 paths
 * (4 routes x 26 depths, less those that coincide near the top) x 5 calls
 * (malloc and calloc from step's private and shared branches, realloc from
 * the private one).
 *
 * Prints one line: the calls made by kind, the distinct sizes used, the
 * leak, and a checksum (so nothing is optimized away). Build with
 * -fno-omit-frame-pointer for frame-pointer unwinding.
 *   bench/churn [--calls N] [--threads T] [--anysize] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096          /* private slots, split over the threads */
#define SHARED 1024         /* slots shared by all threads */
#define MAX_THREADS 64
#define DEPTH_MIN 0         /* levels of recursion below a route's first function */
#define DEPTH_MAX 25
#define MAX_SIZE 65536
#define LEAK_BLOCKS 100
#define LEAK_SIZE 1000

/* Size classes and their weights, per 1000 draws (77.5% up to 256 B, 3.5%
 * of 16 KiB and more). The weights of the large classes are high enough that
 * --anysize reaches every size of their bands with the default CALLS. */
static const struct { unsigned size, weight; } CLASSES[] = {
    {16, 140}, {32, 145}, {48, 115}, {64, 105}, {96, 85}, {128, 75}, {192, 60},
    {256, 50}, {384, 40}, {512, 35}, {768, 30}, {1024, 25}, {2048, 25},
    {4096, 20}, {8192, 15}, {16384, 10}, {32768, 10}, {65536, 15},
};
#define NCLASSES (int)(sizeof CLASSES / sizeof CLASSES[0])
static unsigned char class_of[1000];   /* a draw 0..999 -> class index */

enum op { OP_MALLOC, OP_CALLOC, OP_REALLOC };

struct worker {
    pthread_t thread;
    uint64_t rng;
    long target;                        /* calls this thread makes */
    long calls[4];                      /* malloc, calloc, realloc, free */
    unsigned band[NCLASSES];            /* --anysize: position in each band */
    unsigned char **slot;
    unsigned nslots;
    uint64_t sum;
    uint8_t seen[MAX_SIZE / 8 + 1];     /* sizes used, a bit each */
};

/* One allocation request as it travels down the recursion. */
struct call {
    enum op op;
    int route;
    void *old;
    size_t size;
    uint64_t trail;                     /* the path taken, so that the three
                                           functions differ (no code folding) */
};

static int anysize;
static _Atomic(unsigned char *) shared[SHARED];

static uint64_t rnd(uint64_t *s)        /* splitmix64 */
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t draw_size(struct worker *w, uint64_t x)
{
    int k = class_of[x % 1000];
    size_t size = CLASSES[k].size;
    if (anysize && k > 0) {
        /* Bands are powers of two wide: an odd stride visits all of one. */
        unsigned lo = CLASSES[k - 1].size, width = CLASSES[k].size - lo;
        size = lo + 1 + (w->band[k]++ * 40503u) % width;
    }
    w->seen[size / 8] |= (uint8_t)(1u << (size % 8));
    return size;
}

static void *checked(void *p)
{
    if (!p) {
        fputs("churn: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* Keeps p (and the frame that returns it): no tail call, no elided malloc. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

__attribute__((noinline)) static void *alloc_leaf(struct call *c)
{
    unsigned char *p;
    switch (c->op) {
    case OP_MALLOC:
        p = checked(malloc(c->size));
        break;
    case OP_CALLOC:
        p = checked(calloc(1, c->size));
        break;
    default:
        p = checked(realloc(c->old, c->size));
        break;
    }
    memset(p, (int)(c->trail & 0xff), c->size < 64 ? c->size : 64);
    KEEP(p);
    return p;
}

/* The routes: which function each of rec_a, rec_b, rec_c calls next, and
 * which one a route starts with. */
typedef void *rec_fn(struct call *c, int left);
static rec_fn rec_a, rec_b, rec_c;
static const unsigned char NEXT[4][3] = {
    {0, 0, 0},      /* a a a a ...   */
    {1, 0, 0},      /* a b a b ...   */
    {1, 2, 0},      /* a b c a b c ... */
    {2, 1, 1},      /* c b b b ...   */
};
static rec_fn *const START[4] = {rec_a, rec_a, rec_a, rec_c};

#define REC(name, self, mix)                                            \
    __attribute__((noinline)) static void *name(struct call *c, int left) \
    {                                                                   \
        void *p;                                                        \
        c->trail = c->trail * 3 + (mix);                                \
        if (left <= 0)                                                  \
            p = alloc_leaf(c);                                          \
        else if (NEXT[c->route][self] == 0)                             \
            p = rec_a(c, left - 1);                                     \
        else if (NEXT[c->route][self] == 1)                             \
            p = rec_b(c, left - 1);                                     \
        else                                                            \
            p = rec_c(c, left - 1);                                     \
        KEEP(p);                                                        \
        return p;                                                       \
    }
REC(rec_a, 0, 1)
REC(rec_b, 1, 2)
REC(rec_c, 2, 3)

/* One step: one allocator call, two when it replaces a shared block. */
__attribute__((noinline)) static void step(struct worker *w)
{
    uint64_t x = rnd(&w->rng), y = rnd(&w->rng);
    struct call c = { .route = (int)(x & 3), .trail = x };
    int depth = DEPTH_MIN + (int)((x >> 2) % (DEPTH_MAX - DEPTH_MIN + 1));
    c.op = ((x >> 8) & 3) == 0 ? OP_CALLOC : OP_MALLOC;
    c.size = draw_size(w, x >> 16);
    if (((x >> 10) & 3) == 0) {
        unsigned char *p = START[c.route](&c, depth);
        KEEP(p);
        w->calls[c.op]++;
        unsigned char *old = atomic_exchange(&shared[y % SHARED], p);
        if (old) {
            w->sum += old[0];
            free(old);
            w->calls[3]++;
        }
        return;
    }
    unsigned char **s = &w->slot[y % w->nslots];
    if (!*s) {
        *s = START[c.route](&c, depth);
        w->calls[c.op]++;
    } else if ((y >> 32) % 10 < 3) {
        c.op = OP_REALLOC;
        c.old = *s;
        *s = START[c.route](&c, depth);
        w->calls[OP_REALLOC]++;
    } else {
        w->sum += (*s)[0];
        free(*s);
        *s = NULL;
        w->calls[3]++;
    }
}

static long calls_of(const struct worker *w)
{
    return w->calls[0] + w->calls[1] + w->calls[2] + w->calls[3];
}

__attribute__((noinline)) static void *work(void *arg)
{
    struct worker *w = arg;
    while (calls_of(w) < w->target)
        step(w);
    for (unsigned j = 0; j < w->nslots; j++) {
        if (w->slot[j]) {
            w->sum += w->slot[j][0];
            free(w->slot[j]);
            w->calls[3]++;
        }
    }
    return NULL;
}

/* The known leak: blocks nothing points to any more. */
__attribute__((noinline)) static void leak_blocks(void)
{
    for (int i = 0; i < LEAK_BLOCKS; i++) {
        void *p = checked(malloc(LEAK_SIZE));
        memset(p, 0x5a, LEAK_SIZE);
        KEEP(p);
    }
}

static int usage(void)
{
    fputs("usage: churn [--calls N] [--threads T] [--anysize]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    long calls = 6000000;
    int nthreads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--anysize") == 0)
            anysize = 1;
        else if (strcmp(argv[i], "--calls") == 0 && i + 1 < argc)
            calls = atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            nthreads = atoi(argv[++i]);
        else
            return usage();
    }
    if (calls <= 0 || nthreads < 1 || nthreads > MAX_THREADS)
        return usage();
    int d = 0;
    for (int k = 0; k < NCLASSES; k++)
        for (unsigned n = 0; n < CLASSES[k].weight && d < 1000; n++)
            class_of[d++] = (unsigned char)k;
    if (d != 1000) {
        fputs("churn: the class weights must add up to 1000\n", stderr);
        return 2;
    }

    leak_blocks();
    static struct worker w[MAX_THREADS];
    unsigned char **slots = checked(calloc(SLOTS, sizeof *slots));
    for (int t = 0; t < nthreads; t++) {
        w[t].rng = 0x5EED0000ull + (uint64_t)t;
        w[t].target = calls / nthreads;
        w[t].nslots = SLOTS / (unsigned)nthreads;
        w[t].slot = slots + (size_t)t * w[t].nslots;
    }
    if (nthreads == 1) {
        work(&w[0]);
    } else {
        for (int t = 0; t < nthreads; t++) {
            int rc = pthread_create(&w[t].thread, NULL, work, &w[t]);
            if (rc) {
                fprintf(stderr, "churn: pthread_create: %s\n", strerror(rc));
                return 1;
            }
        }
        for (int t = 0; t < nthreads; t++)
            pthread_join(w[t].thread, NULL);
    }
    long total[4] = { LEAK_BLOCKS, 1, 0, 1 };   /* main's own: the leak, slots */
    uint64_t sum = 0;
    for (int j = 0; j < SHARED; j++) {
        unsigned char *p = atomic_load(&shared[j]);
        if (p) {
            sum += p[0];
            free(p);
            total[3]++;
        }
    }
    free(slots);
    long sizes = 0;
    for (int s = 0; s <= MAX_SIZE; s++) {
        int used = 0;
        for (int t = 0; t < nthreads; t++)
            used |= w[t].seen[s / 8] >> (s % 8) & 1;
        sizes += used;
    }
    for (int t = 0; t < nthreads; t++) {
        for (int k = 0; k < 4; k++)
            total[k] += w[t].calls[k];
        sum += w[t].sum;
    }
    printf("churn: %d thread%s, %ld calls (malloc %ld, calloc %ld, realloc %ld, free %ld),"
           " %ld distinct sizes, leaked %d blocks of %d bytes in leak_blocks, checksum %llu\n",
           nthreads, nthreads == 1 ? "" : "s", total[0] + total[1] + total[2] + total[3],
           total[0], total[1], total[2], total[3], sizes, LEAK_BLOCKS, LEAK_SIZE,
           (unsigned long long)sum);
    return 0;
}
