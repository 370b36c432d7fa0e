/* The table format: a header per snapshot, aligned columns with human sizes
 * and counts, a percentage of the sort metric, the site, and under each row
 * its call stack (innermost first). diff: old/new headers, size and count
 * with their signed change and a status per site. A series of one process:
 * one line per snapshot and the sites that grew most, above the report.
 * leaks of a scanned heap: bytes per leak class and valgrind's LEAK SUMMARY.
 * The pieces check's table shares are exported (output_table.h). Lines are
 * cut to the report's width; paths lose their left end ("…/dir/file.c:12").
 * Strings from the snapshot are scrubbed of control bytes before they reach
 * the terminal. Colour (term.h) goes around cells already sized, so widths
 * never count escapes; "…" and the series' sparkline turn ASCII outside
 * UTF-8 locales. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "humanize.h"
#include "output.h"
#include "output_table.h"
#include "term.h"
#include "textutil.h"

struct col {
    const char *title;
    enum metric m;
    bool bytes;
};

#define MAXCOLS 5
struct colset {
    size_t n;
    struct col c[MAXCOLS];
};
static const struct colset top_cols = {4, {
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
    {"LIVE", METRIC_LIVE_BYTES, true}, {"LIVE#", METRIC_LIVE_COUNT, false},
}};
static const struct colset leak_cols = {4, {
    {"LIVE", METRIC_LIVE_BYTES, true}, {"BLOCKS", METRIC_LIVE_COUNT, false},
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
}};
/* leaks of a scanned heap: bytes per class, then the live blocks. */
static const struct colset class_cols = {5, {
    {"DEFINITE", METRIC_DEFINITE_BYTES, true}, {"INDIRECT", METRIC_INDIRECT_BYTES, true},
    {"POSSIBLE", METRIC_POSSIBLE_BYTES, true}, {"REACHABLE", METRIC_REACHABLE_BYTES, true},
    {"BLOCKS", METRIC_LIVE_COUNT, false},
}};
static const struct colset peak_cols = {4, {
    {"AT PEAK", METRIC_PEAK_BYTES, true}, {"BLOCKS", METRIC_PEAK_COUNT, false},
    {"ALLOCATED", METRIC_ALLOC_BYTES, true}, {"ALLOCS", METRIC_ALLOC_COUNT, false},
}};

static void fmt_value(const struct col *c, const struct counters *v, char *buf)
{
    uint64_t x = counters_get(v, c->m);
    if (c->bytes)
        hz_size(x, buf);
    else
        hz_count(x, buf);
}

/* Print one line: "LABEL  value", value cleaned and cut on the left. */
void table_kv(FILE *out, size_t width, const char *label, const char *value)
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

/* As kv, but a value wider than the line is broken after each "; " onto
 * continuation lines (each still cut to the width if need be). */
void table_kv_wrap(FILE *out, size_t width, const char *label, const char *value)
{
    if (text_cols(value) + 12 <= width || !strstr(value, "; ")) {
        table_kv(out, width, label, value);
        return;
    }
    struct sbuf part = {0};
    const char *p = value;
    for (int first = 1; *p; first = 0) {
        const char *e = strstr(p, "; ");
        size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
        sb_reset(&part);
        sb_addn(&part, p, n);
        table_kv(out, width, first ? label : "", sb_str(&part));
        p += n;
        while (*p == ' ')
            p++;
    }
    sb_free(&part);
}

static void fmt_time(uint64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (ns == 0 || ns / 1000000000u > (uint64_t)INT32_MAX * 64 || !gmtime_r(&t, &tm) ||
        strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
}

void table_snapinfo(FILE *out, const struct out_snapinfo *s, size_t width, bool scan_line)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], line[256], when[64];
    table_kv(out, width, "snapshot", s->file);
    struct sbuf p = {0};
    sb_add(&p, s->program[0] ? s->program : "?");
    sb_printf(&p, "  pid %" PRIu64, s->pid);
    if (s->forked)
        sb_printf(&p, " (forked from %" PRIu64 ")", s->ppid);
    if (s->replaced && s->replaced[0])
        sb_printf(&p, " (exec'd from %s)", s->replaced);
    table_kv(out, width, "program", sb_str(&p));
    sb_free(&p);
    fmt_time(s->time_ns, when, sizeof when);
    snprintf(line, sizeof line, "%s #%" PRIu32 " at %s", s->cause[0] ? s->cause : s->reason,
             s->sequence, when);
    table_kv(out, width, "taken", line);
    snprintf(line, sizeof line, "%s in %s blocks now, peak %s", hz_size(s->current_bytes, a),
             hz_count(s->current_blocks, b), hz_size(s->peak_bytes, c));
    table_kv(out, width, "heap", line);
    snprintf(line, sizeof line, "%s, peak %s", hz_size(s->rss_bytes, a),
             hz_size(s->peak_rss_bytes, b));
    table_kv(out, width, "RSS", line);
    if (s->malloc_in_use || s->malloc_free || s->malloc_mmapped) {
        /* The gap people ask about: RSS well above the traced heap. glibc
         * keeps freed memory in its free lists, each block costs a header
         * and alignment, and RSS also holds code, stacks and direct mmaps. */
        char d[HZ_BUF];
        uint64_t arenas = s->malloc_in_use + s->malloc_free + s->malloc_mmapped;
        uint64_t other = s->rss_bytes > arenas ? s->rss_bytes - arenas : 0;
        snprintf(line, sizeof line, "%s in use (blocks, headers, padding), %s free in its "
                 "lists, %s mmapped; RSS beyond the allocator: %s (code, stacks, direct "
                 "mmap, pymalloc arenas when kept)",
                 hz_size(s->malloc_in_use, a), hz_size(s->malloc_free, b),
                 hz_size(s->malloc_mmapped, c), hz_size(other, d));
        table_kv_wrap(out, width, "malloc", line);
    }
    snprintf(line, sizeof line, "%s (%s in total)", hz_count(s->total_allocs, a),
             hz_size(s->total_bytes, b));
    table_kv(out, width, "allocs", line);
    if (s->sample_bytes) {
        /* Every count and byte figure above and below is an estimate. */
        snprintf(line, sizeof line, "every %s allocated on average (MTRACE_SAMPLE_BYTES): "
                 "figures are unbiased estimates", hz_size(s->sample_bytes, a));
        table_kv_wrap(out, width, "sampled", line);
    }
    if (s->dropped) {
        snprintf(line, sizeof line, "%s events lost (tracer memory exhausted)",
                 hz_count(s->dropped, a));
        table_kv(out, width, "dropped", line);
    }
    if (scan_line) {
        struct sbuf l = {0};
        leak_scan_describe(&l, s);
        table_kv_wrap(out, width, "leak scan", sb_str(&l));
        sb_free(&l);
    }
}

void table_site_label(struct sbuf *b, const char *group_by, const struct out_row *row)
{
    if (strcmp(group_by, "stack") != 0 || !row->site) {
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
    if (f->python || !f->file)
        fprintf(out, "%s%s%s\n", term_on(out, f->python ? TS_PYTHON : TS_NODEBUG),
                sb_str(&line), term_off(out));
    else
        fprintf(out, "%s\n", sb_str(&line));
    sb_free(&fn);
    sb_free(&loc);
    sb_free(&line);
}

/* The frames of ROW worth showing, at most DEPTH of them. */
void table_stack(FILE *out, const struct out_row *row, size_t depth, size_t width)
{
    size_t shown = 0;
    for (size_t k = row->show_from; k < row->nstack && shown < depth; k++, shown++)
        print_frame(out, &row->stack[k], width);
    if (row->nstack > row->show_from + shown)
        fprintf(out, "      %s %zu more frames\n", text_ellipsis(),
                row->nstack - row->show_from - shown);
}

/* valgrind's LEAK SUMMARY of the classes in T. */
void table_leak_summary(FILE *out, const struct counters *t)
{
    char a[HZ_BUF], b[HZ_BUF];
    fputs("LEAK SUMMARY:\n", out);
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        fprintf(out, "  %15s: %s bytes in %s blocks\n", leak_class_label(k),
                hz_count(t->leak_bytes[k], a), hz_count(t->leak_count[k], b));
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
    if (strcmp(r->command, "leaks") == 0 && r->leak_classes)
        table_leak_summary(out, t);
}


void table_filtered(FILE *out, const struct out_filtered *f, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], d[HZ_BUF], e[HZ_BUF], g[HZ_BUF], h[HZ_BUF];
    struct sbuf line = {0};
    filters_describe(&line, f->set);
    table_kv(out, width, "filters", sb_str(&line));
    sb_reset(&line);
    sb_printf(&line, "%s of %s stacks: %s in %s allocations; %s in %s blocks live; %s at peak",
              hz_count(f->stacks_kept, a), hz_count(f->stacks_total, b),
              hz_size(f->kept.alloc_bytes, c), hz_count(f->kept.alloc_count, d),
              hz_size(f->kept.live_bytes, e), hz_count(f->kept.live_count, g),
              hz_size(f->kept.peak_bytes, h));
    table_kv_wrap(out, width, "filtered", sb_str(&line));
    sb_free(&line);
}

/* Print LINE; when wider than WIDTH, break it after its first "; ". */
static void print_wrapped(FILE *out, const char *s, size_t width)
{
    const char *brk = text_cols(s) > width ? strstr(s, "; ") : NULL;
    if (brk)
        fprintf(out, "%.*s\n  %s\n", (int)(brk + 1 - s), s, brk + 2);
    else
        fprintf(out, "%s\n", s);
}

void table_wrap(FILE *out, const char *s, size_t width, size_t indent)
{
    const char *p = s;
    for (size_t room = width; *p; room = width > indent + 20 ? width - indent : 20) {
        if (p != s)
            fprintf(out, "%*s", (int)indent, "");
        /* The last space within ROOM columns, else the first one after. */
        const char *brk = NULL, *q = p;
        size_t cols = 0;
        for (; *q; q++) {
            if (((unsigned char)*q & 0xc0) == 0x80)
                continue;
            if (*q == ' ' && (cols <= room || !brk))
                brk = q;
            if (++cols > room && brk)
                break;
        }
        if (!*q || !brk) {
            fprintf(out, "%s\n", p);
            return;
        }
        fprintf(out, "%.*s\n", (int)(brk - p), p);
        for (p = brk; *p == ' '; p++)
            ;
    }
}

/* "1.500s": seconds with milliseconds, exact. */
static char *fmt_elapsed(uint64_t ns, char *buf)
{
    snprintf(buf, HZ_BUF, "%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000u,
             ns % 1000000000u / 1000000u);
    return buf;
}

/* Growth red, shrinkage green; nothing for no change. */
static const char *delta_on(FILE *out, const struct sdelta *d)
{
    return d->mag == 0 ? "" : term_on(out, d->neg ? TS_SHRINK : TS_GROW);
}

/* "  +3.9 KiB  +4  new      SITE" lines, columns aligned over ROWS. */
void table_change_lines(FILE *out, const struct out_diff_row *rows, size_t n,
                               size_t width)
{
    char a[HZ_BUF], b[HZ_BUF];
    size_t wa = 0, wb = 0;
    for (size_t i = 0; i < n; i++) {
        size_t la = strlen(hz_size_delta(rows[i].v.size_diff.mag, rows[i].v.size_diff.neg, a));
        size_t lb = strlen(hz_count_delta(rows[i].v.count_diff.mag, rows[i].v.count_diff.neg, b));
        wa = la > wa ? la : wa;
        wb = lb > wb ? lb : wb;
    }
    for (size_t i = 0; i < n; i++) {
        const struct out_diff_row *d = &rows[i];
        struct sbuf line = {0}, site = {0};
        sb_printf(&line, "  %s%*s%s  %*s blocks  %-7s  ", delta_on(out, &d->v.size_diff),
                  (int)wa, hz_size_delta(d->v.size_diff.mag, d->v.size_diff.neg, a),
                  term_off(out), (int)wb,
                  hz_count_delta(d->v.count_diff.mag, d->v.count_diff.neg, b),
                  diff_status_name(d->status));
        sb_add_clean(&site, d->row.key);
        size_t used = text_cols(sb_str(&line));
        sb_fit_left(&line, sb_str(&site), width > used + 8 ? width - used : 8);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&site);
    }
}

enum { C_TIME, C_REASON, C_SEQ, C_CUR, C_PEAK, C_RSS, C_CHANGE, SC_N };

/* The cells of one line of the series table. */
static void series_cells(const struct out_series_point *p, char cell[SC_N][HZ_BUF])
{
    fmt_elapsed(p->elapsed_ns, cell[C_TIME]);
    snprintf(cell[C_REASON], HZ_BUF, "%s", p->snap->reason);
    snprintf(cell[C_SEQ], HZ_BUF, "%" PRIu32, p->snap->sequence);
    hz_size(p->snap->current_bytes, cell[C_CUR]);
    hz_size(p->snap->peak_bytes, cell[C_PEAK]);
    hz_size(p->snap->rss_bytes, cell[C_RSS]);
    if (p->has_change)
        hz_size_delta(p->current_change.mag, p->current_change.neg, cell[C_CHANGE]);
    else
        strcpy(cell[C_CHANGE], "-");
}

/* "  current   ▁▃▄█  6.8 KiB to 12.3 KiB": the traced heap over the series,
 * one cell per snapshot (the largest of each run of them when there are
 * more snapshots than room). */
static void print_sparkline(FILE *out, const struct out_series *se, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF];
    size_t n = se->npoints, room = width > 60 ? width - 40 : 20;
    size_t cells = n < room ? n : room;
    uint64_t *v = calloc(cells, sizeof *v);
    if (!v)
        report_oom();
    for (size_t i = 0; i < n; i++) {
        size_t c = i * cells / n;
        if (se->points[i].snap->current_bytes > v[c])
            v[c] = se->points[i].snap->current_bytes;
    }
    struct sbuf line = {0};
    term_sparkline(&line, v, cells);
    fprintf(out, "  current   %s  %s to %s\n", sb_str(&line),
            hz_size(se->points[0].snap->current_bytes, a),
            hz_size(se->points[n - 1].snap->current_bytes, b));
    sb_free(&line);
    free(v);
}

static void print_series(FILE *out, const struct out_report *r)
{
    const struct out_series *se = r->series;
    const struct out_snapinfo *s0 = se->points[0].snap;
    static const char *const titles[SC_N] = {"TIME", "REASON", "SEQ", "CURRENT", "PEAK",
                                             "RSS", "CHANGE"};
    enum { NC = SC_N };
    char cell[NC][HZ_BUF];
    size_t w[NC];
    struct sbuf line = {0};
    struct sbuf prog = {0};
    sb_printf(&line, "mtrace-report series: %zu snapshots of pid %" PRIu64 ", ", se->npoints,
              s0->pid);
    sb_add_clean(&prog, s0->program[0] ? s0->program : "?");
    size_t used = text_cols(sb_str(&line));
    sb_fit_left(&line, sb_str(&prog), r->width > used + 8 ? r->width - used : 8);
    fprintf(out, "%s%s%s\n", term_on(out, TS_TITLE), sb_str(&line), term_off(out));
    sb_free(&prog);
    for (int c = 0; c < NC; c++)
        w[c] = strlen(titles[c]);
    for (size_t i = 0; i < se->npoints; i++) {
        series_cells(&se->points[i], cell);
        for (int c = 0; c < NC; c++)
            if (strlen(cell[c]) > w[c])
                w[c] = strlen(cell[c]);
    }
    size_t fixed = 0;
    for (int c = 0; c < NC; c++)
        fixed += w[c] + 2;
    bool show_file = r->width >= fixed + 12;   /* the file column only if it fits */
    for (size_t i = 0; i <= se->npoints; i++) {
        const struct out_series_point *p = i ? &se->points[i - 1] : NULL; /* 0: titles */
        if (p)
            series_cells(p, cell);
        sb_reset(&line);
        for (int c = 0; c < NC; c++)
            sb_printf(&line, c == C_REASON ? "%s%-*s" : "%s%*s", c ? "  " : "", (int)w[c],
                      p ? cell[c] : titles[c]);
        if (show_file) {
            struct sbuf f = {0};
            sb_add_clean(&f, p ? p->snap->file : "SNAPSHOT");
            sb_add(&line, "  ");
            sb_fit_left(&line, sb_str(&f), r->width - fixed);
            sb_free(&f);
        }
        fprintf(out, "%s\n", sb_str(&line));
    }
    print_sparkline(out, se, r->width);
    fprintf(out, "\ngrew most, first to last snapshot (%s bytes by %s):\n",
            se->growth_metric, r->group_by);
    if (se->ngrowth == 0)
        fprintf(out, "  no site grew\n");
    table_change_lines(out, se->growth, se->ngrowth, r->width);
    fputc('\n', out);
    sb_free(&line);
}

static void table_report(FILE *out, const struct out_report *r, size_t index)
{
    bool leaks = strcmp(r->command, "leaks") == 0;
    const struct colset *cs = leaks && r->leak_classes          ? &class_cols
                              : leaks                           ? &leak_cols
                              : strcmp(r->command, "peak") == 0 ? &peak_cols
                                                                : &top_cols;
    const struct col *cols = cs->c;
    const size_t ncols = cs->n;
    char buf[HZ_BUF];
    if (index > 0)
        fputc('\n', out);
    if (r->series)
        print_series(out, r);
    fprintf(out, "%smtrace-report %s: by %s, sorted by %s%s%s\n", term_on(out, TS_TITLE),
            r->command, r->group_by, metric_sort_name(r->sort),
            r->series ? " (last snapshot)" : "", term_off(out));
    for (size_t i = 0; i < r->nsnaps; i++)
        table_snapinfo(out, &r->snaps[i], r->width, leaks);
    if (r->merged && r->nsnaps > 1)
        fprintf(out, "  merged    %zu snapshots; peak figures are the sum of per-process "
                "peaks\n", r->nsnaps);
    if (r->filtered)
        table_filtered(out, r->filtered, r->width);
    fputc('\n', out);

    size_t w[MAXCOLS + 1];
    for (size_t c = 0; c < ncols; c++) {
        w[c] = strlen(cols[c].title);
        for (size_t i = 0; i < r->nrows; i++) {
            fmt_value(&cols[c], &r->rows[i].c, buf);
            size_t l = strlen(buf);
            if (l > w[c])
                w[c] = l;
        }
    }
    w[ncols] = 6; /* "100.0%" */
    size_t used = 0;
    for (size_t c = 0; c <= ncols; c++)
        used += w[c] + 2;
    size_t site_room = r->width > used + 8 ? r->width - used : 8;

    if (r->nrows == 0) {
        fprintf(out, "no allocation sites to show\n");
    } else {
        fputs(term_on(out, TS_TITLE), out);
        for (size_t c = 0; c < ncols; c++)
            fprintf(out, "%*s  ", (int)w[c], cols[c].title);
        fprintf(out, "%*s  SITE%s\n", (int)w[ncols], "%", term_off(out));
    }
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        struct sbuf line = {0}, site = {0};
        for (size_t c = 0; c < ncols; c++) {
            fmt_value(&cols[c], &row->c, buf);
            if (cols[c].bytes)
                sb_printf(&line, "%s%*s%s  ", term_on(out, TS_BYTES), (int)w[c], buf,
                          term_off(out));
            else
                sb_printf(&line, "%*s  ", (int)w[c], buf);
        }
        hz_percent(counters_get(&row->c, r->sort), counters_get(&r->totals, r->sort), buf);
        sb_printf(&line, "%*s  ", (int)w[ncols], buf);
        table_site_label(&site, r->group_by, row);
        sb_fit_left(&line, sb_str(&site), site_room);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&site);
        if (r->stack_depth == 0)
            continue;
        table_stack(out, row, r->stack_depth, r->width);
        if (i + 1 < r->nrows)
            fputc('\n', out);
    }
    fputc('\n', out);
    if (r->total_rows > r->nrows)
        fprintf(out, "showing %zu of %zu sites (-n 0 shows all)\n", r->nrows, r->total_rows);
    print_totals(out, r);
}


/* Two lines about one side of a diff. */
void table_brief(FILE *out, const char *label, const struct out_snapinfo *s, size_t width)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], when[64];
    struct sbuf p = {0};
    table_kv(out, width, label, s->file);
    sb_add(&p, s->program[0] ? s->program : "?");
    sb_printf(&p, "  pid %" PRIu64, s->pid);
    if (s->forked)
        sb_printf(&p, " (forked from %" PRIu64 ")", s->ppid);
    table_kv(out, width, "", sb_str(&p));
    sb_reset(&p);
    fmt_time(s->time_ns, when, sizeof when);
    sb_printf(&p, "%s #%" PRIu32 " at %s; heap %s in %s blocks, peak %s", s->reason,
              s->sequence, when, hz_size(s->current_bytes, a), hz_count(s->current_blocks, b),
              hz_size(s->peak_bytes, c));
    table_kv_wrap(out, width, "", sb_str(&p));
    sb_free(&p);
}

struct diff_titles {
    const char *size, *count, *unit, *what;
};

static struct diff_titles diff_titles_of(const char *metric)
{
    if (strcmp(metric, "alloc") == 0)
        return (struct diff_titles){"ALLOCATED", "ALLOCS", "allocations", "allocated"};
    if (strcmp(metric, "peak") == 0)
        return (struct diff_titles){"AT PEAK", "BLOCKS", "blocks", "at the peak"};
    return (struct diff_titles){"LIVE", "BLOCKS", "blocks", "live"};
}

static void table_diff(FILE *out, const struct out_diff *d)
{
    const struct diff_titles t = diff_titles_of(d->metric);
    enum { C_SIZE, C_SDIFF, C_COUNT, C_CDIFF, C_STATUS, NC };
    const char *titles[NC] = {t.size, "CHANGE", t.count, "CHANGE", "STATUS"};
    char cell[NC][HZ_BUF], a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], e[HZ_BUF];
    size_t w[NC];

    fprintf(out, "%smtrace-report diff: %s bytes by %s, largest change first%s\n",
            term_on(out, TS_TITLE), d->metric, d->group_by, term_off(out));
    table_brief(out, "old", d->old_snap, d->width);
    table_brief(out, "new", d->new_snap, d->width);
    if (d->note)
        table_kv(out, d->width, "note", d->note);
    if (d->filtered)
        table_filtered(out, d->filtered, d->width);
    fputc('\n', out);

    for (int col = 0; col < NC; col++)
        w[col] = strlen(titles[col]);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && d->nrows) {
            fputs(term_on(out, TS_TITLE), out);
            for (int col = 0; col < NC; col++)
                fprintf(out, col == C_STATUS ? "%-*s  " : "%*s  ", (int)w[col], titles[col]);
            fprintf(out, "SITE%s\n", term_off(out));
        }
        for (size_t i = 0; i < d->nrows; i++) {
            const struct out_diff_row *row = &d->rows[i];
            hz_size(row->v.size, cell[C_SIZE]);
            hz_size_delta(row->v.size_diff.mag, row->v.size_diff.neg, cell[C_SDIFF]);
            hz_count(row->v.count, cell[C_COUNT]);
            hz_count_delta(row->v.count_diff.mag, row->v.count_diff.neg, cell[C_CDIFF]);
            snprintf(cell[C_STATUS], HZ_BUF, "%s", diff_status_name(row->status));
            if (pass == 0) {
                for (int col = 0; col < NC; col++)
                    if (strlen(cell[col]) > w[col])
                        w[col] = strlen(cell[col]);
                continue;
            }
            struct sbuf line = {0}, site = {0};
            for (int col = 0; col < NC; col++) {
                const char *on = col == C_SIZE    ? term_on(out, TS_BYTES)
                                 : col == C_SDIFF ? delta_on(out, &row->v.size_diff)
                                 : col == C_CDIFF ? delta_on(out, &row->v.count_diff)
                                                  : "";
                sb_printf(&line, col == C_STATUS ? "%s%-*s%s  " : "%s%*s%s  ", on, (int)w[col],
                          cell[col], *on ? term_off(out) : "");
            }
            sb_add_clean(&site, row->row.key);
            size_t used = text_cols(sb_str(&line));
            sb_fit_left(&line, sb_str(&site), d->width > used + 8 ? d->width - used : 8);
            fprintf(out, "%s\n", sb_str(&line));
            sb_free(&line);
            sb_free(&site);
            if (d->stack_depth == 0)
                continue;
            table_stack(out, &row->row, d->stack_depth, d->width);
            if (i + 1 < d->nrows)
                fputc('\n', out);
        }
    }
    if (d->nrows == 0)
        fprintf(out, "no site changed\n");
    fputc('\n', out);
    if (d->total_rows > d->nrows)
        fprintf(out, "showing %zu of %zu sites (-n 0 shows all)\n", d->nrows, d->total_rows);
    if (d->unchanged && !d->all)
        fprintf(out, "%zu unchanged site%s hidden (--all shows them)\n", d->unchanged,
                d->unchanged == 1 ? "" : "s");
    struct sbuf line = {0};
    const struct diff_values *v = &d->totals;
    sb_printf(&line, "total: %s in %s %s%s%s; change %s, %s %s", hz_size(v->size, a),
              hz_count(v->count, b), t.unit, strcmp(t.what, "allocated") ? " " : "",
              strcmp(t.what, "allocated") ? t.what : "",
              hz_size_delta(v->size_diff.mag, v->size_diff.neg, c),
              hz_count_delta(v->count_diff.mag, v->count_diff.neg, e), t.unit);
    print_wrapped(out, sb_str(&line), d->width);
    sb_free(&line);
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
    .diff = table_diff,
};
