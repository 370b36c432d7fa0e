/* Grouping stacks into rows (see group.h). Keys are plain strings so stacks
 * from different snapshots (each with its own module map and symbolizer)
 * merge whenever they symbolize alike; counters add with saturation because
 * hostile files may carry huge counts. A stack with Python frames is shown
 * as its Python traceback (site.h), and under --group-by stack keyed by it. */
#include "group.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h" /* before uthash.h: uthash_fatal */

/* Row keys under --group-by stack are kilobytes long (every frame's label),
 * and uthash's default (Jenkins, a byte at a time) was the grouper's main
 * cost there: hash eight bytes at a time instead. */
static unsigned key_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;
    for (; len >= 8; p += 8, len -= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0x94d049bb133111ebull;
    return (unsigned)(h ^ h >> 32);
}
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = key_hash((keyptr), (keylen)))
#include <uthash.h>

struct grow {
    struct out_row row;
    uint64_t rep;           /* metric of the representative stack */
    UT_hash_handle hh;
};

struct grouper {
    enum group_by by;
    struct site_opts so;
    enum metric rep_metric;
    struct grow *rows;
    struct rframe *frames;  /* scratch: the expanded stack */
    uint8_t *cls;           /* its frames' site_classify() verdicts */
    size_t cap;
    struct sbuf key;
    const struct filter_set *filter;
    stack_hook_fn hook;
    void *hook_ctx;
    struct out_filtered stats;
};

static const char *const group_names[] = {
    [GROUP_LINE] = "line", [GROUP_FUNCTION] = "function",
    [GROUP_FILE] = "file", [GROUP_STACK] = "stack",
};

const char *group_by_name(enum group_by g)
{
    return group_names[g];
}

int group_by_from_name(const char *name, enum group_by *g)
{
    for (size_t i = 0; i < sizeof group_names / sizeof group_names[0]; i++)
        if (strcmp(name, group_names[i]) == 0) {
            *g = (enum group_by)i;
            return 0;
        }
    return -1;
}

struct grouper *grouper_new(enum group_by by, const struct site_opts *so,
                            enum metric rep_metric)
{
    struct grouper *g = calloc(1, sizeof *g);
    if (!g)
        report_oom();
    g->by = by;
    g->so = *so;
    g->rep_metric = rep_metric;
    return g;
}

void grouper_set_filter(struct grouper *g, const struct filter_set *f)
{
    g->filter = f;
}

void grouper_set_hook(struct grouper *g, stack_hook_fn fn, void *ctx)
{
    g->hook = fn;
    g->hook_ctx = ctx;
}

void group_key(struct sbuf *key, enum group_by by, const struct rframe *frames,
               size_t n, size_t site)
{
    sb_reset(key);
    if (n == 0) {
        sb_add(key, "(empty stack)");
        return;
    }
    const struct rframe *f = &frames[site];
    switch (by) {
    case GROUP_LINE:
        if (f->file)
            sb_printf(key, "%s:%" PRIu32, f->file, f->line);
        else
            frame_fallback_label(key, f);
        break;
    case GROUP_FUNCTION:
        if (f->python && f->function)
            sb_printf(key, "%s (%s)", f->function, f->file ? f->file : "?");
        else if (f->function)
            sb_add(key, f->function);
        else
            frame_fallback_label(key, f);
        break;
    case GROUP_FILE:
        if (f->file)
            sb_add(key, f->file);
        else if (f->module)
            sb_add(key, f->module);
        else
            sb_add(key, "??");
        break;
    case GROUP_STACK:
        for (size_t i = 0; i < n; i++) {
            if (i)
                sb_add(key, " <- ");
            frame_label(key, &frames[i]);
        }
        break;
    }
}

/* Symbolize stack ST of S into g->frames; returns how many frames. */
static size_t expand_stack(struct grouper *g, const struct snap *s, struct symbolizer *z,
                           const struct mt_stack *st)
{
    size_t n = 0;
    for (uint32_t k = 0; k < st->frame_count; k++) {
        const struct rframe *fr;
        const uint8_t *cls;
        size_t m = sym_frame_cls(z, &s->frames[st->first_frame + k], &fr, &cls);
        if (n + m > g->cap) {
            size_t cap = g->cap ? g->cap : 32;
            while (cap < n + m)
                cap *= 2;
            struct rframe *t = realloc(g->frames, cap * sizeof *t);
            if (!t)
                report_oom();
            g->frames = t;
            uint8_t *c = realloc(g->cls, cap);
            if (!c)
                report_oom();
            g->cls = c;
            g->cap = cap;
        }
        memcpy(g->frames + n, fr, m * sizeof *fr);
        memcpy(g->cls + n, cls, m);
        n += m;
    }
    return n;
}

/* The frames a row shows of g->frames[0..*N), its site at *SITE; returns the
 * index of the first one shown. A stack with Python frames (without
 * --native) shows its Python traceback, whatever the grouping: g->frames is
 * cut down in place to the frames site_in_traceback keeps. The site, the
 * innermost Python frame, is among them, so line, function and file keys
 * are those of the whole stack, and the stack key follows what is shown.
 * Other stacks keep every frame and show them from the first that is not a
 * wrapper. */
static size_t shown_frames(struct grouper *g, size_t *n, size_t *site)
{
    if (g->so.native || !site_has_python(g->frames, *n))
        return site_show_from_cls(g->frames, g->cls, *n, &g->so);
    size_t k = 0, new_site = 0;
    for (size_t i = 0; i < *n; i++) {
        if (i == *site)
            new_site = k;
        if (site_in_traceback_cls(&g->frames[i], g->cls[i], &g->so)) {
            g->frames[k] = g->frames[i];
            g->cls[k++] = g->cls[i];
        }
    }
    *n = k;
    *site = new_site;
    return 0;
}

/* Add counters C to the row of g->key; g->frames[0..N) (site SITE, shown
 * from SHOW_FROM) becomes its representative if it outweighs the one so far. */
static void add_to_row(struct grouper *g, const struct counters *c, size_t n, size_t site,
                       size_t show_from)
{
    uint64_t rep = counters_get(c, g->rep_metric);
    struct grow *r;
    const char *k = sb_str(&g->key);
    size_t klen = strlen(k);
    HASH_FIND(hh, g->rows, k, klen, r);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r || !(r->row.key = malloc(klen + 1)))
            report_oom();
        memcpy(r->row.key, k, klen + 1);
        HASH_ADD_KEYPTR(hh, g->rows, r->row.key, klen, r);
    } else if (rep <= r->rep) {
        counters_add(&r->row.c, c);
        return;
    }
    /* New row, or this stack outweighs the representative so far. */
    counters_add(&r->row.c, c);
    r->rep = rep;
    free(r->row.stack);
    r->row.stack = malloc((n ? n : 1) * sizeof *r->row.stack);
    if (!r->row.stack)
        report_oom();
    if (n)
        memcpy(r->row.stack, g->frames, n * sizeof *g->frames);
    r->row.nstack = n;
    r->row.site = n ? &r->row.stack[site] : NULL;
    r->row.show_from = show_from;
}

void grouper_add(struct grouper *g, const struct snap *s, struct symbolizer *z)
{
    for (size_t si = 0; si < s->nstacks; si++) {
        const struct mt_stack *st = &s->stacks[si];
        size_t n = expand_stack(g, s, z, st);
        size_t site = site_find_cls(g->frames, g->cls, n, &g->so);
        g->stats.stacks_total++;
        if (g->filter && !filter_keep(g->filter, g->frames, n, site))
            continue;
        struct counters c = {
            .alloc_bytes = st->alloc_bytes, .alloc_count = st->alloc_count,
            .live_bytes = st->live_bytes, .live_count = st->live_count,
            .peak_bytes = st->peak_bytes, .peak_count = st->peak_count,
        };
        const struct mt_leak *lk = snap_stack_leak(s, si);
        if (lk) {
            memcpy(c.leak_bytes, lk->bytes, sizeof c.leak_bytes);
            memcpy(c.leak_count, lk->count, sizeof c.leak_count);
        }
        g->stats.stacks_kept++;
        counters_add(&g->stats.kept, &c);
        if (g->hook && g->hook(g->hook_ctx, g->frames, n, &c))
            continue;
        size_t show_from = shown_frames(g, &n, &site);
        group_key(&g->key, g->by, g->frames, n, site);
        add_to_row(g, &c, n, site, show_from);
    }
}

struct out_row *grouper_finish(struct grouper *g, size_t *nrows, struct out_filtered *stats)
{
    if (stats) {
        stats->stacks_total = g->stats.stacks_total;
        stats->stacks_kept = g->stats.stacks_kept;
        stats->kept = g->stats.kept;
    }
    size_t n = HASH_COUNT(g->rows), i = 0;
    struct out_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        report_oom();
    struct grow *r, *tmp;
    HASH_ITER(hh, g->rows, r, tmp) {
        HASH_DEL(g->rows, r);
        rows[i++] = r->row;
        free(r);
    }
    free(g->frames);
    free(g->cls);
    sb_free(&g->key);
    free(g);
    *nrows = n;
    return rows;
}

static enum metric sort_metric;

static int row_cmp(const void *a, const void *b)
{
    const struct out_row *x = a, *y = b;
    uint64_t vx = counters_get(&x->c, sort_metric), vy = counters_get(&y->c, sort_metric);
    if (vx != vy)
        return vx > vy ? -1 : 1;
    if (sort_metric >= METRIC_LOST_BYTES && x->c.live_bytes != y->c.live_bytes)
        return x->c.live_bytes > y->c.live_bytes ? -1 : 1;
    return strcmp(x->key, y->key);
}

void rows_sort(struct out_row *rows, size_t n, enum metric m)
{
    sort_metric = m;
    if (n > 1)
        qsort(rows, n, sizeof *rows, row_cmp);
}

void rows_free(struct out_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].key);
        free(rows[i].stack);
    }
    free(rows);
}
