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
};

uint64_t counters_get(const struct counters *c, enum metric m)
{
    switch (m) {
    case METRIC_ALLOC_BYTES: return c->alloc_bytes;
    case METRIC_ALLOC_COUNT: return c->alloc_count;
    case METRIC_LIVE_BYTES: return c->live_bytes;
    case METRIC_LIVE_COUNT: return c->live_count;
    case METRIC_PEAK_BYTES: return c->peak_bytes;
    case METRIC_PEAK_COUNT: return c->peak_count;
    }
    return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void counters_add(struct counters *into, const struct counters *c)
{
    into->alloc_bytes = sat_add(into->alloc_bytes, c->alloc_bytes);
    into->alloc_count = sat_add(into->alloc_count, c->alloc_count);
    into->live_bytes = sat_add(into->live_bytes, c->live_bytes);
    into->live_count = sat_add(into->live_count, c->live_count);
    into->peak_bytes = sat_add(into->peak_bytes, c->peak_bytes);
    into->peak_count = sat_add(into->peak_count, c->peak_count);
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
        &out_format_table, &out_format_json,
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i]->name, name) == 0)
            return formats[i];
    return NULL;
}

void frame_fallback_label(struct sbuf *b, const struct rframe *f)
{
    if (f->python) {
        sb_printf(b, "%s (Python)", f->function ? f->function : "??");
    } else if (f->module) {
        if (f->function)
            sb_printf(b, "%s (%s+0x%" PRIx64 ")", f->function, f->module_base, f->offset);
        else
            sb_printf(b, "%s+0x%" PRIx64, f->module_base, f->offset);
    } else if (f->function) {
        sb_printf(b, "%s (0x%" PRIx64 ")", f->function, f->addr);
    } else {
        sb_printf(b, "0x%" PRIx64, f->addr);
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
