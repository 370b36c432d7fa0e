/* Shared between the fixture's parts: return addresses it captured of its
 * own calls (sites on known lines, see expect.sh), its module map, and the
 * writers of the series snapshots (fixture_series.c), of the snapshots
 * with Python stacks (fixture_python.c) and of those with leak classes
 * (fixture_leaks.c). */
#ifndef MTRACE_TEST_FIXTURE_H
#define MTRACE_TEST_FIXTURE_H

#include <stdint.h>

#include "snapwriter.h"

struct fixture_sites {
    uint64_t a_site, a_ret_main;   /* f_a at LINE_A, called from main */
    uint64_t a_ret_g, g_ret_main;  /* f_a called from g, g from main */
    uint64_t c_site, c_ret_main;   /* f_c at LINE_C, called from main */
    uint64_t libc_malloc;          /* inside glibc's malloc: a wrapper frame */
};

/* Add this process's modules (with build-ids) to W. */
void fixture_modules(struct sw *w);

/* Write series0..3.snap, series_other.snap, series_child.snap into DIR. */
int fixture_write_series(const char *dir, const struct fixture_sites *s);

/* Write py0.snap and py1.snap (stacks with Python frames) into DIR. */
int fixture_write_python(const char *dir, const struct fixture_sites *s);

/* Write the snapshots with leak classes (leak*.snap, fixture_leaks.c). */
int fixture_write_leaks(const char *dir, const struct fixture_sites *s);

/* Write the snapshots with a memory timeline (tl*.snap, fixture_timeline.c). */
int fixture_write_timeline(const char *dir);

#endif
