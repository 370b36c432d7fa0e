/* ---------------------------------------------------------------------------
 * livemap.c: every live traced block, pointer -> (size, stack id).
 *
 * A three-level page table over the address space, like the kernel's: the
 * page number of a block's address selects a leaf of 256 eight-byte slots,
 * one per 16-byte granule (glibc aligns every block to 16 bytes), and the
 * slot holds (stack id + 1) << 32 | epoch << 18 | size. Why not a hash table: blocks that
 * the allocator hands out together lie together, so most lookups hit cache
 * lines that the previous ones brought in, where hashing cost one cache
 * miss per malloc and per free (a third of the tracer's time on Python).
 * And no lock, not even a locked instruction: a block belongs to one
 * thread between its malloc and its free, so a plain load and store of its
 * own slot is all an update needs (under sampling, sample.c's filter
 * changes with it, under the side table's lock). An exchange there was a
 * tenth of exact mode's time on churn: it waits for the slot's cache miss
 * with the pipeline drained, where a load's miss overlaps the work after it.
 *
 * Leaves are created once per heap page and kept (the allocator reuses its
 * pages). Large blocks (mmap'd, scattered, few) and sizes that do not fit
 * 32 bits go to a small locked side table instead, so they do not leave a
 * leaf behind at every address they ever had. Under sampling at 64 KiB
 * (MT_SAMPLE_SPARSE_BYTES) or sparser every block does: sampled blocks
 * are few and scattered too, and in the table they left a 2 KiB leaf on
 * nearly every heap page (churn-anysize at 512 KiB: 4 MiB, 1,000 page
 * faults, a leaf's cold line per lookup), and the lock is taken on
 * every sampled event anyway, for the filter. Denser sampling keeps the
 * table: in the side table the hash lookups of that many blocks would
 * cost more than the leaves.
 *
 * Generations (mtrace_mark, mtrace_live_since): a table entry's size needs
 * 18 bits (BIG_BLOCK), so the 14 bits above it carry the epoch the block
 * was allocated in, read (relaxed) from one global on insert; a side-table
 * entry keeps it in a field. A mark starts the next epoch; live_since walks
 * the map like the leak scan's collect and counts entries of that epoch or
 * later. Before the counter wraps, a mark sweeps every entry back to epoch
 * 0 ("before the current cycle"): marks older than the sweep are refused,
 * so an answer is never ambiguous.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <stdatomic.h>

#include "internal.h"

#define GRAIN_SHIFT 4
#define PAGE_SHIFT 12
#define LEAF_SLOTS (1u << (PAGE_SHIFT - GRAIN_SHIFT))   /* 256 */
#define ADDR_BITS 47                                     /* x86-64/arm64 user space */
#define MID_BITS 18
#define TOP_BITS (ADDR_BITS - PAGE_SHIFT - MID_BITS)     /* 17 */
#define BIG_BLOCK (256u * 1024u)                         /* to the side table from here */
#define SIZE_BITS 18                                     /* table sizes are < BIG_BLOCK */
#define SIZE_MASK ((1u << SIZE_BITS) - 1)
#define EPOCH_BITS 14                                    /* the rest of the low word */
#define EPOCH_MAX ((1u << EPOCH_BITS) - 1)
_Static_assert(BIG_BLOCK - 1 <= SIZE_MASK, "table sizes fit SIZE_BITS");
_Static_assert(SIZE_BITS + EPOCH_BITS == 32, "size and epoch share the low word");

/* Each level also keeps a bitmap of the entries it has (set under
 * grow_lock, before the pointer is published): the walks (leak scan,
 * marks, live_since) read 16 KiB and 32 KiB a mid instead of the 1 MiB
 * top level and 2 MiB mids, which were most of a short program's exit (churn at 1,000 calls:
 * 8 ms of a 35 ms run, half of it page faults on never-written memory). */
#define WORD_BITS 64
struct leaf { _Atomic uint64_t slot[LEAF_SLOTS]; };
struct mid {
    _Atomic(struct leaf *) leaf[1u << MID_BITS];
    _Atomic uint64_t present[(1u << MID_BITS) / WORD_BITS];
};

static _Atomic(struct mid *) top[1u << TOP_BITS];
static _Atomic uint64_t top_present[(1u << TOP_BITS) / WORD_BITS];
static mt_lock grow_lock = MT_LOCK_INIT;       /* creating mids and leaves */
static char *leaf_next, *leaf_end, *leaf_ready;   /* under grow_lock */

/* The side table (sidetable.c) is under big_lock. */
MT_HOT static mt_lock big_lock = MT_LOCK_INIT;
/* Sparse sampling: every block goes to the side table, the page table
 * stays empty (read from the hooks' line: a flag of its own was one more
 * cold line per sampled event). */
static inline bool side_only(void)
{
    return mt_fp.sample_bytes >= MT_SAMPLE_SPARSE_BYTES;
}

/* The current epoch (what inserts stamp), and the generation that epoch 0
 * of this cycle stands for: generation = base + epoch. */
MT_HOT static _Atomic uint32_t epoch_now;
static uint64_t epoch_base;                    /* under mark_lock */
static mt_lock mark_lock = MT_LOCK_INIT;       /* marks, sweeps, live_since */

bool mt_livemap_init(void)
{
    return true;
}

/* ---- the page table ---------------------------------------------------------- */
static inline bool in_table(uintptr_t p, size_t size)
{
    return size < BIG_BLOCK && (p >> ADDR_BITS) == 0 && !side_only();
}

static inline _Atomic uint64_t *find_slot(uintptr_t p)
{
    uintptr_t pn = p >> PAGE_SHIFT;
    struct mid *m = atomic_load_explicit(&top[pn >> MID_BITS], memory_order_acquire);
    if (!m)
        return NULL;
    struct leaf *l = atomic_load_explicit(&m->leaf[pn & ((1u << MID_BITS) - 1)],
                                          memory_order_acquire);
    if (!l)
        return NULL;
    return &l->slot[(p >> GRAIN_SHIFT) & (LEAF_SLOTS - 1)];
}

/* The slot of p when the table is in use; under sparse sampling it stays empty
 * and is not walked (its top level would be a cold read per sampled event). */
static inline _Atomic uint64_t *table_slot(uintptr_t p)
{
    return side_only() ? NULL : find_slot(p);
}

/* Called with grow_lock held. Leaves come from 4 MiB mappings. */
static struct leaf *new_leaf(void)
{
    enum { CHUNK = 4u << 20 };
    if ((size_t)(leaf_end - leaf_next) < sizeof(struct leaf)) {
        char *c = mt_map(CHUNK);
        if (!c)
            return NULL;
        leaf_next = leaf_ready = c;
        leaf_end = c + CHUNK;
    }
    struct leaf *l = (struct leaf *)(void *)leaf_next;
    leaf_next += sizeof(struct leaf);
    /* 32 leaves per system call (pool.c): a leaf per heap page was most of
     * the tracer's page faults in exact mode. */
    mt_populate_ahead(&leaf_ready, leaf_next, leaf_end);
    return l;
}

static void mark_present(_Atomic uint64_t *bits, uintptr_t i)
{
    atomic_fetch_or_explicit(&bits[i / WORD_BITS], 1ull << (i % WORD_BITS),
                             memory_order_release);
}

static _Atomic uint64_t *make_slot(uintptr_t p)
{
    _Atomic uint64_t *s = find_slot(p);
    if (MT_LIKELY(s != NULL))
        return s;
    uintptr_t pn = p >> PAGE_SHIFT;
    mt_lock_acquire(&grow_lock);
    _Atomic(struct mid *) *mp = &top[pn >> MID_BITS];
    struct mid *m = atomic_load_explicit(mp, memory_order_relaxed);
    /* The bit before the pointer: a walker never misses a leaf that an
     * insert can reach (it skips a bit whose pointer is not there yet). */
    if (!m && (m = mt_map(sizeof *m))) {
        mark_present(top_present, pn >> MID_BITS);
        atomic_store_explicit(mp, m, memory_order_release);
    }
    if (m) {
        uintptr_t mi = pn & ((1u << MID_BITS) - 1);
        _Atomic(struct leaf *) *lp = &m->leaf[mi];
        struct leaf *l = atomic_load_explicit(lp, memory_order_relaxed);
        if (!l && (l = new_leaf())) {
            mark_present(m->present, mi);
            atomic_store_explicit(lp, l, memory_order_release);
        }
        if (l)
            s = &l->slot[(p >> GRAIN_SHIFT) & (LEAF_SLOTS - 1)];
    }
    mt_lock_release(&grow_lock);
    return s;
}

/* Takes the slot's entry, leaving it empty. Only the thread that owns the
 * block at that address writes its slot, and when an address changes hands
 * the allocator's own synchronization orders the two owners' accesses; the
 * generation sweep's compare-exchange aside (landing between the two, it is
 * overwritten; after, it fails), so this needs no locked instruction. */
static inline uint64_t take_slot(_Atomic uint64_t *s)
{
    uint64_t old = atomic_load_explicit(s, memory_order_relaxed);
    if (old)
        atomic_store_explicit(s, 0, memory_order_relaxed);
    return old;
}

static inline uint64_t pack(uint32_t stack, size_t size, uint32_t epoch)
{
    return (uint64_t)(stack + 1u) << 32 | (uint64_t)epoch << SIZE_BITS | (uint32_t)size;
}

static inline void unpack(uint64_t v, uint32_t *stack, size_t *size)
{
    *stack = (uint32_t)(v >> 32) - 1u;
    *size = (uint32_t)v & SIZE_MASK;
}

static inline uint32_t epoch_of(uint64_t v)
{
    return ((uint32_t)v >> SIZE_BITS) & EPOCH_MAX;
}

static inline uint32_t current_epoch(void)
{
    return atomic_load_explicit(&epoch_now, memory_order_relaxed);
}

/* ---- the side table for large blocks ------------------------------------------ */
/* filter: a new entry is a sampled block the filter must count (sample.c),
 * under this same lock. */
static int big_insert(uintptr_t p, uint32_t stack, size_t size, uint32_t epoch,
                      uint32_t *stale_stack, size_t *stale_size, bool filter)
{
    int stale = 0;
    mt_lock_acquire(&big_lock);
    struct mt_side_entry *b = mt_side_find(p);
    if (b) {
        stale = 1;
        *stale_stack = b->stack;
        *stale_size = b->size;
    } else if ((b = mt_side_add(p)) && filter) {
        mt_sample_filter_add(p);
    }
    if (b) {
        b->stack = stack;
        b->size = size;
        b->epoch = epoch;
    }
    mt_lock_release(&big_lock);
    return b ? stale : -1;
}

static bool big_remove(uintptr_t p, uint32_t *stack, size_t *size)
{
    if (!atomic_load_explicit(&mt_side_count, memory_order_relaxed) ||
        /* A chunk is at least the size asked for: a smaller one is no
         * side-table block. */
        (!side_only() && mt_chunk_size((const void *)p) < BIG_BLOCK))
        return false;
    mt_lock_acquire(&big_lock);
    struct mt_side_entry *b = mt_side_find(p);
    if (b) {
        *stack = b->stack;
        *size = b->size;
        mt_side_del(b);
        if (mt_fp.sample_bytes)
            mt_sample_filter_del(p);
    }
    mt_lock_release(&big_lock);
    return b != NULL;
}

/* A page-table entry of a sampled block came or went (dense sampling). */
static void filter_change(uintptr_t p, bool add)
{
    mt_lock_acquire(&big_lock);
    if (add)
        mt_sample_filter_add(p);
    else
        mt_sample_filter_del(p);
    mt_lock_release(&big_lock);
}

/* ---- the interface --------------------------------------------------------------- */
int mt_livemap_insert(uintptr_t p, uint32_t stack, size_t size,
                      uint32_t *stale_stack, size_t *stale_size)
{
    if (!in_table(p, size)) {
        /* A block freed behind our back may have left a small entry here. */
        _Atomic uint64_t *s = table_slot(p);
        uint64_t old = s ? take_slot(s) : 0;
        /* A stale entry's filter count is the new one's. */
        int r = big_insert(p, stack, size, current_epoch(), stale_stack, stale_size,
                           mt_fp.sample_bytes && !old);
        if (old && r == 0) {
            unpack(old, stale_stack, stale_size);
            r = 1;
        }
        return r;
    }
    _Atomic uint64_t *s = make_slot(p);
    if (!s)
        return -1;
    uint64_t old = atomic_load_explicit(s, memory_order_relaxed);
    atomic_store_explicit(s, pack(stack, size, current_epoch()), memory_order_relaxed);
    if (MT_LIKELY(!old)) {
        if (mt_fp.sample_bytes)
            filter_change(p, true);
        return 0;
    }
    /* Freed behind our back (glibc frees some blocks internally, past the
     * interposed free) and handed out again: report the old block as gone.
     * A large block lost that way is not looked for here: that would put
     * the side table's lock on every malloc. */
    unpack(old, stale_stack, stale_size);
    return 1;
}

/* Brings a fresh block's slot into cache while its stack is captured. */
void mt_livemap_prefetch(uintptr_t p)
{
    _Atomic uint64_t *s = table_slot(p);
    if (s)
        __builtin_prefetch((const void *)s, 1);
}

bool mt_livemap_remove(uintptr_t p, uint32_t *stack, size_t *size)
{
    _Atomic uint64_t *s = table_slot(p);
    if (s) {
        uint64_t old = take_slot(s);
        if (old) {
            unpack(old, stack, size);
            if (mt_fp.sample_bytes)
                filter_change(p, false);
            return true;
        }
    }
    return big_remove(p, stack, size);
}

bool mt_livemap_maybe(uintptr_t p)
{
    _Atomic uint64_t *s = table_slot(p);
    if (s && atomic_load_explicit(s, memory_order_relaxed))
        return true;
    /* Under sparse sampling the removal's own lookup answers: one lookup, not two. */
    return atomic_load_explicit(&mt_side_count, memory_order_relaxed) &&
           (side_only() || mt_chunk_size((const void *)p) >= BIG_BLOCK);
}

/* Calls fn for every leaf of the page table, in address order, with the
 * address of the page it covers. */
static void each_leaf(void (*fn)(struct leaf *, uintptr_t, void *), void *arg)
{
    for (uintptr_t tw = 0; tw < (1u << TOP_BITS) / WORD_BITS; tw++) {
        uint64_t tbits = atomic_load_explicit(&top_present[tw], memory_order_acquire);
        for (; tbits; tbits &= tbits - 1) {
            uintptr_t ti = tw * WORD_BITS + (uintptr_t)__builtin_ctzll(tbits);
            struct mid *m = atomic_load_explicit(&top[ti], memory_order_acquire);
            if (!m)
                continue;
            for (uintptr_t mw = 0; mw < (1u << MID_BITS) / WORD_BITS; mw++) {
                uint64_t mbits = atomic_load_explicit(&m->present[mw], memory_order_acquire);
                for (; mbits; mbits &= mbits - 1) {
                    uintptr_t mi = mw * WORD_BITS + (uintptr_t)__builtin_ctzll(mbits);
                    struct leaf *l = atomic_load_explicit(&m->leaf[mi], memory_order_acquire);
                    if (l)
                        fn(l, (ti << MID_BITS | mi) << PAGE_SHIFT, arg);
                }
            }
        }
    }
}

struct collect { struct mt_block *out; size_t cap, n; };

static void collect_leaf(struct leaf *l, uintptr_t page, void *arg)
{
    struct collect *c = arg;
    for (unsigned i = 0; i < LEAF_SLOTS; i++) {
        uint64_t v = atomic_load_explicit(&l->slot[i], memory_order_relaxed);
        if (!v)
            continue;
        if (c->n < c->cap) {
            struct mt_block *b = &c->out[c->n];
            b->addr = page | (uintptr_t)i << GRAIN_SHIFT;
            size_t size;
            unpack(v, &b->stack, &size);
            b->size = size;
            b->state = 0;
        }
        c->n++;
    }
}

/* The leak scan's view: every live block, page-table entries first in
 * ascending address order (*sorted of them), then the large blocks in no
 * order. Fills up to cap and returns the total, so a caller whose array was
 * too small can retry. The scan runs with the other threads parked. */
size_t mt_livemap_collect(struct mt_block *out, size_t cap, size_t *sorted)
{
    struct collect c = { out, cap, 0 };
    each_leaf(collect_leaf, &c);
    size_t n = c.n;
    *sorted = n < cap ? n : cap;
    mt_lock_acquire(&big_lock);
    size_t slots;
    const struct mt_side_entry *side = mt_side_slots(&slots);
    for (size_t i = 0; i < slots; i++) {
        if (!side[i].ptr)
            continue;
        if (n < cap)
            out[n] = (struct mt_block){ side[i].ptr, side[i].size, side[i].stack, 0 };
        n++;
    }
    mt_lock_release(&big_lock);
    return n;
}

/* ---- generations ------------------------------------------------------------------ */
static void sweep_leaf(struct leaf *l, uintptr_t page, void *arg)
{
    (void)page;
    (void)arg;
    for (unsigned i = 0; i < LEAF_SLOTS; i++) {
        uint64_t v = atomic_load_explicit(&l->slot[i], memory_order_relaxed);
        if (v && epoch_of(v))
            atomic_compare_exchange_strong_explicit(
                &l->slot[i], &v, v & ~((uint64_t)EPOCH_MAX << SIZE_BITS),
                memory_order_relaxed, memory_order_relaxed);
    }
}

uint64_t mt_livemap_mark(void)
{
    mt_lock_acquire(&mark_lock);
    uint32_t e = atomic_load_explicit(&epoch_now, memory_order_relaxed);
    if (e == EPOCH_MAX) {
        /* Wrap: what is live now is "before the cycle" (epoch 0, which
         * inserts stamp while the sweep runs), then the cycle starts over. */
        atomic_store_explicit(&epoch_now, 0, memory_order_relaxed);
        each_leaf(sweep_leaf, NULL);
        mt_lock_acquire(&big_lock);
        size_t slots;
        struct mt_side_entry *side = mt_side_slots(&slots);
        for (size_t i = 0; i < slots; i++)
            side[i].epoch = 0;
        mt_lock_release(&big_lock);
        epoch_base += EPOCH_MAX;
        e = 0;
    }
    atomic_store_explicit(&epoch_now, e + 1, memory_order_relaxed);
    uint64_t id = epoch_base + e + 1;
    mt_lock_release(&mark_lock);
    return id;
}

struct since { uint32_t min; uint64_t bytes, blocks; };

static void count_leaf(struct leaf *l, uintptr_t page, void *arg)
{
    (void)page;
    struct since *c = arg;
    for (unsigned i = 0; i < LEAF_SLOTS; i++) {
        uint64_t v = atomic_load_explicit(&l->slot[i], memory_order_relaxed);
        if (v && epoch_of(v) >= c->min) {
            c->bytes += (uint32_t)v & SIZE_MASK;
            c->blocks++;
        }
    }
}

bool mt_livemap_live_since(uint64_t id, uint64_t *bytes, uint64_t *blocks)
{
    mt_lock_acquire(&mark_lock);
    uint64_t now = epoch_base + atomic_load_explicit(&epoch_now, memory_order_relaxed);
    bool ok = id == 0 || (id > epoch_base && id <= now);
    struct since c = { id ? (uint32_t)(id - epoch_base) : 0, 0, 0 };
    if (ok) {
        each_leaf(count_leaf, &c);
        mt_lock_acquire(&big_lock);
        size_t slots;
        const struct mt_side_entry *side = mt_side_slots(&slots);
        for (size_t i = 0; i < slots; i++) {
            if (side[i].ptr && side[i].epoch >= c.min) {
                c.bytes += side[i].size;
                c.blocks++;
            }
        }
        mt_lock_release(&big_lock);
    }
    mt_lock_release(&mark_lock);
    *bytes = c.bytes;
    *blocks = c.blocks;
    return ok;
}

/* fork: the child must not inherit any lock held. */
void mt_livemap_lock_all(void)
{
    mt_lock_acquire(&mark_lock);
    mt_lock_acquire(&grow_lock);
    mt_lock_acquire(&big_lock);
}

void mt_livemap_unlock_all(bool child)
{
    if (child) {
        mt_lock_reinit(&big_lock);
        mt_lock_reinit(&grow_lock);
        mt_lock_reinit(&mark_lock);
        return;
    }
    mt_lock_release(&big_lock);
    mt_lock_release(&grow_lock);
    mt_lock_release(&mark_lock);
}
