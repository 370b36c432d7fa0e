/* sigmask.h: the thread's signals blocked once around a libunwind walk,
 * whose own sigprocmask calls then stay in user space (sigmask.c). */
#ifndef MTRACE_SIGMASK_H
#define MTRACE_SIGMASK_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

MT_HIDDEN void mt_sigmask_init(void);
MT_HIDDEN bool mt_signals_hold(sigset_t *saved);          /* false: not held */
MT_HIDDEN void mt_signals_release(const sigset_t *saved);
/* Holds begun (high 32 bits) and threads inside one now (low 32 bits):
 * the same value read before and after a look at a thread's blocked
 * signals, with none inside, proves no hold of the shim's was seen. */
MT_HIDDEN uint64_t mt_signals_holds(void);
/* No new holds from now on (the exit-time leak scan: threads that keep
 * filling must not keep its wait for blocked threads going; libunwind
 * then masks signals per step itself). */
MT_HIDDEN void mt_signals_close(void);
extern atomic_bool mt_signals_closed MT_HIDDEN;
static inline bool mt_signals_are_closed(void)
{
    return atomic_load_explicit(&mt_signals_closed, memory_order_relaxed);
}

#endif
