/* Snapshot header → out_snapinfo, and snapshots → rows (see model.h). */
#include "model.h"

#include <stdio.h>
#include <string.h>

#include "textutil.h"

void snapinfo_of(const struct snap *s, struct out_snapinfo *i)
{
    const struct mt_file_header *h = &s->hdr;
    memset(i, 0, sizeof *i);
    i->file = s->path;
    i->program = snap_str(s, h->program);
    i->cmdline = snap_str(s, h->cmdline);
    i->pid = h->pid;
    i->ppid = h->ppid;
    i->forked = (h->flags & MT_HDR_FORKED) != 0;
    i->reason = snap_reason_name(h->reason);
    i->reason_code = h->reason;
    i->sequence = h->sequence;
    i->max_depth = h->max_depth;
    i->start_time_ns = h->start_time_ns;
    i->time_ns = h->time_ns;
    i->current_bytes = h->current_bytes;
    i->current_blocks = h->current_blocks;
    i->peak_bytes = h->peak_bytes;
    i->peak_blocks = h->peak_blocks;
    i->total_allocs = h->total_allocs;
    i->total_bytes = h->total_bytes;
    i->total_frees = h->total_frees;
    i->dropped = h->dropped;
    i->rss_bytes = h->rss_bytes;
    i->peak_rss_bytes = h->peak_rss_bytes;
    i->leak_scan = h->leak_scan;
    i->leak_scan_name = snap_leak_scan_name(h->leak_scan);
    i->leak_threads = h->leak_threads;
    i->leak_threads_missed = h->leak_threads_missed;
    i->leak_scan_ms = h->leak_scan_ms;
}

struct out_row *rows_build(const struct row_spec *sp, const struct snap *snaps,
                           struct symbolizer *const *syms, size_t n, size_t *nrows,
                           struct out_filtered *stats)
{
    struct grouper *g = grouper_new(sp->by, sp->so, sp->rep);
    if (sp->filter && filter_active(sp->filter))
        grouper_set_filter(g, sp->filter);
    if (sp->hook)
        grouper_set_hook(g, sp->hook, sp->hook_ctx);
    for (size_t i = 0; i < n; i++)
        grouper_add(g, &snaps[i], syms[i]);
    if (stats)
        stats->set = sp->filter;
    return grouper_finish(g, nrows, stats);
}

bool snaps_comparable(const struct snap *old, const struct snap *cur, bool force)
{
    const char *pold = snap_str(old, old->hdr.program), *pnew = snap_str(cur, cur->hdr.program);
    if (force || strcmp(pold, pnew) == 0)
        return true;
    struct sbuf a = {0}, b = {0}, fa = {0}, fb = {0};
    sb_add_clean(&a, pold[0] ? pold : "?");
    sb_add_clean(&b, pnew[0] ? pnew : "?");
    sb_add_clean(&fa, old->path);
    sb_add_clean(&fb, cur->path);
    fprintf(stderr, "mtrace-report: %s and %s are snapshots of different programs (%s, %s);"
            " --force compares them anyway\n", sb_str(&fa), sb_str(&fb), sb_str(&a), sb_str(&b));
    sb_free(&a);
    sb_free(&b);
    sb_free(&fa);
    sb_free(&fb);
    return false;
}
