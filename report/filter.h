/* Stack filters (--include-file, --exclude-function, ..., --filter-frames),
 * after tracemalloc's Filter: fnmatch(3) globs on a frame's source file, its
 * function name or its module path. A stack is kept when every kind that has
 * include patterns has at least one matching (AND over kinds, OR within a
 * kind) and no exclude pattern matches. By default only the allocation-site
 * frame is looked at; with --filter-frames any, each include kind is
 * satisfied by any frame and any frame matching an exclude drops the stack.
 * Plain data plus a pure match function, unit-tested in test_filter.c. */
#ifndef MTRACE_REPORT_FILTER_H
#define MTRACE_REPORT_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "frame.h"

enum filter_kind { FILTER_FILE, FILTER_FUNCTION, FILTER_MODULE, FILTER_NKINDS };

struct filter_set {
    const char **pats[2][FILTER_NKINDS];  /* [0] include, [1] exclude; not owned */
    size_t npats[2][FILTER_NKINDS];
    bool any_frame;                       /* --filter-frames any */
};

/* "file", "function", "module". */
const char *filter_kind_name(enum filter_kind k);

/* Append PATTERN (kept by pointer) to the include or exclude list of K. */
void filter_add(struct filter_set *f, bool exclude, enum filter_kind k, const char *pattern);

/* Any pattern given at all. */
bool filter_active(const struct filter_set *f);

/* Whether the stack FRAMES[0..N) with its site at index SITE is kept. */
bool filter_keep(const struct filter_set *f, const struct rframe *frames, size_t n,
                 size_t site);

void filter_free(struct filter_set *f);

#endif
