/* Comparing two sets of rows grouped alike (OLD and NEW) under one metric,
 * like tracemalloc's Snapshot.compare_to: rows joined by key, each with its
 * size and count in NEW, the change from OLD and a status (new, gone,
 * changed, same). A group is present in a snapshot when its size or count
 * under the metric is non-zero there; groups present in neither are dropped.
 * Pure; used by the diff command, a series' growth lines, and later by
 * `check --max-growth`. */
#ifndef MTRACE_REPORT_DIFF_H
#define MTRACE_REPORT_DIFF_H

#include <stddef.h>

#include "output.h"

enum diff_metric { DIFF_LIVE, DIFF_ALLOC, DIFF_PEAK };

const char *diff_metric_name(enum diff_metric m);   /* "live", "alloc", "peak" */
int diff_metric_from_name(const char *name, enum diff_metric *m);
enum metric diff_metric_bytes(enum diff_metric m);  /* METRIC_LIVE_BYTES, ... */
enum metric diff_metric_count(enum diff_metric m);

/* Join OLD[0..NOLD) and NEW[0..NNEW) by key. Takes ownership of both arrays
 * and their rows (everything not moved into the result is freed). TOTALS
 * (may be NULL) gets the sums over every group. Returns *N rows, unsorted. */
struct out_diff_row *diff_rows(struct out_row *old, size_t nold, struct out_row *new_rows,
                               size_t nnew, enum diff_metric m, size_t *n,
                               struct diff_values *totals);

/* By |size_diff| descending, then |count_diff| descending, then key. */
void diff_sort(struct out_diff_row *rows, size_t n);

void diff_rows_free(struct out_diff_row *rows, size_t n);
void diff_rows_free_one(struct out_diff_row *row);  /* its key and stack only */

#endif
