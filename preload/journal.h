/* ---------------------------------------------------------------------------
 * journal.h: a thread's ring of counter events (journal.c says why), and
 * the append that every traced allocation and free makes, inline.
 * ------------------------------------------------------------------------- */
#ifndef MT_JOURNAL_H
#define MT_JOURNAL_H

#include <stdatomic.h>

#include "internal.h"

struct mt_journal {
    _Atomic uint32_t tail;          /* written by the owner only */
    _Atomic uint32_t head;          /* written under the stats lock only */
    _Atomic int in_use;
    uint32_t pad;
    uint64_t held;                  /* owner only: bytes appended since its last apply */
    struct mt_journal *next;        /* the list of rings, append-only */
    struct mt_jevent ev[MT_JOURNAL_LEN];
};

extern _Atomic uint64_t mt_journal_cap MT_HIDDEN;

/* Appends an event to the calling thread's ring j; true when the ring must
 * be applied now (full, or holding its share of the peak). Plain stores:
 * the tail is published after the event, so a reader that sees it sees
 * the event. */
static inline bool mt_journal_push(struct mt_journal *j, uint32_t id, bool is_free, uint64_t n,
                                   uint64_t bytes, uint64_t mono)
{
    uint32_t t = atomic_load_explicit(&j->tail, memory_order_relaxed);
    struct mt_jevent *e = &j->ev[t % MT_JOURNAL_LEN];
    e->id = id;
    e->is_free = is_free;
    e->n = n;
    e->bytes = bytes;
    e->mono = mono;
    atomic_store_explicit(&j->tail, t + 1, memory_order_release);
    j->held += bytes;
    return t + 1 - atomic_load_explicit(&j->head, memory_order_acquire) >= MT_JOURNAL_LEN ||
           j->held >= atomic_load_explicit(&mt_journal_cap, memory_order_relaxed);
}

#endif
