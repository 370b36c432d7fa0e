/* The memory timeline of a set of snapshots, one series per process: what
 * `timeline` prints and the HTML page plots. A process image is its pid,
 * program and start time (exec starts a new one). Its snapshots each carry
 * the whole series up to their moment, so the joined series is the TIMELINE
 * of the latest snapshot that has one (it supersedes the earlier ones'
 * overlapping points); the other snapshots become markers at their time,
 * and a traced snapshot later than the series' last point adds its header
 * figures as one more point (old snapshots without a TIMELINE still give
 * a series, one point per snapshot). Labels are the union of the
 * snapshots' labels. Formats read this model; only cmd_timeline's growth
 * lines look at the snapshots themselves. */
#ifndef MTRACE_REPORT_TIMELINE_H
#define MTRACE_REPORT_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot_read.h"

/* A snapshot of the process, as a marker on its timeline. */
struct tl_snapmark {
    const struct snap *snap;
    const char *file;
    const char *reason;          /* "exit", "timer", ... */
    char cause[64];              /* "exit(0)", "killed by SIGKILL", ... */
    uint32_t sequence;
    uint64_t time_ns;
    uint64_t current_bytes, peak_bytes, rss_bytes, total_allocs;
};

struct tl_label {
    uint64_t time_ns, allocs, traced_bytes;
    const char *text;            /* points into its snapshot's strings */
};

enum tl_peak_kind {
    TL_PEAK_NONE,                /* nothing to mark (no allocation, no RSS) */
    TL_PEAK_TRACED,              /* the traced heap's peak (header peak_bytes) */
    TL_PEAK_RSS,                 /* --rss-only: the highest RSS sampled */
};

struct tl_proc {
    uint64_t pid, ppid, start_time_ns;
    const char *program, *cmdline;
    bool rss_only;
    uint32_t timeline_ms;        /* the series' first interval; 0: no series */
    uint64_t sample_bytes;       /* sampling mean, 0: every allocation */
    /* The points shown: [0, nraw) the TIMELINE as stored, [nraw, npoints)
     * made from later snapshots' headers. Time order. */
    struct mt_tl_point *points;
    size_t npoints, nraw;
    struct tl_label *labels;     /* time order, duplicates dropped */
    size_t nlabels;
    struct tl_snapmark *snaps;   /* time order (time_ns, then sequence) */
    size_t nsnaps;
    uint64_t t0;                 /* time zero: start_time_ns, or the first
                                  * point's or snapshot's time when earlier */
    uint64_t t_end;              /* the last point's or snapshot's time */
    enum tl_peak_kind peak_kind;
    uint64_t peak_bytes, peak_time_ns, peak_allocs;
    size_t peak_point;           /* the point holding the peak, or npoints
                                  * (after the last point) */
};

struct tl_set {
    struct tl_proc *procs;       /* a parent before its children; else by start
                                  * time, then pid */
    size_t nprocs;
};

/* The processes of SNAPS[0..N) (N >= 1), their series joined. Strings
 * point into SNAPS, which must outlive SET. Exits on out of memory. */
void tl_build(struct tl_set *set, const struct snap *snaps, size_t n);
void tl_free(struct tl_set *set);

/* Whether some process of SET has a series worth plotting (two points or
 * more). */
bool tl_plottable(const struct tl_set *set);

/* Nanoseconds from the process's time zero to T (0 before it). */
uint64_t tl_elapsed(const struct tl_proc *p, uint64_t t);

/* The points of P cut into at most MAX rows (MAX 0: one per point), by
 * index: each row is a run of neighbouring points shown as its last one's
 * time, traced bytes and allocations, with the run's largest max_bytes (and
 * its time) and its largest RSS, so no maximum is lost. Returns the number
 * of rows written to ROWS (room for min(MAX, npoints) rows, or npoints). */
struct tl_row {
    size_t first, last;          /* the run of points, inclusive */
    uint64_t time_ns, traced_bytes, allocs;
    uint64_t max_bytes, max_time_ns, rss_bytes;
};
size_t tl_downsample(const struct tl_proc *p, size_t max, struct tl_row *rows);

#endif
