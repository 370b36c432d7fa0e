/* The series fixture: four snapshots of one process (/usr/bin/series-prog,
 * pid 5000) with known per-site growth, plus the same stacks under another
 * program name (diff must refuse it without --force) and in a fork child
 * (pid 5001, ppid 5000). Seven Python sites and two native ones (f_a, and
 * f_c under a glibc malloc frame, for module filters). The expected diffs,
 * filter results and series lines are spelled out in cli_test.sh; the
 * numbers below are the only source of them.
 *
 *   snapshot      seq  time (s)  reason  live bytes/blocks (sum of sites)
 *   series0.snap   0   0         signal   7000/17
 *   series1.snap   1   1.5       timer    8524/19
 *   series2.snap   2   1.5       api      9648/21
 *   series3.snap   3   4.25      exit    12548/27 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define T0 1700000100000000000ull
#define NSITES 9
#define NSNAPS 4

/* Python sites: innermost frame (function, file, line), called from
 * <module> /app/main.py at line CALLER. */
static const struct {
    const char *fn, *file;
    uint32_t line, caller;
} py[7] = {
    {"handle", "/app/srv.py", 10, 3},  /* P1 */
    {"cache", "/app/srv.py", 20, 4},   /* P2 */
    {"query", "/app/db.py", 5, 5},     /* P3 */
    {"legacy", "/app/old.py", 9, 6},   /* P4 */
    {"same", "/app/srv.py", 30, 7},    /* P5 */
    {"grow", "/app/srv.py", 40, 8},    /* P6 */
    {"shrink", "/app/a.py", 1, 9},     /* P7 */
};

/* Per site (P1..P7, N1 = f_a, N2 = malloc <- f_c) and snapshot: live bytes
 * and blocks; allocated in total (series0 has its own, the others series3's);
 * at peak equals live except P1 in series3 (6000/7). */
static const uint64_t live[NSITES][NSNAPS][2] = {
    {{1000, 2}, {2000, 3}, {3000, 4}, {5000, 6}},
    {{3000, 3}, {2500, 2}, {2000, 2}, {1000, 1}},
    {{0, 0}, {0, 0}, {1000, 2}, {2500, 5}},
    {{1500, 1}, {1500, 1}, {0, 0}, {0, 0}},
    {{700, 7}, {700, 7}, {700, 7}, {700, 7}},
    {{100, 1}, {200, 2}, {300, 3}, {600, 4}},
    {{600, 2}, {500, 2}, {300, 1}, {100, 1}},
    {{100, 1}, {100, 1}, {300, 1}, {600, 2}},
    {{0, 0}, {1024, 1}, {2048, 1}, {2048, 1}},
};
static const uint64_t alloc0[NSITES][2] = {
    {4000, 10}, {3000, 3}, {0, 0}, {1500, 1}, {700, 7}, {100, 1}, {900, 6}, {200, 2}, {0, 0},
};
static const uint64_t alloc3[NSITES][2] = {
    {9000, 20}, {3000, 3}, {2500, 5}, {1500, 1}, {700, 7}, {600, 4}, {900, 6}, {900, 5},
    {4096, 3},
};

static const struct {
    uint32_t seq, reason;
    uint64_t time_ns, peak_bytes, rss_mib;
} hdrs[NSNAPS] = {
    {0, MT_REASON_SIGNAL, T0, 8000, 10},
    {1, MT_REASON_TIMER, T0 + 1500000000ull, 9000, 11},
    {2, MT_REASON_API, T0 + 1500000000ull, 10000, 12},
    {3, MT_REASON_EXIT, T0 + 4250000000ull, 13548, 16},
};

/* Snapshot K's stacks and header, as program PROG of process PID. */
static int write_one(const char *dir, const char *name, const struct fixture_sites *s, int k,
                     const char *prog, uint64_t pid, uint64_t ppid, int forked)
{
    struct sw w;
    char path[PATH_MAX];
    sw_init(&w);
    w.hdr.pid = pid;
    w.hdr.ppid = ppid;
    w.hdr.flags = forked ? MT_HDR_FORKED : 0;
    w.hdr.start_time_ns = T0 - 1000000000ull;
    w.hdr.time_ns = hdrs[k].time_ns;
    w.hdr.reason = hdrs[k].reason;
    w.hdr.sequence = hdrs[k].seq;
    w.hdr.program = sw_str(&w, prog);
    w.hdr.cmdline = sw_str(&w, "series-prog --serve");
    w.hdr.max_depth = 64;
    w.hdr.peak_bytes = hdrs[k].peak_bytes;
    w.hdr.rss_bytes = hdrs[k].rss_mib << 20;
    w.hdr.peak_rss_bytes = (hdrs[k].rss_mib + 1) << 20;
    fixture_modules(&w);
    for (int i = 0; i < NSITES; i++) {
        const uint64_t *lv = live[i][k];
        const uint64_t *al = k == 0 ? alloc0[i] : alloc3[i];
        uint64_t pb = lv[0], pc = lv[1];
        if (i == 0 && k == 3) {
            pb = 6000;
            pc = 7;
        }
        w.hdr.current_bytes += lv[0];
        w.hdr.current_blocks += lv[1];
        w.hdr.total_bytes += al[0];
        w.hdr.total_allocs += al[1];
        uint64_t f;
        uint32_t n;
        if (i < 7) {
            f = sw_python(&w, py[i].file, py[i].fn, py[i].line);
            sw_python(&w, "/app/main.py", "<module>", py[i].caller);
            n = 2;
        } else if (i == 7) {
            f = sw_native(&w, s->a_site);
            sw_native(&w, s->a_ret_main);
            n = 2;
        } else {
            f = sw_native(&w, s->libc_malloc);
            sw_native(&w, s->c_site);
            sw_native(&w, s->c_ret_main);
            n = 3;
        }
        sw_stack(&w, f, n, al[0], al[1], lv[0], lv[1], pb, pc);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = sw_write(&w, path);
    sw_free(&w);
    return rc;
}

int fixture_write_series(const char *dir, const struct fixture_sites *s)
{
    static const char prog[] = "/usr/bin/series-prog";
    int rc = 0;
    for (int k = 0; k < NSNAPS; k++) {
        char name[32];
        snprintf(name, sizeof name, "series%d.snap", k);
        rc |= write_one(dir, name, s, k, prog, 5000, 1, 0);
    }
    rc |= write_one(dir, "series_other.snap", s, 3, "/usr/bin/other-prog", 5000, 1, 0);
    rc |= write_one(dir, "series_child.snap", s, 3, prog, 5001, 5000, 1);
    return rc;
}
