/* The one output layer. Commands build a neutral result model (snapshot
 * header info, totals, rows with key, counters and a representative stack;
 * for diff, rows with old/new values and their change; for a series of one
 * process, its points and growth) and hand it to a format (table, json,
 * folded, pprof, html) that only renders. Formats never see raw snapshot bytes or
 * libdw. A format that draws whole stacks (folded, pprof, html) says so
 * (per_stack): the commands then group by stack and keep every row. */
#ifndef MTRACE_REPORT_OUTPUT_H
#define MTRACE_REPORT_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter.h"
#include "frame.h"
#include "mtrace/format.h"

struct tl_set;                   /* timeline.h */

struct counters {
    uint64_t alloc_bytes, alloc_count;
    uint64_t live_bytes, live_count;
    uint64_t peak_bytes, peak_count;
    /* Live blocks by leak class (enum mt_leak_class) when the heap was
     * scanned at exit; all 0 otherwise. */
    uint64_t leak_bytes[MT_LEAK_CLASSES], leak_count[MT_LEAK_CLASSES];
};

enum metric {
    METRIC_ALLOC_BYTES, METRIC_ALLOC_COUNT, METRIC_LIVE_BYTES, METRIC_LIVE_COUNT,
    METRIC_PEAK_BYTES, METRIC_PEAK_COUNT,
    /* "lost": definitely + indirectly lost, what LeakSanitizer reports */
    METRIC_LOST_BYTES, METRIC_LOST_COUNT,
    METRIC_DEFINITE_BYTES, METRIC_INDIRECT_BYTES, METRIC_POSSIBLE_BYTES,
    METRIC_REACHABLE_BYTES,
};

uint64_t counters_get(const struct counters *c, enum metric m);
void counters_add(struct counters *into, const struct counters *c); /* saturating */
uint64_t sat_add64(uint64_t a, uint64_t b);
/* Bytes and blocks of C in the leak classes of MASK (bit 1 << class). */
uint64_t counters_class_bytes(const struct counters *c, unsigned mask);
uint64_t counters_class_count(const struct counters *c, unsigned mask);
/* Whether C has any block in a leak class. */
bool counters_has_leaks(const struct counters *c);
const char *metric_sort_name(enum metric m);   /* "bytes", "live-count", ... */
int metric_from_sort_name(const char *name, enum metric *m);

/* A signed difference NEW - OLD of two counters, exact for any pair of
 * uint64 values: its magnitude and its sign. */
struct sdelta {
    uint64_t mag;
    bool neg;                    /* never true with mag 0 */
};
struct sdelta sdelta_of(uint64_t now, uint64_t before);

/* One object of a snapshot's module map (pprof's mappings). */
struct out_module {
    const char *path;
    uint64_t start, end;         /* runtime addresses, end exclusive */
    uint64_t bias;               /* load bias */
    const uint8_t *build_id;
    uint32_t build_id_size;      /* 0: none */
};

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
    uint32_t end_signal;         /* reason "killed": the signal */
    int32_t end_status;          /* reasons "exit" and "_exit": the status */
    char cause[64];              /* "exit(3)", "killed by SIGSEGV", "exec", ... for tables */
    uint64_t malloc_in_use, malloc_free, malloc_mmapped; /* glibc's mallinfo2; 0: unknown */
    uint64_t fork_allocs, fork_bytes;   /* a fork child: the parent's counters at the fork */
    const char *replaced;        /* the image exec replaced, "" for none */
    uint32_t leak_scan;          /* enum mt_leak_scan */
    const char *leak_scan_name;  /* "none", "done", "partial" */
    uint32_t leak_threads, leak_threads_missed, leak_scan_ms;
    uint64_t peak_allocs;        /* allocations made when the heap peaked */
    uint64_t sample_bytes;       /* MTRACE_SAMPLE_BYTES: figures are estimates; 0 = exact */
    uint32_t timeline_ms;        /* the memory timeline's interval, 0 = off */
    bool rss_only;               /* mtrace-run --rss-only: RSS alone is known */
    /* The module map, in the snapshot's order (a frame belongs to the first
     * module whose range holds its address); only set for formats that
     * draw whole stacks (per_stack), else NULL/0. */
    const struct out_module *modules;
    size_t nmodules;
};

/* Which counter of the command a per-stack format writes (folded's
 * --metric): bytes (default) or blocks/allocations. */
enum out_unit { UNIT_BYTES, UNIT_COUNT };

struct out_row {
    char *key;                   /* the group key (owned) */
    const struct rframe *site;   /* points into stack */
    struct rframe *stack;        /* representative stack, innermost first (owned) */
    size_t nstack;
    size_t show_from;            /* first frame worth showing in a table */
    struct counters c;
};

/* What the filters let through (shown when any filter is given). */
struct out_filtered {
    const struct filter_set *set;
    uint64_t stacks_total, stacks_kept;
    struct counters kept;        /* summed over the kept stacks */
};

/* diff: one group compared between OLD and NEW under the diff metric. */
enum diff_status { DIFF_NEW, DIFF_GONE, DIFF_CHANGED, DIFF_SAME };
const char *diff_status_name(enum diff_status s);   /* "new", "gone", ... */

struct diff_values {
    uint64_t size, count;        /* in NEW */
    uint64_t old_size, old_count;
    struct sdelta size_diff, count_diff;
};

struct out_diff_row {
    struct out_row row;          /* key and representative stack: NEW's, OLD's when gone */
    struct diff_values v;
    enum diff_status status;
};

struct out_diff {
    const char *group_by;
    const char *metric;          /* "live", "alloc", "peak" */
    const struct out_snapinfo *old_snap, *new_snap;
    const char *note;            /* NULL, or a line such as the fork relation */
    const struct out_filtered *filtered; /* NULL without filters; counts are NEW's */
    struct diff_values totals;   /* over every group (after filters) */
    size_t unchanged;            /* groups with status "same" */
    size_t total_rows;           /* rows to show before -n (same ones only with --all) */
    const struct out_diff_row *rows; /* sorted, after -n */
    size_t nrows;
    size_t limit;
    bool all;                    /* --all */
    size_t stack_depth, width;
    enum out_unit unit;          /* folded: size or count */
    const struct tl_set *timeline;       /* html: the memory timeline to plot, or NULL */
};

/* Several snapshots of one process, in time order. */
struct out_series_point {
    const struct out_snapinfo *snap;
    uint64_t elapsed_ns;         /* time_ns - the first point's time_ns */
    bool has_change;             /* false for the first point */
    struct sdelta current_change;/* current_bytes - the previous point's */
};

struct out_series {
    const struct out_series_point *points;
    size_t npoints;
    const char *growth_metric;   /* "live" */
    const struct out_diff_row *growth; /* grown most from the first to the last */
    size_t ngrowth;
};

struct out_report {
    const char *command;         /* "top", "leaks", "peak" */
    const char *group_by;        /* "line", "function", "file", "stack" */
    enum metric sort;
    const struct out_snapinfo *snaps;
    size_t nsnaps;
    bool merged;
    bool leak_classes;           /* some snapshot was scanned: rows carry classes */
    struct counters totals;      /* over every row, before -n */
    size_t total_rows;
    const struct out_row *rows;  /* sorted, after -n */
    size_t nrows;
    size_t limit;                /* -n (0: all) */
    size_t stack_depth;          /* table: frames shown under each row */
    size_t width;                /* table: maximum line width */
    const struct out_filtered *filtered; /* NULL when no filter is given */
    const struct out_series *series;     /* NULL unless a series of one process */
    enum out_unit unit;          /* folded: the command's bytes or count */
    const struct tl_set *timeline;       /* html: the memory timeline to plot, or NULL */
};

/* A format. Write errors show in ferror(OUT), which main checks. */
struct out_format {
    const char *name;
    void (*begin)(FILE *out, size_t nreports);
    void (*report)(FILE *out, const struct out_report *r, size_t index);
    void (*end)(FILE *out, size_t nreports);
    void (*diff)(FILE *out, const struct out_diff *d);  /* the whole document; NULL: none */
    /* Draws whole stacks: rows are grouped by stack, never cut by -n unless
     * it is given, diff keeps unchanged rows, and snapinfo carries modules. */
    bool per_stack;
    /* One report per document: several snapshots need --merge (or are one
     * process's series, whose last snapshot is reported). */
    bool single;
    /* Binary output: refused on a terminal. */
    bool binary;
};

extern const struct out_format out_format_table;
extern const struct out_format out_format_json;
extern const struct out_format out_format_folded;
extern const struct out_format out_format_pprof;
extern const struct out_format out_format_html;
/* timeline's raw series only (timeline_data.c): no report or diff. */
extern const struct out_format out_format_csv;
const struct out_format *out_format_find(const char *name);

/* One line describing filter set F: "include file a.c or b.c, function f*;
 * exclude module libz.so* (site frame)". */
struct sbuf;
void filters_describe(struct sbuf *b, const struct filter_set *f);

/* memcheck's name of leak class K: "definitely lost", "indirectly lost",
 * "possibly lost", "still reachable". */
const char *leak_class_label(unsigned k);

/* One line on the leak scan of S: "done: 3 threads scanned in 12 ms",
 * "partial: ...", "not run: ...". */
void leak_scan_describe(struct sbuf *b, const struct out_snapinfo *s);

/* A frame as --group-by stack keys show it: "function file:line", with
 * " (inlined)" when inlined, or frame_fallback_label without a file. */
void frame_label(struct sbuf *b, const struct rframe *f);

/* Short label of a frame without its source location when it has none:
 * "function (module+0xOFF)", "module+0xOFF" or "0xADDR"; a Python frame
 * without a file "function (Python)". */
void frame_fallback_label(struct sbuf *b, const struct rframe *f);

#endif
