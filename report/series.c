/* Series of one process (see series.h). */
#include "series.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "textutil.h"

bool series_one_process(const struct snap *snaps, size_t n)
{
    if (n < 2)
        return false;
    for (size_t i = 1; i < n; i++)
        if (snaps[i].hdr.pid != snaps[0].hdr.pid ||
            strcmp(snap_str(&snaps[i], snaps[i].hdr.program),
                   snap_str(&snaps[0], snaps[0].hdr.program)) != 0)
            return false;
    return true;
}

void series_order(const struct snap *snaps, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* Insertion sort: stable, and series are short. */
    for (size_t i = 1; i < n; i++) {
        size_t x = order[i], j = i;
        const struct mt_file_header *h = &snaps[x].hdr;
        while (j > 0) {
            const struct mt_file_header *p = &snaps[order[j - 1]].hdr;
            if (p->time_ns < h->time_ns ||
                (p->time_ns == h->time_ns && p->sequence <= h->sequence))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
}

void series_points(const struct out_snapinfo *infos, size_t n, struct out_series_point *pts)
{
    for (size_t i = 0; i < n; i++) {
        memset(&pts[i], 0, sizeof pts[i]);
        pts[i].snap = &infos[i];
        pts[i].elapsed_ns = infos[i].time_ns - infos[0].time_ns; /* ordered: no wrap */
        if (i > 0) {
            pts[i].has_change = true;
            pts[i].current_change = sdelta_of(infos[i].current_bytes, infos[i - 1].current_bytes);
        }
    }
}

struct out_diff_row *series_growth(const struct row_spec *sp, const struct snap *first,
                                   struct symbolizer *zfirst, const struct snap *last,
                                   struct symbolizer *zlast, size_t max, size_t *n)
{
    struct row_spec live = *sp;
    live.rep = diff_metric_bytes(DIFF_LIVE);
    size_t nold, nnew, nd;
    struct out_row *old = rows_build(&live, first, &zfirst, 1, &nold, NULL);
    struct out_row *new_rows = rows_build(&live, last, &zlast, 1, &nnew, NULL);
    struct out_diff_row *d = diff_rows(old, nold, new_rows, nnew, DIFF_LIVE, &nd, NULL);
    size_t k = 0;
    for (size_t i = 0; i < nd; i++) {
        if (!d[i].v.size_diff.neg && d[i].v.size_diff.mag > 0)
            d[k++] = d[i];
        else
            diff_rows_free_one(&d[i]);
    }
    diff_sort(d, k);
    while (k > max)
        diff_rows_free_one(&d[--k]);
    *n = k;
    return d;
}
