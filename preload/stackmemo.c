/* ---------------------------------------------------------------------------
 * stackmemo.c: a per-thread memo of native stacks, validated on the stack
 * itself, so that an allocation made again from a call path the thread has
 * taken before costs a few loads instead of a libunwind walk.
 *
 * x86-64 keeps each frame's return address in memory, 8 bytes below the
 * caller's stack pointer at the call. When the shim unwinds a stack the slow
 * way (unw_step) it records every frame's return address and the address of
 * the slot holding it. Next time the first foreign frame returns to the same
 * address from the same slot, the memo re-reads the recorded slots: if
 * each still holds the recorded return address, every frame above is the
 * same call at the same place, and the memo answers. Any difference falls
 * back to libunwind. An entry also keeps the id its stack was interned
 * under, so a hit skips hashing and comparing the frames as well.
 *
 * Reading a slot must never fault: the memo is used only where the thread's
 * stack bounds are known (the main thread from the constructor, threads
 * made by pthread_create from its start, threads.c) and every slot lies
 * between the current frame and the top of that stack. Code running on
 * another stack (coroutines, sigaltstack) is outside the bounds and takes
 * the libunwind path. Workloads where most stacks are new (the memo keeps
 * missing) stop filling it for a while: the slow walk would only cost.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__)

#define SET_BITS 10
#define WAYS 4
#define ENTRIES ((1 << SET_BITS) * WAYS)   /* 4096, ~4 MiB mapped per thread, touched as used */
#define FRAMES 64                     /* deeper stacks are not memoized */

struct entry {
    uintptr_t ra0, slot0;
    uint16_t n;                       /* frames answered */
    uint16_t checks;                  /* slots validated (1..checks-1); 0: not memoizable */
    uint8_t truncated, used;
    uint32_t stack_id;                /* the interned stack + 1; 0 not known yet */
    uintptr_t ra[FRAMES + 1];
    uintptr_t slot[FRAMES + 1];
};

struct memo {
    uintptr_t lo, hi;                 /* this thread's stack */
    uint32_t lookups, misses;         /* over the current window */
    uint32_t pause;                   /* events left without filling */
    uint32_t next_way;                /* round-robin replacement */
    struct entry e[ENTRIES];
};

static __thread struct memo *memo __attribute__((tls_model("initial-exec")));
static pthread_key_t memo_key;
static bool key_ok;

static void release(void *p)
{
    if (memo == p)
        memo = NULL;
    mt_unmap(p, sizeof(struct memo));
}

void mt_memo_setup(void)
{
    key_ok = pthread_key_create(&memo_key, release) == 0;
}

void mt_memo_thread_start(uintptr_t lo, uintptr_t hi)
{
    if (!mt_opt.unwind_memo || memo || hi <= lo)
        return;
    struct memo *m = mt_map(sizeof *m);
    if (!m)
        return;
    m->lo = lo;
    m->hi = hi;
    memo = m;
    if (key_ok)
        pthread_setspecific(memo_key, m);
}

void mt_memo_thread_end(void)
{
    struct memo *m = memo;
    if (m) {
        if (key_ok)
            pthread_setspecific(memo_key, NULL);
        release(m);
    }
}

static inline struct entry *set_of(struct memo *m, uintptr_t ra0, uintptr_t slot0)
{
    uint64_t h = (ra0 ^ (slot0 << 7)) * 0x9E3779B97F4A7C15ull;
    return &m->e[(h >> (64 - SET_BITS)) * WAYS];
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

int mt_memo_lookup(uintptr_t own_lo, uintptr_t own_hi, uintptr_t *ips, int depth,
                   bool *truncated, struct mt_memo_miss *miss, uint32_t **id)
{
    struct memo *m = memo;
    miss->entry = NULL;
    *id = NULL;
    uintptr_t ra0, slot0;
    if (!m || !first_foreign(own_lo, own_hi, &ra0, &slot0) || slot0 < m->lo || slot0 >= m->hi)
        return -1;
    /* A few ways per key: one call site at one depth is often reached
     * through several callers (PyList_New, PyDict_New... at one depth). */
    struct entry *set = set_of(m, ra0, slot0), *victim = NULL;
    for (int w = 0; w < WAYS; w++) {
        struct entry *e = &set[w];
        if (!e->used) {
            if (!victim)
                victim = e;
            continue;
        }
        if (e->ra0 != ra0 || e->slot0 != slot0)
            continue;
        if (!e->checks)
            return -1;                /* known not memoizable */
        int i = 1;
        while (i < e->checks && *(const uintptr_t *)e->slot[i] == e->ra[i])
            i++;
        if (i == e->checks && e->n <= depth) {
            *id = &e->stack_id;
            *truncated = e->truncated;
            if (!e->stack_id)         /* the caller interns it once */
                memcpy(ips, e->ra, (size_t)e->n * sizeof *ips);
            return e->n;
        }
    }
    if (!victim)
        victim = &set[m->next_way++ % WAYS];
    /* Miss: fill unless the memo keeps missing. */
    if (++m->lookups >= 4096) {
        if (m->misses > m->lookups / 2)
            m->pause = 1u << 14;
        m->lookups = m->misses = 0;
    }
    m->misses++;
    if (m->pause) {
        m->pause--;
        return -1;
    }
    miss->entry = victim;
    miss->ra0 = ra0;
    miss->slot0 = slot0;
    return -1;
}

/* The slow walk that fills the entry a lookup missed. The caller holds the
 * fork barrier (libunwind inside). Returns the frame count, or -1 when this
 * stack cannot be memoized (the caller then unwinds the usual way). */
int mt_memo_fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth, bool *truncated,
                 uint32_t **id)
{
    struct memo *m = memo;
    struct entry *e = miss->entry;
    *id = NULL;
    if (!m || !e)
        return -1;
    unw_context_t uc;
    unw_cursor_t c;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
        return -1;
    e->used = 1;
    e->ra0 = miss->ra0;
    e->slot0 = miss->slot0;
    e->checks = 0;                    /* until proven memoizable */
    e->stack_id = 0;
    int k = 0;
    bool found = false, end = true;
    do {
        unw_word_t ip, sp;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || unw_get_reg(&c, UNW_REG_SP, &sp) != 0)
            return -1;
        uintptr_t slot = (uintptr_t)sp - sizeof(uintptr_t);
        if (!found) {
            if (ip != miss->ra0 || slot != miss->slot0)
                continue;
            found = true;
        }
        /* Signal frames and odd ABIs keep their return address elsewhere. */
        if (slot < m->lo || slot >= m->hi || *(const uintptr_t *)slot != ip)
            return -1;
        e->ra[k] = ip;
        e->slot[k] = slot;
        if (k == depth || k == FRAMES) {
            end = false;              /* one frame past what is kept */
            break;
        }
        k++;
    } while (unw_step(&c) > 0);
    if (!found)
        return -1;
    if (!end && k == FRAMES && FRAMES < depth)
        return -1;                    /* deeper than the memo holds */
    /* Not at the end: cut at depth, like the fast path. The frame past the
     * cut is validated too, so a hit is truncated exactly when this was. */
    e->n = (uint16_t)k;
    e->checks = (uint16_t)(end ? k : k + 1);
    e->truncated = !end;
    memcpy(ips, e->ra, (size_t)k * sizeof *ips);
    *truncated = !end;
    *id = &e->stack_id;
    return k;
}

#else /* no memo: the libunwind path always */

void mt_memo_setup(void) {}
void mt_memo_thread_start(uintptr_t lo, uintptr_t hi) { (void)lo; (void)hi; }
void mt_memo_thread_end(void) {}
int mt_memo_lookup(uintptr_t own_lo, uintptr_t own_hi, uintptr_t *ips, int depth,
                   bool *truncated, struct mt_memo_miss *miss, uint32_t **id)
{
    (void)own_lo; (void)own_hi; (void)ips; (void)depth; (void)truncated;
    miss->entry = NULL;
    *id = NULL;
    return -1;
}
int mt_memo_fill(const struct mt_memo_miss *miss, uintptr_t *ips, int depth, bool *truncated,
                 uint32_t **id)
{
    (void)miss; (void)ips; (void)depth; (void)truncated;
    *id = NULL;
    return -1;
}

#endif
