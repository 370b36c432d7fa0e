/* The commands behind main.c's option parsing. top, leaks and peak: one
 * report per snapshot, one for all with --merge, or for several snapshots of
 * one process a series view and the report of the last one. diff OLD NEW:
 * the change per group between two snapshots. check: the CI gate (check.h).
 * Each returns the exit status. */
#ifndef MTRACE_REPORT_COMMANDS_H
#define MTRACE_REPORT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diff.h"
#include "filter.h"
#include "group.h"
#include "output.h"
#include "site.h"
#include "snapshot_read.h"

#define EXIT_FOUND 1
#define EXIT_USAGE 2

/* check's options. */
struct check_opts {
    uint64_t max_bytes, max_blocks;  /* --max-leaked-bytes, --max-leaked-blocks */
    unsigned classes;                /* --classes: bit 1 << enum mt_leak_class */
    const char **supp_files;         /* --suppressions, in order */
    size_t nsupp_files;
    bool no_defaults;                /* --no-default-suppressions */
    const char *junit;               /* --junit FILE, or NULL */
    bool growth;                     /* --max-growth given: the growth gate */
    uint64_t max_growth;
};

struct report_opts {
    const char *command;           /* "top", "leaks", "peak", "diff", "check", "timeline" */
    enum group_by by;
    enum metric sort;              /* top/leaks/peak */
    bool sort_given;               /* --sort given (else the command's default) */
    enum diff_metric diff_metric;  /* diff: --metric */
    size_t limit;                  /* -n (0: all); timeline: rows of its table */
    const struct out_format *format;
    enum out_unit unit;            /* folded: --metric bytes|count */
    FILE *out;                     /* stdout, or -o FILE */
    size_t stack_depth;
    struct site_opts so;
    struct filter_set filter;
    bool merge, all, force;
    size_t width;                  /* table output width */
    struct check_opts check;
    const struct tl_set *timeline; /* html: the snapshots' timeline to plot, or NULL */
};

int cmd_report(const struct report_opts *o, const struct snap *snaps, size_t n);
int cmd_diff(const struct report_opts *o, const struct snap *snaps, size_t n);
/* procs: one row per process image (mtrace-run's closing summary). */
int cmd_procs(const struct report_opts *o, const struct snap *snaps, size_t n);
/* timeline: memory over time, one series per process (cmd_timeline.c). */
int cmd_timeline(const struct report_opts *o, const struct snap *snaps, size_t n);
/* check: 0 within the thresholds, EXIT_FOUND beyond, EXIT_USAGE for input
 * it cannot judge (no leak classes, a bad suppression file). */
int cmd_check(const struct report_opts *o, const struct snap *snaps, size_t n);
/* check --max-growth BYTES OLD NEW (check_growth.c). */
int cmd_check_growth(const struct report_opts *o, const struct snap *snaps, size_t n);
/* check's help text (check --help). */
void check_help(FILE *out);

#endif
