/* diff OLD NEW (see commands.h): refuses snapshots of different programs
 * unless --force, notes a fork child compared with its parent, then groups
 * both snapshots alike (filters applied), joins them (diff.c), hides groups
 * that did not change unless --all (or the format draws whole stacks), and
 * hands the result to the format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diff.h"
#include "model.h"
#include "symbolize.h"
#include "textutil.h"
#include "timeline.h"

static bool fork_related(const struct mt_file_header *a, const struct mt_file_header *b)
{
    return (a->flags & MT_HDR_FORKED) && a->ppid == b->pid && a->pid != b->pid;
}

int cmd_diff(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    if (n != 2) {
        fprintf(stderr, "mtrace-report: diff needs exactly two snapshots, OLD and NEW; got %zu"
                " (see mtrace-report --help)\n", n);
        return EXIT_USAGE;
    }
    const struct snap *old = &snaps[0], *cur = &snaps[1];
    if (!snaps_comparable(old, cur, o->force))
        return EXIT_USAGE;
    struct row_spec sp = {.by = o->by, .so = &o->so, .filter = &o->filter,
                          .rep = diff_metric_bytes(o->diff_metric)};
    struct snap_pair pair;
    snap_pair_diff(&pair, &sp, old, cur, o->diff_metric);
    struct out_diff_row *rows = pair.rows;
    size_t nd = pair.nrows, unchanged = 0, shown = 0;
    /* A per-stack format draws NEW whole: unchanged stacks too. */
    bool all = o->all || o->format->per_stack;
    for (size_t i = 0; i < nd; i++) {
        if (rows[i].status == DIFF_SAME) {
            unchanged++;
            if (!all) {
                diff_rows_free_one(&rows[i]);
                continue;
            }
        }
        rows[shown++] = rows[i];
    }
    diff_sort(rows, shown);

    struct out_diff d = {
        .group_by = group_by_name(o->by),
        .metric = diff_metric_name(o->diff_metric),
        .old_snap = &pair.info[0],
        .new_snap = &pair.info[1],
        .note = fork_related(&cur->hdr, &old->hdr) || fork_related(&old->hdr, &cur->hdr)
                    ? "comparing a fork child with its parent"
                    : NULL,
        .filtered = filter_active(&o->filter) ? &pair.fnew : NULL,
        .totals = pair.totals,
        .unchanged = unchanged,
        .total_rows = shown,
        .rows = rows,
        .nrows = o->limit && o->limit < shown ? o->limit : shown,
        .limit = o->limit,
        .all = o->all,
        .stack_depth = o->stack_depth,
        .width = o->width,
        .unit = o->unit,
    };
    struct tl_set tl = {0};
    if (o->format == &out_format_html) {
        tl_build(&tl, snaps, n);
        d.timeline = tl_plottable(&tl) ? &tl : NULL;
    }
    o->format->diff(o->out, &d);
    tl_free(&tl);
    diff_rows_free(rows, shown);
    snap_pair_free(&pair);
    return 0;
}
