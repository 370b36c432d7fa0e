/* ---------------------------------------------------------------------------
 * journal.c: each thread's counter events, applied to the stack counters in
 * batches.
 *
 * Every traced allocation and free changes its stack's counters and the
 * process's totals under one lock (stacks.c), which an exact per-stack peak
 * needs: the counters must change in one order. Taken per event, that lock
 * was a locked instruction (a full barrier, waiting for the program's
 * pending stores) on every call, and with threads a cache line that every
 * call pulled from the other core. Instead each thread appends its events
 * to its own ring here, with plain stores, and the events are applied in
 * order under the lock once the ring is full: one lock per MT_JOURNAL_LEN
 * events. On bench/churn.c the CPU time over untraced went from 1.99x to
 * 1.57x with 2 threads, and from 2.31x to 1.41x with 8 threads on 2 CPUs
 * (a holder preempted with the lock no longer stalls the others); one
 * thread stays at 1.9x.
 *
 * One thread's events keep their order, so with one thread every figure is
 * exact. With threads, the order in which the counters change is the
 * threads' batches one after the other, so a stack's figure at the peak
 * may be off by what other threads had not applied yet; DESIGN.md allows
 * 1% of the peak. Each thread applies its ring before it holds its share
 * (the cap) of 1/128 of the peak.
 *
 * A ring has one writer, its thread (tail), and is emptied under the stats
 * lock only (head): by its thread when full, and by anyone who reads the
 * counters (snapshots, the timeline, the C API) for every thread. Rings
 * are never freed: a thread's ring goes back to a free state when it ends,
 * and the list of rings only grows, so readers walk it without a lock.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"
#include "journal.h"

static _Atomic(struct mt_journal *) rings;
static atomic_uint in_use_count;
static pthread_key_t ring_key;
static bool key_ok;

/* mt_self.journal_closed: set when the thread's ring went back. What the
 * thread still allocates or frees (later TLS destructors, glibc's own
 * teardown of the thread) goes straight to the counters: a ring claimed
 * then would never be released, no destructor runs for it any more. */
MT_HOT _Atomic uint64_t mt_journal_cap = UINT64_MAX;

static void thread_end(void *p);

void mt_journal_setup(void)
{
    key_ok = pthread_key_create(&ring_key, thread_end) == 0;
}

/* The calling thread's ring: a free one, or a new one. Called without any
 * tracer lock held (the pool takes its own); NULL when the pool is out of
 * memory, and the caller applies its event directly. The caller then
 * applies every ring and sets the cap for one more thread: the rings of
 * a thread that ran alone hold any number of events. */
struct mt_journal *mt_journal_open(void)
{
    if (mt_self.journal_closed)
        return NULL;
    struct mt_journal *j;
    for (j = atomic_load_explicit(&rings, memory_order_acquire); j; j = j->next) {
        int free_ = 0;
        if (!atomic_load_explicit(&j->in_use, memory_order_relaxed) &&
            atomic_compare_exchange_strong(&j->in_use, &free_, 1))
            break;
    }
    if (!j) {
        j = mt_pool_alloc(sizeof *j);
        if (!j)
            return NULL;
        atomic_store_explicit(&j->tail, 0, memory_order_relaxed);
        atomic_store_explicit(&j->head, 0, memory_order_relaxed);
        atomic_store_explicit(&j->in_use, 1, memory_order_relaxed);
        j->next = atomic_load_explicit(&rings, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&rings, &j->next, j, memory_order_release,
                                                      memory_order_relaxed))
            ;
    }
    j->held = 0;
    atomic_fetch_add_explicit(&in_use_count, 1, memory_order_relaxed);
    mt_self.journal = j;
    if (key_ok)
        pthread_setspecific(ring_key, j);   /* may calloc: the caller holds the guard */
    return j;
}

/* Applies a ring's events up to its tail. Called with the stats lock held. */
static void drain(struct mt_journal *j, mt_jevent_fn *apply)
{
    uint32_t h = atomic_load_explicit(&j->head, memory_order_relaxed);
    uint32_t t = atomic_load_explicit(&j->tail, memory_order_acquire);
    if (h == t)
        return;
    uint32_t a = h % MT_JOURNAL_LEN, b = t % MT_JOURNAL_LEN;
    if (a < b) {
        apply(&j->ev[a], t - h);
    } else {                            /* wrapped, or full (a == b) */
        apply(&j->ev[a], MT_JOURNAL_LEN - a);
        apply(&j->ev[0], b);
    }
    atomic_store_explicit(&j->head, t, memory_order_release);
}

void mt_journal_drain_mine(mt_jevent_fn *apply)
{
    struct mt_journal *j = mt_self.journal;
    if (j) {
        drain(j, apply);
        j->held = 0;
    }
}

void mt_journal_drain_all(mt_jevent_fn *apply)
{
    for (struct mt_journal *j = atomic_load_explicit(&rings, memory_order_acquire); j; j = j->next)
        drain(j, apply);
}

/* How many bytes (counter units) a thread may hold unapplied: unbounded
 * with one thread, whose order is never mixed with another's; else its
 * share of 1/128 of the peak. Called with the stats lock held, whenever
 * the peak may have moved. */
void mt_journal_set_cap(uint64_t peak)
{
    unsigned n = atomic_load_explicit(&in_use_count, memory_order_relaxed);
    uint64_t cap = n <= 1 ? UINT64_MAX : peak / 128u / n;
    /* Every push reads it: written only when it changes. */
    if (atomic_load_explicit(&mt_journal_cap, memory_order_relaxed) != cap)
        atomic_store_explicit(&mt_journal_cap, cap, memory_order_relaxed);
}

/* The thread's last events go in with its ring (the stats lock is taken
 * here: a thread ends outside every tracer lock). */
static void thread_end(void *p)
{
    struct mt_journal *j = p;
    if (!j || j != mt_self.journal)
        return;
    mt_stacks_flush_mine();
    mt_self.journal = NULL;
    mt_self.journal_closed = true;
    atomic_fetch_sub_explicit(&in_use_count, 1, memory_order_relaxed);
    atomic_store_explicit(&j->in_use, 0, memory_order_release);
}

void mt_journal_thread_end(void)
{
    struct mt_journal *j = mt_self.journal;
    mt_self.journal_closed = true;          /* also when it never opened one */
    if (!j)
        return;
    if (key_ok)
        pthread_setspecific(ring_key, NULL);
    thread_end(j);
}

/* In a fork child, after every ring was applied: the other threads are
 * gone, and so are their claims on their rings. */
void mt_journal_fork_child(void)
{
    unsigned n = 0;
    for (struct mt_journal *j = atomic_load_explicit(&rings, memory_order_acquire); j; j = j->next) {
        bool mine = j == mt_self.journal;
        atomic_store_explicit(&j->in_use, mine, memory_order_relaxed);
        if (mine)
            j->held = 0;
        n += mine;
    }
    atomic_store_explicit(&in_use_count, n, memory_order_relaxed);
}
