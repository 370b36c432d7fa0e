/* timeline's table (see timeline_out.h): per process a header, a sparkline
 * of the traced heap (the largest live in each cell) and one of RSS, a line
 * of marks under them placed by time, the series cut to -n rows keeping
 * every maximum, and the lines that grew most. Strings from the snapshots
 * are scrubbed of control bytes; lines are cut to the width. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "humanize.h"
#include "output_table.h"
#include "term.h"
#include "textutil.h"
#include "timeline_out.h"

/* "1.500s": seconds with milliseconds. */
static char *fmt_elapsed(uint64_t ns, char *buf)
{
    snprintf(buf, HZ_BUF, "%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000u,
             ns % 1000000000u / 1000000u);
    return buf;
}

/* "  LABEL     value" broken at spaces to WIDTH, continuation lines under
 * the value; the value scrubbed of control bytes. */
static void kv_wrap(FILE *out, size_t width, const char *label, const char *value)
{
    struct sbuf b = {0};
    sb_printf(&b, "  %-9s ", label);
    sb_add_clean(&b, value);
    table_wrap(out, sb_str(&b), width, 12);
    sb_free(&b);
}

/* The mark of label I: 1-9, then a-z, then '+'. */
static char label_mark(size_t i)
{
    return i < 9 ? (char)('1' + i) : i < 35 ? (char)('a' + (i - 9)) : '+';
}

/* Cell of time T on a line of CELLS cells from T0 to T1. */
static size_t cell_of(uint64_t t, uint64_t t0, uint64_t t1, size_t cells)
{
    if (t <= t0 || t1 <= t0)
        return 0;
    if (t >= t1)
        return cells - 1;
    size_t c = (size_t)((double)(t - t0) / (double)(t1 - t0) * (double)cells);
    return c < cells ? c : cells - 1;
}

/* Sparkline of RSS (rss) or of the traced heap's maxima over time: each
 * cell the largest value of its points; a cell without a point repeats the
 * one before (the state held). */
static void sparkline(FILE *out, const struct tl_proc *p, size_t cells, bool rss,
                      const char *label)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF];
    uint64_t *v = calloc(cells, sizeof *v);
    bool *set = calloc(cells, sizeof *set);
    if (!v || !set)
        report_oom();
    uint64_t t0 = p->points[0].time_ns, t1 = p->points[p->npoints - 1].time_ns, max = 0;
    for (size_t i = 0; i < p->npoints; i++) {
        const struct mt_tl_point *q = &p->points[i];
        uint64_t x = rss ? q->rss_bytes : q->max_bytes;
        size_t k = cell_of(q->time_ns, t0, t1, cells);
        if (!set[k] || x > v[k])
            v[k] = x;
        set[k] = true;
        max = x > max ? x : max;
    }
    for (size_t k = 1; k < cells; k++)
        if (!set[k])
            v[k] = v[k - 1];
    struct sbuf line = {0};
    term_sparkline(&line, v, cells);
    const struct mt_tl_point *first = &p->points[0], *last = &p->points[p->npoints - 1];
    fprintf(out, "  %-7s %s%s%s  %s to %s, max %s\n", label, term_on(out, TS_BYTES),
            sb_str(&line), term_off(out),
            hz_size(rss ? first->rss_bytes : first->traced_bytes, a),
            hz_size(rss ? last->rss_bytes : last->traced_bytes, b), hz_size(max, c));
    sb_free(&line);
    free(set);
    free(v);
}

/* The marks under the sparklines, then their legend. */
static void marks_line(FILE *out, const struct tl_proc *p, size_t cells, size_t width)
{
    char *m = malloc(cells + 1);
    if (!m)
        report_oom();
    memset(m, ' ', cells);
    m[cells] = '\0';
    uint64_t t0 = p->points[0].time_ns, t1 = p->points[p->npoints - 1].time_ns;
    for (size_t i = 0; i < p->nsnaps; i++)
        m[cell_of(p->snaps[i].time_ns, t0, t1, cells)] = 'S';
    for (size_t i = 0; i < p->nlabels; i++)
        m[cell_of(p->labels[i].time_ns, t0, t1, cells)] = label_mark(i);
    if (p->peak_kind != TL_PEAK_NONE)
        m[cell_of(p->peak_time_ns, t0, t1, cells)] = 'P';
    fprintf(out, "  %-7s %s\n", "marks", m);
    free(m);

    char a[HZ_BUF], b[HZ_BUF];
    struct sbuf l = {0};
    if (p->peak_kind != TL_PEAK_NONE)
        sb_printf(&l, "P %speak %s at %s; ", p->peak_kind == TL_PEAK_RSS ? "RSS " : "",
                  hz_size(p->peak_bytes, a), fmt_elapsed(tl_elapsed(p, p->peak_time_ns), b));
    sb_printf(&l, "S snapshot%s", p->nsnaps > 1 ? "s" : "");
    const size_t shown = p->nlabels < 35 ? p->nlabels : 35;
    for (size_t i = 0; i < shown; i++) {
        sb_printf(&l, "; %c \"", label_mark(i));
        sb_add_clean(&l, p->labels[i].text);
        sb_printf(&l, "\" at %s", fmt_elapsed(tl_elapsed(p, p->labels[i].time_ns), a));
    }
    if (p->nlabels > shown)
        sb_printf(&l, "; + %zu more labels", p->nlabels - shown);
    kv_wrap(out, width, "", sb_str(&l));
    sb_free(&l);
}

static void header(FILE *out, const struct tl_proc *p, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF];
    struct sbuf line = {0}, prog = {0};
    sb_printf(&line, "mtrace-report timeline: pid %" PRIu64 " (parent %" PRIu64 ")%s, ",
              p->pid, p->ppid, p->rss_only ? ", RSS only" : "");
    sb_add_clean(&prog, p->program[0] ? p->program : "?");
    size_t used = text_cols(sb_str(&line));
    sb_fit_left(&line, sb_str(&prog), width > used + 8 ? width - used : 8);
    fprintf(out, "%s%s%s\n", term_on(out, TS_TITLE), sb_str(&line), term_off(out));
    sb_free(&prog);
    table_kv(out, width, "command", p->cmdline);
    sb_reset(&line);
    for (size_t i = 0; i < p->nsnaps; i++) {
        const struct tl_snapmark *m = &p->snaps[i];
        sb_printf(&line, "%s%s #%" PRIu32 " at %s", i ? "; " : "", m->cause, m->sequence,
                  fmt_elapsed(tl_elapsed(p, m->time_ns), a));
    }
    kv_wrap(out, width, p->nsnaps > 1 ? "snapshots" : "snapshot", sb_str(&line));
    sb_reset(&line);
    if (p->nraw && p->timeline_ms)
        sb_printf(&line, "%zu point%s, about every %" PRIu32 " ms at first (pairs merge "
                  "when the buffer fills, keeping maxima)", p->nraw, p->nraw == 1 ? "" : "s",
                  p->timeline_ms);
    else if (p->nraw)
        sb_printf(&line, "%zu point%s", p->nraw, p->nraw == 1 ? "" : "s");
    else
        sb_printf(&line, "no timeline in the snapshot%s: a point per snapshot",
                  p->nsnaps > 1 ? "s" : "");
    if (p->npoints > p->nraw && p->nraw)
        sb_printf(&line, "; %zu more from the header of a later snapshot",
                  p->npoints - p->nraw);
    if (p->rss_only)
        sb_add(&line, "; RSS of the process polled from /proc (mtrace-run --rss-only): a "
                      "process shorter than the interval may be missed");
    if (p->sample_bytes)
        sb_printf(&line, "; sampled every %" PRIu64 " bytes on average: traced figures are "
                  "estimates", p->sample_bytes);
    kv_wrap(out, width, "series", sb_str(&line));
    sb_reset(&line);
    if (p->peak_kind == TL_PEAK_TRACED) {
        sb_printf(&line, "%s traced at %s", hz_size(p->peak_bytes, a),
                  fmt_elapsed(tl_elapsed(p, p->peak_time_ns), b));
        if (p->peak_allocs)
            sb_printf(&line, " (allocation %s)", hz_count(p->peak_allocs, c));
    } else if (p->peak_kind == TL_PEAK_RSS)
        sb_printf(&line, "RSS %s at %s", hz_size(p->peak_bytes, a),
                  fmt_elapsed(tl_elapsed(p, p->peak_time_ns), b));
    else
        sb_add(&line, p->rss_only ? "none (no RSS sampled)" : "none (nothing allocated)");
    table_kv(out, width, "peak", sb_str(&line));
    sb_free(&line);
}

/* The marks of row K of ROWS[0..N): the peak on its point, labels and
 * snapshots by time. */
static void row_marks(struct sbuf *b, const struct tl_proc *p, const struct tl_row *rows,
                      size_t k, size_t n)
{
    char a[HZ_BUF];
    uint64_t from = k ? rows[k - 1].time_ns : 0, to = rows[k].time_ns;
    bool last = k == n - 1;
    /* A mark belongs to the first row at or after its time (the last row
     * takes what comes after every point). */
#define IN_ROW(t) ((k == 0 || (t) > from) && ((t) <= to || last))
    if (p->peak_kind != TL_PEAK_NONE &&
        (p->peak_point < p->npoints ? p->peak_point >= rows[k].first && p->peak_point <= rows[k].last
                                    : last))
        sb_printf(b, "%speak %s", b->len ? ", " : "", hz_size(p->peak_bytes, a));
    for (size_t i = 0; i < p->nlabels; i++)
        if (IN_ROW(p->labels[i].time_ns)) {
            sb_printf(b, "%s%c \"", b->len ? ", " : "", label_mark(i));
            sb_add_clean(b, p->labels[i].text);
            sb_add(b, "\"");
        }
    for (size_t i = 0; i < p->nsnaps; i++)
        if (IN_ROW(p->snaps[i].time_ns))
            sb_printf(b, "%ssnapshot %s #%" PRIu32, b->len ? ", " : "", p->snaps[i].cause,
                      p->snaps[i].sequence);
#undef IN_ROW
}

static void table(FILE *out, const struct tl_proc *p, size_t max_rows, size_t width)
{
    size_t cap = max_rows && max_rows < p->npoints ? max_rows : p->npoints;
    struct tl_row *rows = calloc(cap ? cap : 1, sizeof *rows);
    if (!rows)
        report_oom();
    size_t n = tl_downsample(p, max_rows, rows);
    const bool traced = !p->rss_only;
    struct sbuf line = {0}, marks = {0};
    if (traced)
        sb_printf(&line, "  %10s  %10s  %10s  %10s  %12s  MARKS", "TIME", "TRACED", "MAX",
                  "RSS", "ALLOCS");
    else
        sb_printf(&line, "  %10s  %10s  MARKS", "TIME", "RSS");
    fprintf(out, "%s%s%s\n", term_on(out, TS_TITLE), sb_str(&line), term_off(out));
    for (size_t k = 0; k < n; k++) {
        const struct tl_row *r = &rows[k];
        char t[HZ_BUF], a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], d[HZ_BUF];
        sb_reset(&line);
        sb_reset(&marks);
        fmt_elapsed(tl_elapsed(p, r->time_ns), t);
        if (traced)
            sb_printf(&line, "  %10s  %10s  %10s  %10s  %12s", t, hz_size(r->traced_bytes, a),
                      hz_size(r->max_bytes, b), hz_size(r->rss_bytes, c), hz_count(r->allocs, d));
        else
            sb_printf(&line, "  %10s  %10s", t, hz_size(r->rss_bytes, c));
        row_marks(&marks, p, rows, k, n);
        if (marks.len) {
            sb_add(&line, "  ");
            size_t used = text_cols(sb_str(&line));
            sb_fit_right(&line, sb_str(&marks), width > used + 8 ? width - used : 8);
        }
        fprintf(out, "%s\n", sb_str(&line));
    }
    sb_reset(&line);
    if (n < p->npoints)
        sb_printf(&line, "  %zu rows of %zu points: a row is a run of points shown as its "
                  "last, with the run's largest MAX and RSS (-n 0 shows every point)", n,
                  p->npoints);
    else if (traced)
        sb_add(&line, "  MAX: the most traced bytes live since the row before; RSS: the "
                      "highest sampled");
    if (line.len)
        table_wrap(out, sb_str(&line), width, 2);
    sb_free(&line);
    sb_free(&marks);
    free(rows);
}

/* "  50.0 MiB  12 blocks  SITE" lines of plain rows. */
static void plain_lines(FILE *out, const struct tl_lines *l, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF];
    for (size_t i = 0; i < l->n; i++) {
        const struct out_row *r = &l->rows[i];
        struct sbuf line = {0}, site = {0};
        sb_printf(&line, "  %s%10s%s  %8s blocks  ", term_on(out, TS_BYTES),
                  hz_size(counters_get(&r->c, l->bytes), a), term_off(out),
                  hz_count(counters_get(&r->c, l->count), b));
        sb_add_clean(&site, r->key);
        size_t used = text_cols(sb_str(&line));
        sb_fit_left(&line, sb_str(&site), width > used + 8 ? width - used : 8);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&site);
    }
}

void tl_table(FILE *out, const struct tl_view *views, size_t n, size_t max_rows,
              size_t width)
{
    for (size_t v = 0; v < n; v++) {
        const struct tl_proc *p = views[v].proc;
        if (v)
            fputc('\n', out);
        header(out, p, width);
        if (p->npoints >= 2) {
            size_t cells = width > 50 ? width - 40 : 10;
            cells = cells < p->npoints ? cells : p->npoints;
            fputc('\n', out);
            if (!p->rss_only)
                sparkline(out, p, cells, false, "traced");
            sparkline(out, p, cells, true, "RSS");
            marks_line(out, p, cells, width);
        }
        fputc('\n', out);
        table(out, p, max_rows, width);
        for (size_t i = 0; i < views[v].nlines; i++) {
            const struct tl_lines *l = &views[v].lines[i];
            fprintf(out, "\n%s:\n", l->title);
            if (l->n == 0)
                fputs("  none\n", out);
            else if (l->diff)
                table_change_lines(out, l->diff, l->n, width);
            else
                plain_lines(out, l, width);
        }
    }
}
