/* ---------------------------------------------------------------------------
 * iddir.h: dense 32-bit ids to records, in two levels (a directory of
 * chunks mapped on first use) so that readers, which take no lock, never
 * see an array move. Writers are serialized by their caller's lock: they
 * reserve the id's slot, build the record, then publish it.
 * ------------------------------------------------------------------------- */
#ifndef MT_IDDIR_H
#define MT_IDDIR_H

#include "internal.h"

#define MT_IDDIR_BITS 12
#define MT_IDDIR_CHUNK (1u << MT_IDDIR_BITS)
#define MT_IDDIR_MAX (1u << (2 * MT_IDDIR_BITS))     /* ids 0 .. MT_IDDIR_MAX - 1 */

struct mt_iddir {
    void **chunk[MT_IDDIR_CHUNK];
};

static inline void *mt_iddir_get(struct mt_iddir *d, uint32_t id)
{
    if (id >= MT_IDDIR_MAX)
        return NULL;
    void **c = __atomic_load_n(&d->chunk[id >> MT_IDDIR_BITS], __ATOMIC_ACQUIRE);
    return c ? __atomic_load_n(&c[id & (MT_IDDIR_CHUNK - 1)], __ATOMIC_ACQUIRE) : NULL;
}

/* Room for id: false when ids or memory ran out. */
static inline bool mt_iddir_reserve(struct mt_iddir *d, uint32_t id)
{
    if (id >= MT_IDDIR_MAX)
        return false;
    void ***slot = &d->chunk[id >> MT_IDDIR_BITS];
    if (*slot)
        return true;
    void **c = mt_map(MT_IDDIR_CHUNK * sizeof(void *));
    if (!c)
        return false;
    __atomic_store_n(slot, c, __ATOMIC_RELEASE);
    return true;
}

/* After mt_iddir_reserve(d, id) and once rec is complete. */
static inline void mt_iddir_publish(struct mt_iddir *d, uint32_t id, void *rec)
{
    __atomic_store_n(&d->chunk[id >> MT_IDDIR_BITS][id & (MT_IDDIR_CHUNK - 1)], rec,
                     __ATOMIC_RELEASE);
}

#endif
