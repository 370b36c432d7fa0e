/* Unit tests (cmocka) for the pure pieces behind diff, filters and series:
 * filter matching (each kind, base name vs path, site vs any frame, AND over
 * kinds, OR within one, excludes), the diff join (status, signed changes,
 * representative stack, sort order, totals, groups absent from both) and
 * signed deltas at the uint64 extremes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff.h"
#include "filter.h"
#include "output.h"

static struct rframe fr(const char *fn, const char *file, const char *module)
{
    struct rframe f = {0};
    f.function = fn;
    f.file = file;
    f.module = module;
    return f;
}

/* A stack: wrapper (libc) at 0, site at 1, caller at 2. */
static struct rframe st[3];

static bool keep(const struct filter_set *f)
{
    return filter_keep(f, st, 3, 1);
}

static void filters(void **state)
{
    (void)state;
    st[0] = fr("malloc", NULL, "/lib/libc.so.6");
    st[1] = fr("parse", "/src/lib/json.c", "/usr/lib/libjson.so.1");
    st[2] = fr("main", "/src/app/main.c", "/usr/bin/app");

    struct filter_set f = {0};
    assert_false(filter_active(&f));
    assert_true(keep(&f));

    filter_add(&f, false, FILTER_FILE, "json.c");          /* base name */
    assert_true(filter_active(&f));
    assert_true(keep(&f));
    filter_free(&f);
    filter_add(&f, false, FILTER_FILE, "/src/lib/*");      /* whole path */
    assert_true(keep(&f));
    filter_free(&f);
    filter_add(&f, false, FILTER_FILE, "lib/json.c");      /* has '/': whole path */
    assert_false(keep(&f));
    filter_free(&f);

    /* site vs any frame */
    filter_add(&f, false, FILTER_FILE, "main.c");
    assert_false(keep(&f));
    f.any_frame = true;
    assert_true(keep(&f));
    filter_free(&f);
    filter_add(&f, true, FILTER_MODULE, "libc.so*");
    assert_true(keep(&f));                                  /* site is libjson */
    f.any_frame = true;
    assert_false(keep(&f));
    filter_free(&f);

    /* OR within a kind, AND over kinds */
    filter_add(&f, false, FILTER_FUNCTION, "nope");
    assert_false(keep(&f));
    filter_add(&f, false, FILTER_FUNCTION, "par*");
    assert_true(keep(&f));
    filter_add(&f, false, FILTER_MODULE, "libjson.so.*");
    assert_true(keep(&f));
    filter_add(&f, false, FILTER_FILE, "*.h");
    assert_false(keep(&f));
    filter_free(&f);

    /* exclude beats include; a missing field matches nothing */
    filter_add(&f, false, FILTER_FUNCTION, "*");
    filter_add(&f, true, FILTER_FUNCTION, "parse");
    assert_false(keep(&f));
    filter_free(&f);
    st[1].file = NULL;
    filter_add(&f, false, FILTER_FILE, "*");
    assert_false(keep(&f));
    filter_free(&f);
    filter_add(&f, true, FILTER_FILE, "*");
    assert_true(keep(&f));
    assert_true(filter_keep(&f, st, 0, 0));                 /* empty stack: nothing excludes */
    filter_free(&f);
    filter_add(&f, false, FILTER_FILE, "*");
    assert_false(filter_keep(&f, st, 0, 0));                /* ...and nothing includes */
    filter_free(&f);
}

static struct out_row row(const char *key, uint64_t live_bytes, uint64_t live_count,
                          const char *fn)
{
    struct out_row r = {0};
    r.key = strdup(key);
    r.stack = malloc(sizeof *r.stack);
    r.stack[0] = fr(fn, NULL, NULL);
    r.nstack = 1;
    r.site = r.stack;
    r.c.live_bytes = live_bytes;
    r.c.live_count = live_count;
    r.c.alloc_bytes = live_bytes * 2;
    r.c.alloc_count = live_count * 2;
    return r;
}

static void join(void **state)
{
    (void)state;
    struct out_row *old = calloc(5, sizeof *old), *cur = calloc(5, sizeof *cur);
    old[0] = row("grows", 100, 1, "old-grows");
    old[1] = row("gone", 300, 3, "old-gone");
    old[2] = row("same", 50, 5, "old-same");
    old[3] = row("freed-before", 0, 0, "x");     /* in neither: dropped */
    old[4] = row("shrinks", 400, 2, "old-shrinks");
    cur[0] = row("new", 300, 1, "new-new");
    cur[1] = row("same", 50, 5, "new-same");
    cur[2] = row("grows", 400, 3, "new-grows");
    cur[3] = row("freed-before", 0, 0, "y");
    cur[4] = row("shrinks", 100, 2, "new-shrinks");
    size_t n;
    struct diff_values t;
    struct out_diff_row *d = diff_rows(old, 5, cur, 5, DIFF_LIVE, &n, &t);
    assert_int_equal(n, 5);
    diff_sort(d, n);
    /* |size change| 300 four times: by |count change| (gone 3, grows 2,
     * new 1, shrinks 0); same (0) last. */
    const char *order[] = {"gone", "grows", "new", "shrinks", "same"};
    const enum diff_status status[] = {DIFF_GONE, DIFF_CHANGED, DIFF_NEW, DIFF_CHANGED,
                                       DIFF_SAME};
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(d[i].row.key, order[i]);
        assert_int_equal(d[i].status, status[i]);
    }
    assert_true(d[0].v.size_diff.neg);
    assert_int_equal(d[0].v.size_diff.mag, 300);
    assert_int_equal(d[0].v.count_diff.mag, 3);
    assert_string_equal(d[0].row.site->function, "old-gone");  /* gone: old stack */
    assert_string_equal(d[1].row.site->function, "new-grows");
    assert_int_equal(d[1].v.old_size, 100);
    assert_int_equal(d[1].v.size, 400);
    assert_false(d[1].v.size_diff.neg);
    assert_int_equal(d[3].v.count_diff.mag, 0);
    assert_false(d[3].v.count_diff.neg);
    assert_string_equal(d[4].row.site->function, "new-same");
    assert_int_equal(t.size, 300 + 50 + 400 + 100);
    assert_int_equal(t.old_size, 100 + 300 + 50 + 400);
    assert_false(t.size_diff.neg);
    assert_int_equal(t.size_diff.mag, 0);
    assert_int_equal(t.count, 1 + 5 + 3 + 2);
    assert_int_equal(t.old_count, 1 + 3 + 5 + 2);
    assert_false(t.count_diff.neg);
    assert_int_equal(t.count_diff.mag, 0);
    diff_rows_free(d, n);

    /* alloc metric reads the allocation counters */
    old = calloc(1, sizeof *old);
    cur = calloc(1, sizeof *cur);
    old[0] = row("a", 10, 1, "f");
    cur[0] = row("a", 10, 1, "f");
    cur[0].c.alloc_bytes = 50;
    d = diff_rows(old, 1, cur, 1, DIFF_ALLOC, &n, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].status, DIFF_CHANGED);
    assert_int_equal(d[0].v.size_diff.mag, 30);
    diff_rows_free(d, n);

    /* empty inputs */
    d = diff_rows(calloc(1, sizeof *old), 0, calloc(1, sizeof *cur), 0, DIFF_PEAK, &n, &t);
    assert_int_equal(n, 0);
    assert_int_equal(t.size_diff.mag, 0);
    diff_rows_free(d, n);
}

static void deltas(void **state)
{
    (void)state;
    struct sdelta d = sdelta_of(0, UINT64_MAX);
    assert_true(d.neg);
    assert_true(d.mag == UINT64_MAX);
    d = sdelta_of(UINT64_MAX, 0);
    assert_false(d.neg);
    assert_true(d.mag == UINT64_MAX);
    d = sdelta_of(7, 7);
    assert_false(d.neg);
    assert_int_equal(d.mag, 0);
    enum diff_metric m;
    assert_int_equal(diff_metric_from_name("peak", &m), 0);
    assert_int_equal(m, DIFF_PEAK);
    assert_int_equal(diff_metric_bytes(m), METRIC_PEAK_BYTES);
    assert_int_equal(diff_metric_count(DIFF_ALLOC), METRIC_ALLOC_COUNT);
    assert_int_equal(diff_metric_from_name("size", &m), -1);
    assert_string_equal(diff_status_name(DIFF_GONE), "gone");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filters),
        cmocka_unit_test(join),
        cmocka_unit_test(deltas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
