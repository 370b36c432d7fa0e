/* ---------------------------------------------------------------------------
 * sidetable.c: the live map's side table (livemap.c), address -> entry, by
 * open addressing with linear probing.
 *
 * It holds the large blocks, and under sparse sampling every sampled one,
 * so on churn-anysize at 512 KiB each sampled malloc and its free come
 * here. uthash, which it replaces, touched some 13 cold cache lines per
 * sampled malloc and free (cachegrind): the table header, the bucket, the
 * entry before it in the bucket's chain and in the table's insertion-order
 * list, the entry after it there, the node itself over two lines. Here an
 * entry is half a line in a flat array: a lookup reads its home line and,
 * rarely, the next; a removal shifts the entries after it back (no
 * tombstones, so lookups never walk dead slots). The load stays under 1/2.
 *
 * Not locked itself: livemap.c calls it with its side-table lock held.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include "internal.h"

#define MIN_SLOTS 1024u                  /* 32 KiB, touched as used */

MT_HOT static struct mt_side_entry *slots;
MT_HOT static size_t mask;               /* slots - 1; 0 while there is no array */
MT_HOT static unsigned shift;            /* 64 - log2(slots) */
MT_HOT _Atomic size_t mt_side_count;

/* The array's slots (0 before the first). */
static inline size_t capacity(void)
{
    return mask ? mask + 1 : 0;
}

static inline size_t home(uintptr_t p)
{
    /* Fibonacci hashing: the product's high bits mix every bit of p. */
    return (size_t)((p * 0x9E3779B97F4A7C15ull) >> shift);
}

struct mt_side_entry *mt_side_find(uintptr_t p)
{
    if (!mask)
        return NULL;
    for (size_t i = home(p);; i = (i + 1) & mask) {
        if (slots[i].ptr == p)
            return &slots[i];
        if (!slots[i].ptr)
            return NULL;
    }
}

/* Doubles the array (or makes the first one). False when out of memory. */
static bool grow(void)
{
    size_t old_n = capacity(), n = old_n ? old_n * 2 : MIN_SLOTS;
    struct mt_side_entry *fresh = mt_map_filled(n * sizeof *fresh);  /* rehashed into */
    if (!fresh)
        return false;
    struct mt_side_entry *old = slots;
    slots = fresh;
    mask = n - 1;
    shift = 64u - (unsigned)__builtin_ctzll(n);
    for (size_t j = 0; j < old_n; j++) {
        if (!old[j].ptr)
            continue;
        size_t i = home(old[j].ptr);
        while (slots[i].ptr)
            i = (i + 1) & mask;
        slots[i] = old[j];
    }
    if (old)
        mt_unmap(old, old_n * sizeof *old);
    return true;
}

struct mt_side_entry *mt_side_add(uintptr_t p)
{
    /* Grow at half full; past that, a failed growth still leaves room up to
     * three quarters (an empty slot always ends a probe). */
    size_t used = atomic_load_explicit(&mt_side_count, memory_order_relaxed), n = capacity();
    if ((used + 1) * 2 > n && !grow() && (used + 1) * 4 > n * 3)
        return NULL;
    size_t i = home(p);
    while (slots[i].ptr)
        i = (i + 1) & mask;
    atomic_store_explicit(&mt_side_count, used + 1, memory_order_relaxed);
    slots[i] = (struct mt_side_entry){ .ptr = p };
    return &slots[i];
}

void mt_side_del(struct mt_side_entry *e)
{
    size_t i = (size_t)(e - slots);
    /* Backward shift: an entry further on moves into the hole when the
     * hole lies between its home and where it is, cyclically. */
    for (size_t j = (i + 1) & mask; slots[j].ptr; j = (j + 1) & mask) {
        size_t h = home(slots[j].ptr);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i].ptr = 0;
    atomic_store_explicit(&mt_side_count,
                          atomic_load_explicit(&mt_side_count, memory_order_relaxed) - 1,
                          memory_order_relaxed);
}

struct mt_side_entry *mt_side_slots(size_t *n)
{
    *n = capacity();
    return slots;
}
