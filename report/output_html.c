/* The html format: one self-contained page (report/html/: page.html,
 * flame.css, flame.js, timeline.css, timeline.js, embedded at build time as
 * html_assets.c) drawing a
 * flame graph of the rows: stacks root first from their first frame that is
 * not an allocator wrapper, as folded writes them (Python tracebacks unless
 * --native). The value is the command's (top allocated, leaks live, split
 * by leak class under a root frame per class, peak at the peak; diff OLD
 * and NEW). Children under 0.1% of the total fold into one "[other]" node,
 * so the page stays small whatever the snapshot. The data is a JSON script
 * element with '<', '>', '&', U+2028 and U+2029 escaped: names come from
 * the traced program, and the page shows them as text only. When the
 * snapshots carry a memory timeline, the page plots it above the graph
 * (report/html/timeline.js); timeline --format html, and any page of
 * --rss-only files, is the plots alone. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "textutil.h" /* before uthash.h: uthash_fatal */
#include "timeline_out.h"
#include <uthash.h>

/* html_assets.c, generated from report/html/ by embed.cmake. */
extern const char html_page_html[], html_flame_css[], html_flame_js[], html_timeline_css[],
    html_timeline_js[];

/* Points per process on the plot: more are cut into runs keeping maxima. */
#define PLOT_POINTS 2000

/* Children under 1/FOLD_DIV of the graph's total become "[other]". */
#define FOLD_DIV 1000

enum { FK_ROOT, FK_NATIVE, FK_PYTHON, FK_CLASS, FK_OTHER, FK_EMPTY };
static const char fkind[] = "rnpcoe"; /* their letters in the page's data */

struct hframe {
    char *key;                   /* kind, function, NUL, location */
    size_t len;
    uint32_t id;
    UT_hash_handle hh;
};

struct hnode {
    uint32_t frame, parent;
    uint64_t v[4];               /* value, blocks; diff: old value, old blocks */
};

struct edge_key {
    uint32_t parent, frame;
};

struct edge {
    struct edge_key k;
    uint32_t node;
    UT_hash_handle hh;
};

struct html {
    struct hframe *fmap, **frames;
    uint32_t nframes, capframes;
    struct hnode *nodes;
    uint32_t nnodes, capnodes;
    struct edge *edges;
    struct sbuf key, fn, loc;
    bool diff;
};

static void *grow(void *p, uint32_t *cap, size_t size)
{
    if (*cap > UINT32_MAX / 2)
        report_oom();
    *cap = *cap ? *cap * 2 : 64;
    p = realloc(p, (size_t)*cap * size);
    if (!p)
        report_oom();
    return p;
}

/* The id of the frame KIND FN LOC. */
static uint32_t intern(struct html *H, int kind, const char *fn, const char *loc)
{
    sb_reset(&H->key);
    sb_addn(&H->key, &fkind[kind], 1);
    sb_add(&H->key, fn);
    sb_addn(&H->key, "", 1);        /* NUL: "ab"+"c" differs from "a"+"bc" */
    sb_add(&H->key, loc);
    struct hframe *f;
    HASH_FIND(hh, H->fmap, H->key.s, H->key.len, f);
    if (f)
        return f->id;
    if (H->nframes == H->capframes)
        H->frames = grow(H->frames, &H->capframes, sizeof *H->frames);
    /* NUL-terminated too: text_utf8_len may look at the byte after the end */
    if (!(f = calloc(1, sizeof *f)) || !(f->key = malloc(H->key.len + 1)))
        report_oom();
    memcpy(f->key, H->key.s, H->key.len);
    f->key[H->key.len] = '\0';
    f->len = H->key.len;
    f->id = H->nframes;
    H->frames[H->nframes++] = f;
    HASH_ADD_KEYPTR(hh, H->fmap, f->key, f->len, f);
    return f->id;
}

/* A frame as the page shows it: function (or module+offset) and location. */
static uint32_t intern_rframe(struct html *H, const struct rframe *f)
{
    sb_reset(&H->fn);
    sb_reset(&H->loc);
    if (f->file || f->python) {
        sb_add(&H->fn, f->function ? f->function : "??");
        if (f->file)
            sb_printf(&H->loc, "%s:%" PRIu32 "%s", f->file, f->line,
                      f->inlined ? " (inlined)" : "");
    } else {
        frame_fallback_label(&H->fn, f);
        if (f->function && f->module)
            sb_printf(&H->loc, "%s+0x%" PRIx64, f->module_base, f->offset);
    }
    return intern(H, f->python ? FK_PYTHON : FK_NATIVE, sb_str(&H->fn), sb_str(&H->loc));
}

static uint32_t node_new(struct html *H, uint32_t parent, uint32_t frame)
{
    if (H->nnodes == H->capnodes)
        H->nodes = grow(H->nodes, &H->capnodes, sizeof *H->nodes);
    struct hnode *n = &H->nodes[H->nnodes];
    memset(n, 0, sizeof *n);
    n->parent = parent;
    n->frame = frame;
    return H->nnodes++;
}

/* The child FRAME of PARENT, made on first use. */
static uint32_t child(struct html *H, uint32_t parent, uint32_t frame)
{
    struct edge_key k = {parent, frame};
    struct edge *e;
    HASH_FIND(hh, H->edges, &k, sizeof k, e);
    if (e)
        return e->node;
    if (!(e = calloc(1, sizeof *e)))
        report_oom();
    e->k = k;
    e->node = node_new(H, parent, frame);
    HASH_ADD(hh, H->edges, k, sizeof k, e);
    return e->node;
}

static void add_to(struct hnode *n, const uint64_t v[4])
{
    for (int i = 0; i < 4; i++)
        n->v[i] = sat_add64(n->v[i], v[i]);
}

/* Add V along ROW's stack, root first, under the frame TOP when not NULL. */
static void add_stack(struct html *H, const struct out_row *row, const char *top,
                      const uint64_t v[4])
{
    if (!v[0] && !v[1] && !v[2] && !v[3])
        return;
    uint32_t n = 0;
    add_to(&H->nodes[0], v);
    if (top) {
        n = child(H, n, intern(H, FK_CLASS, top, ""));
        add_to(&H->nodes[n], v);
    }
    size_t from = row->show_from < row->nstack ? row->show_from : row->nstack;
    if (from == row->nstack) {
        n = child(H, n, intern(H, FK_EMPTY, "(empty stack)", ""));
        add_to(&H->nodes[n], v);
    }
    for (size_t k = row->nstack; k-- > from;) {
        n = child(H, n, intern_rframe(H, &row->stack[k]));
        add_to(&H->nodes[n], v);
    }
}

/* A JSON string for inside <script>: '<', '>', '&' (no "</script>" or
 * "<!--" can form), U+2028 and U+2029 (line ends to older JavaScript) as
 * \uXXXX; control bytes escaped, bytes that are not UTF-8 as U+FFFD. */
static void jstr(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    fputc('"', out);
    while (p < end) {
        unsigned char c = *p;
        size_t n = c ? text_utf8_len(p) : 1;
        if (n > (size_t)(end - p))
            n = 0;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
            fprintf(out, "\\u%04x", c);
        else if (n == 3 && c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
            fprintf(out, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
        else if (n == 0)
            fputs("\\ufffd", out);
        else
            fwrite(p, 1, n, out);
        p += n ? n : 1;
    }
    fputc('"', out);
}

static void jkstr(FILE *out, const char *k, const char *v)
{
    fprintf(out, "\"%s\":", k);
    jstr(out, v ? v : "", v ? strlen(v) : 0);
    fputc(',', out);
}

/* The weight that decides folding: the larger of NEW and OLD for diff. */
static uint64_t weight(const struct html *H, const struct hnode *n)
{
    return H->diff && n->v[2] > n->v[0] ? n->v[2] : n->v[0];
}

/* Fold nodes under the bound into one "[other]" per parent, then write
 * the nodes ([frame, parent, value, blocks(, old, old blocks)], parents
 * first: a node is made after its parent) and the frames they use, renumbered
 * in order of first use. */
static void write_tree(FILE *out, struct html *H)
{
    uint32_t n0 = H->nnodes;
    uint32_t *id = malloc((size_t)n0 * sizeof *id);     /* new index, or UINT32_MAX */
    uint32_t *other = malloc((size_t)n0 * sizeof *other);/* a parent's "[other]" */
    if (!id || !other)
        report_oom();
    uint64_t total = weight(H, &H->nodes[0]);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n0; i++) {
        other[i] = UINT32_MAX;
        id[i] = UINT32_MAX;
        struct hnode *n = &H->nodes[i];
        if (i == 0) {
            id[i] = kept++;
            continue;
        }
        if (id[n->parent] == UINT32_MAX)
            continue;                          /* inside a folded node */
        if (weight(H, n) >= total / FOLD_DIV && weight(H, n)) {
            id[i] = kept++;
            continue;
        }
        if (other[n->parent] == UINT32_MAX)
            other[n->parent] = node_new(H, n->parent, intern(H, FK_OTHER, "[other]", ""));
        n = &H->nodes[i];                      /* node_new may move them */
        add_to(&H->nodes[other[n->parent]], n->v);
    }
    uint32_t *fid = malloc((size_t)H->nframes * sizeof *fid), nf = 0;
    uint32_t *used = malloc((size_t)H->nframes * sizeof *used);
    if (!fid || !used)
        report_oom();
    for (uint32_t i = 0; i < H->nframes; i++)
        fid[i] = UINT32_MAX;
    fputs("\"nodes\":[", out);
    for (uint32_t i = 0; i < H->nnodes; i++) {
        const struct hnode *n = &H->nodes[i];
        uint32_t parent;
        if (i < n0) {
            if (id[i] == UINT32_MAX)
                continue;
            parent = i ? id[n->parent] : 0;
        } else {
            parent = id[n->parent];            /* an "[other]", after every kept node */
        }
        if (fid[n->frame] == UINT32_MAX) {
            used[nf] = n->frame;
            fid[n->frame] = nf++;
        }
        fprintf(out, "%s[%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64, i ? ",\n" : "",
                fid[n->frame], parent, n->v[0], n->v[1]);
        if (H->diff)
            fprintf(out, ",%" PRIu64 ",%" PRIu64, n->v[2], n->v[3]);
        fputc(']', out);
    }
    fputs("],\n\"frames\":[", out);
    for (uint32_t i = 0; i < nf; i++) {
        const struct hframe *f = H->frames[used[i]];
        size_t fnlen = strlen(f->key + 1);
        fprintf(out, "%s[", i ? "," : "");
        jstr(out, f->key + 1, fnlen);
        fputc(',', out);
        jstr(out, f->key + 2 + fnlen, f->len - 2 - fnlen);
        fprintf(out, ",\"%c\"]", f->key[0]);
    }
    fputs("]", out);
    free(fid);
    free(used);
    free(id);
    free(other);
}

static void html_init(struct html *H, bool diff)
{
    memset(H, 0, sizeof *H);
    H->diff = diff;
    node_new(H, 0, intern(H, FK_ROOT, "all", ""));
}

static void html_free(struct html *H)
{
    struct edge *e, *et;
    HASH_ITER(hh, H->edges, e, et) {
        HASH_DEL(H->edges, e);
        free(e);
    }
    HASH_CLEAR(hh, H->fmap);
    for (uint32_t i = 0; i < H->nframes; i++) {
        free(H->frames[i]->key);
        free(H->frames[i]);
    }
    free(H->frames);
    free(H->nodes);
    sb_free(&H->key);
    sb_free(&H->fn);
    sb_free(&H->loc);
}

/* PAGE up to the marker "@@NAME@@" (after the previous one); NULL at the end. */
static const char *page_until(FILE *out, const char *page, const char *name)
{
    char marker[32];
    snprintf(marker, sizeof marker, "@@%s@@", name);
    const char *m = strstr(page, marker);
    if (!m) {
        fputs(page, out);
        return NULL;
    }
    fwrite(page, 1, (size_t)(m - page), out);
    return m + strlen(marker);
}

static void snap_fields(FILE *out, const struct out_snapinfo *s, size_t n)
{
    jkstr(out, "program", n ? s[n - 1].program : "");
    fprintf(out, "\"pid\":%" PRIu64 ",\"snapshots\":[", n ? s[n - 1].pid : 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        jstr(out, s[i].file, strlen(s[i].file));
    }
    fputs("],", out);
}

/* One process's series for the plot (timeline.js): times in ns from its
 * time zero, points [t, traced, max, max_t, rss, allocs] cut to
 * PLOT_POINTS runs (tl_downsample keeps each run's maxima), labels and
 * snapshots [t, text], the peak [t, bytes, kind] or null. */
static void plot_proc(FILE *out, const struct tl_proc *p)
{
    size_t cap = p->npoints < PLOT_POINTS ? p->npoints : PLOT_POINTS;
    struct tl_row *rows = malloc((cap ? cap : 1) * sizeof *rows);
    if (!rows)
        report_oom();
    size_t n = tl_downsample(p, PLOT_POINTS, rows);
    fprintf(out, "{\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",", p->pid, p->ppid);
    jkstr(out, "program", p->program);
    jkstr(out, "cmdline", p->cmdline);
    fprintf(out, "\"rss_only\":%s,\"npoints\":%zu,\"points\":[", p->rss_only ? "true" : "false",
            p->npoints);
    for (size_t i = 0; i < n; i++) {
        const struct tl_row *r = &rows[i];
        fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]",
                i ? "," : "", tl_elapsed(p, r->time_ns), r->traced_bytes, r->max_bytes,
                tl_elapsed(p, r->max_time_ns), r->rss_bytes, r->allocs);
    }
    fputs("],\"labels\":[", out);
    for (size_t i = 0; i < p->nlabels; i++) {
        fprintf(out, "%s[%" PRIu64 ",", i ? "," : "", tl_elapsed(p, p->labels[i].time_ns));
        jstr(out, p->labels[i].text, strlen(p->labels[i].text));
        fputc(']', out);
    }
    fputs("],\"snapshots\":[", out);
    for (size_t i = 0; i < p->nsnaps; i++) {
        const struct tl_snapmark *m = &p->snaps[i];
        char what[128];
        snprintf(what, sizeof what, "%s #%" PRIu32, m->cause, m->sequence);
        fprintf(out, "%s[%" PRIu64 ",", i ? "," : "", tl_elapsed(p, m->time_ns));
        jstr(out, what, strlen(what));
        fputc(',', out);
        jstr(out, m->file, strlen(m->file));
        fputc(']', out);
    }
    if (p->peak_kind == TL_PEAK_NONE)
        fputs("],\"peak\":null}", out);
    else
        fprintf(out, "],\"peak\":[%" PRIu64 ",%" PRIu64 ",\"%s\"]}",
                tl_elapsed(p, p->peak_time_ns), p->peak_bytes,
                p->peak_kind == TL_PEAK_RSS ? "rss" : "traced");
    free(rows);
}

static void plot_data(FILE *out, const struct tl_set *tl, bool only)
{
    fprintf(out, "\"plot_only\":%s,\"timeline\":", only ? "true" : "false");
    if (!tl) {
        fputs("null,", out);
        return;
    }
    fputc('[', out);
    for (size_t i = 0; i < tl->nprocs; i++) {
        if (i)
            fputs(",\n", out);
        plot_proc(out, &tl->procs[i]);
    }
    fputs("],\n", out);
}

/* The page around the data; the data's head is written by HEAD(OUT, ARG).
 * H NULL: the plots of TL only. */
static void page(FILE *out, struct html *H, void (*head)(FILE *, const void *),
                 const void *arg, const struct tl_set *tl)
{
    const char *p = page_until(out, html_page_html, "CSS");
    fputs(html_flame_css, out);
    fputs(html_timeline_css, out);
    p = page_until(out, p, "DATA");
    fprintf(out, "{\"version\":1,\"diff\":%s,\"fold\":%d,", H && H->diff ? "true" : "false",
            FOLD_DIV);
    head(out, arg);
    plot_data(out, tl, !H);
    if (H)
        write_tree(out, H);
    else
        fputs("\"nodes\":[],\"frames\":[]", out);
    fputs("}", out);
    p = page_until(out, p, "JS");
    fputs(html_timeline_js, out);
    fputs(html_flame_js, out);
    page_until(out, p, "END");
}

static const char *what_of(const char *command)
{
    if (strcmp(command, "leaks") == 0)
        return "bytes live when the snapshot was taken";
    if (strcmp(command, "peak") == 0)
        return "bytes live when the traced heap peaked";
    return "bytes allocated in total";
}

static void report_head(FILE *out, const void *arg)
{
    const struct out_report *r = arg;
    jkstr(out, "command", r->command);
    jkstr(out, "what", what_of(r->command));
    fprintf(out, "\"classes\":%s,\"merged\":%s,",
            r->leak_classes && strcmp(r->command, "leaks") == 0 ? "true" : "false",
            r->merged ? "true" : "false");
    snap_fields(out, r->snaps, r->nsnaps);
}

static void html_report(FILE *out, const struct out_report *r, size_t index)
{
    (void)index;
    struct html H;
    html_init(&H, false);
    bool leaks = strcmp(r->command, "leaks") == 0, peak = strcmp(r->command, "peak") == 0;
    bool classes = r->leak_classes && leaks;
    for (size_t i = 0; i < r->nrows; i++) {
        const struct out_row *row = &r->rows[i];
        const struct counters *c = &row->c;
        if (classes) {
            /* as folded: a root frame per class, blocks without one apart */
            uint64_t sum[2] = {0, 0};
            for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
                char top[32];
                snprintf(top, sizeof top, "[%s]", leak_class_label(k));
                uint64_t v[4] = {c->leak_bytes[k], c->leak_count[k], 0, 0};
                add_stack(&H, row, top, v);
                sum[0] = sat_add64(sum[0], v[0]);
                sum[1] = sat_add64(sum[1], v[1]);
            }
            uint64_t v[4] = {c->live_bytes > sum[0] ? c->live_bytes - sum[0] : 0,
                             c->live_count > sum[1] ? c->live_count - sum[1] : 0, 0, 0};
            add_stack(&H, row, "[unclassified]", v);
            continue;
        }
        uint64_t v[4] = {leaks ? c->live_bytes : peak ? c->peak_bytes : c->alloc_bytes,
                         leaks ? c->live_count : peak ? c->peak_count : c->alloc_count, 0, 0};
        add_stack(&H, row, NULL, v);
    }
    page(out, &H, report_head, r, r->timeline);
    html_free(&H);
}

static void diff_head(FILE *out, const void *arg)
{
    const struct out_diff *d = arg;
    jkstr(out, "command", "diff");
    jkstr(out, "what", strcmp(d->metric, "alloc") == 0  ? "bytes allocated in total"
                       : strcmp(d->metric, "peak") == 0 ? "bytes live at the peak"
                                                        : "bytes live");
    jkstr(out, "note", d->note);
    fputs("\"classes\":false,\"merged\":false,", out);
    struct out_snapinfo s[2] = {*d->old_snap, *d->new_snap};
    snap_fields(out, s, 2);
}

static void html_diff(FILE *out, const struct out_diff *d)
{
    struct html H;
    html_init(&H, true);
    for (size_t i = 0; i < d->nrows; i++) {
        const struct diff_values *x = &d->rows[i].v;
        uint64_t v[4] = {x->size, x->count, x->old_size, x->old_count};
        add_stack(&H, &d->rows[i].row, NULL, v);
    }
    page(out, &H, diff_head, d, d->timeline);
    html_free(&H);
}

static void timeline_head(FILE *out, const void *arg)
{
    const struct tl_set *tl = arg;
    jkstr(out, "command", "timeline");
    jkstr(out, "what", "memory over time");
    fputs("\"classes\":false,\"merged\":false,", out);
    jkstr(out, "program", tl->nprocs ? tl->procs[0].program : "");
    fprintf(out, "\"pid\":%" PRIu64 ",\"snapshots\":[", tl->nprocs ? tl->procs[0].pid : 0);
    size_t k = 0;
    for (size_t i = 0; i < tl->nprocs; i++)
        for (size_t j = 0; j < tl->procs[i].nsnaps; j++) {
            const char *f = tl->procs[i].snaps[j].file;
            if (k++)
                fputc(',', out);
            jstr(out, f, strlen(f));
        }
    fputs("],", out);
}

void html_timeline_page(FILE *out, const struct tl_set *set)
{
    page(out, NULL, timeline_head, set, set);
}

static void html_nop(FILE *out, size_t n)
{
    (void)out;
    (void)n;
}

const struct out_format out_format_html = {
    .name = "html",
    .begin = html_nop,
    .report = html_report,
    .end = html_nop,
    .diff = html_diff,
    .per_stack = true,
    .single = true,
    .binary = true,     /* a page, not for a terminal */
};
