/* Generations through the C API (test_pytest_plugin.py): mtrace_mark and
 * mtrace_live_since on known blocks, small (live-map table) and large (side
 * table), freed and reallocated ones, marks past the epoch wrap. Declared
 * weak, so it also runs without the shim and says so. Prints one JSON line;
 * nothing is printed before the measurements (stdout's buffer is a block). */
#define MTRACE_WEAK
#include <mtrace.h>
#include <stdio.h>
#include <stdlib.h>

#define WRAP_MARKS 20000   /* more than the 16383 epochs a block can carry */

static void *keep[64];

int main(void)
{
    if (!mtrace_mark || !mtrace_live_since) {
        printf("{\"shim\": false}\n");
        return 0;
    }
    size_t b0, n0, b1, n1, b2, n2, b3, n3, b4, n4, b5, n5, b6, n6;
    for (int i = 0; i < 10; i++)
        keep[i] = malloc(100);
    uint64_t m1 = mtrace_mark();
    int r1 = mtrace_live_since(m1, &b0, &n0);            /* nothing yet */
    for (int i = 10; i < 15; i++)
        keep[i] = malloc(1000);
    keep[15] = malloc(1 << 20);                           /* side table */
    int r2 = mtrace_live_since(m1, &b1, &n1);             /* 5*1000 + 1 MiB, 6 */
    free(keep[10]);
    keep[10] = NULL;
    free(keep[0]);                                        /* before the mark: no change */
    keep[0] = NULL;
    keep[1] = realloc(keep[1], 300);                      /* a new block after the mark */
    int r3 = mtrace_live_since(m1, &b2, &n2);             /* 4*1000 + 1 MiB + 300, 6 */
    uint64_t m2 = mtrace_mark();
    keep[16] = calloc(1, 4096);
    int r4 = mtrace_live_since(m2, &b3, &n3);             /* 4096, 1 */
    int r5 = mtrace_live_since(m1, &b4, &n4);             /* + 4096, 7 */
    int bad = mtrace_live_since(m2 + 1, &b5, &n5);        /* not handed out: -1 */
    /* Past the wrap: the old marks are refused, a new one counts exactly. */
    uint64_t m = 0;
    for (int i = 0; i < WRAP_MARKS; i++)
        m = mtrace_mark();
    int old = mtrace_live_since(m1, NULL, NULL);
    keep[17] = malloc(2000);
    keep[18] = malloc(300000);
    int r6 = mtrace_live_since(m, &b5, &n5);              /* 302000, 2 */
    uint64_t m3 = mtrace_mark();
    int r7 = mtrace_live_since(m3, &b6, &n6);             /* 0, 0 */
    int r8 = mtrace_live_since(0, NULL, NULL);
    printf("{\"shim\": true, \"m1\": %llu, \"m2\": %llu, \"m\": %llu, \"m3\": %llu, "
           "\"r\": [%d, %d, %d, %d, %d, %d, %d, %d], \"bad\": %d, \"old\": %d, "
           "\"empty\": [%zu, %zu], \"after\": [%zu, %zu], \"freed\": [%zu, %zu], "
           "\"m2since\": [%zu, %zu], \"m1since\": [%zu, %zu], \"wrap\": [%zu, %zu], "
           "\"fresh\": [%zu, %zu]}\n",
           (unsigned long long)m1, (unsigned long long)m2, (unsigned long long)m,
           (unsigned long long)m3, r1, r2, r3, r4, r5, r6, r7, r8, bad, old,
           b0, n0, b1, n1, b2, n2, b3, n3, b4, n4, b5, n5, b6, n6);
    for (int i = 0; i < 19; i++)
        free(keep[i]);
    return 0;
}
