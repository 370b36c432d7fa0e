/* Rendering check's results (check.h): the table, read in a CI log, lists
 * each leaking group with its classes and its stack (a Python stack as its
 * traceback, like every report), the suppressions used, LeakSanitizer's
 * SUMMARY line, the thresholds and PASS or FAIL; the JSON document carries
 * the same (schema in docs/JSON.md). Growth: the groups grown beyond the
 * limit, the total, PASS or FAIL. */
#include <inttypes.h>
#include <string.h>

#include "check.h"
#include "humanize.h"
#include "output_json.h"
#include "output_table.h"
#include "snapshot_read.h"

void check_classes_label(struct sbuf *b, unsigned mask)
{
    static const char *const adverbs[MT_LEAK_CLASSES] = {
        "definitely", "indirectly", "possibly", "still",
    };
    unsigned n = 0, total = 0;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        total += (mask >> k) & 1u;
    bool lost_only = !(mask & (1u << MT_LEAK_REACHABLE));
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
        if (!(mask & 1u << k))
            continue;
        const char *sep = n == 0 ? "" : n + 1 == total ? " and " : ", ";
        /* "definitely and indirectly lost": one "lost" when every class is. */
        if (lost_only)
            sb_printf(b, "%s%s", sep, adverbs[k]);
        else
            sb_printf(b, "%s%s", sep, leak_class_label(k));
        n++;
    }
    if (lost_only && n)
        sb_add(b, " lost");
}

void check_summary(struct sbuf *b, const struct check_result *r)
{
    sb_printf(b, "SUMMARY: %" PRIu64 " byte(s) leaked in %" PRIu64 " allocation(s).", r->bytes,
              r->blocks);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* "1,024 bytes in 1 block" */
static void bytes_blocks(struct sbuf *b, uint64_t bytes, uint64_t blocks)
{
    char x[HZ_BUF], y[HZ_BUF];
    sb_printf(b, "%s %s in %s %s", hz_count(bytes, x), plural(bytes, "byte", "bytes"),
              hz_count(blocks, y), plural(blocks, "block", "blocks"));
}

static void supp_label(struct sbuf *b, const struct supp *s)
{
    supp_describe(b, s);
    if (s->file) {
        sb_add(b, "  (");
        sb_add_clean(b, s->file);
        sb_printf(b, ":%u)", s->line);
    } else {
        sb_printf(b, "  (built-in: %s)", s->reason);
    }
}

static void print_suppressions_used(FILE *out, const struct check_result *r)
{
    char a[HZ_BUF], c[HZ_BUF];
    if (!r->nused)
        return;
    fputs("Suppressions used:\n", out);
    size_t wc = 5, wb = 5;
    for (size_t i = 0; i < r->nused; i++) {
        size_t lc = strlen(hz_count(r->used[i].blocks, a));
        size_t lb = strlen(hz_count(r->used[i].bytes, c));
        wc = lc > wc ? lc : wc;
        wb = lb > wb ? lb : wb;
    }
    fprintf(out, "  %*s  %*s  template\n", (int)wc, "count", (int)wb, "bytes");
    for (size_t i = 0; i < r->nused; i++) {
        struct sbuf line = {0}, l = {0};
        sb_printf(&line, "  %*s  %*s  ", (int)wc, hz_count(r->used[i].blocks, a), (int)wb,
                  hz_count(r->used[i].bytes, c));
        supp_label(&l, r->used[i].s);
        size_t used = text_cols(sb_str(&line));
        sb_fit_right(&line, sb_str(&l), r->width > used + 8 ? r->width - used : 8);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&l);
    }
    struct sbuf t = {0};
    sb_add(&t, "suppressed: ");
    bytes_blocks(&t, r->supp_bytes, r->supp_blocks);
    fprintf(out, "%s\n\n", sb_str(&t));
    sb_free(&t);
}

static void print_group(FILE *out, const struct check_result *r, size_t i)
{
    const struct out_row *row = &r->rows[i];
    struct sbuf line = {0}, site = {0};
    sb_printf(&line, "#%zu ", i + 1);
    bytes_blocks(&line, counters_class_bytes(&row->c, r->classes),
                 counters_class_count(&row->c, r->classes));
    sb_add(&line, " at ");
    table_site_label(&site, r->group_by, row);
    size_t used = text_cols(sb_str(&line));
    sb_fit_left(&line, sb_str(&site), r->width > used + 8 ? r->width - used : 8);
    fprintf(out, "%s\n", sb_str(&line));
    sb_reset(&line);
    sb_add(&line, "   ");
    bool first = true;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
        if (!(r->classes & 1u << k) || (!row->c.leak_bytes[k] && !row->c.leak_count[k]))
            continue;
        sb_printf(&line, "%s%s ", first ? "" : "; ", leak_class_label(k));
        bytes_blocks(&line, row->c.leak_bytes[k], row->c.leak_count[k]);
        first = false;
    }
    table_wrap(out, sb_str(&line), r->width, 3);
    sb_free(&line);
    sb_free(&site);
    if (r->stack_depth)
        table_stack(out, row, r->stack_depth, r->width);
    fputc('\n', out);
}

void check_table(FILE *out, const struct check_result *r)
{
    struct sbuf b = {0};
    sb_add(&b, "mtrace-report check: ");
    check_classes_label(&b, r->classes);
    sb_printf(&b, ", by %s", r->group_by);
    table_wrap(out, sb_str(&b), r->width, 2);
    if (r->nsnaps == 1)
        table_snapinfo(out, &r->snaps[0], r->width, true);
    for (size_t i = 0; r->nsnaps > 1 && i < r->nsnaps; i++) {
        /* A process tree can be many snapshots: two lines each. */
        const struct out_snapinfo *s = &r->snaps[i];
        table_kv(out, r->width, "snapshot", s->file);
        sb_reset(&b);
        sb_printf(&b, "%s  pid %" PRIu64, s->program[0] ? s->program : "?", s->pid);
        if (s->forked)
            sb_printf(&b, " (forked from %" PRIu64 ")", s->ppid);
        sb_add(&b, "; leak scan ");
        leak_scan_describe(&b, s);
        table_kv_wrap(out, r->width, "", sb_str(&b));
    }
    sb_reset(&b);
    for (size_t i = 0; i < r->nsupp_files; i++)
        sb_printf(&b, "%s%s", i ? ", " : "", r->supp_files[i]);
    if (r->defaults)
        sb_printf(&b, "%sbuilt-in (%zu patterns)", r->nsupp_files ? "; " : "",
                  supp_ndefaults());
    table_kv(out, r->width, "suppress", b.len ? sb_str(&b) : "none (--no-default-suppressions)");
    if (r->filtered)
        table_filtered(out, r->filtered, r->width);
    fputc('\n', out);

    for (size_t i = 0; i < r->nrows; i++)
        print_group(out, r, i);
    if (r->total_rows == 0)
        fputs("no leaks in the gated classes\n\n", out);
    /* Lines below wrap at the width; the SUMMARY line stays whole, as
     * LeakSanitizer's, for whoever greps CI logs for it. */
    else if (r->total_rows > r->nrows)
        fprintf(out, "showing %zu of %zu groups (-n 0 shows all)\n\n", r->nrows, r->total_rows);
    print_suppressions_used(out, r);
    table_leak_summary(out, &r->totals);
    sb_reset(&b);
    check_summary(&b, r);
    fprintf(out, "%s\n", sb_str(&b));
    char x[HZ_BUF], y[HZ_BUF];
    sb_reset(&b);
    sb_printf(&b, "thresholds: at most %s bytes and %s blocks (--max-leaked-bytes, "
              "--max-leaked-blocks)", hz_count(r->max_bytes, x), hz_count(r->max_blocks, y));
    table_wrap(out, sb_str(&b), r->width, 2);
    sb_reset(&b);
    sb_add(&b, r->failed ? "FAIL: " : "PASS: ");
    check_classes_label(&b, r->classes);
    sb_add(&b, ": ");
    bytes_blocks(&b, r->bytes, r->blocks);
    if (r->nsnaps > 1)
        sb_printf(&b, " in %zu snapshots", r->nsnaps);
    sb_add(&b, r->failed ? ", over the thresholds" : ", within the thresholds");
    table_wrap(out, sb_str(&b), r->width, 2);
    sb_free(&b);
}

static void classes_array(FILE *out, unsigned mask)
{
    fputs("\"classes\":[", out);
    bool first = true;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        if (mask & 1u << k) {
            fprintf(out, "%s\"%s\"", first ? "" : ",", snap_leak_class_name(k));
            first = false;
        }
    fputs("],", out);
}

static void json_use(FILE *out, const struct check_use *u)
{
    fputc('{', out);
    json_kstr(out, "type", supp_type_name(u->s->kind), ",");
    json_kstr(out, "pattern", u->s->pattern, ",");
    json_kstr(out, "file", u->s->file, ",");
    if (u->s->file)
        json_knum(out, "line", u->s->line, ",");
    else
        fputs("\"line\":null,", out);
    json_kstr(out, "reason", u->s->reason, ",");
    json_knum(out, "stacks", u->stacks, ",");
    json_knum(out, "blocks", u->blocks, ",");
    json_knum(out, "bytes", u->bytes, "}");
}

void check_json(FILE *out, const struct check_result *r)
{
    fputs("{\"mtrace_report\":1,\"command\":\"check\",\"mode\":\"leaks\",\"snapshots\":[", out);
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (i)
            fputc(',', out);
        json_snapinfo(out, &r->snaps[i]);
    }
    fputs("],", out);
    json_kstr(out, "group_by", r->group_by, ",");
    json_knum(out, "limit", r->limit, ",");
    classes_array(out, r->classes);
    fputs("\"thresholds\":{", out);
    json_knum(out, "max_leaked_bytes", r->max_bytes, ",");
    json_knum(out, "max_leaked_blocks", r->max_blocks, "},");
    fputs("\"suppression_files\":[", out);
    for (size_t i = 0; i < r->nsupp_files; i++) {
        if (i)
            fputc(',', out);
        json_string(out, r->supp_files[i]);
    }
    fprintf(out, "],\"default_suppressions\":%s,", r->defaults ? "true" : "false");
    json_filters(out, r->filtered, true);
    fputs("\"totals\":{", out);
    json_knum(out, "leaked_bytes", r->bytes, ",");
    json_knum(out, "leaked_blocks", r->blocks, ",");
    json_knum(out, "groups", r->total_rows, ",");
    json_knum(out, "live_bytes", r->totals.live_bytes, ",");
    json_knum(out, "live_count", r->totals.live_count, ",");
    json_leak_classes(out, &r->totals, true);
    fputs("},\"suppressed\":{", out);
    json_knum(out, "stacks", r->supp_stacks, ",");
    json_knum(out, "blocks", r->supp_blocks, ",");
    json_knum(out, "bytes", r->supp_bytes, "},");
    fputs("\"suppressions_used\":[", out);
    for (size_t i = 0; i < r->nused; i++) {
        if (i)
            fputc(',', out);
        json_use(out, &r->used[i]);
    }
    fputs("],\n\"groups\":[", out);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        fputs(i ? ",\n{" : "\n{", out);
        json_row_site(out, row);
        json_knum(out, "bytes", counters_class_bytes(&row->c, r->classes), ",");
        json_knum(out, "blocks", counters_class_count(&row->c, r->classes), ",");
        json_knum(out, "live_bytes", row->c.live_bytes, ",");
        json_knum(out, "live_count", row->c.live_count, ",");
        json_leak_classes(out, &row->c, true);
        fputc(',', out);
        json_stack(out, row);
        fputc('}', out);
    }
    struct sbuf b = {0};
    check_summary(&b, r);
    fputs("],\n", out);
    json_kstr(out, "summary", sb_str(&b), ",");
    json_kstr(out, "result", r->failed ? "fail" : "pass", "}\n");
    sb_free(&b);
}

void growth_table(FILE *out, const struct growth_result *g)
{
    char a[HZ_BUF], b[HZ_BUF], c[HZ_BUF], d[HZ_BUF], e[HZ_BUF];
    fprintf(out, "mtrace-report check --max-growth: live bytes by %s, OLD to NEW\n", g->group_by);
    table_brief(out, "old", g->old_snap, g->width);
    table_brief(out, "new", g->new_snap, g->width);
    if (g->filtered)
        table_filtered(out, g->filtered, g->width);
    fputc('\n', out);
    for (size_t i = 0; i < g->nrows; i++) {
        const struct out_diff_row *row = &g->rows[i];
        struct sbuf line = {0}, site = {0};
        sb_printf(&line, "%s  %s blocks  %-7s  ",
                  hz_size_delta(row->v.size_diff.mag, row->v.size_diff.neg, a),
                  hz_count_delta(row->v.count_diff.mag, row->v.count_diff.neg, b),
                  diff_status_name(row->status));
        table_site_label(&site, g->group_by, &row->row);
        size_t used = text_cols(sb_str(&line));
        sb_fit_left(&line, sb_str(&site), g->width > used + 8 ? g->width - used : 8);
        fprintf(out, "%s\n", sb_str(&line));
        sb_free(&line);
        sb_free(&site);
        if (g->stack_depth)
            table_stack(out, &row->row, g->stack_depth, g->width);
        fputc('\n', out);
    }
    if (g->total_rows > g->nrows)
        fprintf(out, "showing %zu of %zu groups (-n 0 shows all)\n\n", g->nrows, g->total_rows);
    const struct diff_values *v = &g->totals;
    struct sbuf s = {0};
    sb_printf(&s, "total: %s in %s blocks live, was %s in %s; change %s", hz_size(v->size, a),
              hz_count(v->count, b), hz_size(v->old_size, c), hz_count(v->old_count, d),
              hz_size_delta(v->size_diff.mag, v->size_diff.neg, e));
    table_wrap(out, sb_str(&s), g->width, 2);
    sb_reset(&s);
    sb_printf(&s, "threshold: growth of at most %s bytes, in total and per group "
              "(--max-growth)", hz_count(g->max_growth, a));
    table_wrap(out, sb_str(&s), g->width, 2);
    sb_reset(&s);
    sb_printf(&s, "%s: live bytes %s by %s bytes in total%s", g->failed ? "FAIL" : "PASS",
              v->size_diff.neg ? "shrank" : "grew", hz_count(v->size_diff.mag, a),
              g->total_failed ? ", more than allowed" : "");
    if (g->total_rows)
        sb_printf(&s, "; %zu %s grew by more than %s bytes", g->total_rows,
                  g->total_rows == 1 ? "group" : "groups", hz_count(g->max_growth, b));
    else
        sb_printf(&s, "; no group grew by more than %s bytes", hz_count(g->max_growth, b));
    table_wrap(out, sb_str(&s), g->width, 2);
    sb_free(&s);
}

void growth_json(FILE *out, const struct growth_result *g)
{
    const struct diff_values *v = &g->totals;
    fputs("{\"mtrace_report\":1,\"command\":\"check\",\"mode\":\"growth\",\"snapshots\":[", out);
    json_snapinfo(out, g->old_snap);
    fputc(',', out);
    json_snapinfo(out, g->new_snap);
    fputs("],", out);
    json_kstr(out, "group_by", g->group_by, ",");
    json_knum(out, "limit", g->limit, ",");
    fputs("\"thresholds\":{", out);
    json_knum(out, "max_growth", g->max_growth, "},");
    json_filters(out, g->filtered, false);
    fputs("\"totals\":{", out);
    json_knum(out, "size", v->size, ",");
    json_knum(out, "count", v->count, ",");
    json_knum(out, "old_size", v->old_size, ",");
    json_knum(out, "old_count", v->old_count, ",");
    fprintf(out, "\"size_diff\":%s%" PRIu64 ",\"count_diff\":%s%" PRIu64 ",",
            v->size_diff.neg ? "-" : "", v->size_diff.mag, v->count_diff.neg ? "-" : "",
            v->count_diff.mag);
    fprintf(out, "\"exceeded\":%s,", g->total_failed ? "true" : "false");
    json_knum(out, "groups", g->total_rows, "},\n");
    fputs("\"groups\":", out);
    json_diff_rows(out, g->rows, g->nrows);
    fputs(",\n", out);
    json_kstr(out, "result", g->failed ? "fail" : "pass", "}\n");
}
