/* The JSON format (schema in docs/JSON.md, "mtrace_report": 1): one object
 * per report, or an array of them when several snapshots of different
 * processes are reported without --merge; a series of one process rides on
 * its last snapshot's report ("series", "growth"); diff is one object. Numbers are exact integers; strings are escaped and
 * invalid UTF-8 is replaced, so hostile snapshot strings cannot break it. */
#include "output_json.h"

#include <inttypes.h>
#include <string.h>

#include "output.h"

/* Length of the valid UTF-8 sequence at S, or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", out); break;
            case '\t': fputs("\\t", out); break;
            case '\r': fputs("\\r", out); break;
            default: fprintf(out, "\\u%04x", c); break;
            }
            p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 0) {
                fputs("\\ufffd", out);
                p++;
            } else {
                fwrite(p, 1, n, out);
                p += n;
            }
        }
    }
    fputc('"', out);
}

static void kstr(FILE *out, const char *k, const char *v, const char *sep)
{
    fprintf(out, "\"%s\":", k);
    json_string(out, v);
    fputs(sep, out);
}

static void knum(FILE *out, const char *k, uint64_t v, const char *sep)
{
    fprintf(out, "\"%s\":%" PRIu64 "%s", k, v, sep);
}

static void ksigned(FILE *out, const char *k, struct sdelta d, const char *sep)
{
    fprintf(out, "\"%s\":%s%" PRIu64 "%s", k, d.neg ? "-" : "", d.mag, sep);
}

static void counters(FILE *out, const struct counters *c)
{
    knum(out, "alloc_bytes", c->alloc_bytes, ",");
    knum(out, "alloc_count", c->alloc_count, ",");
    knum(out, "live_bytes", c->live_bytes, ",");
    knum(out, "live_count", c->live_count, ",");
    knum(out, "peak_bytes", c->peak_bytes, ",");
    knum(out, "peak_count", c->peak_count, "");
}

static void frame_fields(FILE *out, const struct rframe *f)
{
    kstr(out, "function", f->function, ",");
    kstr(out, "file", f->file, ",");
    if (f->line)
        knum(out, "line", f->line, ",");
    else
        fputs("\"line\":null,", out);
    kstr(out, "module", f->module, "");
}

static void snapinfo(FILE *out, const struct out_snapinfo *s)
{
    fputc('{', out);
    kstr(out, "file", s->file, ",");
    kstr(out, "program", s->program, ",");
    kstr(out, "cmdline", s->cmdline, ",");
    knum(out, "pid", s->pid, ",");
    knum(out, "ppid", s->ppid, ",");
    fprintf(out, "\"forked\":%s,", s->forked ? "true" : "false");
    kstr(out, "reason", s->reason, ",");
    knum(out, "sequence", s->sequence, ",");
    knum(out, "start_time_ns", s->start_time_ns, ",");
    knum(out, "time_ns", s->time_ns, ",");
    knum(out, "max_depth", s->max_depth, ",");
    knum(out, "current_bytes", s->current_bytes, ",");
    knum(out, "current_blocks", s->current_blocks, ",");
    knum(out, "peak_bytes", s->peak_bytes, ",");
    knum(out, "peak_blocks", s->peak_blocks, ",");
    knum(out, "rss_bytes", s->rss_bytes, ",");
    knum(out, "peak_rss_bytes", s->peak_rss_bytes, ",");
    knum(out, "total_allocs", s->total_allocs, ",");
    knum(out, "total_bytes", s->total_bytes, ",");
    knum(out, "total_frees", s->total_frees, ",");
    knum(out, "dropped", s->dropped, "");
    fputc('}', out);
}

static void stack(FILE *out, const struct out_row *row)
{
    fputs("\"stack\":[", out);
    for (size_t k = 0; k < row->nstack; k++) {
        const struct rframe *f = &row->stack[k];
        fputs(k ? ",{" : "{", out);
        frame_fields(out, f);
        if (f->python)
            fputs(",\"address\":null", out);
        else
            fprintf(out, ",\"address\":\"0x%" PRIx64 "\"", f->addr);
        fprintf(out, ",\"inlined\":%s,\"python\":%s}", f->inlined ? "true" : "false",
                f->python ? "true" : "false");
    }
    fputc(']', out);
}

/* Key, site fields and the stack of ROW, without braces. */
static void row_site(FILE *out, const struct out_row *row)
{
    static const struct rframe none;
    kstr(out, "key", row->key, ",");
    frame_fields(out, row->site ? row->site : &none);
    fputc(',', out);
}

static void diff_values(FILE *out, const struct diff_values *v)
{
    knum(out, "size", v->size, ",");
    ksigned(out, "size_diff", v->size_diff, ",");
    knum(out, "count", v->count, ",");
    ksigned(out, "count_diff", v->count_diff, ",");
    knum(out, "old_size", v->old_size, ",");
    knum(out, "old_count", v->old_count, "");
}

static void diff_rows(FILE *out, const struct out_diff_row *rows, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n{" : "\n{", out);
        row_site(out, &rows[i].row);
        kstr(out, "status", diff_status_name(rows[i].status), ",");
        diff_values(out, &rows[i].v);
        fputc(',', out);
        stack(out, &rows[i].row);
        fputc('}', out);
    }
    fputc(']', out);
}

static void strlist(FILE *out, const char *k, const char *const *v, size_t n)
{
    fprintf(out, "\"%s\":[", k);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        json_string(out, v[i]);
    }
    fputs("],", out);
}

static void filters(FILE *out, const struct out_filtered *f)
{
    if (!f) {
        fputs("\"filters\":null,", out);
        return;
    }
    static const char *const verbs[2] = {"include", "exclude"};
    fputs("\"filters\":{", out);
    kstr(out, "frames", f->set->any_frame ? "any" : "site", ",");
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < FILTER_NKINDS; k++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", verbs[x], filter_kind_name((enum filter_kind)k));
            strlist(out, name, f->set->pats[x][k], f->set->npats[x][k]);
        }
    knum(out, "stacks_total", f->stacks_total, ",");
    knum(out, "stacks_kept", f->stacks_kept, ",");
    fputs("\"kept\":{", out);
    counters(out, &f->kept);
    fputs("}},", out);
}

static void series(FILE *out, const struct out_series *se)
{
    fputs("\"series\":[", out);
    for (size_t i = 0; i < se->npoints; i++) {
        const struct out_series_point *p = &se->points[i];
        fputs(i ? ",\n{" : "\n{", out);
        kstr(out, "file", p->snap->file, ",");
        knum(out, "pid", p->snap->pid, ",");
        kstr(out, "reason", p->snap->reason, ",");
        knum(out, "sequence", p->snap->sequence, ",");
        knum(out, "time_ns", p->snap->time_ns, ",");
        knum(out, "elapsed_ns", p->elapsed_ns, ",");
        knum(out, "current_bytes", p->snap->current_bytes, ",");
        knum(out, "current_blocks", p->snap->current_blocks, ",");
        knum(out, "peak_bytes", p->snap->peak_bytes, ",");
        knum(out, "rss_bytes", p->snap->rss_bytes, ",");
        if (p->has_change)
            ksigned(out, "current_change", p->current_change, "}");
        else
            fputs("\"current_change\":null}", out);
    }
    fputs("],\n", out);
    kstr(out, "growth_metric", se->growth_metric, ",");
    fputs("\"growth\":", out);
    diff_rows(out, se->growth, se->ngrowth);
    fputs(",\n", out);
}

static void json_report(FILE *out, const struct out_report *r, size_t index)
{
    if (index > 0)
        fputs(",\n", out);
    fputs("{\"mtrace_report\":1,", out);
    kstr(out, "command", r->command, ",");
    fputs("\"snapshots\":[", out);
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (i)
            fputc(',', out);
        snapinfo(out, &r->snaps[i]);
    }
    fputs("],", out);
    fprintf(out, "\"merged\":%s,", r->merged ? "true" : "false");
    kstr(out, "group_by", r->group_by, ",");
    kstr(out, "sort", metric_sort_name(r->sort), ",");
    knum(out, "limit", r->limit, ",");
    filters(out, r->filtered);
    if (r->series)
        series(out, r->series);
    fputs("\"totals\":{", out);
    counters(out, &r->totals);
    fputc(',', out);
    knum(out, "rows", r->total_rows, "");
    fputs("},\n\"rows\":[", out);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        fputs(i ? ",\n{" : "\n{", out);
        row_site(out, row);
        counters(out, &row->c);
        fputc(',', out);
        stack(out, row);
        fputc('}', out);
    }
    fputs("]}", out);
}

static void json_diff(FILE *out, const struct out_diff *d)
{
    fputs("{\"mtrace_report\":1,\"command\":\"diff\",\"snapshots\":[", out);
    snapinfo(out, d->old_snap);
    fputc(',', out);
    snapinfo(out, d->new_snap);
    fputs("],", out);
    kstr(out, "group_by", d->group_by, ",");
    kstr(out, "metric", d->metric, ",");
    knum(out, "limit", d->limit, ",");
    fprintf(out, "\"all\":%s,", d->all ? "true" : "false");
    fputs("\"notes\":[", out);
    if (d->note)
        json_string(out, d->note);
    fputs("],", out);
    filters(out, d->filtered);
    fputs("\"totals\":{", out);
    diff_values(out, &d->totals);
    fputc(',', out);
    knum(out, "rows", d->total_rows, ",");
    knum(out, "unchanged", d->unchanged, "");
    fputs("},\n\"rows\":", out);
    diff_rows(out, d->rows, d->nrows);
    fputs("}\n", out);
}

static void json_begin(FILE *out, size_t n)
{
    if (n > 1)
        fputs("[\n", out);
}

static void json_end(FILE *out, size_t n)
{
    fputs(n > 1 ? "\n]\n" : "\n", out);
}

const struct out_format out_format_json = {
    .name = "json",
    .begin = json_begin,
    .report = json_report,
    .end = json_end,
    .diff = json_diff,
};
