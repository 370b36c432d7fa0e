/* The JSON format (schema in docs/JSON.md, "mtrace_report": 1): one object
 * per report, or an array of them when several snapshots of different
 * processes are reported without --merge; a series of one process rides on
 * its last snapshot's report ("series", "growth"); diff is one object. The
 * pieces check's JSON (check_output.c) shares are exported. Numbers are
 * exact integers; strings are escaped and invalid UTF-8 is replaced, so
 * hostile snapshot strings cannot break it. */
#include "output_json.h"

#include <inttypes.h>
#include <string.h>

#include "output.h"
#include "snapshot_read.h"
#include "textutil.h"

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
            size_t n = text_utf8_len(p);
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

void json_kstr(FILE *out, const char *k, const char *v, const char *sep)
{
    fprintf(out, "\"%s\":", k);
    json_string(out, v);
    fputs(sep, out);
}

void json_knum(FILE *out, const char *k, uint64_t v, const char *sep)
{
    fprintf(out, "\"%s\":%" PRIu64 "%s", k, v, sep);
}

static void ksigned(FILE *out, const char *k, struct sdelta d, const char *sep)
{
    fprintf(out, "\"%s\":%s%" PRIu64 "%s", k, d.neg ? "-" : "", d.mag, sep);
}

/* "leaks": the classes of C's live blocks, or null without a leak scan. */
void json_leak_classes(FILE *out, const struct counters *c, bool classes)
{
    if (!classes) {
        fputs("\"leaks\":null", out);
        return;
    }
    fputs("\"leaks\":{", out);
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
        fprintf(out, "%s\"%s\":{", k ? "," : "", snap_leak_class_name(k));
        json_knum(out, "bytes", c->leak_bytes[k], ",");
        json_knum(out, "count", c->leak_count[k], "}");
    }
    fputc('}', out);
}

static void counters(FILE *out, const struct counters *c, bool classes)
{
    json_knum(out, "alloc_bytes", c->alloc_bytes, ",");
    json_knum(out, "alloc_count", c->alloc_count, ",");
    json_knum(out, "live_bytes", c->live_bytes, ",");
    json_knum(out, "live_count", c->live_count, ",");
    json_knum(out, "peak_bytes", c->peak_bytes, ",");
    json_knum(out, "peak_count", c->peak_count, ",");
    json_leak_classes(out, c, classes);
}

static void frame_fields(FILE *out, const struct rframe *f)
{
    json_kstr(out, "function", f->function, ",");
    json_kstr(out, "file", f->file, ",");
    if (f->line)
        json_knum(out, "line", f->line, ",");
    else
        fputs("\"line\":null,", out);
    json_kstr(out, "module", f->module, "");
}

void json_snapinfo(FILE *out, const struct out_snapinfo *s)
{
    fputc('{', out);
    json_kstr(out, "file", s->file, ",");
    json_kstr(out, "program", s->program, ",");
    json_kstr(out, "cmdline", s->cmdline, ",");
    json_knum(out, "pid", s->pid, ",");
    json_knum(out, "ppid", s->ppid, ",");
    fprintf(out, "\"forked\":%s,", s->forked ? "true" : "false");
    json_kstr(out, "reason", s->reason, ",");
    fprintf(out, "\"end_signal\":%" PRIu32 ",\"end_status\":%" PRId32 ",", s->end_signal,
            s->end_status);
    json_knum(out, "sequence", s->sequence, ",");
    json_knum(out, "start_time_ns", s->start_time_ns, ",");
    json_knum(out, "time_ns", s->time_ns, ",");
    json_knum(out, "max_depth", s->max_depth, ",");
    json_knum(out, "current_bytes", s->current_bytes, ",");
    json_knum(out, "current_blocks", s->current_blocks, ",");
    json_knum(out, "peak_bytes", s->peak_bytes, ",");
    json_knum(out, "peak_blocks", s->peak_blocks, ",");
    json_knum(out, "rss_bytes", s->rss_bytes, ",");
    json_knum(out, "peak_rss_bytes", s->peak_rss_bytes, ",");
    json_knum(out, "malloc_in_use", s->malloc_in_use, ",");
    json_knum(out, "malloc_free", s->malloc_free, ",");
    json_knum(out, "malloc_mmapped", s->malloc_mmapped, ",");
    json_knum(out, "fork_allocs", s->fork_allocs, ",");
    json_knum(out, "fork_bytes", s->fork_bytes, ",");
    json_kstr(out, "replaced", s->replaced ? s->replaced : "", ",");
    json_knum(out, "total_allocs", s->total_allocs, ",");
    json_knum(out, "total_bytes", s->total_bytes, ",");
    json_knum(out, "total_frees", s->total_frees, ",");
    json_knum(out, "dropped", s->dropped, ",");
    json_kstr(out, "leak_scan", s->leak_scan_name, ",");
    json_knum(out, "leak_threads", s->leak_threads, ",");
    json_knum(out, "leak_threads_missed", s->leak_threads_missed, ",");
    json_knum(out, "leak_scan_ms", s->leak_scan_ms, ",");
    json_knum(out, "peak_allocs", s->peak_allocs, ",");
    json_knum(out, "sample_bytes", s->sample_bytes, ",");
    json_knum(out, "timeline_ms", s->timeline_ms, ",");
    fprintf(out, "\"rss_only\":%s", s->rss_only ? "true" : "false");
    fputc('}', out);
}

void json_stack(FILE *out, const struct out_row *row)
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
void json_row_site(FILE *out, const struct out_row *row)
{
    static const struct rframe none;
    json_kstr(out, "key", row->key, ",");
    frame_fields(out, row->site ? row->site : &none);
    fputc(',', out);
}

static void diff_values(FILE *out, const struct diff_values *v)
{
    json_knum(out, "size", v->size, ",");
    ksigned(out, "size_diff", v->size_diff, ",");
    json_knum(out, "count", v->count, ",");
    ksigned(out, "count_diff", v->count_diff, ",");
    json_knum(out, "old_size", v->old_size, ",");
    json_knum(out, "old_count", v->old_count, "");
}

void json_diff_rows(FILE *out, const struct out_diff_row *rows, size_t n)
{
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n{" : "\n{", out);
        json_row_site(out, &rows[i].row);
        json_kstr(out, "status", diff_status_name(rows[i].status), ",");
        diff_values(out, &rows[i].v);
        fputc(',', out);
        json_stack(out, &rows[i].row);
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

void json_filters(FILE *out, const struct out_filtered *f, bool classes)
{
    if (!f) {
        fputs("\"filters\":null,", out);
        return;
    }
    static const char *const verbs[2] = {"include", "exclude"};
    fputs("\"filters\":{", out);
    json_kstr(out, "frames", f->set->any_frame ? "any" : "site", ",");
    for (int x = 0; x < 2; x++)
        for (int k = 0; k < FILTER_NKINDS; k++) {
            char name[32];
            snprintf(name, sizeof name, "%s_%s", verbs[x], filter_kind_name((enum filter_kind)k));
            strlist(out, name, f->set->pats[x][k], f->set->npats[x][k]);
        }
    json_knum(out, "stacks_total", f->stacks_total, ",");
    json_knum(out, "stacks_kept", f->stacks_kept, ",");
    fputs("\"kept\":{", out);
    counters(out, &f->kept, classes);
    fputs("}},", out);
}

static void series(FILE *out, const struct out_series *se)
{
    fputs("\"series\":[", out);
    for (size_t i = 0; i < se->npoints; i++) {
        const struct out_series_point *p = &se->points[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_kstr(out, "file", p->snap->file, ",");
        json_knum(out, "pid", p->snap->pid, ",");
        json_kstr(out, "reason", p->snap->reason, ",");
        json_knum(out, "sequence", p->snap->sequence, ",");
        json_knum(out, "time_ns", p->snap->time_ns, ",");
        json_knum(out, "elapsed_ns", p->elapsed_ns, ",");
        json_knum(out, "current_bytes", p->snap->current_bytes, ",");
        json_knum(out, "current_blocks", p->snap->current_blocks, ",");
        json_knum(out, "peak_bytes", p->snap->peak_bytes, ",");
        json_knum(out, "rss_bytes", p->snap->rss_bytes, ",");
        if (p->has_change)
            ksigned(out, "current_change", p->current_change, "}");
        else
            fputs("\"current_change\":null}", out);
    }
    fputs("],\n", out);
    json_kstr(out, "growth_metric", se->growth_metric, ",");
    fputs("\"growth\":", out);
    json_diff_rows(out, se->growth, se->ngrowth);
    fputs(",\n", out);
}

static void json_report(FILE *out, const struct out_report *r, size_t index)
{
    if (index > 0)
        fputs(",\n", out);
    fputs("{\"mtrace_report\":1,", out);
    json_kstr(out, "command", r->command, ",");
    fputs("\"snapshots\":[", out);
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (i)
            fputc(',', out);
        json_snapinfo(out, &r->snaps[i]);
    }
    fputs("],", out);
    fprintf(out, "\"merged\":%s,", r->merged ? "true" : "false");
    fprintf(out, "\"leak_classes\":%s,", r->leak_classes ? "true" : "false");
    json_kstr(out, "group_by", r->group_by, ",");
    json_kstr(out, "sort", metric_sort_name(r->sort), ",");
    json_knum(out, "limit", r->limit, ",");
    json_filters(out, r->filtered, r->leak_classes);
    if (r->series)
        series(out, r->series);
    fputs("\"totals\":{", out);
    counters(out, &r->totals, r->leak_classes);
    fputc(',', out);
    json_knum(out, "rows", r->total_rows, "");
    fputs("},\n\"rows\":[", out);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_row_site(out, row);
        counters(out, &row->c, r->leak_classes);
        fputc(',', out);
        json_stack(out, row);
        fputc('}', out);
    }
    fputs("]}", out);
}

static void json_diff(FILE *out, const struct out_diff *d)
{
    fputs("{\"mtrace_report\":1,\"command\":\"diff\",\"snapshots\":[", out);
    json_snapinfo(out, d->old_snap);
    fputc(',', out);
    json_snapinfo(out, d->new_snap);
    fputs("],", out);
    json_kstr(out, "group_by", d->group_by, ",");
    json_kstr(out, "metric", d->metric, ",");
    json_knum(out, "limit", d->limit, ",");
    fprintf(out, "\"all\":%s,", d->all ? "true" : "false");
    fputs("\"notes\":[", out);
    if (d->note)
        json_string(out, d->note);
    fputs("],", out);
    json_filters(out, d->filtered, false);
    fputs("\"totals\":{", out);
    diff_values(out, &d->totals);
    fputc(',', out);
    json_knum(out, "rows", d->total_rows, ",");
    json_knum(out, "unchanged", d->unchanged, "");
    fputs("},\n\"rows\":", out);
    json_diff_rows(out, d->rows, d->nrows);
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
