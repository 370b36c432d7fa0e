/* check --max-growth BYTES OLD NEW (see check.h): the growth gate, what
 * pytest-memray's --fail-on-increase does. A growing global is reachable,
 * so no leak class shows it; only two snapshots compared do. OLD and NEW
 * are grouped alike and joined by diff.c under the live metric; the gate
 * fails when the live bytes grew by more than BYTES in total or in any one
 * group. Snapshots of different programs are refused unless --force, as by
 * diff. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "junit.h"
#include "commands.h"
#include "diff.h"
#include "model.h"
#include "symbolize.h"

static bool grew_over(const struct diff_values *v, uint64_t max)
{
    return !v->size_diff.neg && v->size_diff.mag > max;
}

int cmd_check_growth(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    if (n != 2) {
        fprintf(stderr, "mtrace-report: check --max-growth needs two snapshots, OLD and NEW; "
                "got %zu (see mtrace-report check --help)\n", n);
        return EXIT_USAGE;
    }
    const struct snap *old = &snaps[0], *cur = &snaps[1];
    if (!snaps_comparable(old, cur, o->force))
        return EXIT_USAGE;
    struct row_spec sp = {.by = o->by, .so = &o->so, .filter = &o->filter,
                          .rep = METRIC_LIVE_BYTES};
    struct snap_pair pair;
    snap_pair_diff(&pair, &sp, old, cur, DIFF_LIVE);
    struct out_diff_row *rows = pair.rows;
    const struct out_snapinfo *info = pair.info;
    const struct diff_values totals = pair.totals;
    size_t nd = pair.nrows, over = 0;
    const uint64_t max = o->check.max_growth;
    for (size_t i = 0; i < nd; i++) {
        if (!grew_over(&rows[i].v, max)) {
            diff_rows_free_one(&rows[i]);
            continue;
        }
        rows[over++] = rows[i];
    }
    diff_sort(rows, over);

    struct growth_result g = {
        .old_snap = &info[0],
        .new_snap = &info[1],
        .group_by = group_by_name(o->by),
        .max_growth = max,
        .totals = totals,
        .rows = rows,
        .total_rows = over,
        .nrows = o->limit && o->limit < over ? o->limit : over,
        .limit = o->limit,
        .stack_depth = o->stack_depth,
        .width = o->width,
        .filtered = filter_active(&o->filter) ? &pair.fnew : NULL,
        .total_failed = grew_over(&totals, max),
    };
    g.failed = g.total_failed || over > 0;
    if (o->format == &out_format_json)
        growth_json(o->out, &g);
    else
        growth_table(o->out, &g);
    int rc = g.failed ? EXIT_FOUND : 0;
    if (o->check.junit) {
        char *text = NULL, msg[160], err[512];
        size_t len = 0;
        struct sbuf name = {0};
        sb_printf(&name, "live bytes growth %s -> %s", info[0].file, info[1].file);
        struct junit_case c = {.name = sb_str(&name), .classname = "mtrace.check"};
        if (g.failed) {
            FILE *mem = open_memstream(&text, &len);
            if (!mem)
                report_oom();
            growth_table(mem, &g);
            if (fclose(mem) != 0)
                report_oom();
            snprintf(msg, sizeof msg, "live bytes grew by more than %llu bytes%s",
                     (unsigned long long)max, g.total_failed ? " in total" : " in a group");
            c.message = msg;
            c.text = text;
        }
        if (junit_write(o->check.junit, "mtrace leak check", &c, 1, err, sizeof err) != 0) {
            fprintf(stderr, "mtrace-report: %s\n", err);
            rc = EXIT_USAGE;
        }
        free(text);
        sb_free(&name);
    }
    diff_rows_free(rows, over);
    snap_pair_free(&pair);
    return rc;
}
