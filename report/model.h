/* From loaded snapshots to the parts of the neutral result model (output.h):
 * the header info of a snapshot, and the rows of one or more snapshots
 * (symbolize, find the site, filter, group). The one path that top, leaks,
 * peak, diff and a series' growth lines all take. */
#ifndef MTRACE_REPORT_MODEL_H
#define MTRACE_REPORT_MODEL_H

#include "diff.h"
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

/* Where diff and check --max-growth start: OLD's and NEW's header info,
 * their symbolizers, and their rows grouped alike by SP and compared under
 * M (rows and totals as diff_rows gives them; FNEW is what the filters
 * kept of NEW). The caller keeps or frees the rows, then calls
 * snap_pair_free for the symbolizers the rows' frames point into. */
struct snap_pair {
    struct out_snapinfo info[2];
    struct symbolizer *zold, *znew;
    struct out_filtered fnew;
    struct out_diff_row *rows;
    size_t nrows;
    struct diff_values totals;
};
void snap_pair_diff(struct snap_pair *p, const struct row_spec *sp, const struct snap *old,
                    const struct snap *cur, enum diff_metric m);
void snap_pair_free(struct snap_pair *p);

#endif
