/* mtrace-reaper's --rss-only mode (mtrace-run --rss-only): the RSS of every
 * process of the tree it reaps, polled from /proc, written as one snapshot
 * per process holding only that timeline (include/mtrace/format.h,
 * MT_HDR_RSS_ONLY). reaper_rss.c finds and samples the processes,
 * reaper_snap.c writes their files. */
#ifndef MTRACE_REAPER_H
#define MTRACE_REAPER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mtrace/format.h"

/* One process (a pid and its start time: a reused pid is another one). */
struct rproc {
    pid_t pid, ppid;               /* ppid: the parent when first seen */
    uint64_t start_ticks;          /* /proc/PID/stat starttime: the identity */
    uint64_t start_ns;             /* CLOCK_REALTIME of its start */
    char *exe, *first_exe;         /* /proc/PID/exe now, and when first seen */
    char *cmdline, *name;          /* name: argv[0]'s base name, for %e */
    struct mt_tl_point *pts;
    size_t n, cap;
    uint64_t interval_ns;          /* between points; doubles at each merge */
    uint64_t pending_rss;          /* highest RSS sampled since the last point */
    uint64_t last_sample_ns;
    uint64_t rss, peak_rss;        /* last sampled; highest sampled or VmHWM */
    bool seen;                     /* found by the current poll */
    bool status_known;             /* reaped here: STATUS is its wait status */
    int status;
};

struct rss_opts {
    uint64_t interval_ns;          /* MTRACE_TIMELINE_MS */
    size_t max_points;             /* MTRACE_TIMELINE_POINTS */
    const char *out;               /* MTRACE_OUT template */
    const char *manifest;          /* MTRACE_MANIFEST, or NULL */
    char cwd[4096];                /* a relative template is taken from here */
};

/* Options from the environment; false (and a message) when invalid. */
bool rss_opts_init(struct rss_opts *o);

/* Sample every process below this one (the subreaper), now. Processes
 * gone since the last poll are written out. */
void rss_poll(const struct rss_opts *o);
/* PID was reaped here with wait status STATUS: written out. */
void rss_reaped(const struct rss_opts *o, pid_t pid, int status);
/* Write out every process still known (the tree has ended). */
void rss_finish(const struct rss_opts *o);

/* Write P's snapshot (reaper_snap.c); END_NS: when it was seen ended. */
void rss_write(const struct rss_opts *o, const struct rproc *p, uint64_t end_ns);

uint64_t rss_now_ns(void);         /* CLOCK_REALTIME */

#endif
