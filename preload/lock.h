/* ---------------------------------------------------------------------------
 * mt_lock: the tracer's spinlock. Critical sections are a few dozen
 * instructions and never call malloc, the loader or anything that blocks,
 * so a test-and-test-and-set lock with a yield beats a futex mutex here and
 * can be re-armed in a fork child by a plain store.
 * ------------------------------------------------------------------------- */
#ifndef MT_LOCK_H
#define MT_LOCK_H

#include <sched.h>
#include <stdbool.h>
#include <stdatomic.h>

#include "tls.h"

#if defined(__x86_64__) || defined(__i386__)
#define mt_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define mt_cpu_relax() __asm__ __volatile__("yield")
#else
#define mt_cpu_relax() ((void)0)
#endif

typedef struct { atomic_int held; } mt_lock;

/* mt_self.locks_held: how many tracer locks this thread holds;
 * death_deferred: a fatal signal waits for it to hold none (deathsig.c: a
 * snapshot written from a signal handler that interrupted a critical
 * section would wait for itself). */
void mt_death_resume(void);

#define MT_LOCK_INIT { 0 }

static inline void mt_lock_acquire(mt_lock *l)
{
    for (unsigned spins = 0;; spins++) {
        if (!atomic_load_explicit(&l->held, memory_order_relaxed) &&
            !atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) {
            mt_self.locks_held++;
            return;
        }
        if (spins > 64)
            sched_yield();
        else
            mt_cpu_relax();
    }
}

static inline bool mt_lock_try_acquire(mt_lock *l)
{
    if (atomic_load_explicit(&l->held, memory_order_relaxed) ||
        atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
        return false;
    mt_self.locks_held++;
    return true;
}
static inline void mt_lock_release(mt_lock *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_release);
    if (--mt_self.locks_held == 0 && __builtin_expect(mt_self.death_deferred, 0))
        mt_death_resume();
}

/* In a fork child only the forking thread survives: locks it held through
 * the atfork prepare handler are simply reset. */
static inline void mt_lock_reinit(mt_lock *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_relaxed);
    if (mt_self.locks_held > 0)
        mt_self.locks_held--;
}

/* After fork, for a lock its thread took in the atfork prepare handler:
 * released in the parent, re-armed in the child. */
static inline void mt_lock_after_fork(mt_lock *l, bool child)
{
    if (child)
        mt_lock_reinit(l);
    else
        mt_lock_release(l);
}

#endif
