/* The live map's side table (preload/sidetable.c) under churn: blocks of
 * 256 KiB and more go there, by open addressing. SLOTS blocks at most are
 * live at once; each step frees or allocates a block in a pseudo-random
 * slot, so that entries leave from the middle of probe runs (the removal
 * shifts the run back) while the table grows past its first 1,024 slots.
 * Blocks still held at the end are freed except one slot in ten: what is
 * left is the leak. Prints the allocations made, their bytes, and the
 * blocks and bytes left; the snapshot must agree exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 3000
#define STEPS 30000

static void *held[SLOTS];
static size_t held_size[SLOTS];

static uint32_t next(uint32_t *x)
{
    *x = *x * 1664525u + 1013904223u;
    return *x >> 8;
}

int main(void)
{
    uint32_t x = 12345;
    unsigned long allocs = 0, bytes = 0, left = 0, left_bytes = 0;
    for (int i = 0; i < STEPS; i++) {
        uint32_t r = next(&x), k = r % SLOTS;
        if (held[k]) {
            free(held[k]);
            held[k] = NULL;
            continue;
        }
        size_t size = ((size_t)256 << 10) + (r / SLOTS % 97) * 16;
        char *p = malloc(size); /* @big_block */
        if (!p)
            return 1;
        p[0] = (char)i;          /* touch one page only */
        held[k] = p;
        held_size[k] = size;
        allocs++;
        bytes += size;
    }
    for (int k = 0; k < SLOTS; k++) {
        if (!held[k])
            continue;
        if (k % 10 == 0) {
            left++;
            left_bytes += held_size[k];
        } else {
            free(held[k]);
        }
    }
    printf("%lu %lu %lu %lu\n", allocs, bytes, left, left_bytes);
    return 0;
}
