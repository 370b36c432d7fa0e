/* ---------------------------------------------------------------------------
 * reuse.h: per-thread blocks that outlive their threads (scratch.c, the
 * stack memo). A block is claimed from a list that only grows (nothing is
 * unlinked, so a lock-free walk is safe) by the compare-and-swap of its
 * in_use flag, and given back by clearing it; a new one is mapped when
 * every block is taken. Each block's first member is its struct mt_reuse.
 * ------------------------------------------------------------------------- */
#ifndef MT_REUSE_H
#define MT_REUSE_H

#include "internal.h"

struct mt_reuse {
    struct mt_reuse *next;
    atomic_int in_use;
};

/* A free block of the list, or a new one of size bytes (zeroed); NULL when
 * out of memory. */
static inline void *mt_reuse_claim(_Atomic(struct mt_reuse *) *list, size_t size)
{
    struct mt_reuse *r;
    for (r = atomic_load_explicit(list, memory_order_acquire); r; r = r->next) {
        int free_ = 0;
        if (!atomic_load_explicit(&r->in_use, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&r->in_use, &free_, 1))
            return r;
    }
    r = mt_map(size);
    if (!r)
        return NULL;
    atomic_store_explicit(&r->in_use, 1, memory_order_relaxed);
    r->next = atomic_load_explicit(list, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(list, &r->next, r, memory_order_release,
                                                  memory_order_relaxed))
        ;
    return r;
}

static inline void mt_reuse_give_back(struct mt_reuse *r)
{
    atomic_store_explicit(&r->in_use, 0, memory_order_release);
}

#endif
