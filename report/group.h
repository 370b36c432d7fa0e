/* Grouping: turns the stacks of one or more snapshots into rows. Each stack
 * is symbolized, its allocation site found, dropped unless the filters keep
 * it, and its counters summed into the row of its key (site file:line,
 * function, file, or the whole symbolized stack: for a stack with Python
 * frames, unless --native, its Python traceback with the native frames that
 * are neither allocator wrappers nor the interpreter). Each row keeps the
 * stack with the largest sort metric as its representative, as shown: for a
 * stack with Python frames (unless --native), under every grouping, its
 * Python traceback. Also sorting and freeing of rows. */
#ifndef MTRACE_REPORT_GROUP_H
#define MTRACE_REPORT_GROUP_H

#include "filter.h"
#include "output.h"
#include "site.h"
#include "snapshot_read.h"
#include "symbolize.h"

enum group_by { GROUP_LINE, GROUP_FUNCTION, GROUP_FILE, GROUP_STACK };

const char *group_by_name(enum group_by g);
int group_by_from_name(const char *name, enum group_by *g);

struct grouper;

struct grouper *grouper_new(enum group_by by, const struct site_opts *so,
                            enum metric rep_metric);
/* Only stacks F keeps are grouped (F may be NULL; kept by pointer). */
void grouper_set_filter(struct grouper *g, const struct filter_set *f);

/* Called for each stack the filter keeps, with all its symbolized frames
 * (innermost first, nothing hidden) and its counters, before it is grouped;
 * returning true drops it (check's suppressions). */
typedef bool (*stack_hook_fn)(void *ctx, const struct rframe *frames, size_t n,
                              const struct counters *c);
void grouper_set_hook(struct grouper *g, stack_hook_fn fn, void *ctx);
/* Add every stack of S (symbolized with Z, made for S). */
void grouper_add(struct grouper *g, const struct snap *s, struct symbolizer *z);
/* Rows in no particular order; frees G. STATS (may be NULL) gets the stacks
 * seen and kept and the counters of the kept ones (STATS->set untouched). */
struct out_row *grouper_finish(struct grouper *g, size_t *nrows, struct out_filtered *stats);

/* The key of a stack under BY; exposed for tests. */
void group_key(struct sbuf *key, enum group_by by, const struct rframe *frames,
               size_t n, size_t site);

/* Sort by METRIC descending, ties by key ascending (for a leak-class metric,
 * ties first by live bytes descending). */
void rows_sort(struct out_row *rows, size_t n, enum metric m);
void rows_free(struct out_row *rows, size_t n);

#endif
