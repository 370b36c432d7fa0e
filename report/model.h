/* From loaded snapshots to the parts of the neutral result model (output.h):
 * the header info of a snapshot, and the rows of one or more snapshots
 * (symbolize, find the site, filter, group). The one path that top, leaks,
 * peak, diff and a series' growth lines all take. */
#ifndef MTRACE_REPORT_MODEL_H
#define MTRACE_REPORT_MODEL_H

#include "filter.h"
#include "group.h"
#include "output.h"
#include "site.h"
#include "snapshot_read.h"
#include "symbolize.h"

struct row_spec {
    enum group_by by;
    const struct site_opts *so;
    const struct filter_set *filter;  /* NULL: keep every stack */
    enum metric rep;                  /* picks each row's representative stack */
    stack_hook_fn hook;               /* NULL, or see grouper_set_hook */
    void *hook_ctx;
};

/* Header of S; strings point into S. modules stays NULL: */
void snapinfo_of(const struct snap *s, struct out_snapinfo *i);
/* The module map of S for the formats that need it (malloc'd, *N entries;
 * strings and build ids point into S). */
struct out_module *snap_modules(const struct snap *s, size_t *n);

/* Rows (unsorted) of SNAPS[0..N), each symbolized with SYMS[i], made for
 * SNAPS[i]; the rows' frame strings live as long as SYMS. STATS (may be NULL)
 * gets what the filter let through, with STATS->set = SP->filter. */
struct out_row *rows_build(const struct row_spec *sp, const struct snap *snaps,
                           struct symbolizer *const *syms, size_t n, size_t *nrows,
                           struct out_filtered *stats);

/* Whether OLD and NEW are snapshots of one program (or FORCE); when not,
 * says so on stderr with the --force hint. diff and check --max-growth. */
bool snaps_comparable(const struct snap *old, const struct snap *cur, bool force);

#endif
