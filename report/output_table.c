/* The table format: a header per snapshot, aligned columns with human sizes
 * and counts, a percentage of the sort metric, the site, and under each row
 * its call stack (innermost first). Lines are cut to the report's width;
 * paths lose their left end ("…/dir/file.c:12"). Strings from the snapshot
 * are scrubbed of control bytes before they reach the terminal. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "humanize.h"
#include "output.h"
#include "textutil.h"

struct col {
    const char *title;
    enum metric m;
    bool bytes;
};

#define NCOLS 4
static const struct col top_cols[NCOLS] = {
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
    {"LIVE", METRIC_LIVE_BYTES, true}, {"LIVE#", METRIC_LIVE_COUNT, false},
};
static const struct col leak_cols[NCOLS] = {
    {"LIVE", METRIC_LIVE_BYTES, true}, {"BLOCKS", METRIC_LIVE_COUNT, false},
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
};
static const struct col peak_cols[NCOLS] = {
    {"AT PEAK", METRIC_PEAK_BYTES, true}, {"BLOCKS", METRIC_PEAK_COUNT, false},
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
};

static void fmt_value(const struct col *c, const struct counters *v, char *buf)
{
    uint64_t x = counters_get(v, c->m);
    if (c->bytes)
        hz_size(x, buf);
    else
        hz_count(x, buf);
}

/* Print one line: "LABEL  value", value cleaned and cut on the left. */
static void kv(FILE *out, size_t width, const char *label, const char *value)
{
    struct sbuf b = {0}, v = {0};
    sb_add_clean(&v, value);
    sb_printf(&b, "  %-9s ", label);
    size_t used = text_cols(sb_str(&b));
    sb_fit_left(&b, sb_str(&v), width > used + 8 ? width - used : 8);
    fprintf(out, "%s\n", sb_str(&b));
    sb_free(&b);
    sb_free(&v);
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (ns == 0 || ns / 1000000000u > (uint64_t)INT32_MAX * 64 || !gmtime_r(&t, &tm) ||
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
}

static void print_snapinfo(FILE *out, const struct out_snapinfo *s, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], line[256], when[64];
    kv(out, width, "snapshot", s->file);
    struct sbuf p = {0};
    sb_add(&p, s->program[0] ? s->program : "?");
    sb_printf(&p, "  pid %" PRIu64, s->pid);
    if (s->forked)
        sb_printf(&p, " (forked from %" PRIu64 ")", s->ppid);
    kv(out, width, "program", sb_str(&p));
    sb_free(&p);
    fmt_time(s->time_ns, when, sizeof when);
    snprintf(line, sizeof line, "%s #%" PRIu32 " at %s", s->reason, s->sequence, when);
    kv(out, width, "taken", line);
    snprintf(line, sizeof line, "%s in %s blocks now, peak %s", hz_size(s->current_bytes, a),
             hz_count(s->current_blocks, b), hz_size(s->peak_bytes, c));
    kv(out, width, "heap", line);
    snprintf(line, sizeof line, "%s, peak %s", hz_size(s->rss_bytes, a),
             hz_size(s->peak_rss_bytes, b));
    kv(out, width, "RSS", line);
    snprintf(line, sizeof line, "%s (%s in total)", hz_count(s->total_allocs, a),
             hz_size(s->total_bytes, b));
    kv(out, width, "allocs", line);
    if (s->dropped) {
        snprintf(line, sizeof line, "%s events lost (tracer memory exhausted)",
                 hz_count(s->dropped, a));
        kv(out, width, "dropped", line);
    }
}

static void site_label(struct sbuf *b, const struct out_report *r, const struct out_row *row)
{
    if (strcmp(r->group_by, "stack") != 0 || !row->site) {
        sb_add_clean(b, row->key);
        return;
    }
    const struct rframe *f = row->site;
    struct sbuf t = {0};
    if (f->file)
        sb_printf(&t, "%s:%" PRIu32, f->file, f->line);
    else
        frame_fallback_label(&t, f);
    sb_add_clean(b, sb_str(&t));
    sb_free(&t);
}

/* "    function  file:line (inlined)", cut to WIDTH. */
static void print_frame(FILE *out, const struct rframe *f, size_t width)
{
    const size_t indent = 6;
    struct sbuf fn = {0}, loc = {0}, line = {0};
    const char *suffix = f->inlined ? " (inlined)" : "";
    size_t budget = width > indent + 20 ? width - indent : 20;
    if (f->file) {
        sb_add_clean(&fn, f->function ? f->function : "??");
        struct sbuf raw = {0};
        sb_printf(&raw, "%s:%" PRIu32, f->file, f->line);
        sb_add_clean(&loc, sb_str(&raw));
        sb_free(&raw);
    } else {
        struct sbuf raw = {0};
        frame_fallback_label(&raw, f);
        sb_add_clean(&fn, sb_str(&raw));
        sb_free(&raw);
    }
    sb_printf(&line, "%*s", (int)indent, "");
    size_t fixed = text_cols(sb_str(&fn)) + strlen(suffix) + (loc.len ? 2 : 0);
    if (loc.len && fixed + text_cols(sb_str(&loc)) > budget) {
        size_t room = budget > fixed + 16 ? budget - fixed : 16;
        size_t fnroom = budget > room + 2 + strlen(suffix) ? budget - room - 2 - strlen(suffix)
                                                           : 8;
        sb_fit_right(&line, sb_str(&fn), fnroom);
        sb_add(&line, "  ");
        sb_fit_left(&line, sb_str(&loc), room);
    } else if (loc.len) {
        sb_add(&line, sb_str(&fn));
        sb_add(&line, "  ");
        sb_add(&line, sb_str(&loc));
    } else {
        sb_fit_right(&line, sb_str(&fn), budget - strlen(suffix));
    }
    sb_add(&line, suffix);
    fprintf(out, "%s\n", sb_str(&line));
    sb_free(&fn);
    sb_free(&loc);
    sb_free(&line);
}

static void print_totals(FILE *out, const struct out_report *r)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], d[HZ_BUF];
    const struct counters *t = &r->totals;
    struct sbuf line = {0};
    if (strcmp(r->command, "leaks") == 0)
        sb_printf(&line, "%s bytes in %s blocks still allocated", hz_count(t->live_bytes, a),
                  hz_count(t->live_count, b));
    else if (strcmp(r->command, "peak") == 0)
        sb_printf(&line, "%s bytes in %s blocks live at the peak%s",
                  hz_count(t->peak_bytes, a), hz_count(t->peak_count, b),
                  r->merged && r->nsnaps > 1 ? " (sum of per-process peaks)" : "");
    else
        sb_printf(&line, "total: %s in %s allocations; %s in %s blocks still live",
                  hz_size(t->alloc_bytes, a), hz_count(t->alloc_count, b),
                  hz_size(t->live_bytes, c), hz_count(t->live_count, d));
    /* Too wide: break after "; " (top) or before " (sum" (merged peak). */
    const char *s = sb_str(&line), *brk = NULL;
    if (text_cols(s) > r->width) {
        if ((brk = strstr(s, "; ")))
            brk += 2;
        else
            brk = strstr(s, " (sum");
    }
    if (brk)
        fprintf(out, "%.*s\n  %s\n", (int)(brk - s), s, brk[0] == ' ' ? brk + 1 : brk);
    else
        fprintf(out, "%s\n", s);
    sb_free(&line);
}

static void table_report(FILE *out, const struct out_report *r, size_t index)
{
    const struct col *cols = strcmp(r->command, "leaks") == 0  ? leak_cols
                             : strcmp(r->command, "peak") == 0 ? peak_cols
                                                               : top_cols;
    char buf[HZ_BUF];
    if (index > 0)
        fputc('\n', out);
    fprintf(out, "mtrace-report %s: by %s, sorted by %s\n", r->command, r->group_by,
            metric_sort_name(r->sort));
    for (size_t i = 0; i < r->nsnaps; i++)
        print_snapinfo(out, &r->snaps[i], r->width);
    if (r->merged && r->nsnaps > 1)
        fprintf(out, "  merged    %zu snapshots; peak figures are the sum of per-process "
                "peaks\n", r->nsnaps);
    fputc('\n', out);

    size_t w[NCOLS + 1];
    for (size_t c = 0; c < NCOLS; c++) {
        w[c] = strlen(cols[c].title);
        for (size_t i = 0; i < r->nrows; i++) {
            fmt_value(&cols[c], &r->rows[i].c, buf);
            size_t l = strlen(buf);
            if (l > w[c])
                w[c] = l;
        }
    }
    w[NCOLS] = 6; /* "100.0%" */
    size_t used = 0;
    for (size_t c = 0; c <= NCOLS; c++)
        used += w[c] + 2;
    size_t site_room = r->width > used + 8 ? r->width - used : 8;

    if (r->nrows == 0) {
        fprintf(out, "no allocation sites to show\n");
    } else {
        for (size_t c = 0; c < NCOLS; c++)
            fprintf(out, "%*s  ", (int)w[c], cols[c].title);
        fprintf(out, "%*s  SITE\n", (int)w[NCOLS], "%");
    }
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        struct sbuf line = {0}, site = {0};
        for (size_t c = 0; c < NCOLS; c++) {
            fmt_value(&cols[c], &row->c, buf);
            sb_printf(&line, "%*s  ", (int)w[c], buf);
        }
        hz_percent(counters_get(&row->c, r->sort), counters_get(&r->totals, r->sort), buf);
        sb_printf(&line, "%*s  ", (int)w[NCOLS], buf);
        site_label(&site, r, row);
        sb_fit_left(&line, sb_str(&site), site_room);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&site);
        if (r->stack_depth == 0)
            continue;
        size_t shown = 0;
        for (size_t k = row->show_from; k < row->nstack && shown < r->stack_depth; k++, shown++)
            print_frame(out, &row->stack[k], r->width);
        if (row->nstack > row->show_from + shown)
            fprintf(out, "      \xe2\x80\xa6 %zu more frames\n",
                    row->nstack - row->show_from - shown);
        if (i + 1 < r->nrows)
            fputc('\n', out);
    }
    fputc('\n', out);
    if (r->total_rows > r->nrows)
        fprintf(out, "showing %zu of %zu sites (-n 0 shows all)\n", r->nrows, r->total_rows);
    print_totals(out, r);
}

static void table_nop(FILE *out, size_t n)
{
    (void)out;
    (void)n;
}

const struct out_format out_format_table = {
    .name = "table",
    .begin = table_nop,
    .report = table_report,
    .end = table_nop,
};
