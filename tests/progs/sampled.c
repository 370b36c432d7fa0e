/* A deterministic allocation pattern for the sampling test
 * (test_sampling.py): sites of known totals, every one a few percent of
 * the ~1.3 GB allocated or more, of very different sizes, two of them
 * reallocs, and two sites that keep 40 MB live at exit (one through
 * realloc). Each site is its own line (@tags). Blocks are
 * stored where the compiler cannot drop them. */
#include <malloc.h>
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

/* Each block moves once: realloc frees the old block (sampled or not) and
 * makes the new one, which is sampled on its own. */
static void grow(long n)
{
    for (long i = 0; i < n; i++) {
        void *p = malloc(1000);      /* @s_grow_from */
        sink = p;
        p = realloc(p, 4000);        /* @s_grow */
        sink = p;
        free(p);
    }
}

int main(void)
{
    /* Requests glibc refuses (2^63 bytes and more, a malloc(-n)): they
     * must not push this thread's next sample out of reach. */
    static volatile size_t huge = (size_t)0xC000000000000000u;
    for (int i = 0; i < 4; i++)
        sink = malloc(huge + (size_t)i);
    churn(24, 4000000, 0);           /*  96,000,000 B */
    churn(1000, 200000, 1);          /* 200,000,000 B */
    churn(20000, 10000, 2);          /* 200,000,000 B */
    churn(300000, 1000, 3);          /* 300,000,000 B */
    churn(8 << 20, 24, 4);           /* 201,326,592 B */
    grow(50000);                     /* 50,000,000 B, then 200,000,000 B */
    for (int i = 0; i < 20000; i++) {
        void *p = pvalloc(1);        /* @s_pvalloc: a whole page each */
        sink = p;
        free(p);
    }
    static void *keep[20000], *moved[10000];
    for (int i = 0; i < 20000; i++)
        keep[i] = malloc(2048);      /* @s_live: 40,960,000 B live at exit */
    for (int i = 0; i < 10000; i++) {
        moved[i] = malloc(100);      /* @s_moved_from */
        moved[i] = realloc(moved[i], 4096);   /* @s_moved: 40,960,000 B live at exit */
    }
    sink = keep;
    sink = moved;
    return 0;
}
