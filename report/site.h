/* Allocation-site finding: which frame of a stack is "where the allocation
 * happened". Skips allocator wrappers (one table in site.c plus the user's
 * --alloc-fn patterns); for stacks with Python frames the site is the
 * innermost Python frame unless --native. */
#ifndef MTRACE_REPORT_SITE_H
#define MTRACE_REPORT_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "frame.h"

struct site_opts {
    const char *const *alloc_fns; /* extra fnmatch patterns on function names */
    size_t nalloc_fns;
    bool native;                  /* group Python stacks by their native site */
};

bool site_is_wrapper(const struct rframe *f, const struct site_opts *o);

/* Index of the site frame in FRAMES[0..N) (innermost first); 0 when N == 0. */
size_t site_find(const struct rframe *frames, size_t n, const struct site_opts *o);

/* Index of the first frame worth showing: the first non-wrapper frame, or
 * the site when every frame is a wrapper. */
size_t site_show_from(const struct rframe *frames, size_t n, const struct site_opts *o);

/* Print the built-in wrapper lists for --help, indented by INDENT. */
void site_print_wrappers(FILE *out, const char *indent);

#endif
