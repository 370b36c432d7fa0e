/* ---------------------------------------------------------------------------
 * tls.h: every per-thread variable of the shim, in one initial-exec TLS
 * block (as jemalloc keeps its per-thread state in one tsd).
 *
 * In a shared object an initial-exec variable's offset from the thread
 * pointer is a GOT load of its own. Ten such variables lay on a sampled
 * allocation's path, their GOT slots spread over five cache lines: five
 * more cold loads, each in front of the variable's, every time the
 * program's own work had evicted them between samples. One variable
 * needs one slot. The fields are zero at thread start (.tbss) and belong
 * to the files named beside them.
 * ------------------------------------------------------------------------- */
#ifndef MT_TLS_H
#define MT_TLS_H

#include <stdbool.h>
#include <stdint.h>

struct mt_scratch;
struct mt_journal;
struct memo;

struct mt_thread {
    /* The re-entrancy guard (tracer.c): set while the tracer itself runs on
     * this thread, so that anything it calls (libunwind, dlsym, stdio)
     * reaches the real malloc untraced. */
    int guard;
    int locks_held;                 /* lock.h: tracer locks held */
    int death_deferred;             /* deathsig.c: a fatal signal waits for them */
    int stripe_id;                  /* stripes.c */
    int64_t sample_left;            /* sample.c: bytes to the next sample point */
    uint64_t rng;                   /* sample.c */
    struct memo *memo;              /* stackmemo.c */
    struct mt_scratch *scratch;     /* scratch.c */
    struct mt_journal *journal;     /* journal.c */
    int64_t current_bytes;          /* stacks.c: this thread's own figures, */
    uint64_t allocated_bytes;       /* in counter units */
    uintptr_t stack_lo, stack_hi;   /* threads.c: for the leak scan and the memo; 0 unknown */
    int fork_saved_guard;           /* tracer.c */
    uint32_t memo_lookups;          /* stackmemo.c: over the memo's current window */
    bool scratch_ended;             /* scratch.c */
    bool journal_closed;            /* journal.c: the ring went back */
    bool signals_held;              /* sigmask.c: blocked by mt_signals_hold */
};

extern __thread struct mt_thread mt_self
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

#endif
