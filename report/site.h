/* Allocation-site finding: which frame of a stack is "where the allocation
 * happened". Skips allocator wrappers (one table in site.c plus the user's
 * --alloc-fn patterns); for stacks with Python frames the site is the
 * innermost Python frame unless --native. Also which native frames of such
 * a stack belong to the interpreter itself and which a Python traceback
 * shows. */
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

/* Whether any of FRAMES[0..N) is a Python frame. */
bool site_has_python(const struct rframe *frames, size_t n);

/* Whether native frame F belongs to the CPython interpreter itself: its
 * module's file name matches python3* or libpython*, or, when it has no
 * module, its function matches _Py* or Py*. Never true of Python frames. */
bool site_is_interpreter(const struct rframe *f);

/* Whether the Python traceback of a stack with Python frames shows F: every
 * Python frame, and native frames that are neither allocator wrappers nor the
 * interpreter (a C extension's, say). */
bool site_in_traceback(const struct rframe *f, const struct site_opts *o);

/* Print the built-in wrapper lists for --help, indented by INDENT. */
void site_print_wrappers(FILE *out, const char *indent);

/* Print the interpreter lists (site_is_interpreter) for --help. */
void site_print_interpreter(FILE *out, const char *indent);

#endif
