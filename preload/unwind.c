/* ---------------------------------------------------------------------------
 * unwind.c: stack capture with libunwind's unw_backtrace (its fast trace with
 * a per-thread cache), the shim's own frames dropped by address range so the
 * result does not depend on what the compiler inlined. Called before any
 * tracer lock is taken: libunwind enters the loader (dl_iterate_phdr).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>

#include "internal.h"

static uintptr_t own_lo, own_hi;

void mt_unwind_setup(void)
{
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    if (!mt_modules_own_text(&own_lo, &own_hi))
        own_lo = own_hi = 0;
}

int mt_unwind(uintptr_t *ips, int depth, bool *truncated)
{
    /* Room for the shim's frames (hook, tracer, this function) on top. */
    enum { SLACK = 8 };
    void *buf[MT_MAX_DEPTH + SLACK];
    int want = depth + SLACK;
    int n = unw_backtrace(buf, want);
    int skip = 0;
    while (skip < n && (uintptr_t)buf[skip] >= own_lo && (uintptr_t)buf[skip] < own_hi)
        skip++;
    int kept = n - skip;
    *truncated = n == want || kept > depth;
    if (kept > depth)
        kept = depth;
    for (int i = 0; i < kept; i++)
        ips[i] = (uintptr_t)buf[skip + i];
    return kept < 0 ? 0 : kept;
}
