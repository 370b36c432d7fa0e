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
#include <stdint.h>
#include <stdio.h>

#include "frame.h"

struct site_opts {
    const char *const *alloc_fns; /* extra fnmatch patterns on function names */
    size_t nalloc_fns;
    bool native;                  /* group Python stacks by their native site */
};

bool site_is_wrapper(const struct rframe *f, const struct site_opts *o);

/* F's verdict on the built-in lists (not --alloc-fn): SITE_WRAPPER and
 * SITE_INTERPRETER bits. Matching globs is the hottest path of a big
 * snapshot's report (every frame of every stack), so the symbolizer keeps
 * this per frame it caches (sym_frame_cls) and the grouper hands it to the
 * *_cls functions below: CLS[i] is FRAMES[i]'s verdict (CLS NULL: computed
 * as needed, which is what the plain functions do). */
enum { SITE_WRAPPER = 1, SITE_INTERPRETER = 2 };
uint8_t site_classify(const struct rframe *f);

/* Index of the site frame in FRAMES[0..N) (innermost first); 0 when N == 0. */
size_t site_find(const struct rframe *frames, size_t n, const struct site_opts *o);
size_t site_find_cls(const struct rframe *frames, const uint8_t *cls, size_t n,
                     const struct site_opts *o);

/* Index of the first frame worth showing: the first non-wrapper frame, or
 * the site when every frame is a wrapper. */
size_t site_show_from(const struct rframe *frames, size_t n, const struct site_opts *o);
size_t site_show_from_cls(const struct rframe *frames, const uint8_t *cls, size_t n,
                          const struct site_opts *o);

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
/* The same with F's verdict CLS (site_classify) given. */
bool site_in_traceback_cls(const struct rframe *f, uint8_t cls, const struct site_opts *o);

/* Print the built-in wrapper lists for --help, indented by INDENT. */
void site_print_wrappers(FILE *out, const char *indent);

/* Print the interpreter lists (site_is_interpreter) for --help. */
void site_print_interpreter(FILE *out, const char *indent);

#endif
