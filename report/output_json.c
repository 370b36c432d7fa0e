/* The JSON format (schema in docs/JSON.md, "mtrace_report": 1): one object
 * per report, or an array of them when several snapshots are reported
 * without --merge. Numbers are exact integers; strings are escaped and
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
    fputs("\"totals\":{", out);
    counters(out, &r->totals);
    fputc(',', out);
    knum(out, "rows", r->total_rows, "");
    fputs("},\n\"rows\":[", out);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        static const struct rframe none;
        const struct rframe *site = row->site ? row->site : &none;
        fputs(i ? ",\n{" : "\n{", out);
        kstr(out, "key", row->key, ",");
        frame_fields(out, site);
        fputc(',', out);
        counters(out, &row->c);
        fputs(",\"stack\":[", out);
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
        fputs("]}", out);
    }
    fputs("]}", out);
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
};
