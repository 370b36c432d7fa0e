/* Shared pieces of the output layer: counters arithmetic, signed deltas,
 * sort-metric and diff-status names, the filters' description,
 * the registry of formats (add new ones here) and frame labels used both for
 * group keys and by the formats. */
#include "output.h"

#include <inttypes.h>
#include <string.h>

#include "textutil.h"

static const char *const metric_names[] = {
    [METRIC_ALLOC_BYTES] = "bytes", [METRIC_ALLOC_COUNT] = "count",
    [METRIC_LIVE_BYTES] = "live",   [METRIC_LIVE_COUNT] = "live-count",
    [METRIC_PEAK_BYTES] = "peak",   [METRIC_PEAK_COUNT] = "peak-count",
    [METRIC_LOST_BYTES] = "lost",   [METRIC_LOST_COUNT] = "lost-count",
    [METRIC_DEFINITE_BYTES] = "definite", [METRIC_INDIRECT_BYTES] = "indirect",
    [METRIC_POSSIBLE_BYTES] = "possible", [METRIC_REACHABLE_BYTES] = "reachable",
};

#define LOST_MASK (1u << MT_LEAK_DEFINITE | 1u << MT_LEAK_INDIRECT)

uint64_t counters_get(const struct counters *c, enum metric m)
{
    switch (m) {
    case METRIC_ALLOC_BYTES: return c->alloc_bytes;
    case METRIC_ALLOC_COUNT: return c->alloc_count;
    case METRIC_LIVE_BYTES: return c->live_bytes;
    case METRIC_LIVE_COUNT: return c->live_count;
    case METRIC_PEAK_BYTES: return c->peak_bytes;
    case METRIC_PEAK_COUNT: return c->peak_count;
    case METRIC_LOST_BYTES: return counters_class_bytes(c, LOST_MASK);
    case METRIC_LOST_COUNT: return counters_class_count(c, LOST_MASK);
    case METRIC_DEFINITE_BYTES: return c->leak_bytes[MT_LEAK_DEFINITE];
    case METRIC_INDIRECT_BYTES: return c->leak_bytes[MT_LEAK_INDIRECT];
    case METRIC_POSSIBLE_BYTES: return c->leak_bytes[MT_LEAK_POSSIBLE];
    case METRIC_REACHABLE_BYTES: return c->leak_bytes[MT_LEAK_REACHABLE];
    }
    return 0;
}

uint64_t sat_add64(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t counters_class_bytes(const struct counters *c, unsigned mask)
{
    uint64_t sum = 0;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        if (mask & 1u << k)
            sum = sat_add64(sum, c->leak_bytes[k]);
    return sum;
}

uint64_t counters_class_count(const struct counters *c, unsigned mask)
{
    uint64_t sum = 0;
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        if (mask & 1u << k)
            sum = sat_add64(sum, c->leak_count[k]);
    return sum;
}

bool counters_has_leaks(const struct counters *c)
{
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++)
        if (c->leak_bytes[k] || c->leak_count[k])
            return true;
    return false;
}

void counters_add(struct counters *into, const struct counters *c)
{
    into->alloc_bytes = sat_add64(into->alloc_bytes, c->alloc_bytes);
    into->alloc_count = sat_add64(into->alloc_count, c->alloc_count);
    into->live_bytes = sat_add64(into->live_bytes, c->live_bytes);
    into->live_count = sat_add64(into->live_count, c->live_count);
    into->peak_bytes = sat_add64(into->peak_bytes, c->peak_bytes);
    into->peak_count = sat_add64(into->peak_count, c->peak_count);
    for (unsigned k = 0; k < MT_LEAK_CLASSES; k++) {
        into->leak_bytes[k] = sat_add64(into->leak_bytes[k], c->leak_bytes[k]);
        into->leak_count[k] = sat_add64(into->leak_count[k], c->leak_count[k]);
    }
}

struct sdelta sdelta_of(uint64_t now, uint64_t before)
{
    struct sdelta d;
    d.neg = now < before;
    d.mag = d.neg ? before - now : now - before;
    return d;
}

const char *diff_status_name(enum diff_status s)
{
    static const char *const names[] = {
        [DIFF_NEW] = "new", [DIFF_GONE] = "gone", [DIFF_CHANGED] = "changed",
        [DIFF_SAME] = "same",
    };
    return names[s];
}

const char *metric_sort_name(enum metric m)
{
    return metric_names[m];
}

int metric_from_sort_name(const char *name, enum metric *m)
{
    for (size_t i = 0; i < sizeof metric_names / sizeof metric_names[0]; i++)
        if (strcmp(name, metric_names[i]) == 0) {
            *m = (enum metric)i;
            return 0;
        }
    return -1;
}

const struct out_format *out_format_find(const char *name)
{
    static const struct out_format *const formats[] = {
        &out_format_table, &out_format_json, &out_format_folded, &out_format_pprof,
        &out_format_html, &out_format_csv,
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

const char *leak_class_label(unsigned k)
{
    static const char *const labels[MT_LEAK_CLASSES] = {
        [MT_LEAK_DEFINITE] = "definitely lost", [MT_LEAK_INDIRECT] = "indirectly lost",
        [MT_LEAK_POSSIBLE] = "possibly lost", [MT_LEAK_REACHABLE] = "still reachable",
    };
    return k < MT_LEAK_CLASSES ? labels[k] : "unknown";
}

void leak_scan_describe(struct sbuf *b, const struct out_snapinfo *s)
{
    const char *s_ = s->leak_threads == 1 ? "" : "s";
    switch (s->leak_scan) {
    case MT_SCAN_DONE:
        sb_printf(b, "done: %" PRIu32 " thread%s scanned in %" PRIu32 " ms", s->leak_threads, s_,
                  s->leak_scan_ms);
        break;
    case MT_SCAN_PARTIAL:
        sb_printf(b, "partial: %" PRIu32 " thread%s could not be scanned: lost blocks are "
                  "counted as possibly lost (%" PRIu32 " scanned in %" PRIu32 " ms)",
                  s->leak_threads_missed, s->leak_threads_missed == 1 ? "" : "s",
                  s->leak_threads, s->leak_scan_ms);
        break;
    default:
        sb_printf(b, "not run: blocks still allocated %s, without classes",
                  s->reason_code == MT_REASON_EXIT ? "at exit" : "when the snapshot was taken");
        break;
    }
}

/* V in decimal or lowercase hex, as printf's %u and %x write it. Frame labels
 * are built without printf: a --group-by stack key holds every frame's. */
static void add_uint(struct sbuf *b, uint64_t v, unsigned base)
{
    char buf[24], *p = buf + sizeof buf;
    do {
        *--p = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    sb_addn(b, p, (size_t)(buf + sizeof buf - p));
}

void frame_label(struct sbuf *b, const struct rframe *f)
{
    if (f->file) {
        sb_add(b, f->function ? f->function : "??");
        sb_addn(b, " ", 1);
        sb_add(b, f->file);
        sb_addn(b, ":", 1);
        add_uint(b, f->line, 10);
        if (f->inlined)
            sb_add(b, " (inlined)");
    } else {
        frame_fallback_label(b, f);
    }
}

void frame_fallback_label(struct sbuf *b, const struct rframe *f)
{
    if (f->python) {
        sb_add(b, f->function ? f->function : "??");
        sb_add(b, " (Python)");
    } else if (f->module) {
        if (f->function) {
            sb_add(b, f->function);
            sb_addn(b, " (", 2);
        }
        sb_add(b, f->module_base ? f->module_base : "(null)"); /* as printf wrote it */
        sb_addn(b, "+0x", 3);
        add_uint(b, f->offset, 16);
        if (f->function)
            sb_addn(b, ")", 1);
    } else {
        if (f->function) {
            sb_add(b, f->function);
            sb_addn(b, " (", 2);
        }
        sb_addn(b, "0x", 2);
        add_uint(b, f->addr, 16);
        if (f->function)
            sb_addn(b, ")", 1);
    }
}

void filters_describe(struct sbuf *b, const struct filter_set *f)
{
    static const char *const verbs[2] = {"include", "exclude"};
    bool any = false;
    for (int x = 0; x < 2; x++) {
        bool first_kind = true;
        for (int k = 0; k < FILTER_NKINDS; k++) {
            if (!f->npats[x][k])
                continue;
            if (first_kind)
                sb_printf(b, "%s%s ", any ? "; " : "", verbs[x]);
            else
                sb_add(b, ", ");
            sb_printf(b, "%s ", filter_kind_name((enum filter_kind)k));
            for (size_t i = 0; i < f->npats[x][k]; i++)
                sb_printf(b, "%s%s", i ? " or " : "", f->pats[x][k][i]);
            first_kind = false;
            any = true;
        }
    }
    sb_printf(b, "%s(%s)", any ? " " : "", f->any_frame ? "any frame" : "site frame");
}
