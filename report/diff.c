/* The join behind diff (see diff.h): OLD's rows go into a hash by key, NEW's
 * rows look theirs up, and what is left of OLD afterwards is gone. Counters
 * are unsigned and may be anything in a hostile file, so changes are kept as
 * sign and magnitude (struct sdelta) and sums saturate. */
#include "diff.h"

#include <stdlib.h>
#include <string.h>

#include "textutil.h" /* before uthash.h: uthash_fatal */
#include <uthash.h>

static const char *const metric_names[] = {
    [DIFF_LIVE] = "live", [DIFF_ALLOC] = "alloc", [DIFF_PEAK] = "peak",
};

const char *diff_metric_name(enum diff_metric m)
{
    return metric_names[m];
}

int diff_metric_from_name(const char *name, enum diff_metric *m)
{
    for (size_t i = 0; i < sizeof metric_names / sizeof metric_names[0]; i++)
        if (strcmp(name, metric_names[i]) == 0) {
            *m = (enum diff_metric)i;
            return 0;
        }
    return -1;
}

enum metric diff_metric_bytes(enum diff_metric m)
{
    return m == DIFF_ALLOC ? METRIC_ALLOC_BYTES
           : m == DIFF_PEAK ? METRIC_PEAK_BYTES
                            : METRIC_LIVE_BYTES;
}

enum metric diff_metric_count(enum diff_metric m)
{
    return m == DIFF_ALLOC ? METRIC_ALLOC_COUNT
           : m == DIFF_PEAK ? METRIC_PEAK_COUNT
                            : METRIC_LIVE_COUNT;
}

struct old_entry {
    struct out_row *row;
    bool matched;
    UT_hash_handle hh;
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void values_finish(struct diff_values *v)
{
    v->size_diff = sdelta_of(v->size, v->old_size);
    v->count_diff = sdelta_of(v->count, v->old_count);
}

static void free_row(struct out_row *r)
{
    free(r->key);
    free(r->stack);
}

struct out_diff_row *diff_rows(struct out_row *old, size_t nold, struct out_row *new_rows,
                               size_t nnew, enum diff_metric m, size_t *n,
                               struct diff_values *totals)
{
    const enum metric mb = diff_metric_bytes(m), mc = diff_metric_count(m);
    struct old_entry *index = NULL, *entries = calloc(nold ? nold : 1, sizeof *entries);
    struct out_diff_row *out = calloc(nold + nnew ? nold + nnew : 1, sizeof *out);
    if (!entries || !out)
        report_oom();
    for (size_t i = 0; i < nold; i++) {
        entries[i].row = &old[i];
        HASH_ADD_KEYPTR(hh, index, old[i].key, strlen(old[i].key), &entries[i]);
    }
    struct diff_values sum = {0};
    size_t k = 0;
    for (size_t pass = 0; pass < 2; pass++) {
        /* Pass 0: every NEW row (with its OLD row if any); pass 1: OLD rows left. */
        size_t count = pass == 0 ? nnew : nold;
        for (size_t i = 0; i < count; i++) {
            struct out_row *nr = NULL, *orow = NULL;
            if (pass == 0) {
                nr = &new_rows[i];
                struct old_entry *e;
                HASH_FIND(hh, index, nr->key, strlen(nr->key), e);
                if (e && !e->matched) {
                    orow = e->row;
                    e->matched = true;
                }
            } else {
                if (entries[i].matched)
                    continue;
                orow = &old[i];
            }
            struct diff_values v = {0};
            if (nr) {
                v.size = counters_get(&nr->c, mb);
                v.count = counters_get(&nr->c, mc);
            }
            if (orow) {
                v.old_size = counters_get(&orow->c, mb);
                v.old_count = counters_get(&orow->c, mc);
            }
            values_finish(&v);
            bool in_new = v.size || v.count, in_old = v.old_size || v.old_count;
            if (!in_new && !in_old) {
                if (nr)
                    free_row(nr);
                if (orow)
                    free_row(orow);
                continue;
            }
            sum.size = sat_add(sum.size, v.size);
            sum.count = sat_add(sum.count, v.count);
            sum.old_size = sat_add(sum.old_size, v.old_size);
            sum.old_count = sat_add(sum.old_count, v.old_count);
            struct out_diff_row *d = &out[k++];
            d->v = v;
            d->status = !in_old                                     ? DIFF_NEW
                        : !in_new                                   ? DIFF_GONE
                        : v.size_diff.mag == 0 && v.count_diff.mag == 0 ? DIFF_SAME
                                                                    : DIFF_CHANGED;
            /* The representative stack: NEW's, OLD's when the group is gone. */
            if (d->status == DIFF_GONE || !nr) {
                d->row = *orow;
                if (nr)
                    free_row(nr);
            } else {
                d->row = *nr;
                if (orow)
                    free_row(orow);
            }
        }
    }
    HASH_CLEAR(hh, index);
    free(entries);
    free(old);
    free(new_rows);
    values_finish(&sum);
    if (totals)
        *totals = sum;
    *n = k;
    return out;
}

static int diff_cmp(const void *a, const void *b)
{
    const struct out_diff_row *x = a, *y = b;
    if (x->v.size_diff.mag != y->v.size_diff.mag)
        return x->v.size_diff.mag > y->v.size_diff.mag ? -1 : 1;
    if (x->v.count_diff.mag != y->v.count_diff.mag)
        return x->v.count_diff.mag > y->v.count_diff.mag ? -1 : 1;
    return strcmp(x->row.key, y->row.key);
}

void diff_sort(struct out_diff_row *rows, size_t n)
{
    if (n > 1)
        qsort(rows, n, sizeof *rows, diff_cmp);
}

void diff_rows_free_one(struct out_diff_row *row)
{
    free_row(&row->row);
}

void diff_rows_free(struct out_diff_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_row(&rows[i].row);
    free(rows);
}
