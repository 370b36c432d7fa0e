/* Several snapshots of one process as a series: whether a set of snapshots
 * is one (more than one, same pid and program), their time order (time_ns,
 * then sequence), the points with the change of traced current bytes from
 * the previous one, and the groups whose live bytes grew most from the first
 * snapshot to the last. Used by top/leaks/peak A B C; `timeline` will reuse
 * it. */
#ifndef MTRACE_REPORT_SERIES_H
#define MTRACE_REPORT_SERIES_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "output.h"

#define SERIES_GROWTH_ROWS 3

bool series_one_process(const struct snap *snaps, size_t n);

/* ORDER[0..N) = indexes of SNAPS in time order (stable for full ties). */
void series_order(const struct snap *snaps, size_t n, size_t *order);

/* PTS[i] for INFOS[i] (already in time order). */
void series_points(const struct out_snapinfo *infos, size_t n, struct out_series_point *pts);

/* At most MAX groups (grouped as SP says, filters applied) whose live bytes
 * grew from FIRST to LAST, most first; *N of them. */
struct out_diff_row *series_growth(const struct row_spec *sp, const struct snap *first,
                                   struct symbolizer *zfirst, const struct snap *last,
                                   struct symbolizer *zlast, size_t max, size_t *n);

#endif
