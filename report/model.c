/* Snapshot header → out_snapinfo, and snapshots → rows (see model.h). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
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
    i->end_signal = h->end_signal;
    i->end_status = h->end_status;
    snap_cause(h, i->cause, sizeof i->cause);
    i->malloc_in_use = h->malloc_in_use;
    i->malloc_free = h->malloc_free;
    i->malloc_mmapped = h->malloc_mmapped;
    i->fork_allocs = h->fork_allocs;
    i->fork_bytes = h->fork_bytes;
    i->replaced = snap_str(s, h->replaced);
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
    i->peak_allocs = h->peak_allocs;
    i->sample_bytes = h->sample_bytes;
    i->timeline_ms = h->timeline_ms;
    i->rss_only = snap_rss_only(s);
}

struct out_module *snap_modules(const struct snap *s, size_t *n)
{
    struct out_module *m = calloc(s->nmodules ? s->nmodules : 1, sizeof *m);
    if (!m)
        report_oom();
    for (size_t i = 0; i < s->nmodules; i++) {
        const struct mt_module *sm = &s->modules[i];
        m[i].path = snap_str(s, sm->path);
        m[i].start = sm->start;
        m[i].end = sm->end;
        m[i].bias = sm->bias;
        m[i].build_id = sm->build_id;
        m[i].build_id_size = sm->build_id_size < MT_BUILD_ID_MAX ? sm->build_id_size
                                                                 : MT_BUILD_ID_MAX;
    }
    *n = s->nmodules;
    return m;
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

void snap_pair_diff(struct snap_pair *p, const struct row_spec *sp, const struct snap *old,
                    const struct snap *cur, enum diff_metric m)
{
    snapinfo_of(old, &p->info[0]);
    snapinfo_of(cur, &p->info[1]);
    p->zold = sym_new(old, 0);
    p->znew = sym_new(cur, 0);
    size_t nold, nnew;
    struct out_row *rold = rows_build(sp, old, &p->zold, 1, &nold, NULL);
    struct out_row *rnew = rows_build(sp, cur, &p->znew, 1, &nnew, &p->fnew);
    p->rows = diff_rows(rold, nold, rnew, nnew, m, &p->nrows, &p->totals);
}

void snap_pair_free(struct snap_pair *p)
{
    sym_free(p->zold);
    sym_free(p->znew);
}
