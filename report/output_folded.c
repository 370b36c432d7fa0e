/* The folded format: Brendan Gregg's collapsed stacks, what flamegraph.pl,
 * inferno and speedscope read. One line per stack, root first, frames
 * joined by ';', a space and the value: "main x.c:9;f x.c:3 4096". diff
 * writes two values, OLD then NEW, as difffolded.pl does. Stacks are the
 * rows of --group-by stack (a Python traceback unless --native) shown from
 * their first frame that is not an allocator wrapper, so the leaf is the
 * allocation site (or a C extension's frame above a Python site); a frame
 * reads as in stack keys ("function file:line"). Lines that end up alike
 * are summed, zeros dropped, and the output sorted, so it is
 * deterministic. leaks on a scanned heap splits each stack by leak class
 * under a root frame "[definitely lost]", ... */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "textutil.h" /* before uthash.h: uthash_fatal */
#include <uthash.h>

struct fline {
    char *stack;
    uint64_t v[2];
    UT_hash_handle hh;
};

struct folded {
    struct fline *lines;
    struct sbuf stack, frame;
    bool two;                /* diff: two values per line */
};

/* FRAME's name, safe for the format: ';' (the separator), control bytes
 * (a newline would end the line) and bytes that are not UTF-8 (inferno
 * and speedscope read UTF-8) become '?'. */
static void add_frame(struct folded *F, const struct rframe *f)
{
    sb_reset(&F->frame);
    frame_label(&F->frame, f);
    const unsigned char *p = (const unsigned char *)sb_str(&F->frame);
    while (*p) {
        size_t n = text_utf8_len(p);
        if (n == 0 || *p < 0x20 || *p == 0x7f || *p == ';') {
            sb_addn(&F->stack, "?", 1);
            p++;
        } else {
            sb_addn(&F->stack, (const char *)p, n);
            p += n;
        }
    }
}

/* The stack of ROW, root first, into F->stack, under ROOT when not NULL. */
static void stack_of(struct folded *F, const struct out_row *row, const char *root)
{
    sb_reset(&F->stack);
    if (root)
        sb_add(&F->stack, root);
    size_t from = row->show_from < row->nstack ? row->show_from : row->nstack;
    if (from == row->nstack) {
        sb_add(&F->stack, root ? ";(empty stack)" : "(empty stack)");
        return;
    }
    for (size_t k = row->nstack; k-- > from;) {
        if (F->stack.len)
            sb_add(&F->stack, ";");
        add_frame(F, &row->stack[k]);
    }
}

/* Add A (and B) to the line of F->stack. */
static void add_line(struct folded *F, uint64_t a, uint64_t b)
{
    if (!a && !b)
        return;
    struct fline *l;
    const char *k = sb_str(&F->stack);
    HASH_FIND(hh, F->lines, k, strlen(k), l);
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l || !(l->stack = strdup(k)))
            report_oom();
        HASH_ADD_KEYPTR(hh, F->lines, l->stack, strlen(l->stack), l);
    }
    l->v[0] = sat_add64(l->v[0], a);
    l->v[1] = sat_add64(l->v[1], b);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp((*(struct fline *const *)a)->stack, (*(struct fline *const *)b)->stack);
}

/* Print the lines sorted by stack, free everything. */
static void flush(FILE *out, struct folded *F)
{
    size_t n = HASH_COUNT(F->lines), i = 0;
    struct fline **v = calloc(n ? n : 1, sizeof *v), *l, *tmp;
    if (!v)
        report_oom();
    HASH_ITER(hh, F->lines, l, tmp) {
        HASH_DEL(F->lines, l);
        v[i++] = l;
    }
    qsort(v, n, sizeof *v, line_cmp);
    for (i = 0; i < n; i++) {
        if (F->two)
            fprintf(out, "%s %" PRIu64 " %" PRIu64 "\n", v[i]->stack, v[i]->v[0], v[i]->v[1]);
        else
            fprintf(out, "%s %" PRIu64 "\n", v[i]->stack, v[i]->v[0]);
        free(v[i]->stack);
        free(v[i]);
    }
    free(v);
    sb_free(&F->stack);
    sb_free(&F->frame);
}

/* The counter a report's lines carry: what the command is about. */
static enum metric value_metric(const struct out_report *r)
{
    bool count = r->unit == UNIT_COUNT;
    if (strcmp(r->command, "leaks") == 0)
        return count ? METRIC_LIVE_COUNT : METRIC_LIVE_BYTES;
    if (strcmp(r->command, "peak") == 0)
        return count ? METRIC_PEAK_COUNT : METRIC_PEAK_BYTES;
    return count ? METRIC_ALLOC_COUNT : METRIC_ALLOC_BYTES;
}

/* leaks of a scanned heap: one line per class, under "[CLASS]"; blocks of
 * an unscanned snapshot merged in (no class) under "[unclassified]". */
static void add_leak_classes(struct folded *F, const struct out_row *row, bool count)
{
    uint64_t sum = 0;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
        uint64_t v = count ? row->c.leak_count[k] : row->c.leak_bytes[k];
        char root[32];
        snprintf(root, sizeof root, "[%s]", leak_class_label(k));
        stack_of(F, row, root);
        add_line(F, v, 0);
        sum = sat_add64(sum, v);
    }
    uint64_t live = count ? row->c.live_count : row->c.live_bytes;
    if (live > sum) {
        stack_of(F, row, "[unclassified]");
        add_line(F, live - sum, 0);
    }
}

static void folded_report(FILE *out, const struct out_report *r, size_t index)
{
    (void)index;
    struct folded F = {0};
    enum metric m = value_metric(r);
    bool classes = r->leak_classes && strcmp(r->command, "leaks") == 0;
    for (size_t i = 0; i < r->nrows; i++) {
        if (classes) {
            add_leak_classes(&F, &r->rows[i], r->unit == UNIT_COUNT);
            continue;
        }
        stack_of(&F, &r->rows[i], NULL);
        add_line(&F, counters_get(&r->rows[i].c, m), 0);
    }
    flush(out, &F);
}

static void folded_diff(FILE *out, const struct out_diff *d)
{
    struct folded F = {.two = true};
    bool count = d->unit == UNIT_COUNT;
    for (size_t i = 0; i < d->nrows; i++) {
        const struct out_diff_row *row = &d->rows[i];
        stack_of(&F, &row->row, NULL);
        add_line(&F, count ? row->v.old_count : row->v.old_size,
                 count ? row->v.count : row->v.size);
    }
    flush(out, &F);
}

static void folded_nop(FILE *out, size_t n)
{
    (void)out;
    (void)n;
}

const struct out_format out_format_folded = {
    .name = "folded",
    .begin = folded_nop,
    .report = folded_report,
    .end = folded_nop,
    .diff = folded_diff,
    .per_stack = true,
    .single = true,
};
