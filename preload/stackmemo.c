/* ---------------------------------------------------------------------------
 * stackmemo.c: a per-thread memo of native stacks, validated on the stack
 * itself, so that an allocation made again from a call path the thread has
 * taken before costs a few loads instead of a libunwind walk.
 *
 * x86-64 keeps each frame's return address in memory, 8 bytes below the
 * caller's stack pointer at the call. When the shim unwinds a stack the slow
 * way (unw_step, or the frame-pointer chain under MTRACE_UNWIND=fp) it
 * records every frame's return address and the offset of the slot holding
 * it. Next time the first foreign frame returns to the same address from
 * the same slot, the memo re-reads the recorded slots: if each still holds
 * the recorded return address, every frame above is the same call at the
 * same place, and the memo answers. Any difference falls back to libunwind.
 * An entry also keeps the id its stack was interned under, so a hit skips
 * hashing and comparing the frames as well.
 *
 * Under Python only the native frames above the eval loop are kept, with
 * the slot that returns into the loop; they are keyed by their distance to
 * an anchor in the loop's C frame (python.c) rather than by where they
 * are, since the same C path recurs at every Python call depth.
 *
 * Reading a slot must never fault: the memo is used only where the thread's
 * stack bounds are known (the main thread from the constructor, threads
 * made by pthread_create from its start, threads.c) and every slot lies
 * between the current frame and the top of that stack. Code running on
 * another stack (coroutines, sigaltstack) is outside the bounds and takes
 * the libunwind path. Workloads where most stacks are new (the memo keeps
 * missing) stop filling it for a while: the slow walk would only cost.
 *
 * A memo outlives its thread: it goes back to a list when the thread ends
 * and the next thread takes it, entries and all (a new thread often runs
 * the same code, on a stack glibc reuses at the same place). Whoever
 * recorded an entry, a hit is proven on the current stack; a memo taken
 * by a thread whose stack lies elsewhere starts empty (its sets' keys are
 * cleared, 32 KiB), since an entry's slots must lie inside the stack.
 * Mapping 4 MiB per thread and unmapping it at the end cost a TLB
 * shootdown on every CPU the process ran on, per thread.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "reuse.h"
#include "scratch.h"
#include "sigmask.h"

#if defined(__x86_64__)
#include <emmintrin.h>

#define SET_BITS 8
#define WAYS 16
#define ENTRIES ((1 << SET_BITS) * WAYS)   /* 4096, ~2 MiB mapped per thread, touched as used */
#define FRAMES MT_MEMO_FRAMES

/* A frame in one word: its return address (user space fits 48 bits) and,
 * above, the word offset of the slot holding it from slot0. Half the
 * cache lines of an (address, slot) pair, and validation reads them all. */
typedef uint64_t frame;
#define RA_MASK ((1ull << 48) - 1)
#define OFF_MAX 0xffffu
static inline uintptr_t ra_of(frame f) { return (uintptr_t)(f & RA_MASK); }
static inline unsigned off_of(frame f) { return (unsigned)(f >> 48); }

struct entry {
    uintptr_t ra0, slot0;             /* python: slot0 is the distance to the anchor */
    uint16_t n;                       /* frames answered */
    uint16_t checks;                  /* slots validated (1..checks-1); 0: not memoizable */
    uint8_t truncated;
    uint8_t python;                   /* the frames above the eval loop, then stop_off */
    uint16_t stop_off;                /* python: the slot that returns into the loop */
    uint32_t stack_id;                /* the interned stack + 1; 0 not known yet */
    frame f[FRAMES + 1];
};

/* A set's tags in three cache lines, the keys and where each way's entry
 * lies in the first. Several stacks often share a key (one call site at one
 * stack depth, reached through different callers), so each way also names
 * two probes: stack slots (in words from slot0) whose values tell it apart
 * from its siblings, checked by an 8-bit tag before the entry itself is
 * touched. Without them a lookup validated three wrong entries on average
 * before the right one (bench churn).
 *
 * Entries are handed out in the order ways first fill, so the ones in use
 * share pages whichever sets and ways they belong to. At a fixed place per
 * set and way, 500 stacks touched 130 pages of the memo when their keys
 * spread over the sets (sampled churn-anysize), 270 when they were
 * siblings in few sets laid out way-major; a sampled lookup's entry was
 * also a TLB miss there. */
struct set {
    uint16_t key[WAYS];               /* hash of (ra0, slot0); 0: empty */
    uint16_t entry[WAYS];             /* index + 1 in memo.e; 0: none yet */
    uint8_t check[WAYS][2];
    uint16_t probe[WAYS][2];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct set) == 192, "a set's tags fill three cache lines");

struct memo {
    struct mt_reuse link;             /* first: the list of memos */
    struct set sets[1 << SET_BITS];
    uintptr_t lo, hi;                 /* the stack its entries lie on (thread start checks) */
    uint32_t misses;                  /* over the current window (mt_self.memo_lookups) */
    uint32_t pause;                   /* events left without filling */
    uint32_t next_way;                /* round-robin replacement */
    uint32_t used;                    /* entries handed to ways */
    char *ready;                      /* populated up to here (NULL: nothing yet) */
    struct entry e[ENTRIES];
};

static _Atomic(struct mt_reuse *) memos;
static pthread_key_t memo_key;
static bool key_ok;

static void release(void *p)
{
    struct memo *m = p;
    if (mt_self.memo == m)
        mt_self.memo = NULL;
    mt_reuse_give_back(&m->link);
}

/* Another thread's memo may have been copied midway through an entry's
 * fill: bounds no stack has make its next owner start it empty. */
void mt_memo_after_fork_child(void)
{
    for (struct mt_reuse *r = atomic_load(&memos); r; r = r->next)
        if (r != (struct mt_reuse *)mt_self.memo) {  /* link is the first member */
            struct memo *m = (struct memo *)r;
            m->lo = m->hi = 1;
            mt_reuse_give_back(r);
        }
}

void mt_memo_setup(void)
{
    key_ok = pthread_key_create(&memo_key, release) == 0;
}

void mt_memo_thread_start(uintptr_t lo, uintptr_t hi)
{
    if (!mt_opt.unwind_memo || mt_self.memo || hi <= lo)
        return;
    struct memo *m = mt_reuse_claim(&memos, sizeof(struct memo));
    if (!m)
        return;
    if (m->hi && (m->lo != lo || m->hi != hi)) {
        memset(m->sets, 0, sizeof m->sets);  /* entries of another stack: none found */
        m->used = 0;
    }
    m->lo = lo;
    m->hi = hi;
    mt_self.memo_lookups = m->misses = m->pause = 0;   /* this thread's window */
    mt_self.memo = m;
    if (key_ok)
        pthread_setspecific(memo_key, m);
}

void mt_memo_thread_end(void)
{
    struct memo *m = mt_self.memo;
    if (m) {
        if (key_ok)
            pthread_setspecific(memo_key, NULL);
        release(m);
    }
}

static inline uint64_t key_hash(uintptr_t ra0, uintptr_t slot0)
{
    return (ra0 ^ (slot0 << 7)) * 0x9E3779B97F4A7C15ull;
}

static inline uint8_t tag8(uintptr_t v)
{
    return (uint8_t)(v ^ (v >> 8));
}

/* A set's key for hash h: its low 16 bits, never 0 (an empty way). */
static inline uint16_t key_of(uint64_t h)
{
    return (uint16_t)h ? (uint16_t)h : 1;
}

/* The ways of set whose key is key, as a bit mask (key 0: the empty ways). */
static inline unsigned ways_with(const struct set *set, uint16_t key)
{
    __m128i k = _mm_set1_epi16((short)key);
    __m128i lo = _mm_load_si128((const __m128i *)set->key);
    __m128i hi = _mm_load_si128((const __m128i *)set->key + 1);
    return (unsigned)_mm_movemask_epi8(_mm_packs_epi16(_mm_cmpeq_epi16(lo, k),
                                                       _mm_cmpeq_epi16(hi, k)));
}

/* Whether the stack at base (room words readable) passes way w's probes
 * (mt_memo_lookup tests the same inline). The key is a 16-bit hash:
 * probes stay inside the stack anyway. */
static inline bool probes_pass(const struct set *set, int w, const uintptr_t *base, size_t room)
{
    const uint16_t *probe = set->probe[w];
    return !(probe[0] >= room || probe[1] >= room || tag8(base[probe[0]]) != set->check[w][0] ||
             tag8(base[probe[1]]) != set->check[w][1]);
}

/* The first frame outside the shim, through the shim's own frame pointers
 * (it is built with them): its return address and the slot holding it. */
static inline bool first_foreign(uintptr_t own_lo, uintptr_t own_hi,
                                 uintptr_t *ra0, uintptr_t *slot0)
{
    uintptr_t *fp = __builtin_frame_address(0);
    for (int i = 0; i < 16 && fp; i++) {
        uintptr_t ra = fp[1];
        if (ra < own_lo || ra >= own_hi) {
            *ra0 = ra;
            *slot0 = (uintptr_t)&fp[1];
            return true;
        }
        fp = (uintptr_t *)fp[0];
    }
    return false;
}

bool mt_memo_caller(uintptr_t own_lo, uintptr_t own_hi, uintptr_t *ra)
{
    uintptr_t slot;
    return first_foreign(own_lo, own_hi, ra, &slot);
}

/* Whether every validated slot still holds its return address. No early
 * exit: with the probes, a wrong entry is rarely validated, and a loop
 * without a branch per frame runs at the speed of its loads. */
static inline bool same_frames(const struct entry *e, const uintptr_t *base)
{
    const frame *f = e->f;
    int n = e->checks, i = 1;
    uintptr_t d0 = 0, d1 = 0;
    for (; i + 2 <= n; i += 2) {
        d0 |= base[off_of(f[i])] ^ ra_of(f[i]);
        d1 |= base[off_of(f[i + 1])] ^ ra_of(f[i + 1]);
    }
    if (i < n)
        d0 |= base[off_of(f[i])] ^ ra_of(f[i]);
    return (d0 | d1) == 0;
}

/* A prefetch the compiler must keep: with __builtin_prefetch alone
 * mt_memo_prefetch reads memory and has no other effect, so link-time
 * optimization found it pure and dropped every call to it (the release
 * build's malloc_slow had no prefetch at all). */
static inline void prefetch(const void *p)
{
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
}

/* Under sampling, brings the set a lookup will read into cache while
 * glibc's allocator runs: between samples the program's own memory traffic
 * evicts the tracer's data. Only the set: finding the way's entry here
 * meant reading the set, and the lookup's stall on it moved here whole
 * (perf, 6 runs of sampled churn-anysize: 4,390 samples in the lookup
 * without a prefetch, 2,066 + 2,647 in it and here; 4,137 with the set's
 * lines alone prefetched). In exact mode the memo stays in cache, and the
 * release builds ran without any prefetch until the call was kept. */
void mt_memo_prefetch(uintptr_t own_lo, uintptr_t own_hi)
{
    struct memo *m = mt_self.memo;
    uintptr_t ra0, slot0;
    if (!mt_fp.sample_bytes || !m || !first_foreign(own_lo, own_hi, &ra0, &slot0))
        return;
    const struct set *set = &m->sets[key_hash(ra0, slot0) >> (64 - SET_BITS)];
    prefetch(set);
    prefetch((const char *)set + 64);
    prefetch((const char *)set + 128);
}

int mt_memo_lookup(uintptr_t own_lo, uintptr_t own_hi, const struct mt_memo_stop *stop,
                   uintptr_t *ips, int depth, bool *truncated, struct mt_memo_miss *miss,
                   uint32_t **id)
{
    struct memo *m = mt_self.memo;
    miss->entry = NULL;
    *id = NULL;
    uintptr_t ra0, slot0;
    /* The thread's bounds are the memo's (mt_memo_thread_start), and the
     * lookups are counted beside them: the memo's own header line stays
     * off a hit's path (under sampling every line a hit reads is cold). */
    uintptr_t hi = mt_self.stack_hi;
    if (!m || !first_foreign(own_lo, own_hi, &ra0, &slot0) || slot0 < mt_self.stack_lo ||
        slot0 >= hi)
        return -1;
    mt_self.memo_lookups++;
    /* Above Python's eval loop the frames are placed relative to slot0 and
     * keyed by the distance to the loop's frame, not by where they are. */
    bool python = stop->hi != 0;
    if (python && ra0 > stop->lo && ra0 <= stop->hi) {
        *truncated = false;           /* called from the eval loop itself */
        return 0;
    }
    uintptr_t where = python ? stop->anchor - slot0 : slot0;
    uint64_t h = key_hash(python ? ~ra0 : ra0, where);
    unsigned si = (unsigned)(h >> (64 - SET_BITS));
    uint16_t key = key_of(h);
    struct set *set = &m->sets[si];
    const uintptr_t *base = (const uintptr_t *)slot0;
    size_t room = (hi - slot0) / sizeof(uintptr_t);      /* words readable from slot0 */
    unsigned match = ways_with(set, key), empty = ways_with(set, 0);
    for (; match; match &= match - 1) {
        int w = __builtin_ctz(match);
        /* probes_pass written out: through the call GCC lays this loop out
         * with 0.2% more instructions in all on exact churn. */
        const uint16_t *probe = set->probe[w];
        if (probe[0] >= room || probe[1] >= room ||
            tag8(base[probe[0]]) != set->check[w][0] || tag8(base[probe[1]]) != set->check[w][1])
            continue;
        struct entry *e = &m->e[set->entry[w] - 1];   /* set with the key */
        if (e->ra0 != ra0 || e->slot0 != where || e->python != python)
            continue;
        if (!e->checks)
            return -1;                /* known not memoizable */
        if (python && e->stop_off >= room)
            continue;                 /* recorded deeper in the stack than there is room */
        if (!same_frames(e, base) || e->n > depth)
            continue;
        if (python && (base[e->stop_off] <= stop->lo || base[e->stop_off] > stop->hi))
            continue;                 /* no longer returns into the eval loop there */
        /* Python frames follow a Python entry's: it is not a whole stack,
         * so it has no id, and the frames are wanted every time. */
        *id = python ? NULL : &e->stack_id;
        *truncated = e->truncated;
        if (python || !e->stack_id)   /* else the caller has the id */
            for (int k = 0; k < e->n; k++)
                ips[k] = ra_of(e->f[k]);
        return e->n;
    }
    int victim = empty ? __builtin_ctz(empty) : (int)(m->next_way++ % WAYS);
    /* Miss: fill unless the memo keeps missing. */
    if (mt_self.memo_lookups >= 4096) {   /* hits and misses since the window began */
        if (m->misses > mt_self.memo_lookups / 2)
            m->pause = 1u << 14;
        mt_self.memo_lookups = m->misses = 0;
    }
    m->misses++;
    if (m->pause) {
        m->pause--;
        return -1;
    }
    set->key[victim] = 0;             /* empty until filled */
    if (!set->entry[victim]) {
        set->entry[victim] = (uint16_t)++m->used;   /* at most ENTRIES */
        /* The sets, then the entries as they are handed out: 64 KiB per
         * system call instead of a fault per page (pool.c). */
        if (!m->ready)
            m->ready = (char *)m;
        mt_populate_ahead(&m->ready, (const char *)&m->e[m->used], (const char *)(m + 1));
    }
    miss->entry = &m->e[set->entry[victim] - 1];
    miss->way = victim;
    miss->set = si;
    miss->key = key;
    miss->ra0 = ra0;
    miss->slot0 = slot0;
    miss->where = where;
    miss->stop = *stop;
    return -1;
}

/* The first index from 1 where a and b differ, or 0 when they agree as
 * far as both are validated. */
static int first_diff(const struct entry *a, const struct entry *b)
{
    int n = a->checks < b->checks ? a->checks : b->checks;
    for (int i = 1; i < n; i++)
        if (a->f[i] != b->f[i])
            return i;
    return 0;
}

/* Chooses way w's probes: the validated slots that rule out the most of
 * its siblings (entries with the same key), greedily. Index 0 (slot0
 * itself, whose value is the key's ra0) is the probe that rules out
 * nothing. */
static void choose_probes(const struct entry *all, struct set *set, int w)
{
    const struct entry *set_e[WAYS];  /* the ways' entries, where they have one */
    for (int s = 0; s < WAYS; s++)
        set_e[s] = set->entry[s] ? &all[set->entry[s] - 1] : NULL;
    const struct entry *x = set_e[w];
    bool out[WAYS] = { false };
    int sib[WAYS], ns = 0;
    for (int s = 0; s < WAYS; s++)
        if (s != w && set->key[s] == set->key[w] && set_e[s]->checks &&
            set_e[s]->ra0 == x->ra0 && set_e[s]->slot0 == x->slot0 && set_e[s]->python == x->python)
            sib[ns++] = s;
    for (int p = 0; p < 2; p++) {
        int best = 0, best_n = 0;
        for (int a = 0; a < ns; a++) {
            if (out[a])
                continue;
            int i = first_diff(x, set_e[sib[a]]);
            if (!i)
                continue;
            int k = 0;              /* siblings whose slot i holds something else */
            for (int b = 0; b < ns; b++)
                if (!out[b] && (set_e[sib[b]]->checks <= i || set_e[sib[b]]->f[i] != x->f[i]))
                    k++;
            if (k > best_n) {
                best_n = k;
                best = i;
            }
        }
        for (int b = 0; b < ns && best; b++)
            if (set_e[sib[b]]->checks <= best || set_e[sib[b]]->f[best] != x->f[best])
                out[b] = true;
        set->probe[w][p] = (uint16_t)off_of(x->f[best]);
        set->check[w][p] = tag8(ra_of(x->f[best]));
    }
}

/* Fills the entry a lookup missed from a walk: ra[i] and the slot holding
 * it, from the missed frame (ra0 at slot0) outward, n frames, end when they
 * are the whole stack (else at least depth + 1 of them, or the walk gave
 * up at MT_MEMO_FRAMES + 1). Returns the frame count, or -1 when this stack
 * cannot be memoized (the caller then unwinds the usual way). */
int mt_memo_record(const struct mt_memo_miss *miss, const uintptr_t *ra, const uintptr_t *slot,
                   int n, bool end, uintptr_t stop_slot, uintptr_t *ips, int depth,
                   bool *truncated, uint32_t **id)
{
    struct memo *m = mt_self.memo;
    struct entry *e = miss->entry;
    uintptr_t lo = mt_self.stack_lo, hi = mt_self.stack_hi;   /* as the lookup's */
    *id = NULL;
    if (!m || !e)
        return -1;
    /* Known not memoizable until proven: a stack that cannot be is not
     * walked again and again. */
    struct set *set = &m->sets[miss->set];
    int way = miss->way;
    set->key[way] = miss->key;
    set->probe[way][0] = set->probe[way][1] = 0;
    set->check[way][0] = set->check[way][1] = tag8(miss->ra0);
    e->ra0 = miss->ra0;
    e->slot0 = miss->where;
    e->python = miss->stop.hi != 0;
    e->checks = 0;
    e->stack_id = 0;
    if (n < 1 || ra[0] != miss->ra0 || slot[0] != miss->slot0)
        return -1;
    if (e->python) {
        /* Up to the slot that returns into the eval loop, found and in reach. */
        uintptr_t off = (stop_slot - miss->slot0) / sizeof(uintptr_t);
        if (!stop_slot || n > depth || stop_slot < lo || stop_slot >= hi || off > OFF_MAX)
            return -1;
        e->stop_off = (uint16_t)off;
    }
    /* Not at the end: cut at depth, like the fast path. The frame past the
     * cut is validated too, so a hit is truncated exactly when this was. */
    int k, checks;
    if (end && n <= depth)
        k = checks = n;
    else if (n > depth && depth < FRAMES + 1)
        k = depth, checks = depth + 1;
    else
        return -1;                    /* deeper than the memo holds */
    for (int i = 0; i < checks; i++) {
        uintptr_t off = (slot[i] - miss->slot0) / sizeof(uintptr_t);
        /* Signal frames and odd ABIs keep their return address elsewhere. */
        if (slot[i] < lo || slot[i] >= hi || *(const uintptr_t *)slot[i] != ra[i])
            return -1;
        if (ra[i] > RA_MASK || off > OFF_MAX)
            return -1;                /* does not fit a packed frame */
        e->f[i] = (frame)ra[i] | (frame)off << 48;
    }
    e->n = (uint16_t)k;
    e->checks = (uint16_t)checks;
    e->truncated = !end || n > depth;
    for (int i = 0; i < k; i++)
        ips[i] = ra[i];
    /* The new entry chooses its probes among its siblings; a sibling
     * chooses anew only when this very stack passes its probes (a lookup
     * of it would validate that sibling's entry in vain). All of them
     * anew read every sibling's entry once per sibling: 3,200 cycles of a
     * 21,000-cycle fill on bench churn, most of them cache misses. */
    choose_probes(m->e, set, way);
    const uintptr_t *base = (const uintptr_t *)miss->slot0;
    size_t room = (hi - miss->slot0) / sizeof(uintptr_t);
    for (int w = 0; w < WAYS; w++)
        if (w != way && set->key[w] == miss->key && probes_pass(set, w, base, room))
            choose_probes(m->e, set, w);
    *truncated = e->truncated;
    *id = &e->stack_id;
    return k;
}

/* The slow walk (unw_step) that fills the entry a lookup missed. */
static int fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth, bool *truncated,
                uint32_t **id, struct mt_scratch *s)
{
    uintptr_t stop_slot = 0;
    unw_cursor_t *c = &s->cursor;
    if (unw_getcontext(&s->uc) != 0 || unw_init_local(c, &s->uc) != 0)
        return -1;
    uintptr_t *ra = s->ra, *slot = s->slot;
    int want = mt_memo_want(depth), k = 0;
    bool end = true;
    do {
        unw_word_t ip, sp;
        if (unw_get_reg(c, UNW_REG_IP, &ip) != 0 || unw_get_reg(c, UNW_REG_SP, &sp) != 0) {
            k = 0;                    /* recorded as not memoizable */
            break;
        }
        uintptr_t at = (uintptr_t)sp - sizeof(uintptr_t);
        if (!k && (ip != miss->ra0 || at != miss->slot0))
            continue;                 /* the shim's own frames */
        if (miss->stop.hi && ip > miss->stop.lo && ip <= miss->stop.hi) {
            stop_slot = at;           /* returns into the eval loop: cut here */
            break;
        }
        if (k == want) {
            if (miss->stop.hi)
                k = 0;                /* the loop is further than the memo reaches */
            end = false;
            break;
        }
        ra[k] = ip;
        slot[k++] = at;
    } while (unw_step(c) > 0);
    return mt_memo_record(miss, ra, slot, k, end, stop_slot, ips, depth, truncated, id);
}

/* fill, with signals held for the whole walk. The caller holds the fork
 * barrier (libunwind inside). */
int mt_memo_fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth, bool *truncated,
                 uint32_t **id, struct mt_scratch *s)
{
    *id = NULL;
    if (!mt_self.memo || !miss->entry)
        return -1;
    /* Every unw_step would block and unblock signals (sigmask.c). */
    sigset_t saved;
    bool held = mt_signals_hold(&saved);
    int n = fill(miss, ips, depth, truncated, id, s);
    if (held)
        mt_signals_release(&saved);
    return n;
}

#else /* no memo: the libunwind path always */

void mt_memo_setup(void) {}
void mt_memo_after_fork_child(void) {}
void mt_memo_prefetch(uintptr_t own_lo, uintptr_t own_hi) { (void)own_lo; (void)own_hi; }
void mt_memo_thread_start(uintptr_t lo, uintptr_t hi) { (void)lo; (void)hi; }
void mt_memo_thread_end(void) {}
int mt_memo_lookup(uintptr_t own_lo, uintptr_t own_hi, const struct mt_memo_stop *stop,
                   uintptr_t *ips, int depth, bool *truncated, struct mt_memo_miss *miss,
                   uint32_t **id)
{
    (void)own_lo; (void)own_hi; (void)stop; (void)ips; (void)depth; (void)truncated;
    miss->entry = NULL;
    *id = NULL;
    return -1;
}
int mt_memo_fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth, bool *truncated,
                 uint32_t **id, struct mt_scratch *s)
{
    (void)miss; (void)ips; (void)depth; (void)truncated; (void)s;
    *id = NULL;
    return -1;
}
int mt_memo_record(const struct mt_memo_miss *miss, const uintptr_t *ra, const uintptr_t *slot,
                   int n, bool end, uintptr_t stop_slot, uintptr_t *ips, int depth,
                   bool *truncated, uint32_t **id)
{
    (void)miss; (void)ra; (void)slot; (void)n; (void)end; (void)stop_slot; (void)ips; (void)depth;
    (void)truncated;
    *id = NULL;
    return -1;
}

#endif
