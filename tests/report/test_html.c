/* Unit tests (cmocka) of the html format (output_html.c) on synthetic
 * reports: the page is whole (doctype to </html>, one data element, no
 * marker left), names are escaped in the embedded JSON ('<', '>', '&',
 * U+2028, U+2029, quotes, control bytes, invalid UTF-8) and never appear
 * raw, stacks merge root first from the first shown frame, children under
 * 0.1% of the total fold into "[other]", leak classes become root frames,
 * diff nodes carry OLD and NEW; the timeline's plot data (a page of plots
 * only, or beside the graph), times from the process's start, labels
 * escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"
#include "timeline_out.h"

#define NAT(fn, file, line) {fn, file, line, "/usr/bin/app", "app", 0x1000, 0, false, false}
#define EVIL "<img src=x onerror=alert(1)>&\xe2\x80\xa8\xe2\x80\xa9\"\\\x01\xff"

static struct rframe st0[] = {
    {"malloc", NULL, 0, "/lib/libc.so.6", "libc.so.6", 0x7010, 0x10, false, false},
    NAT("f", "/src/a.c", 9),
    NAT("main", "/src/a.c", 20),
};
static struct rframe st1[] = {
    {EVIL, "/app/</script>.py", 3, NULL, NULL, 0, 0, false, true},
    NAT("main", "/src/a.c", 20),
};
static struct rframe st2[] = {   /* tiny: folds */
    NAT("tiny", "/src/a.c", 30),
    NAT("main", "/src/a.c", 20),
};

static struct out_row rows[] = {
    {.key = "a", .stack = st0, .nstack = 3, .show_from = 1,
     .c = {.alloc_bytes = 90000, .alloc_count = 9, .live_bytes = 100, .live_count = 1,
           .leak_bytes = {60, 0, 0, 40}, .leak_count = {1, 0, 0, 1}}},
    {.key = "b", .stack = st1, .nstack = 2, .show_from = 0,
     .c = {.alloc_bytes = 9990, .alloc_count = 3, .live_bytes = 50, .live_count = 2}},
    {.key = "c", .stack = st2, .nstack = 2, .show_from = 0,
     .c = {.alloc_bytes = 10, .alloc_count = 1}},
};

static const struct out_snapinfo snap = {.file = "/tmp/<x>.snap", .program = "/usr/bin/app",
                                         .pid = 42};

static char *render(const char *command, bool classes)
{
    struct out_report r = {
        .command = command, .group_by = "stack", .rows = rows, .nrows = 3, .total_rows = 3,
        .leak_classes = classes, .snaps = &snap, .nsnaps = 1,
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    out_format_html.report(f, &r, 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* The embedded JSON, between the data element's tags. */
static char *data_of(const char *page)
{
    const char *open = "<script type=\"application/json\" id=\"mtrace-data\">";
    const char *p = strstr(page, open);
    assert_non_null(p);
    p += strlen(open);
    const char *e = strstr(p, "</script>");
    assert_non_null(e);
    return strndup(p, (size_t)(e - p));
}

static void page_whole(void **state)
{
    (void)state;
    char *t = render("top", false);
    assert_memory_equal(t, "<!DOCTYPE html>", 15);
    assert_non_null(strstr(t, "</html>\n"));
    assert_null(strstr(t, "@@"));
    assert_null(strstr(t, "<img"));
    assert_null(strstr(t, "http:"));
    assert_null(strstr(t, "https:"));
    assert_null(strstr(t, "\xe2\x80\xa8"));
    /* exactly two scripts: the data and the code */
    int n = 0;
    for (const char *p = t; (p = strstr(p, "<script")); p++)
        n++;
    assert_int_equal(n, 2);
    free(t);
}

static void escaping(void **state)
{
    (void)state;
    char *t = render("top", false);
    char *d = data_of(t);
    assert_non_null(strstr(d, "[\"\\u003cimg src=x onerror=alert(1)\\u003e\\u0026\\u2028\\u2029"
                              "\\\"\\\\\\u0001\\ufffd\",\"/app/\\u003c/script\\u003e.py:3\",\"p\"]"));
    assert_non_null(strstr(d, "\"snapshots\":[\"/tmp/\\u003cx\\u003e.snap\"]"));
    for (const char *p = d; *p; p++)
        assert_true(*p != '<' && *p != '>' && *p != '&');
    free(d);
    free(t);
}

static void tree(void **state)
{
    (void)state;
    char *t = render("top", false);
    char *d = data_of(t);
    /* frames in first-use order; nodes parents first; "tiny" (10 of 100000,
     * under 0.1%) folded into "[other]" under main */
    assert_non_null(strstr(d, "\"frames\":[[\"all\",\"\",\"r\"],[\"main\",\"/src/a.c:20\",\"n\"],"
                              "[\"f\",\"/src/a.c:9\",\"n\"],"));
    assert_non_null(strstr(d, "\"nodes\":[[0,0,100000,13],\n[1,0,100000,13],\n[2,1,90000,9],\n"
                              "[3,1,9990,3],\n[4,1,10,1]]"));
    assert_non_null(strstr(d, "[\"[other]\",\"\",\"o\"]]"));
    assert_null(strstr(d, "tiny"));
    assert_non_null(strstr(d, "\"command\":\"top\""));
    assert_non_null(strstr(d, "\"diff\":false"));
    free(d);
    free(t);
}

static void classes(void **state)
{
    (void)state;
    char *t = render("leaks", true);
    char *d = data_of(t);
    assert_non_null(strstr(d, "\"classes\":true"));
    assert_non_null(strstr(d, "[\"[definitely lost]\",\"\",\"c\"]"));
    assert_non_null(strstr(d, "[\"[still reachable]\",\"\",\"c\"]"));
    assert_non_null(strstr(d, "[\"[unclassified]\",\"\",\"c\"]"));   /* row b: 50 bytes */
    assert_non_null(strstr(d, "\"nodes\":[[0,0,150,4],"));
    free(d);
    free(t);
}

static void diff(void **state)
{
    (void)state;
    struct out_diff_row dr[2] = {
        {.row = rows[0], .v = {.size = 100, .old_size = 40, .count = 4, .old_count = 1}},
        {.row = rows[1], .v = {.size = 0, .old_size = 5, .count = 0, .old_count = 1}},
    };
    struct out_diff od = {.group_by = "stack", .metric = "live", .rows = dr, .nrows = 2,
                          .old_snap = &snap, .new_snap = &snap};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_format_html.diff(f, &od);
    fclose(f);
    char *d = data_of(text);
    assert_non_null(strstr(d, "\"diff\":true"));
    assert_non_null(strstr(d, "\"nodes\":[[0,0,100,4,45,2],\n[1,0,100,4,45,2],\n"
                              "[2,1,100,4,40,1],\n[3,1,0,0,5,1]]"));
    free(d);
    free(text);
}


/* A process with three points, a hostile label and a snapshot mark. */
static struct mt_tl_point tl_pts[3] = {
    {1100, 10, 10, 1100, 5000, 1}, {1200, 20, 90, 1150, 6000, 2}, {1300, 15, 20, 1300, 5500, 3},
};
static struct tl_label tl_labs[1] = {{1150, 2, 20, EVIL}};
static struct tl_snapmark tl_marks[1] = {{.file = "/tmp/<s>.snap", .reason = "exit",
                                          .cause = "exit(0)", .time_ns = 1300}};
static struct tl_proc tl_procs[1] = {{
    .pid = 7, .ppid = 1, .program = "/bin/p", .cmdline = "p", .points = tl_pts, .npoints = 3,
    .nraw = 3, .labels = tl_labs, .nlabels = 1, .snaps = tl_marks, .nsnaps = 1, .t0 = 1000,
    .t_end = 1300, .peak_kind = TL_PEAK_TRACED, .peak_bytes = 90, .peak_time_ns = 1150,
    .peak_point = 1,
}};
static const struct tl_set tl_set = {tl_procs, 1};

static void timeline_page(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    html_timeline_page(f, &tl_set);
    assert_int_equal(fclose(f), 0);
    assert_null(strstr(text, "http:"));
    assert_null(strstr(text, "<img"));
    int n = 0;
    for (const char *p = text; (p = strstr(p, "<script")); p++)
        n++;
    assert_int_equal(n, 2);
    char *d = data_of(text);
    assert_non_null(strstr(d, "\"command\":\"timeline\""));
    assert_non_null(strstr(d, "\"plot_only\":true,\"timeline\":[{\"pid\":7,\"ppid\":1,"));
    /* times from t0; the three points as stored (under the plot's bound) */
    assert_non_null(strstr(d, "\"npoints\":3,\"points\":[[100,10,10,100,5000,1],"
                              "[200,20,90,150,6000,2],[300,15,20,300,5500,3]]"));
    assert_non_null(strstr(d, "\"labels\":[[150,\"\\u003cimg src=x onerror=alert(1)\\u003e"));
    assert_non_null(strstr(d, "\"snapshots\":[[300,\"exit(0) #0\",\"/tmp/\\u003cs\\u003e.snap\"]]"));
    assert_non_null(strstr(d, "\"peak\":[150,90,\"traced\"]"));
    assert_non_null(strstr(d, "\"nodes\":[],\"frames\":[]"));
    for (const char *p = d; *p; p++)
        assert_true(*p != '<' && *p != '>' && *p != '&');
    free(d);
    free(text);

    /* a report page carries the plot's data beside its graph */
    struct out_report r = {
        .command = "top", .group_by = "stack", .rows = rows, .nrows = 3, .total_rows = 3,
        .snaps = &snap, .nsnaps = 1, .timeline = &tl_set,
    };
    f = open_memstream(&text, &len);
    out_format_html.report(f, &r, 0);
    assert_int_equal(fclose(f), 0);
    d = data_of(text);
    assert_non_null(strstr(d, "\"plot_only\":false,\"timeline\":[{\"pid\":7,"));
    assert_non_null(strstr(d, "\"nodes\":[[0,0,100000,13],"));
    free(d);
    free(text);
    /* and none without a series */
    char *t = render("top", false);
    d = data_of(t);
    assert_non_null(strstr(d, "\"plot_only\":false,\"timeline\":null,"));
    free(d);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_whole),
        cmocka_unit_test(escaping),
        cmocka_unit_test(tree),
        cmocka_unit_test(classes),
        cmocka_unit_test(diff),
        cmocka_unit_test(timeline_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
