/* The timeline fixture: snapshots with a memory timeline, every number
 * spelt out here and asserted in cli_test.sh (timeline_* cases) and by the
 * browser test.
 *
 * tl0..tl2.snap: one process (pid 6000, /usr/bin/tl-prog, started at T0)
 * with 10 points 100 ms apart (t = 100..1000 ms). Each snapshot carries the
 * series up to its moment (tl0 at 300 ms: points 1-3, tl1 at 700 ms: 1-7,
 * tl2, the exit at 1000 ms: all ten) and the labels put by then ("load" at
 * 150 ms, "serve" at 650 ms, "drain" at 950 ms).
 *
 *   point (ms)   100  200  300  400  500  600  700  800  900  1000
 *   traced MiB     1    2    4    8   16   12   10   10    6     4
 *   max MiB        1    2    4    8   20   12   10   10    6     4   (20 at 450 ms)
 *   RSS MiB     traced + 5
 *   allocs       100 per point: 100 .. 1000
 *
 * The peak: 20 MiB with peak_allocs 450, so on point 5 (allocs 500), at
 * its max_time_ns, 450 ms (tl0's own peak: 4 MiB, peak_allocs 300).
 * Two Python sites: /app/tl.py:10 "grow" (live 1000 -> 5000 bytes, 15000 at
 * the peak) and /app/tl.py:20 "shrink" (3000 -> 1000, 5000 at the peak).
 *
 * tl_child.snap: pid 6001, forked from 6000, started at 200 ms; 6 points
 * from 300 to 800 ms, traced 1,3,3,2,2,1 MiB, RSS 3 MiB; peak 3 MiB
 * (peak_allocs 20, point 2 at 400 ms). tl_rss.snap and tl_rss2.snap:
 * --rss-only files of pid 6100 (/usr/bin/static-prog, RSS 2,4,8,8,8,3 MiB
 * at 100..600 ms) and its child 6101 (/usr/bin/sink, 1 MiB then 6 MiB).
 * tl_hostile.snap: labels with markup and control bytes, a point whose
 * time steps back and one whose max is below its traced bytes.
 * tl_big.snap: 5000 points 10 ms apart, traced (i % 100) KiB, one spike of
 * max 50 MiB on point 2345. tl_old.snap: a 240-byte header (no
 * peak_allocs): the peak is the point of the largest max. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define T0 1700000200000000000ull
#define MS 1000000ull
#define MIB (1ull << 20)

static const uint64_t traced[10] = {1, 2, 4, 8, 16, 12, 10, 10, 6, 4};

static int put(struct sw *w, const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = sw_write(w, path);
    sw_free(w);
    return rc;
}

static void head(struct sw *w, uint64_t pid, uint64_t ppid, const char *prog,
                 uint64_t start, uint64_t time, uint32_t reason, uint32_t seq)
{
    sw_init(w);
    w->hdr.pid = pid;
    w->hdr.ppid = ppid;
    w->hdr.start_time_ns = start;
    w->hdr.time_ns = time;
    w->hdr.reason = reason;
    w->hdr.sequence = seq;
    w->hdr.program = sw_str(w, prog);
    w->hdr.max_depth = 64;
    w->hdr.timeline_ms = 100;
}

/* tl0..tl2: snapshot K of the main process, holding points [0, NPTS). */
static int main_snap(const char *dir, int k)
{
    static const struct {
        uint32_t reason;
        size_t npts, nlabels;
        uint64_t peak_mib, peak_allocs, live[2];
    } s[3] = {
        {MT_REASON_SIGNAL, 3, 1, 4, 300, {1000, 3000}},
        {MT_REASON_TIMER, 7, 2, 20, 450, {3000, 2000}},
        {MT_REASON_EXIT, 10, 3, 20, 450, {5000, 1000}},
    };
    static const char *const labels[3] = {"load", "serve", "drain"};
    static const uint64_t label_ms[3] = {150, 650, 950};
    struct sw w;
    char name[32];
    const size_t n = s[k].npts;
    head(&w, 6000, 1, "/usr/bin/tl-prog", T0, T0 + n * 100 * MS, s[k].reason, (uint32_t)k);
    w.hdr.cmdline = sw_str(&w, "tl-prog --run");
    for (size_t i = 0; i < n; i++) {
        uint64_t t = T0 + (i + 1) * 100 * MS;
        uint64_t max = i == 4 ? 20 * MIB : traced[i] * MIB;
        sw_point(&w, t, traced[i] * MIB, max, i == 4 ? T0 + 450 * MS : t,
                 (traced[i] + 5) * MIB, (i + 1) * 100);
    }
    for (size_t i = 0; i < s[k].nlabels; i++)
        sw_label(&w, T0 + label_ms[i] * MS, label_ms[i], traced[label_ms[i] / 100] * MIB,
                 labels[i]);
    w.hdr.current_bytes = traced[n - 1] * MIB;
    w.hdr.peak_bytes = s[k].peak_mib * MIB;
    w.hdr.peak_allocs = s[k].peak_allocs;
    w.hdr.rss_bytes = (traced[n - 1] + 5) * MIB;
    w.hdr.peak_rss_bytes = 25 * MIB;
    w.hdr.total_allocs = n * 100;
    if (k == 2)
        w.hdr.end_status = 0;
    static const uint32_t lines[2] = {10, 20};
    static const char *const fns[2] = {"grow", "shrink"};
    static const uint64_t peak[2] = {15000, 5000};
    for (int i = 0; i < 2; i++) {
        uint64_t f = sw_python(&w, "/app/tl.py", fns[i], lines[i]);
        uint64_t live = s[k].live[i];
        sw_stack(&w, f, 1, 20000, 20, live, live / 1000, peak[i], peak[i] / 1000);
    }
    snprintf(name, sizeof name, "tl%d.snap", k);
    return put(&w, dir, name);
}

static int child_snap(const char *dir)
{
    static const uint64_t tr[6] = {1, 3, 3, 2, 2, 1};
    struct sw w;
    head(&w, 6001, 6000, "/usr/bin/tl-prog", T0 + 200 * MS, T0 + 800 * MS, MT_REASON_EXIT, 0);
    w.hdr.flags = MT_HDR_FORKED;
    for (int i = 0; i < 6; i++) {
        uint64_t t = T0 + (uint64_t)(300 + 100 * i) * MS;
        sw_point(&w, t, tr[i] * MIB, tr[i] * MIB, t, 3 * MIB, (uint64_t)(i + 1) * 10);
    }
    w.hdr.current_bytes = 1 * MIB;
    w.hdr.peak_bytes = 3 * MIB;
    w.hdr.peak_allocs = 20;
    w.hdr.rss_bytes = 3 * MIB;
    w.hdr.total_allocs = 60;
    return put(&w, dir, "tl_child.snap");
}

/* An --rss-only file as mtrace-reaper writes it: no stacks, traced 0. */
static int rss_snap(const char *dir, const char *name, uint64_t pid, uint64_t ppid,
                    const char *prog, const uint64_t *rss, int n)
{
    struct sw w;
    head(&w, pid, ppid, prog, T0, T0 + (uint64_t)(100 * n + 50) * MS, MT_REASON_EXIT, 0);
    w.hdr.flags = MT_HDR_RSS_ONLY;
    w.hdr.cmdline = sw_str(&w, prog);
    uint64_t peak = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = T0 + (uint64_t)(100 * (i + 1)) * MS;
        sw_point(&w, t, 0, 0, t, rss[i] * MIB, 0);
        peak = rss[i] > peak ? rss[i] : peak;
    }
    w.hdr.rss_bytes = rss[n - 1] * MIB;
    w.hdr.peak_rss_bytes = peak * MIB;
    return put(&w, dir, name);
}

static int hostile_snap(const char *dir)
{
    struct sw w;
    head(&w, 6200, 1, "/usr/bin/hostile\x1b[31m", T0, T0 + 500 * MS, MT_REASON_EXIT, 0);
    /* times 100, 300, 200 (stepped back: read as 300), 400 ms; the last
     * point's max is below its traced bytes (read as its traced bytes) */
    static const uint64_t ms[4] = {100, 300, 200, 400};
    for (int i = 0; i < 4; i++)
        sw_point(&w, T0 + ms[i] * MS, 1000, i == 3 ? 10 : 1000, 0, 4096, (uint64_t)i + 1);
    sw_label(&w, T0 + 250 * MS, 2, 1000, "<img src=x onerror=alert(1)>");
    sw_label(&w, T0 + 150 * MS, 1, 1000, "bell\a\x1b[31mred \"quoted\", comma");
    w.hdr.current_bytes = 1000;
    w.hdr.peak_bytes = 1000;
    w.hdr.peak_allocs = 1;
    return put(&w, dir, "tl_hostile.snap");
}

static int big_snap(const char *dir)
{
    struct sw w;
    head(&w, 6300, 1, "/usr/bin/big", T0, T0 + 50000 * MS, MT_REASON_EXIT, 0);
    for (uint64_t i = 0; i < 5000; i++) {
        uint64_t t = T0 + (i + 1) * 10 * MS;
        uint64_t tr = (i % 100) << 10;
        sw_point(&w, t, tr, i == 2345 ? 50 * MIB : tr, i == 2345 ? t - 5 * MS : t,
                 100 * MIB, (i + 1) * 10);
    }
    w.hdr.current_bytes = 99 << 10;
    w.hdr.peak_bytes = 50 * MIB;
    w.hdr.peak_allocs = 23455;
    return put(&w, dir, "tl_big.snap");
}

static int old_snap(const char *dir)
{
    struct sw w;
    head(&w, 6400, 1, "/usr/bin/old", T0, T0 + 300 * MS, MT_REASON_EXIT, 0);
    w.header_size = 240;
    static const uint64_t mx[3] = {1, 7, 2};
    for (uint64_t i = 0; i < 3; i++) {
        uint64_t t = T0 + (i + 1) * 100 * MS;
        sw_point(&w, t, mx[i] * MIB, mx[i] * MIB, t, 9 * MIB, i + 1);
    }
    w.hdr.current_bytes = 2 * MIB;
    w.hdr.peak_bytes = 7 * MIB;
    w.hdr.peak_allocs = 3; /* beyond the 240 bytes written: reads as 0 */
    return put(&w, dir, "tl_old.snap");
}

int fixture_write_timeline(const char *dir)
{
    static const uint64_t rss[6] = {2, 4, 8, 8, 8, 3}, sink[2] = {1, 6};
    int rc = 0;
    for (int k = 0; k < 3; k++)
        rc |= main_snap(dir, k);
    rc |= child_snap(dir);
    rc |= rss_snap(dir, "tl_rss.snap", 6100, 1, "/usr/bin/static-prog", rss, 6);
    rc |= rss_snap(dir, "tl_rss2.snap", 6101, 6100, "/usr/bin/sink", sink, 2);
    rc |= hostile_snap(dir);
    rc |= big_snap(dir);
    rc |= old_snap(dir);
    return rc;
}
