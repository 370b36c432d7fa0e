/* The commands behind main.c's option parsing. top, leaks and peak: one
 * report per snapshot, one for all with --merge, or for several snapshots of
 * one process a series view and the report of the last one. diff OLD NEW:
 * the change per group between two snapshots. Each returns the exit status. */
#ifndef MTRACE_REPORT_COMMANDS_H
#define MTRACE_REPORT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "diff.h"
#include "filter.h"
#include "group.h"
#include "output.h"
#include "site.h"
#include "snapshot_read.h"

#define EXIT_FOUND 1
#define EXIT_USAGE 2

struct report_opts {
    const char *command;           /* "top", "leaks", "peak", "diff" */
    enum group_by by;
    enum metric sort;              /* top/leaks/peak */
    enum diff_metric diff_metric;  /* diff: --metric */
    size_t limit;                  /* -n (0: all) */
    const struct out_format *format;
    size_t stack_depth;
    struct site_opts so;
    struct filter_set filter;
    bool merge, all, force;
    size_t width;                  /* table output width */
};

int cmd_report(const struct report_opts *o, const struct snap *snaps, size_t n);
int cmd_diff(const struct report_opts *o, const struct snap *snaps, size_t n);

#endif
