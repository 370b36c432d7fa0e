/* Allocation sites with known lines, sizes and counts; every edge case of
 * the malloc family. Lines tagged "@name" are looked up by the e2e tests.
 * It prints the results of the edge cases, so that running it with and
 * without the shim must print the same thing. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *volatile sink[4096];

__attribute__((noinline)) static void leak_1000(void)
{
    for (int i = 0; i < 1000; i++)
        sink[i] = malloc(1234); /* @leak1234 */
}

__attribute__((noinline)) static void churn_freed(void)
{
    for (int i = 0; i < 500; i++) {
        void *volatile p = malloc(4096); /* @freed4096 */
        free(p);
    }
}

__attribute__((noinline)) static void realloc_chain(void)
{
    void *p = NULL;
    for (int i = 1; i <= 10; i++)
        p = realloc(p, 100u * (unsigned)i); /* @realloc */
    sink[1000] = p;
}

__attribute__((noinline)) static void various(void)
{
    for (int i = 0; i < 10; i++)
        sink[1001 + i] = calloc(100, 8); /* @calloc */
    void *p = NULL;
    int r = posix_memalign(&p, 64, 640); /* @posix_memalign */
    sink[1020] = p;
    printf("posix_memalign(64) = %d aligned=%d\n", r, ((uintptr_t)p & 63) == 0);
    sink[1021] = aligned_alloc(128, 256); /* @aligned_alloc */
    sink[1022] = memalign(4096, 100); /* @memalign */
    sink[1023] = valloc(100); /* @valloc */
    sink[1024] = pvalloc(5000); /* @pvalloc */
    sink[1025] = reallocarray(NULL, 10, 30); /* @reallocarray */
}

/* volatile: keeps the compiler from folding (and warning about) huge sizes */
static volatile size_t huge = SIZE_MAX - 4096, half = SIZE_MAX / 2;

__attribute__((noinline)) static void edge_cases(void)
{
    void *z = malloc(0); /* @malloc0 */
    printf("malloc(0) non-null=%d\n", z != NULL);
    free(z);
    free(NULL);
    void *r = realloc(NULL, 77); /* @realloc_null */
    sink[1030] = r;
    void *q = malloc(55);
    errno = 0;
    void *q2 = realloc(q, 0);
    printf("realloc(p,0) = %p\n", q2);
    errno = 0;
    void *c = calloc(half, 4);
    printf("calloc overflow = %p errno=%s\n", c, errno == ENOMEM ? "ENOMEM" : "other");
    errno = 0;
    void *big = malloc(huge);
    printf("malloc(huge) = %p errno=%s\n", big, errno == ENOMEM ? "ENOMEM" : "other");
    void *p = (void *)1;
    int e = posix_memalign(&p, 3, 100);
    printf("posix_memalign(3) = %d p unchanged=%d\n", e, p == (void *)1);
    e = posix_memalign(&p, 0, 100);
    printf("posix_memalign(0) = %d\n", e);
    e = posix_memalign(&p, 24, 100);
    printf("posix_memalign(24) = %d\n", e);
    errno = 0;
    void *a = aligned_alloc(3, 100);
    printf("aligned_alloc(3) null=%d errno=%d\n", a == NULL, errno);
    free(a);
    errno = 0;
    void *ra = reallocarray(NULL, half, 3);
    printf("reallocarray overflow = %p errno=%s\n", ra, errno == ENOMEM ? "ENOMEM" : "other");
    errno = 0;
    void *fr = realloc(sink[1030], huge);
    printf("failed realloc = %p errno=%s kept=%d\n", fr, errno == ENOMEM ? "ENOMEM" : "other",
           sink[1030] != NULL);
    /* usable size still works on our pointers */
    printf("usable >= 1234: %d\n", malloc_usable_size(sink[0]) >= 1234);
    errno = 42;
    void *keep_errno = malloc(10);
    printf("errno kept: %d\n", errno == 42);
    free(keep_errno);
}

int main(void)
{
    leak_1000();
    churn_freed();
    realloc_chain();
    various();
    edge_cases();
    return 0;
}
