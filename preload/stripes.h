/* ---------------------------------------------------------------------------
 * stripes.h: how many threads are inside a region, counted on per-thread
 * stripes (one cache line each, so threads do not share a counter on the
 * hot path); a writer that must not overlap the region waits until every
 * stripe reads zero. Used by the libunwind fork barrier (unwind.c) and the
 * Python finalization handshake (python.c). Entering is a seq_cst
 * increment: it pairs with the writer's store, fence, then reads.
 * ------------------------------------------------------------------------- */
#ifndef MT_STRIPES_H
#define MT_STRIPES_H

#include <sched.h>
#include <stdatomic.h>

#include "internal.h"

#define MT_STRIPES 64

struct mt_stripes {
    struct { atomic_int n; char pad[64 - sizeof(atomic_int)]; } s[MT_STRIPES];
};

/* This thread's stripe, 1-based; 0 until mt_stripe_assign() gives one. */
MT_HIDDEN int mt_stripe_assign(void);

static inline atomic_int *mt_stripes_enter(struct mt_stripes *st)
{
    int i = mt_self.stripe_id;
    if (MT_UNLIKELY(!i))
        i = mt_stripe_assign();
    atomic_int *c = &st->s[i - 1].n;
    atomic_fetch_add(c, 1);
    return c;
}

static inline void mt_stripes_leave(atomic_int *c)
{
    atomic_fetch_sub_explicit(c, 1, memory_order_release);
}

static inline void mt_stripes_wait_idle(struct mt_stripes *st)
{
    for (int i = 0; i < MT_STRIPES; i++)
        while (atomic_load(&st->s[i].n))
            sched_yield();
}

#endif
