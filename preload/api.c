/* ---------------------------------------------------------------------------
 * api.c: the public C API of include/mtrace.h. Each entry holds the guard
 * while it works, so it may be called from any thread at any time.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include "mtrace.h"
#include "internal.h"
#include "mtrace/format.h"

#define API __attribute__((visibility("default")))

API unsigned mtrace_version(void)
{
    return (MTRACE_VERSION_MAJOR << 16) | (MTRACE_VERSION_MINOR << 8) | MTRACE_VERSION_PATCH;
}

API int mtrace_snapshot(char *path, size_t size)
{
    if (mt_fp.state != MT_ON)
        return -1;
    if (path && size)
        path[0] = '\0';
    return mt_write_snapshot(MT_REASON_API, path, size) ? 0 : -1;
}

API void mtrace_get_traced(size_t *current, size_t *peak)
{
    uint64_t c = 0, p = 0;
    if (mt_fp.state != MT_OFF)
        mt_stacks_totals(&c, &p, NULL);
    if (current)
        *current = (size_t)c;
    if (peak)
        *peak = (size_t)p;
}

API void mtrace_reset_peak(void)
{
    if (mt_fp.state != MT_OFF)
        mt_stacks_reset_peak();
}

API uint64_t mtrace_mark(void)
{
    return mt_fp.state != MT_OFF ? mt_livemap_mark() : 0;
}

API int mtrace_live_since(uint64_t id, size_t *bytes, size_t *blocks)
{
    uint64_t b = 0, n = 0;
    bool ok = mt_fp.state != MT_OFF && mt_livemap_live_since(id, &b, &n);
    if (bytes)
        *bytes = (size_t)b;
    if (blocks)
        *blocks = (size_t)n;
    return ok ? 0 : -1;
}

API void mtrace_thread_traced(int64_t *current, uint64_t *allocated)
{
    int64_t c = 0;
    uint64_t a = 0;
    if (mt_fp.state != MT_OFF)
        mt_stacks_thread(&c, &a);
    if (current)
        *current = c;
    if (allocated)
        *allocated = a;
}

API int mtrace_label(const char *text)
{
    if (mt_fp.state != MT_ON || !text)
        return -1;
    int guard = mt_self.guard;
    mt_self.guard = 1;
    bool ok = mt_timeline_label(text);
    mt_self.guard = guard;
    return ok ? 0 : -1;
}

API size_t mtrace_sample_bytes(void)
{
    return mt_fp.state != MT_OFF ? (size_t)mt_opt.sample_bytes : 0;
}
