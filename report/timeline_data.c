/* timeline's raw series (see timeline_out.h): JSON (docs/JSON.md,
 * "timeline") and CSV. Both give every stored point of every process, its
 * labels and its snapshots, as exact integers; neither symbolizes. CSV
 * quotes every text field (RFC 4180: '"' doubled) and turns control bytes
 * into '?', so a record is always one line. */
#include <inttypes.h>
#include <string.h>

#include "output_json.h"
#include "textutil.h"
#include "timeline_out.h"

static const char *peak_kind_name(enum tl_peak_kind k)
{
    return k == TL_PEAK_TRACED ? "traced" : k == TL_PEAK_RSS ? "rss" : "none";
}

static void json_proc(FILE *out, const struct tl_proc *p)
{
    fputs("{", out);
    json_knum(out, "pid", p->pid, ",");
    json_knum(out, "ppid", p->ppid, ",");
    json_kstr(out, "program", p->program, ",");
    json_kstr(out, "cmdline", p->cmdline, ",");
    fprintf(out, "\"rss_only\":%s,", p->rss_only ? "true" : "false");
    json_knum(out, "start_time_ns", p->start_time_ns, ",");
    json_knum(out, "t0_ns", p->t0, ",");
    json_knum(out, "timeline_ms", p->timeline_ms, ",");
    json_knum(out, "sample_bytes", p->sample_bytes, ",");
    if (p->peak_kind == TL_PEAK_NONE) {
        fputs("\"peak\":null,", out);
    } else {
        fputs("\"peak\":{", out);
        json_kstr(out, "kind", peak_kind_name(p->peak_kind), ",");
        json_knum(out, "bytes", p->peak_bytes, ",");
        json_knum(out, "time_ns", p->peak_time_ns, ",");
        json_knum(out, "elapsed_ns", tl_elapsed(p, p->peak_time_ns), ",");
        json_knum(out, "allocs", p->peak_allocs, ",");
        if (p->peak_point < p->nraw)
            json_knum(out, "point", p->peak_point, "},");
        else
            fputs("\"point\":null},", out);
    }
    fputs("\n\"snapshots\":[", out);
    for (size_t i = 0; i < p->nsnaps; i++) {
        const struct tl_snapmark *m = &p->snaps[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_kstr(out, "file", m->file, ",");
        json_kstr(out, "reason", m->reason, ",");
        json_knum(out, "sequence", m->sequence, ",");
        json_knum(out, "time_ns", m->time_ns, ",");
        json_knum(out, "elapsed_ns", tl_elapsed(p, m->time_ns), ",");
        json_knum(out, "current_bytes", m->current_bytes, ",");
        json_knum(out, "peak_bytes", m->peak_bytes, ",");
        json_knum(out, "rss_bytes", m->rss_bytes, ",");
        json_knum(out, "total_allocs", m->total_allocs, "}");
    }
    fputs("],\n\"labels\":[", out);
    for (size_t i = 0; i < p->nlabels; i++) {
        const struct tl_label *l = &p->labels[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_kstr(out, "text", l->text, ",");
        json_knum(out, "time_ns", l->time_ns, ",");
        json_knum(out, "elapsed_ns", tl_elapsed(p, l->time_ns), ",");
        json_knum(out, "allocs", l->allocs, ",");
        json_knum(out, "traced_bytes", l->traced_bytes, "}");
    }
    fputs("],\n\"points\":[", out);
    for (size_t i = 0; i < p->nraw; i++) {
        const struct mt_tl_point *q = &p->points[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_knum(out, "time_ns", q->time_ns, ",");
        json_knum(out, "elapsed_ns", tl_elapsed(p, q->time_ns), ",");
        json_knum(out, "traced_bytes", q->traced_bytes, ",");
        json_knum(out, "max_bytes", q->max_bytes, ",");
        json_knum(out, "max_time_ns", q->max_time_ns, ",");
        json_knum(out, "rss_bytes", q->rss_bytes, ",");
        json_knum(out, "allocs", q->allocs, "}");
    }
    fputs("]}", out);
}

void tl_json(FILE *out, const struct tl_set *set)
{
    fputs("{\"mtrace_report\":1,\"command\":\"timeline\",\"processes\":[", out);
    for (size_t i = 0; i < set->nprocs; i++) {
        fputs(i ? ",\n" : "\n", out);
        json_proc(out, &set->procs[i]);
    }
    fputs("]}\n", out);
}

static void csv_text(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"')
            fputs("\"\"", out);
        else
            fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, out);
    }
    fputc('"', out);
}

/* One record: the process's columns, KIND, then the numbers and NAME. */
static void csv_row(FILE *out, const struct tl_proc *p, const char *kind, uint64_t t,
                    const uint64_t v[5], const char *name)
{
    fprintf(out, "%" PRIu64 ",%" PRIu64 ",", p->pid, p->ppid);
    csv_text(out, p->program);
    fprintf(out, ",%s,%" PRIu64 ",%" PRIu64, kind, t, tl_elapsed(p, t));
    for (int i = 0; i < 5; i++)
        fprintf(out, ",%" PRIu64, v[i]);
    fputc(',', out);
    csv_text(out, name);
    fputc('\n', out);
}

void tl_csv(FILE *out, const struct tl_set *set)
{
    fputs("pid,ppid,program,kind,time_ns,elapsed_ns,traced_bytes,max_bytes,max_time_ns,"
          "rss_bytes,allocs,name\n", out);
    for (size_t k = 0; k < set->nprocs; k++) {
        const struct tl_proc *p = &set->procs[k];
        for (size_t i = 0; i < p->nraw; i++) {
            const struct mt_tl_point *q = &p->points[i];
            uint64_t v[5] = {q->traced_bytes, q->max_bytes, q->max_time_ns, q->rss_bytes,
                             q->allocs};
            csv_row(out, p, "point", q->time_ns, v, "");
        }
        for (size_t i = 0; i < p->nlabels; i++) {
            const struct tl_label *l = &p->labels[i];
            uint64_t v[5] = {l->traced_bytes, 0, 0, 0, l->allocs};
            csv_row(out, p, "label", l->time_ns, v, l->text);
        }
        for (size_t i = 0; i < p->nsnaps; i++) {
            const struct tl_snapmark *m = &p->snaps[i];
            uint64_t v[5] = {m->current_bytes, m->peak_bytes, 0, m->rss_bytes, m->total_allocs};
            csv_row(out, p, "snapshot", m->time_ns, v, m->file);
        }
        if (p->peak_kind != TL_PEAK_NONE) {
            uint64_t v[5] = {0, p->peak_bytes, p->peak_time_ns, 0, p->peak_allocs};
            if (p->peak_kind == TL_PEAK_RSS)
                v[1] = 0, v[3] = p->peak_bytes;
            csv_row(out, p, "peak", p->peak_time_ns, v, peak_kind_name(p->peak_kind));
        }
    }
}

static void csv_nop(FILE *out, size_t n)
{
    (void)out;
    (void)n;
}

const struct out_format out_format_csv = {
    .name = "csv",
    .begin = csv_nop,
    .end = csv_nop,
};
