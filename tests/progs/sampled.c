/* A deterministic allocation pattern for the sampling test
 * (test_sampling.py): six sites of known totals, every one a few percent of
 * the ~1 GiB allocated or more, of very different sizes, plus one site that
 * keeps 40 MiB live at exit. Each site is its own line (@tags). Blocks are
 * stored where the compiler cannot drop them. */
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

static void churn(size_t size, long n, int site)
{
    for (long i = 0; i < n; i++) {
        void *p;
        switch (site) {
        case 0: p = malloc(size); break;            /* @s_tiny */
        case 1: p = malloc(size); break;            /* @s_small */
        case 2: p = calloc(1, size); break;         /* @s_mid */
        case 3: p = malloc(size); break;            /* @s_big */
        default: p = malloc(size); break;           /* @s_huge */
        }
        sink = p;
        free(p);
    }
}

int main(void)
{
    churn(24, 4000000, 0);           /*  96,000,000 B */
    churn(1000, 200000, 1);          /* 200,000,000 B */
    churn(20000, 10000, 2);          /* 200,000,000 B */
    churn(300000, 1000, 3);          /* 300,000,000 B */
    churn(8 << 20, 24, 4);           /* 201,326,592 B */
    static void *keep[20000];
    for (int i = 0; i < 20000; i++)
        keep[i] = malloc(2048);      /* @s_live: 40,960,000 B live at exit */
    sink = keep;
    return 0;
}
