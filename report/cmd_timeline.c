/* timeline SNAPSHOT...: memory over time, one series per process
 * (timeline.h joins them). json and csv give the raw series; html a page
 * of plots; the table adds, per traced process, the lines that grew most:
 * from the first snapshot to the last when there are several (live bytes,
 * as diff shows them), else what was live at the snapshot, grown from
 * nothing at the start; then what was live at the peak. Grouping and
 * filters are the report's (--group-by, --include-*...). */
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "model.h"
#include "series.h"
#include "symbolize.h"
#include "textutil.h"
#include "timeline_out.h"

#define TL_GROWTH_ROWS 5

/* What the lines of one process hold, freed after printing. */
struct held {
    struct symbolizer *zfirst, *zlast;
    struct out_diff_row *diff;
    size_t ndiff;
    struct out_row *rows[TL_MAX_LINES];
    size_t nrows[TL_MAX_LINES];
    char *titles[TL_MAX_LINES];
};

/* The rows of S under SP with a non-zero M, the largest MAX, sorted. */
static struct out_row *top_rows(const struct row_spec *sp, const struct snap *s,
                                struct symbolizer *z, enum metric m, size_t max, size_t *n)
{
    size_t nr, k = 0;
    struct out_row *rows = rows_build(sp, s, &z, 1, &nr, NULL);
    for (size_t i = 0; i < nr; i++) {
        if (counters_get(&rows[i].c, m) > 0) {
            rows[k++] = rows[i];
        } else {
            free(rows[i].key);
            free(rows[i].stack);
        }
    }
    rows_sort(rows, k, m);
    while (k > max) {
        k--;
        free(rows[k].key);
        free(rows[k].stack);
    }
    *n = k;
    return rows;
}

static char *title(const char *fmt, const char *by)
{
    struct sbuf b = {0};
    sb_printf(&b, fmt, by);
    return b.s ? b.s : strdup("");
}

static void lines_of(const struct report_opts *o, const struct tl_proc *p, struct tl_view *v,
                     struct held *h)
{
    const struct snap *first = p->snaps[0].snap, *last = p->snaps[p->nsnaps - 1].snap;
    if (p->rss_only || last->nstacks == 0)
        return;
    const char *by = group_by_name(o->by);
    struct row_spec sp = {.by = o->by, .so = &o->so, .filter = &o->filter,
                          .rep = METRIC_LIVE_BYTES};
    h->zlast = sym_new(last, 0);
    size_t k = 0;
    if (p->nsnaps >= 2) {
        h->zfirst = sym_new(first, 0);
        h->diff = series_growth(&sp, first, h->zfirst, last, h->zlast, TL_GROWTH_ROWS,
                                &h->ndiff);
        h->titles[k] = title("grew most, first to last snapshot (live bytes, by %s)", by);
        v->lines[k] = (struct tl_lines){.title = h->titles[k], .diff = h->diff,
                                        .n = h->ndiff};
        k++;
    } else {
        h->rows[k] = top_rows(&sp, last, h->zlast, METRIC_LIVE_BYTES, TL_GROWTH_ROWS,
                              &h->nrows[k]);
        h->titles[k] = title("grew most, start to snapshot (live at the snapshot, by %s)", by);
        v->lines[k] = (struct tl_lines){.title = h->titles[k], .rows = h->rows[k],
                                        .bytes = METRIC_LIVE_BYTES,
                                        .count = METRIC_LIVE_COUNT, .n = h->nrows[k]};
        k++;
    }
    if (p->peak_kind == TL_PEAK_TRACED) {
        sp.rep = METRIC_PEAK_BYTES;
        h->rows[k] = top_rows(&sp, last, h->zlast, METRIC_PEAK_BYTES, TL_GROWTH_ROWS,
                              &h->nrows[k]);
        h->titles[k] = title("grew most, start to peak (live at the peak, by %s)", by);
        v->lines[k] = (struct tl_lines){.title = h->titles[k], .rows = h->rows[k],
                                        .bytes = METRIC_PEAK_BYTES,
                                        .count = METRIC_PEAK_COUNT, .n = h->nrows[k]};
        k++;
    }
    v->nlines = k;
}

static void held_free(struct held *h)
{
    diff_rows_free(h->diff, h->ndiff);
    for (size_t i = 0; i < TL_MAX_LINES; i++) {
        if (h->rows[i])
            rows_free(h->rows[i], h->nrows[i]);
        free(h->titles[i]);
    }
    if (h->zfirst)
        sym_free(h->zfirst);
    if (h->zlast)
        sym_free(h->zlast);
}

int cmd_timeline(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    struct tl_set set;
    tl_build(&set, snaps, n);
    if (o->format == &out_format_json) {
        tl_json(o->out, &set);
    } else if (o->format == &out_format_csv) {
        tl_csv(o->out, &set);
    } else if (o->format == &out_format_html) {
        html_timeline_page(o->out, &set);
    } else {
        struct tl_view *views = calloc(set.nprocs, sizeof *views);
        struct held *held = calloc(set.nprocs, sizeof *held);
        if (!views || !held)
            report_oom();
        for (size_t i = 0; i < set.nprocs; i++) {
            views[i].proc = &set.procs[i];
            lines_of(o, &set.procs[i], &views[i], &held[i]);
        }
        tl_table(o->out, views, set.nprocs, o->limit, o->width);
        for (size_t i = 0; i < set.nprocs; i++)
            held_free(&held[i]);
        free(held);
        free(views);
    }
    tl_free(&set);
    return 0;
}
