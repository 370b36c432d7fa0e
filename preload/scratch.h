/* ---------------------------------------------------------------------------
 * scratch.h: a thread's working memory for the tracer's events, off its
 * stack and out of static TLS.
 *
 * Programs give threads small stacks (PTHREAD_STACK_MIN is 16 KiB), and
 * glibc carves every thread's static TLS out of its stack. With its caches
 * in TLS (14 KiB) the shim made pthread_create fail with EINVAL on a 16 KiB
 * stack, and an allocation's stack capture took another 10 KiB of the
 * thread's stack for its buffers. They live here instead: one block per
 * thread that traces, claimed on its first event and handed back when it
 * ends (scratch.c), so a program that starts threads by the thousand reuses
 * a few blocks. The caches' entries name stacks and code objects by ids
 * that hold for the whole process, so a block is valid in any thread.
 * ------------------------------------------------------------------------- */
#ifndef MT_SCRATCH_H
#define MT_SCRATCH_H

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "internal.h"
#include "reuse.h"

#define MT_UNWIND_SLACK 8            /* the shim's own frames above a capture */
#define MT_INTERN_CACHE 256
#define MT_CODE_CACHE 128
#define MT_LINE_CACHE 512

/* stacks.c: a recently interned stack. */
struct mt_intern_slot { uint32_t hash; struct mt_stackrec *rec; };
/* python.c: what a code address stood for. */
struct mt_codekey {
    const void *code, *file_obj, *qual_obj;
    int32_t first;
    uint32_t id;
};
/* python.c: the line of (code id, instruction offset). */
struct mt_line_slot { uint32_t id, lasti, line; };

struct mt_scratch {
    struct mt_reuse link;                        /* first: the list of blocks */
    uintptr_t ips[MT_MAX_DEPTH];                 /* the stack being captured */
    uintptr_t py[MT_MAX_DEPTH];                  /* its Python frames */
    void *raw[MT_MAX_DEPTH + MT_UNWIND_SLACK];   /* unw_backtrace's, shim frames first */
    uintptr_t ra[MT_MEMO_FRAMES + 1];            /* a memo fill: return addresses */
    uintptr_t slot[MT_MEMO_FRAMES + 1];          /* and the slots holding them */
    unw_context_t uc;                            /* the memo fill's unw_step walk */
    unw_cursor_t cursor;
    struct mt_intern_slot intern[MT_INTERN_CACHE];
    struct mt_codekey code[MT_CODE_CACHE];
    struct mt_line_slot line[MT_LINE_CACHE];
};

MT_HIDDEN void mt_scratch_setup(void);
/* The calling thread's block (claimed on its first call), or one lent for
 * this event after the thread's end; NULL when out of memory. Called with
 * the guard held; every mt_scratch_get is paired with mt_scratch_put. */
MT_HIDDEN struct mt_scratch *mt_scratch_get(void);
MT_HIDDEN void mt_scratch_put(struct mt_scratch *s);
MT_HIDDEN void mt_scratch_thread_end(void);
/* The other threads are gone, and so are their claims. */
MT_HIDDEN void mt_scratch_after_fork_child(void);

#endif
