/* Exit leak scan cost: N live blocks of 16..256 bytes in 64-ary trees hung
 * off a global (still reachable), 1% of the trees dropped (lost), then exit.
 * The shim's exit scan prints nothing; scripts/bench-leakscan reads the
 * scan time and classes from the snapshot header.
 *   LD_PRELOAD=build/lib/libmtrace.so bench/leakscan N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAN 64

struct tree { size_t n; void *kids[FAN]; };

struct tree **roots;                     /* the global every kept block hangs off */

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    long ntrees = n / (FAN + 1) + 1;
    roots = calloc((size_t)ntrees, sizeof *roots);
    unsigned seed = 1;
    for (long t = 0; t < ntrees; t++) {
        struct tree *x = calloc(1, sizeof *x);
        for (int k = 0; k < FAN; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t size = 16 + (seed >> 16) % 241;
            x->kids[k] = malloc(size);
            memset(x->kids[k], 0, size);
        }
        roots[t] = x;
    }
    for (long t = 0; t < ntrees; t += 100)
        roots[t] = NULL;                  /* 1% of the trees: 1 definitely + 64 indirectly lost */
    printf("%ld blocks\n", ntrees * (FAN + 1) + 1);
    return 0;
}
