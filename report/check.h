/* `check`, the CI gate (cmd_check.c, check_growth.c): its result model and
 * the renderers of it (check_output.c: table and JSON; junit.h: JUnit
 * XML). Two modes: the leak gate (the gated leak classes of every snapshot
 * summed, after suppressions, against --max-leaked-bytes/-blocks) and the
 * growth gate (--max-growth BYTES OLD NEW: live bytes, total and per
 * group). Exit status: 0 pass, 1 fail, 2 bad usage or input. */
#ifndef MTRACE_REPORT_CHECK_H
#define MTRACE_REPORT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"
#include "suppress.h"
#include "textutil.h"

/* The leak classes gated by default: LeakSanitizer's "leaks". */
#define CHECK_DEFAULT_CLASSES (1u << MT_LEAK_DEFINITE | 1u << MT_LEAK_INDIRECT)

/* A suppression that took something, with what it took. */
struct check_use {
    const struct supp *s;
    uint64_t stacks, blocks, bytes;
};

/* One evaluation of the leak gate: over every snapshot, or (for JUnit) over
 * one of them. */
struct check_result {
    const struct out_snapinfo *snaps;
    size_t nsnaps;
    const char *group_by;
    unsigned classes;              /* gated classes: bit 1 << enum mt_leak_class */
    uint64_t max_bytes, max_blocks;
    uint64_t bytes, blocks;        /* gated, after suppressions */
    uint64_t supp_stacks, supp_bytes, supp_blocks; /* gated, suppressed */
    struct counters totals;        /* every class, after suppressions and filters */
    const struct check_use *used;  /* suppressions used, in matching order */
    size_t nused;
    const struct out_row *rows;    /* groups with gated blocks, most gated bytes first */
    size_t nrows, total_rows;      /* after -n, before */
    size_t limit, stack_depth, width;
    const struct out_filtered *filtered;    /* NULL without filters */
    const char *const *supp_files;
    size_t nsupp_files;
    bool defaults;                 /* built-in suppressions on */
    bool failed;
};

/* The growth gate. */
struct growth_result {
    const struct out_snapinfo *old_snap, *new_snap;
    const char *group_by;
    uint64_t max_growth;
    struct diff_values totals;     /* live bytes and blocks, OLD and NEW */
    const struct out_diff_row *rows; /* groups grown by more than max_growth, most first */
    size_t nrows, total_rows;
    size_t limit, stack_depth, width;
    const struct out_filtered *filtered;
    bool total_failed, failed;
};

/* "definitely and indirectly lost" for the classes of MASK. */
void check_classes_label(struct sbuf *b, unsigned mask);
/* "SUMMARY: N byte(s) leaked in M allocation(s)." as LeakSanitizer says it. */
void check_summary(struct sbuf *b, const struct check_result *r);

void check_table(FILE *out, const struct check_result *r);
void check_json(FILE *out, const struct check_result *r);
void growth_table(FILE *out, const struct growth_result *g);
void growth_json(FILE *out, const struct growth_result *g);

#endif
