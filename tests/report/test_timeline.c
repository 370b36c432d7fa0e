/* Unit tests (cmocka) for report/timeline.c: snapshots of one process join
 * into one series (the latest TIMELINE supersedes the earlier ones, a later
 * snapshot without one adds its header as a point, labels are kept once,
 * snapshots in time order whatever the argument order); processes and exec
 * images stay apart, children after their parent; the peak is placed by
 * its allocation count, or by the largest max without one, or on the
 * highest RSS of an --rss-only file; downsampling keeps every maximum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot_read.h"
#include "snapwriter.h"
#include "timeline.h"

/* Snapshot of PID/PROG at TIME holding points 1..NPTS (t = i*100, traced
 * i*10, max i*10 + (i == 3 ? 500 : 0) at t - 50, rss i*1000, allocs i*10). */
static void make(struct snap *s, uint64_t pid, uint64_t ppid, const char *prog, uint64_t time,
                 int npts, const char *const *labels, int nlabels, uint64_t peak_allocs,
                 uint32_t flags, size_t header_size)
{
    struct sw w;
    sw_init(&w);
    w.hdr.pid = pid;
    w.hdr.ppid = ppid;
    w.hdr.flags = flags;
    w.hdr.program = sw_str(&w, prog);
    w.hdr.start_time_ns = 50;
    w.hdr.time_ns = time;
    w.hdr.current_bytes = 7;
    w.hdr.rss_bytes = 77;
    w.hdr.total_allocs = 777;
    w.hdr.peak_bytes = 530;
    w.hdr.peak_allocs = peak_allocs;
    w.header_size = header_size;
    for (int i = 1; i <= npts; i++)
        sw_point(&w, (uint64_t)i * 100, (uint64_t)i * 10, (uint64_t)i * 10 + (i == 3 ? 500 : 0),
                 (uint64_t)i * 100 - (i == 3 ? 50 : 0), (uint64_t)i * 1000, (uint64_t)i * 10);
    for (int i = 0; i < nlabels; i++)
        sw_label(&w, (uint64_t)(i + 1) * 150, 0, 0, labels[i]);
    size_t size;
    uint8_t *buf = sw_build(&w, &size);
    sw_free(&w);
    char err[256] = "";
    assert_int_equal(snap_parse(buf, size, s, err, sizeof err), 0);
}

static void frees(struct snap *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snap_free(&s[i]);
}

static void joins_one_process(void **state)
{
    (void)state;
    static const char *const labels[2] = {"one", "two"};
    struct snap s[3];
    /* given out of order: the later (5 points) first */
    make(&s[0], 10, 1, "/p", 500, 5, labels, 2, 30, 0, 0);
    make(&s[1], 10, 1, "/p", 300, 3, labels, 1, 30, 0, 0);
    make(&s[2], 10, 1, "/p", 900, 0, NULL, 0, 30, 0, 0);  /* no timeline, later */
    struct tl_set set;
    tl_build(&set, s, 3);
    assert_int_equal(set.nprocs, 1);
    const struct tl_proc *p = &set.procs[0];
    assert_int_equal(p->nsnaps, 3);
    assert_int_equal(p->snaps[0].time_ns, 300);
    assert_int_equal(p->snaps[2].time_ns, 900);
    assert_int_equal(p->nraw, 5);
    assert_int_equal(p->npoints, 6);
    assert_int_equal(p->points[4].time_ns, 500);
    assert_int_equal(p->points[5].time_ns, 900);     /* s[2]'s header */
    assert_int_equal(p->points[5].traced_bytes, 7);
    assert_int_equal(p->points[5].rss_bytes, 77);
    assert_int_equal(p->points[5].allocs, 777);
    assert_int_equal(p->nlabels, 2);
    assert_string_equal(p->labels[0].text, "one");
    assert_string_equal(p->labels[1].text, "two");
    assert_int_equal(p->t0, 50);
    assert_int_equal(p->t_end, 900);
    /* peak_allocs 30: point 3, at its max_time_ns */
    assert_int_equal(p->peak_kind, TL_PEAK_TRACED);
    assert_int_equal(p->peak_point, 2);
    assert_int_equal(p->peak_time_ns, 250);
    assert_int_equal(p->peak_bytes, 530);
    assert_int_equal(tl_elapsed(p, 250), 200);
    assert_true(tl_plottable(&set));
    tl_free(&set);
    frees(s, 3);
}

static void peak_placement(void **state)
{
    (void)state;
    struct snap s;
    struct tl_set set;
    /* beyond every point (the header's too): after them, at the snapshot */
    make(&s, 10, 1, "/p", 600, 5, NULL, 0, 5000, 0, 0);
    tl_build(&set, &s, 1);
    assert_int_equal(set.procs[0].npoints, 6);
    assert_int_equal(set.procs[0].peak_point, 6);
    assert_int_equal(set.procs[0].peak_time_ns, 600);
    tl_free(&set);
    snap_free(&s);
    /* a 240-byte header has no peak_allocs: the point of the largest max */
    make(&s, 10, 1, "/p", 500, 5, NULL, 0, 40, 0, 240);
    assert_int_equal(s.hdr.peak_allocs, 0);
    tl_build(&set, &s, 1);
    assert_int_equal(set.procs[0].peak_point, 2);
    assert_int_equal(set.procs[0].peak_time_ns, 250);
    tl_free(&set);
    snap_free(&s);
    /* --rss-only: the highest RSS sampled; its header adds no point */
    make(&s, 10, 1, "/p", 900, 4, NULL, 0, 0, MT_HDR_RSS_ONLY, 0);
    tl_build(&set, &s, 1);
    assert_true(set.procs[0].rss_only);
    assert_int_equal(set.procs[0].npoints, 4);
    assert_int_equal(set.procs[0].peak_kind, TL_PEAK_RSS);
    assert_int_equal(set.procs[0].peak_bytes, 4000);
    assert_int_equal(set.procs[0].peak_time_ns, 400);
    tl_free(&set);
    snap_free(&s);
}

static void processes_apart(void **state)
{
    (void)state;
    struct snap s[4];
    make(&s[0], 20, 10, "/child", 500, 2, NULL, 0, 0, 0, 0);   /* listed first */
    make(&s[1], 10, 1, "/parent", 500, 2, NULL, 0, 0, 0, 0);
    make(&s[2], 10, 1, "/exec'd", 700, 2, NULL, 0, 0, 0, 0);   /* same pid, another image */
    make(&s[3], 30, 99, "/other", 500, 2, NULL, 0, 0, 0, 0);
    struct tl_set set;
    tl_build(&set, s, 4);
    assert_int_equal(set.nprocs, 4);
    /* roots in start order (ties by pid), each child after its parent */
    assert_string_equal(set.procs[0].program, "/parent");
    assert_string_equal(set.procs[1].program, "/child");
    assert_string_equal(set.procs[2].program, "/exec'd");
    assert_string_equal(set.procs[3].program, "/other");
    tl_free(&set);
    frees(s, 4);
}

static void downsample_keeps_maxima(void **state)
{
    (void)state;
    struct snap s;
    make(&s, 10, 1, "/p", 1000, 10, NULL, 0, 30, 0, 0);
    struct tl_set set;
    tl_build(&set, &s, 1);
    const struct tl_proc *p = &set.procs[0];
    struct tl_row rows[10];
    assert_int_equal(tl_downsample(p, 3, rows), 3);
    /* runs [0,2], [3,5], [6,9]: the last point's state, the runs' maxima */
    assert_int_equal(rows[0].first, 0);
    assert_int_equal(rows[0].last, 2);
    assert_int_equal(rows[0].time_ns, 300);
    assert_int_equal(rows[0].traced_bytes, 30);
    assert_int_equal(rows[0].max_bytes, 530);
    assert_int_equal(rows[0].max_time_ns, 250);
    assert_int_equal(rows[0].rss_bytes, 3000);
    assert_int_equal(rows[2].first, 6);
    assert_int_equal(rows[2].last, 9);
    assert_int_equal(rows[2].max_bytes, 100);
    assert_int_equal(rows[2].allocs, 100);
    assert_int_equal(tl_downsample(p, 0, rows), 10);   /* 0: every point */
    assert_int_equal(tl_downsample(p, 50, rows), 10);
    tl_free(&set);
    snap_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joins_one_process),
        cmocka_unit_test(peak_placement),
        cmocka_unit_test(processes_apart),
        cmocka_unit_test(downsample_keeps_maxima),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
