/* ---------------------------------------------------------------------------
 * stacks.c: interned call stacks and their counters.
 *
 * Each distinct stack is stored once (uthash, keyed by its frame array, in
 * tracer memory) and gets a dense 32-bit id that live-map entries carry. A
 * per-thread direct-mapped cache answers most lookups without a lock.
 *
 * Per-stack peak, exact: the bytes each stack held when the process's traced
 * heap peaked. peak_gen counts new peaks; a stack remembers the generation of
 * its last change. A stack untouched since the current peak holds now what
 * it held then; one about to change for the first time since the peak saves
 * its live figures first. So only the stack being changed is ever visited.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <string.h>

#include "iddir.h"
#include "internal.h"
#include "journal.h"
#include "mtrace/format.h"
#include "scratch.h"

static bool table_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) mt_pool_alloc(sz)
#define uthash_free(p, sz) mt_pool_free((p), (sz))
#define uthash_nonfatal_oom(obj) (table_oom = true)
#include <uthash.h>
/* uthash doubles its buckets when a chain reaches 10 records, so chains
 * hold about 3 on average, each record a cache miss on a lookup that the
 * per-thread cache missed (under sampling, 51% of intern's time was that
 * walk). Doubling at 5 keeps them near 1, for 16 bytes of buckets per
 * stack; the macros are read where HASH_ADD expands, below. */
#undef HASH_INITIAL_NUM_BUCKETS
#undef HASH_INITIAL_NUM_BUCKETS_LOG2
#undef HASH_BKT_CAPACITY_THRESH
#define HASH_INITIAL_NUM_BUCKETS 256U
#define HASH_INITIAL_NUM_BUCKETS_LOG2 8U
#define HASH_BKT_CAPACITY_THRESH 5U

/* The counters that every event updates come first, in one cache line:
 * records start 64-byte aligned (add_locked). */
struct mt_stackrec {
    /* counters: under stats_lock */
    uint64_t alloc_count, alloc_bytes;
    uint64_t live_count, live_bytes;
    uint64_t peak_count, peak_bytes;   /* saved figures at the peak, see above */
    uint64_t gen;
    uint32_t id;
    uint16_t nframes;
    uint16_t flags;
    UT_hash_handle hh;
    uintptr_t frames[];
};
#define REC_ALIGN 64
#define POOL_ALIGN 16                  /* what mt_pool_alloc guarantees */

static struct mt_iddir directory;                /* id -> record */

static mt_lock table_lock = MT_LOCK_INIT;   /* the uthash table, directory, counts */
static struct mt_stackrec *table;
static uint32_t stack_count;
static uint64_t frame_total;

/* Every counter is under stats_lock, and changes through the threads'
 * journals (journal.c), a batch at a time. The lock and what every event
 * reads or writes share one cache line, so that a thread taking the lock
 * from another pulls one line, not two. Frees are not counted: they are
 * the allocations no longer live, total_allocs - cur_blocks, plus the
 * blocks a fork child inherited (base_blocks). */
static struct {
    mt_lock lock;
    uint64_t cur_bytes, cur_blocks;
    uint64_t total_allocs, total_bytes;
    uint64_t peak_bytes, peak_gen;
    uint64_t ival_max;                       /* the timeline: most live since its last point */
} g __attribute__((aligned(64))) = { .lock = MT_LOCK_INIT };
_Static_assert(sizeof g == 64, "the lock and the per-event counters fill one line");
#define stats_lock g.lock
static struct {
    uint64_t peak_blocks, peak_allocs;
    uint64_t ival_max_mono;
    uint64_t base_blocks;
} gc;

/* Between two threads' batches a live figure can dip below zero: a block
 * freed by one thread whose allocation is still in another's journal. It
 * is never a peak, and a stack saves 0 for it. */
static inline bool below_zero(uint64_t v)
{
    return (int64_t)v < 0;
}

/* A figure as it leaves this file: one that dipped below zero between two
 * threads' batches reads 0 (the rings are applied one after another, so a
 * reader can see a block's free applied and not yet its allocation). */
static inline uint64_t nonneg(uint64_t v)
{
    return below_zero(v) ? 0 : v;
}

static inline uint64_t total_frees(void)
{
    return g.total_allocs - nonneg(g.cur_blocks) + gc.base_blocks;
}

/* The journals' cap follows the peak (journal.c). With stats_lock held. */
static inline void update_cap(void)
{
    mt_journal_set_cap(nonneg(g.peak_bytes));
}

/* Units of the counters. Exact mode counts blocks and bytes as they are.
 * Under sampling every event adds its unbiased estimate (1/p blocks, size/p
 * bytes, p the chance a block of that size was sampled), kept with
 * UNIT_SHIFT fractional bits so that weights like 1.58 do not round to 2;
 * figures leave this file divided back. */
#define UNIT_SHIFT 8
MT_HOT static unsigned unit_shift;

static inline uint64_t out_units(uint64_t v)
{
    return unit_shift ? (v + (1ull << (unit_shift - 1))) >> unit_shift : v;
}

void mt_stacks_setup(bool sampling)
{
    unit_shift = sampling ? UNIT_SHIFT : 0;
}

unsigned mt_stacks_unit_shift(void)
{
    return unit_shift;
}

void mt_stacks_thread(int64_t *current, uint64_t *allocated)
{
    int64_t cur = mt_self.current_bytes;
    *current = cur < 0 ? -(int64_t)out_units((uint64_t)-cur) : (int64_t)out_units((uint64_t)cur);
    *allocated = out_units(mt_self.allocated_bytes);
}


/* 32 bits: uthash keeps hash values as unsigned int and compares the
 * stored value with the one passed to HASH_FIND_BYHASHVALUE, so a wider
 * value never matches (every lookup that missed the per-thread cache then
 * added a duplicate record). */
static uint32_t hash_frames(const uintptr_t *ips, int n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++) {
        h ^= ips[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return (uint32_t)h ? (uint32_t)h : 1;
}

static inline struct mt_stackrec *by_id(uint32_t id)
{
    return mt_iddir_get(&directory, id);
}

static bool same(const struct mt_stackrec *r, const uintptr_t *ips, int n)
{
    return r->nframes == n && memcmp(r->frames, ips, (size_t)n * sizeof *ips) == 0;
}

/* Called with table_lock held. */
static struct mt_stackrec *add_locked(const uintptr_t *ips, int n, uint32_t h)
{
    uint32_t id = stack_count;
    if (!mt_iddir_reserve(&directory, id))
        return NULL;
    size_t bytes = sizeof(struct mt_stackrec) + (size_t)n * sizeof *ips + REC_ALIGN - POOL_ALIGN;
    char *raw = mt_pool_alloc(bytes);
    if (!raw)
        return NULL;
    struct mt_stackrec *r =
        (struct mt_stackrec *)(void *)(((uintptr_t)raw + REC_ALIGN - 1) & ~(uintptr_t)(REC_ALIGN - 1));
    r->id = id;
    r->nframes = (uint16_t)n;
    memcpy(r->frames, ips, (size_t)n * sizeof *ips);
    table_oom = false;
    HASH_ADD_KEYPTR_BYHASHVALUE(hh, table, r->frames, (unsigned)(n * sizeof *ips), h, r);
    if (table_oom) {
        mt_pool_free(raw, bytes);
        return NULL;
    }
    /* Publish after the record is complete: by_id() runs without the lock. */
    mt_iddir_publish(&directory, id, r);
    stack_count++;
    frame_total += (uint64_t)n;
    return r;
}

uint32_t mt_stacks_intern(const uintptr_t *ips, int n, bool truncated,
                          struct mt_intern_slot *cache)
{
    uint32_t h = hash_frames(ips, n);
    struct mt_intern_slot *c = &cache[h & (MT_INTERN_CACHE - 1)];
    struct mt_stackrec *r = c->rec;
    if (MT_LIKELY(r && c->hash == h && same(r, ips, n)))
        return r->id;
    mt_lock_acquire(&table_lock);
    HASH_FIND_BYHASHVALUE(hh, table, ips, (unsigned)(n * sizeof *ips), h, r);
    if (!r)
        r = add_locked(ips, n, h);
    if (r && truncated)
        r->flags |= MT_STACK_TRUNCATED;
    mt_lock_release(&table_lock);
    if (!r)
        return UINT32_MAX;
    c->hash = h;
    c->rec = r;
    return r->id;
}

static inline uint64_t shown(uint64_t v)
{
    return out_units(nonneg(v));
}

/* The stats lock is taken with the guard held by every caller: a leak
 * scan parks threads whose guard is clear (stopworld.c), and one parked
 * holding the lock would stop the exit snapshot. The C API and a thread's
 * end come here without it. */
static inline int stats_lock_guarded(void)
{
    int guard = mt_self.guard;
    mt_self.guard = 1;
    mt_lock_acquire(&stats_lock);
    return guard;
}

static inline void stats_unlock_guarded(int guard)
{
    mt_lock_release(&stats_lock);
    mt_self.guard = guard;
}

/* A batch of events from a journal, in its order, with stats_lock held.
 * Their records' lines are requested first, so that their misses overlap;
 * the totals stay in registers (a record could alias them, for all the
 * compiler knows). */
static void apply(const struct mt_jevent *e, uint32_t n)
{
    struct mt_stackrec *rec[MT_JOURNAL_LEN];
    for (uint32_t i = 0; i < n; i++) {
        rec[i] = by_id(e[i].id);
        if (rec[i])
            __builtin_prefetch(rec[i], 1);
    }
    uint64_t cur_bytes = g.cur_bytes, cur_blocks = g.cur_blocks;
    uint64_t allocs = g.total_allocs, bytes = g.total_bytes;
    uint64_t peak = g.peak_bytes, gen = g.peak_gen, ival = g.ival_max;
    for (uint32_t i = 0; i < n; i++) {
        struct mt_stackrec *r = rec[i];
        if (!r)
            continue;
        if (r->gen != gen) {             /* first change since the peak: save its figures */
            r->peak_bytes = nonneg(r->live_bytes);
            r->peak_count = nonneg(r->live_count);
            r->gen = gen;
        }
        if (e[i].is_free) {
            r->live_count -= e[i].n;
            r->live_bytes -= e[i].bytes;
            cur_blocks -= e[i].n;
            cur_bytes -= e[i].bytes;
            continue;
        }
        r->alloc_count += e[i].n;
        r->alloc_bytes += e[i].bytes;
        r->live_count += e[i].n;
        r->live_bytes += e[i].bytes;
        allocs += e[i].n;
        bytes += e[i].bytes;
        cur_blocks += e[i].n;
        cur_bytes += e[i].bytes;
        if ((int64_t)cur_bytes > (int64_t)ival) {
            ival = cur_bytes;
            gc.ival_max_mono = e[i].mono;
        }
        if ((int64_t)cur_bytes > (int64_t)peak) {   /* not nested: reset_peak may lower it */
            peak = cur_bytes;
            gc.peak_blocks = cur_blocks;
            gc.peak_allocs = allocs;
            gen++;
        }
    }
    g.cur_bytes = cur_bytes;
    g.cur_blocks = cur_blocks;
    g.total_allocs = allocs;
    g.total_bytes = bytes;
    g.peak_bytes = peak;
    g.peak_gen = gen;
    g.ival_max = ival;
}

/* Every thread's journal: before the counters are read. */
static void apply_all_locked(void)
{
    mt_journal_drain_all(apply);
    update_cap();
}

void mt_stacks_flush_mine(void)
{
    int guard = stats_lock_guarded();
    mt_journal_drain_mine(apply);
    update_cap();
    stats_unlock_guarded(guard);
}

/* The thread's first event: every journal is applied, and the cap set for
 * one more thread (see mt_journal_open). Without a journal (the tracer's
 * memory ran out) the event goes straight to the counters. */
static __attribute__((noinline, cold)) void record_first(uint32_t id, bool is_free, uint64_t n,
                                                         uint64_t size, uint64_t mono)
{
    struct mt_journal *j = mt_journal_open();
    if (j)
        mt_journal_push(j, id, is_free, n, size, mono);
    mt_lock_acquire(&stats_lock);
    apply_all_locked();
    if (!j) {
        struct mt_jevent e = { .id = id, .is_free = is_free, .n = n, .bytes = size, .mono = mono };
        apply(&e, 1);
    }
    mt_lock_release(&stats_lock);
}

static inline void record(uint32_t id, bool is_free, uint64_t n, uint64_t size, uint64_t mono)
{
    struct mt_journal *j = mt_self.journal;
    if (MT_UNLIKELY(!j))
        record_first(id, is_free, n, size, mono);
    else if (mt_journal_push(j, id, is_free, n, size, mono))
        mt_stacks_flush_mine();
}

/* n blocks of size bytes in all, in counter units (see UNIT_SHIFT). */
void mt_stacks_on_alloc(uint32_t id, uint64_t n, uint64_t size, uint64_t mono)
{
    mt_self.current_bytes += (int64_t)size;
    mt_self.allocated_bytes += size;
    record(id, false, n, size, mono);
}

void mt_stacks_on_free(uint32_t id, uint64_t n, uint64_t size)
{
    mt_self.current_bytes -= (int64_t)size;
    record(id, true, n, size, 0);
}

void mt_stacks_timeline_point(uint64_t *cur, uint64_t *max, uint64_t *max_mono,
                              uint64_t *allocs, uint64_t mono)
{
    int guard = stats_lock_guarded();
    apply_all_locked();
    bool rose = (int64_t)g.ival_max > (int64_t)g.cur_bytes;
    *cur = shown(g.cur_bytes);
    *max = shown(rose ? g.ival_max : g.cur_bytes);
    *max_mono = rose || g.ival_max == g.cur_bytes ? gc.ival_max_mono : mono;
    *allocs = out_units(g.total_allocs);
    /* The next interval starts holding what is live now, since now. */
    g.ival_max = g.cur_bytes;
    gc.ival_max_mono = mono;
    stats_unlock_guarded(guard);
}

void mt_stacks_reset_peak(void)
{
    int guard = stats_lock_guarded();
    apply_all_locked();
    g.peak_bytes = g.cur_bytes;
    gc.peak_blocks = g.cur_blocks;
    gc.peak_allocs = g.total_allocs;
    g.peak_gen++;
    update_cap();
    stats_unlock_guarded(guard);
}

void mt_stacks_totals(uint64_t *current, uint64_t *peak, uint64_t *allocs)
{
    int guard = stats_lock_guarded();
    apply_all_locked();
    if (current)
        *current = shown(g.cur_bytes);
    if (peak)
        *peak = shown(g.peak_bytes);
    if (allocs)
        *allocs = out_units(g.total_allocs);
    stats_unlock_guarded(guard);
}

void mt_stacks_lock_all(void)
{
    /* Lock order everywhere: table, live-map shards, pool, stats. */
    mt_lock_acquire(&table_lock);
    mt_livemap_lock_all();
    mt_pool_lock_all();
    mt_lock_acquire(&stats_lock);
}

/* A fork child starts its own account: the allocations made before the
 * fork are the parent's (a merged report counts them once, as memray's
 * follow-fork does), the blocks it inherited stay live in it, and its peak
 * starts from what it holds. Called in the child, single-threaded, with
 * every lock still held from the fork. */
static uint64_t inherited_allocs, inherited_bytes;

void mt_stacks_inherited(uint64_t *allocs, uint64_t *bytes)
{
    *allocs = inherited_allocs;
    *bytes = inherited_bytes;
}

static void fork_child_reset(void)
{
    mt_journal_drain_all(apply);         /* the other threads' too: their blocks stay */
    mt_journal_fork_child();
    inherited_allocs = out_units(g.total_allocs);
    inherited_bytes = out_units(g.cur_bytes);
    mt_self.current_bytes = 0;
    mt_self.allocated_bytes = 0;
    for (uint32_t id = 0; id < stack_count; id++) {
        struct mt_stackrec *r = by_id(id);
        r->alloc_count = r->alloc_bytes = 0;
        r->peak_count = r->live_count;
        r->peak_bytes = r->live_bytes;
        r->gen = 0;
    }
    g.total_allocs = g.total_bytes = 0;
    gc.base_blocks = g.cur_blocks;
    g.peak_bytes = g.ival_max = g.cur_bytes;
    gc.peak_blocks = g.cur_blocks;
    gc.peak_allocs = gc.ival_max_mono = 0;
    g.peak_gen++;
    update_cap();
}

void mt_stacks_unlock_all(bool child)
{
    if (child) {
        fork_child_reset();
        mt_lock_reinit(&stats_lock);
        mt_pool_unlock_all(true);
        mt_livemap_unlock_all(true);
        mt_lock_reinit(&table_lock);
        return;
    }
    mt_lock_release(&stats_lock);
    mt_pool_unlock_all(false);
    mt_livemap_unlock_all(false);
    mt_lock_release(&table_lock);
}

uint32_t mt_stacks_count(uint64_t *frames)
{
    *frames = frame_total;
    return stack_count;
}

int mt_stacks_frames(uint32_t id, const uintptr_t **frames)
{
    const struct mt_stackrec *r = id < stack_count ? by_id(id) : NULL;
    *frames = r ? r->frames : NULL;
    return r ? r->nframes : 0;
}

/* The counters, with every tracer lock held (writer.c). */
void mt_stacks_export(struct mt_stack *out, uint32_t n, struct mt_file_header *h)
{
    apply_all_locked();
    for (uint32_t id = 0; id < n; id++) {
        const struct mt_stackrec *r = by_id(id);
        struct mt_stack *s = &out[id];
        bool since_peak = r->gen == g.peak_gen;
        s->frame_count = r->nframes;
        s->flags = r->flags;
        s->alloc_count = out_units(r->alloc_count);
        s->alloc_bytes = out_units(r->alloc_bytes);
        s->live_count = shown(r->live_count);
        s->live_bytes = shown(r->live_bytes);
        s->peak_count = shown(since_peak ? r->peak_count : r->live_count);
        s->peak_bytes = shown(since_peak ? r->peak_bytes : r->live_bytes);
    }
    h->current_bytes = shown(g.cur_bytes);
    h->current_blocks = shown(g.cur_blocks);
    h->peak_bytes = shown(g.peak_bytes);
    h->peak_blocks = shown(gc.peak_blocks);
    h->peak_allocs = out_units(gc.peak_allocs);
    h->total_allocs = out_units(g.total_allocs);
    h->total_bytes = out_units(g.total_bytes);
    h->total_frees = out_units(total_frees());
}

/* The frames of stacks 0..n-1 as a prefix tree, after the locks are
 * released: a stack's frames never change once interned and its record
 * never moves, so the program's threads go on allocating meanwhile (the
 * tree of a pytest run took 150-200 ms). The writer lock keeps the
 * Python names' export (python.c) to one writer. */
void mt_stacks_export_frames(struct mt_stack *out, uint32_t n, struct mt_ftree *ftree,
                             struct mt_strtab *st)
{
    mt_python_export_begin();
    for (uint32_t id = 0; id < n; id++) {
        const struct mt_stackrec *r = by_id(id);
        out[id].first_frame = mt_ftree_add(ftree, r->frames, r->nframes);
    }
    mt_ftree_export(ftree, st);
}
