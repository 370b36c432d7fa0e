/* procs SNAPSHOT...: one row per process image of a traced tree (its last
 * snapshot): pid, parent, program, how it ended, its traced peak, what it
 * still held, what it lost (when its exit was scanned) and its peak RSS.
 * mtrace-run ends with it. An image is a (pid, start time) pair: exec keeps
 * the pid and starts a new image. Rows in start order. An --rss-only file
 * has no traced figures: "-" in the table. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "humanize.h"
#include "model.h"
#include "output_json.h"
#include "textutil.h"

struct proc_row {
    const struct snap *last;
    size_t nsnaps;
};

static bool same_image(const struct snap *a, const struct snap *b)
{
    return a->hdr.pid == b->hdr.pid && a->hdr.start_time_ns == b->hdr.start_time_ns;
}

static bool later(const struct snap *a, const struct snap *b)
{
    return a->hdr.sequence != b->hdr.sequence ? a->hdr.sequence > b->hdr.sequence
                                              : a->hdr.time_ns > b->hdr.time_ns;
}

static int by_start(const void *pa, const void *pb)
{
    const struct mt_file_header *a = &((const struct proc_row *)pa)->last->hdr;
    const struct mt_file_header *b = &((const struct proc_row *)pb)->last->hdr;
    if (a->start_time_ns != b->start_time_ns)
        return a->start_time_ns < b->start_time_ns ? -1 : 1;
    return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static uint64_t lost_bytes(const struct snap *s)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s->nleaks; i++)
        sum = sat_add64(sum, sat_add64(s->leaks[i].bytes[MT_LEAK_DEFINITE],
                                       s->leaks[i].bytes[MT_LEAK_INDIRECT]));
    return sum;
}

static const char *base(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static void print_table(FILE *out, const struct proc_row *rows, size_t n)
{
    fprintf(out, "%8s %8s  %-16s %-20s %10s %10s %10s %10s\n", "PID", "PARENT", "PROGRAM",
            "END", "PEAK", "LIVE", "LOST", "PEAK RSS");
    for (size_t i = 0; i < n; i++) {
        const struct snap *s = rows[i].last;
        const struct mt_file_header *h = &s->hdr;
        char cause[64], a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], d[HZ_BUF];
        snap_cause(h, cause, sizeof cause);
        struct sbuf prog = {0};
        sb_add_clean(&prog, base(snap_str(s, h->program)));
        bool traced = !snap_rss_only(s);  /* --rss-only: RSS alone is known */
        fprintf(out, "%8" PRIu64 " %8" PRIu64 "  %-16s %-20s %10s %10s %10s %10s\n", h->pid,
                h->ppid, sb_str(&prog), cause, traced ? hz_size(h->peak_bytes, a) : "-",
                traced ? hz_size(h->current_bytes, b) : "-",
                h->leak_scan ? hz_size(lost_bytes(s), c) : "-", hz_size(h->peak_rss_bytes, d));
        sb_free(&prog);
    }
}

static void print_json(FILE *out, const struct proc_row *rows, size_t n)
{
    fputs("{\"mtrace_report\":1,\"command\":\"procs\",\"processes\":[", out);
    for (size_t i = 0; i < n; i++) {
        const struct snap *s = rows[i].last;
        const struct mt_file_header *h = &s->hdr;
        fputs(i ? ",{" : "{", out);
        json_kstr(out, "file", s->path, ",");
        json_knum(out, "pid", h->pid, ",");
        json_knum(out, "ppid", h->ppid, ",");
        json_kstr(out, "program", snap_str(s, h->program), ",");
        json_kstr(out, "reason", snap_reason_name(h->reason), ",");
        fprintf(out, "\"end_signal\":%" PRIu32 ",\"end_status\":%" PRId32 ",", h->end_signal,
                h->end_status);
        json_knum(out, "snapshots", rows[i].nsnaps, ",");
        fprintf(out, "\"rss_only\":%s,", snap_rss_only(s) ? "true" : "false");
        json_knum(out, "peak_bytes", h->peak_bytes, ",");
        json_knum(out, "current_bytes", h->current_bytes, ",");
        if (h->leak_scan)
            json_knum(out, "lost_bytes", lost_bytes(s), ",");
        else
            fputs("\"lost_bytes\":null,", out);
        json_knum(out, "peak_rss_bytes", h->peak_rss_bytes, "}");
    }
    fputs("]}\n", out);
}

int cmd_procs(const struct report_opts *o, const struct snap *snaps, size_t n)
{
    struct proc_row *rows = calloc(n, sizeof *rows);
    if (!rows)
        report_oom();
    size_t nrows = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nrows && !same_image(rows[k].last, &snaps[i]))
            k++;
        if (k == nrows)
            rows[nrows++].last = &snaps[i];
        else if (later(&snaps[i], rows[k].last))
            rows[k].last = &snaps[i];
        rows[k].nsnaps++;
    }
    qsort(rows, nrows, sizeof *rows, by_start);
    if (o->format == &out_format_json)
        print_json(o->out, rows, nrows);
    else
        print_table(o->out, rows, nrows);
    free(rows);
    return 0;
}
