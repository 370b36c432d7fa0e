/* The one output layer. Commands build a neutral result model (snapshot
 * header info, totals, rows with key, counters and a representative stack)
 * and hand it to a format (table, json; folded/pprof/html later) that only
 * renders. Formats never see raw snapshot bytes or libdw. */
#ifndef MTRACE_REPORT_OUTPUT_H
#define MTRACE_REPORT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "frame.h"

struct counters {
    uint64_t alloc_bytes, alloc_count;
    uint64_t live_bytes, live_count;
    uint64_t peak_bytes, peak_count;
};

enum metric {
    METRIC_ALLOC_BYTES, METRIC_ALLOC_COUNT, METRIC_LIVE_BYTES, METRIC_LIVE_COUNT,
    METRIC_PEAK_BYTES, METRIC_PEAK_COUNT,
};

uint64_t counters_get(const struct counters *c, enum metric m);
void counters_add(struct counters *into, const struct counters *c); /* saturating */
const char *metric_sort_name(enum metric m);   /* "bytes", "live-count", ... */
int metric_from_sort_name(const char *name, enum metric *m);

/* Header of one snapshot, as the formats show it. */
struct out_snapinfo {
    const char *file;
    const char *program;
    const char *cmdline;
    uint64_t pid, ppid;
    bool forked;
    const char *reason;          /* "exit", "signal", ... or "unknown" */
    uint32_t reason_code, sequence, max_depth;
    uint64_t start_time_ns, time_ns;
    uint64_t current_bytes, current_blocks, peak_bytes, peak_blocks;
    uint64_t total_allocs, total_bytes, total_frees, dropped;
    uint64_t rss_bytes, peak_rss_bytes;
};

struct out_row {
    char *key;                   /* the group key (owned) */
    const struct rframe *site;   /* points into stack */
    struct rframe *stack;        /* representative stack, innermost first (owned) */
    size_t nstack;
    size_t show_from;            /* first frame worth showing in a table */
    struct counters c;
};

struct out_report {
    const char *command;         /* "top", "leaks", "peak" */
    const char *group_by;        /* "line", "function", "file", "stack" */
    enum metric sort;
    const struct out_snapinfo *snaps;
    size_t nsnaps;
    bool merged;
    struct counters totals;      /* over every row, before -n */
    size_t total_rows;
    const struct out_row *rows;  /* sorted, after -n */
    size_t nrows;
    size_t limit;                /* -n (0: all) */
    size_t stack_depth;          /* table: frames shown under each row */
    size_t width;                /* table: maximum line width */
};

struct out_format {
    const char *name;
    void (*begin)(FILE *out, size_t nreports);
    void (*report)(FILE *out, const struct out_report *r, size_t index);
    void (*end)(FILE *out, size_t nreports);
};

extern const struct out_format out_format_table;
extern const struct out_format out_format_json;
const struct out_format *out_format_find(const char *name);

/* Short label of a frame without its source location when it has none:
 * "function (module+0xOFF)", "module+0xOFF" or "0xADDR". */
struct sbuf;
void frame_fallback_label(struct sbuf *b, const struct rframe *f);

#endif
