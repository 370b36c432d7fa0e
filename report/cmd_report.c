/* top, leaks and peak (see commands.h): rows of the snapshots (filtered,
 * grouped), the ones the command keeps, sorted and cut to -n, handed to the
 * format. Several snapshots of one process without --merge become a series:
 * its points and growth lines ride on the report of the last snapshot.
 * A format of one report per document (folded, pprof) refuses several
 * processes without --merge. */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "diff.h"
#include "model.h"
#include "series.h"
#include "symbolize.h"
#include "textutil.h"
#include "timeline.h"

static int keep_row(const char *command, const struct out_row *r)
{
    if (strcmp(command, "leaks") == 0)
        return r->c.live_count > 0;
    if (strcmp(command, "peak") == 0)
        return r->c.peak_count > 0 || r->c.peak_bytes > 0;
    return 1;
}

static bool snaps_scanned(const struct snap *snaps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (snaps[i].hdr.leak_scan != MT_SCAN_NONE)
            return true;
    return false;
}

static struct row_spec spec_of(const struct report_opts *o, enum metric rep)
{
    struct row_spec sp = {.by = o->by, .so = &o->so, .filter = &o->filter, .rep = rep};
    return sp;
}

/* One report over SNAPS[0..N) (symbolized with SYMS), with SERIES if any. */
static void run_report(const struct report_opts *o, const struct snap *snaps,
                       struct symbolizer *const *syms, size_t n, size_t index,
                       const struct out_series *series)
{
    struct out_snapinfo *info = calloc(n, sizeof *info);
    struct out_module **mods = calloc(n, sizeof *mods);
    if (!info || !mods)
        report_oom();
    for (size_t i = 0; i < n; i++) {
        snapinfo_of(&snaps[i], &info[i]);
        if (o->format->per_stack)
            info[i].modules = mods[i] = snap_modules(&snaps[i], &info[i].nmodules);
    }
    struct row_spec sp = spec_of(o, o->sort);
    struct out_filtered filtered;
    size_t nrows = 0, kept = 0;
    struct out_row *rows = rows_build(&sp, snaps, syms, n, &nrows, &filtered);
    struct counters totals = {0};
    for (size_t i = 0; i < nrows; i++) {
        if (!keep_row(o->command, &rows[i])) {
            free(rows[i].key);
            free(rows[i].stack);
            continue;
        }
        counters_add(&totals, &rows[i].c);
        rows[kept++] = rows[i];
    }
    rows_sort(rows, kept, o->sort);

    struct out_report r = {
        .command = o->command,
        .group_by = group_by_name(o->by),
        .sort = o->sort,
        .snaps = info,
        .nsnaps = n,
        .merged = o->merge,
        .leak_classes = snaps_scanned(snaps, n),
        .totals = totals,
        .total_rows = kept,
        .rows = rows,
        .nrows = o->limit && o->limit < kept ? o->limit : kept,
        .limit = o->limit,
        .stack_depth = o->stack_depth,
        .width = o->width,
        .filtered = filter_active(&o->filter) ? &filtered : NULL,
        .series = series,
        .unit = o->unit,
        .timeline = o->timeline,
    };
    o->format->report(o->out, &r, index);
    rows_free(rows, kept);
    for (size_t i = 0; i < n; i++)
        free(mods[i]);
    free(mods);
    free(info);
}

/* SNAPS of one process: the series view, then the report of the last. */
static void run_series(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    size_t *order = calloc(n, sizeof *order);
    struct out_snapinfo *info = calloc(n, sizeof *info);
    struct out_series_point *pts = calloc(n, sizeof *pts);
    if (!order || !info || !pts)
        report_oom();
    series_order(snaps, n, order);
    for (size_t i = 0; i < n; i++)
        snapinfo_of(&snaps[order[i]], &info[i]);
    series_points(info, n, pts);

    const struct snap *first = &snaps[order[0]], *last = &snaps[order[n - 1]];
    struct symbolizer *zfirst = sym_new(first, 0);
    struct symbolizer *zlast = first == last ? zfirst : sym_new(last, 0);
    struct row_spec sp = spec_of(o, o->sort);
    size_t ngrowth;
    struct out_diff_row *growth =
        series_growth(&sp, first, zfirst, last, zlast, SERIES_GROWTH_ROWS, &ngrowth);
    struct out_series series = {
        .points = pts, .npoints = n, .growth_metric = diff_metric_name(DIFF_LIVE),
        .growth = growth, .ngrowth = ngrowth,
    };
    o->format->begin(o->out, 1);
    run_report(o, last, &zlast, 1, 0, &series);
    o->format->end(o->out, 1);

    diff_rows_free(growth, ngrowth);
    if (zlast != zfirst)
        sym_free(zlast);
    sym_free(zfirst);
    free(pts);
    free(info);
    free(order);
}

static int report_all(const struct report_opts *o, const struct snap *snaps, size_t n);

int cmd_report(const struct report_opts *opts, const struct snap *snaps, size_t n)
{
    /* leaks sorts by lost bytes when the heap was scanned, unless --sort. */
    struct report_opts oo = *opts;
    const struct report_opts *o = &oo;
    if (!oo.sort_given && strcmp(oo.command, "leaks") == 0 && snaps_scanned(snaps, n))
        oo.sort = METRIC_LOST_BYTES;
    /* The page plots the memory timeline above the flame graph. */
    struct tl_set tl = {0};
    if (oo.format == &out_format_html) {
        tl_build(&tl, snaps, n);
        oo.timeline = tl_plottable(&tl) ? &tl : NULL;
    }
    int rc = report_all(o, snaps, n);
    tl_free(&tl);
    return rc;
}

static int report_all(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    if (!o->merge && series_one_process(snaps, n)) {
        run_series(o, snaps, n);
        return 0;
    }
    size_t nreports = o->merge ? 1 : n;
    if (nreports > 1 && o->format->single) {
        fprintf(stderr, "mtrace-report: --format %s writes one profile: the %zu snapshots are "
                "of different processes; --merge sums them (or give one)\n", o->format->name, n);
        return EXIT_USAGE;
    }
    o->format->begin(o->out, nreports);
    if (o->merge) {
        struct symbolizer **syms = calloc(n, sizeof *syms);
        if (!syms)
            report_oom();
        for (size_t i = 0; i < n; i++)
            syms[i] = sym_new(&snaps[i], 0);
        run_report(o, snaps, syms, n, 0, NULL);
        for (size_t i = 0; i < n; i++)
            sym_free(syms[i]);
        free(syms);
    } else {
        for (size_t i = 0; i < n; i++) {
            struct symbolizer *z = sym_new(&snaps[i], 0);
            run_report(o, &snaps[i], &z, 1, i, NULL);
            sym_free(z);
        }
    }
    o->format->end(o->out, nreports);
    return 0;
}
