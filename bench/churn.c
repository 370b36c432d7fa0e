/* churn: PAIRS malloc/free pairs of varying sizes (bench/churn.h: about 500
 * sizes, 64 call stacks) with a working set of 64 live blocks replaced at
 * random, plus 16 blocks that live the whole run. A workload of
 * scripts/bench; prints a checksum so nothing is optimized away.
 *   bench/churn [PAIRS]        (default 1000000) */
#include "churn.h"

#define SLOTS 64
#define LONG_LIVED 16

int main(int argc, char **argv)
{
    long pairs = argc > 1 ? atol(argv[1]) : 1000000;
    if (pairs <= 0) {
        fputs("usage: churn [PAIRS]\n", stderr);
        return 2;
    }
    uint64_t rng = 0x9E3779B97F4A7C15ull, sum = 0;
    unsigned char *keep[LONG_LIVED];
    for (int i = 0; i < LONG_LIVED; i++)
        keep[i] = churn_alloc(i % 8, i % 8, 100 + (size_t)i * 10);
    unsigned char *slot[SLOTS] = { 0 };
    for (long i = 0; i < pairs; i++) {
        uint64_t r = churn_next(&rng);
        unsigned j = (unsigned)(r % SLOTS);
        r >>= 6;
        if (slot[j]) {
            sum += slot[j][0];
            free(slot[j]);
        }
        slot[j] = churn_alloc((int)(r & 7), (int)((r >> 3) & 7), churn_size(r >> 6));
    }
    for (int j = 0; j < SLOTS; j++)
        free(slot[j]);
    for (int i = 0; i < LONG_LIVED; i++) {
        sum += keep[i][0];
        free(keep[i]);
    }
    printf("churn: %ld pairs, checksum %llu\n", pairs, (unsigned long long)sum);
    return 0;
}
