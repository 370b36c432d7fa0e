/* ---------------------------------------------------------------------------
 * livemap.c: every live traced block, pointer -> (size, stack id).
 *
 * 64 shards, each an open-addressing table with linear probing and
 * backward-shift deletion (no tombstones) behind its own spinlock, so
 * threads freeing different blocks rarely meet. An entry is 16 bytes:
 * at a load factor between 0.4 and 0.8 that is 20-40 bytes per live block
 * (uthash's handle alone is 56). Sizes of 4 GiB and more, rare, go to a
 * small per-shard uthash side table.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <string.h>

#include "internal.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) mt_pool_alloc(sz)
#define uthash_free(p, sz) mt_pool_free((p), (sz))
#define uthash_nonfatal_oom(obj) ((void)(obj))
#include <uthash.h>

#define SHARD_BITS 6
#define SHARDS (1u << SHARD_BITS)
#define INITIAL_SLOTS 1024u
#define BIG_SIZE UINT32_MAX

struct big_size {
    UT_hash_handle hh;
    uintptr_t ptr;
    size_t size;
};

struct shard {
    mt_lock lock;
    uint32_t mask;               /* capacity - 1; capacity 0 until first use */
    uint32_t count;
    struct mt_live_entry *slots;
    struct big_size *bigs;
} __attribute__((aligned(64)));

static struct shard shards[SHARDS];

static inline uint64_t mix(uintptr_t p)
{
    uint64_t h = (uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static inline struct shard *shard_of(uint64_t h)
{
    return &shards[h >> (64 - SHARD_BITS)];
}

bool mt_livemap_init(void)
{
    return true;
}

/* Rehashes into a table twice as large; false when out of memory. */
static bool grow(struct shard *s)
{
    uint32_t cap = s->mask ? (s->mask + 1) * 2 : INITIAL_SLOTS;
    struct mt_live_entry *slots = mt_map((size_t)cap * sizeof *slots);
    if (!slots)
        return false;
    uint32_t mask = cap - 1;
    if (s->slots) {
        for (uint32_t i = 0; i <= s->mask; i++) {
            if (!s->slots[i].ptr)
                continue;
            uint32_t j = (uint32_t)mix(s->slots[i].ptr) & mask;
            while (slots[j].ptr)
                j = (j + 1) & mask;
            slots[j] = s->slots[i];
        }
        mt_unmap(s->slots, (size_t)(s->mask + 1) * sizeof *slots);
    }
    s->slots = slots;
    s->mask = mask;
    return true;
}

static size_t entry_size(struct shard *s, const struct mt_live_entry *e)
{
    if (e->size32 != BIG_SIZE)
        return e->size32;
    struct big_size *b;
    HASH_FIND(hh, s->bigs, &e->ptr, sizeof e->ptr, b);
    return b ? b->size : 0;
}

static void forget_big(struct shard *s, uintptr_t p)
{
    struct big_size *b;
    HASH_FIND(hh, s->bigs, &p, sizeof p, b);
    if (b) {
        HASH_DEL(s->bigs, b);
        mt_pool_free(b, sizeof *b);
    }
}

static bool set_size(struct shard *s, struct mt_live_entry *e, size_t size)
{
    if (size < BIG_SIZE) {
        e->size32 = (uint32_t)size;
        return true;
    }
    struct big_size *b = mt_pool_alloc(sizeof *b);
    if (!b)
        return false;
    b->ptr = e->ptr;
    b->size = size;
    HASH_ADD(hh, s->bigs, ptr, sizeof b->ptr, b);
    e->size32 = BIG_SIZE;
    return true;
}

int mt_livemap_insert(uintptr_t p, uint32_t stack, size_t size,
                      uint32_t *stale_stack, size_t *stale_size)
{
    uint64_t h = mix(p);
    struct shard *s = shard_of(h);
    int stale = 0;
    mt_lock_acquire(&s->lock);
    if ((uint64_t)s->count + 1 > (uint64_t)(s->mask + 1) * 4 / 5 && !grow(s)) {
        mt_lock_release(&s->lock);
        return -1;
    }
    uint32_t i = (uint32_t)h & s->mask;
    while (s->slots[i].ptr && s->slots[i].ptr != p)
        i = (i + 1) & s->mask;
    struct mt_live_entry *e = &s->slots[i];
    if (e->ptr == p) {
        /* Freed behind our back (e.g. by a path we could not see) and
         * handed out again: report the old block as gone. */
        stale = 1;
        *stale_stack = e->stack;
        *stale_size = entry_size(s, e);
        if (e->size32 == BIG_SIZE)
            forget_big(s, p);
    } else {
        s->count++;
    }
    e->ptr = p;
    e->stack = stack;
    if (!set_size(s, e, size))
        e->size32 = 0;
    mt_lock_release(&s->lock);
    return stale;
}

bool mt_livemap_remove(uintptr_t p, uint32_t *stack, size_t *size)
{
    uint64_t h = mix(p);
    struct shard *s = shard_of(h);
    mt_lock_acquire(&s->lock);
    if (!s->slots) {
        mt_lock_release(&s->lock);
        return false;
    }
    uint32_t mask = s->mask;
    uint32_t i = (uint32_t)h & mask;
    while (s->slots[i].ptr != p) {
        if (!s->slots[i].ptr) {
            mt_lock_release(&s->lock);
            return false;
        }
        i = (i + 1) & mask;
    }
    *stack = s->slots[i].stack;
    *size = entry_size(s, &s->slots[i]);
    if (s->slots[i].size32 == BIG_SIZE)
        forget_big(s, p);
    /* Backward-shift deletion: pull later entries of the probe run back. */
    for (uint32_t j = i;;) {
        j = (j + 1) & mask;
        if (!s->slots[j].ptr)
            break;
        uint32_t k = (uint32_t)mix(s->slots[j].ptr) & mask;
        bool movable = (j > i) ? (k <= i || k > j) : (k <= i && k > j);
        if (movable) {
            s->slots[i] = s->slots[j];
            i = j;
        }
    }
    s->slots[i].ptr = 0;
    s->count--;
    mt_lock_release(&s->lock);
    return true;
}

void mt_livemap_lock_all(void)
{
    for (unsigned i = 0; i < SHARDS; i++)
        mt_lock_acquire(&shards[i].lock);
}

void mt_livemap_unlock_all(bool child)
{
    for (unsigned i = SHARDS; i-- > 0;) {
        if (child)
            mt_lock_reinit(&shards[i].lock);
        else
            mt_lock_release(&shards[i].lock);
    }
}
