/* Unit tests (cmocka) of the folded format (output_folded.c) on synthetic
 * reports: root first, the allocator wrappers before the first shown frame
 * left out, inline frames as in stack keys, ';', control bytes and bytes
 * that are not UTF-8 made '?', stacks that end up alike summed, zeros
 * dropped, lines sorted; the counter per command and --metric count; leak
 * classes as root frames; diff's two values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "output.h"

#define NAT(fn, file, line) {fn, file, line, "/usr/bin/app", "app", 0x1000, 0, false, false}

static struct rframe st0[] = {
    {"malloc", NULL, 0, "/lib/libc.so.6", "libc.so.6", 0x7010, 0x10, false, false},
    {"inl", "/src/a.c", 5, "/usr/bin/app", "app", 0x1100, 0x100, true, false},
    NAT("f", "/src/a.c", 9),
    NAT("main", "/src/a.c", 20),
};
/* the same shown frames behind another wrapper: one line with st0's */
static struct rframe st1[] = {
    {"calloc", NULL, 0, "/lib/libc.so.6", "libc.so.6", 0x7020, 0x20, false, false},
    {"inl", "/src/a.c", 5, "/usr/bin/app", "app", 0x1100, 0x100, true, false},
    NAT("f", "/src/a.c", 9),
    NAT("main", "/src/a.c", 20),
};
static struct rframe st2[] = {
    NAT("semi;colon\nnl\xff", "/x;y.c", 3),
    {"Builder.build", "/app/app.py", 12, NULL, NULL, 0, 0, false, true},
    {NULL, NULL, 0, "/usr/lib/libz.so.1", "libz.so.1", 0x9000, 0x2a, false, false},
};

static struct out_row rows[] = {
    {.key = "a", .stack = st0, .nstack = 4, .show_from = 1,
     .c = {.alloc_bytes = 100, .alloc_count = 2, .live_bytes = 50, .live_count = 1,
           .peak_bytes = 80, .peak_count = 1,
           .leak_bytes = {40, 0, 0, 10}, .leak_count = {1, 0, 0, 1}}},
    {.key = "b", .stack = st1, .nstack = 4, .show_from = 1,
     .c = {.alloc_bytes = 7, .alloc_count = 1, .live_bytes = 7, .live_count = 1,
           .leak_bytes = {7}, .leak_count = {1}}},
    {.key = "c", .stack = st2, .nstack = 3, .show_from = 0,
     .c = {.alloc_bytes = 3, .alloc_count = 3, .live_bytes = 5, .live_count = 2,
           .leak_bytes = {0, 0, 2, 0}, .leak_count = {0, 0, 1, 0}}},   /* 3 bytes unclassified */
};

static char *render(const char *command, enum out_unit unit, bool classes)
{
    struct out_report r = {
        .command = command, .group_by = "stack", .rows = rows, .nrows = 3,
        .total_rows = 3, .unit = unit, .leak_classes = classes,
    };
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    out_format_folded.report(f, &r, 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

#define A "main /src/a.c:20;f /src/a.c:9;inl /src/a.c:5 (inlined)"
#define C "libz.so.1+0x2a;Builder.build /app/app.py:12;semi?colon?nl? /x?y.c:3"

static void reports(void **state)
{
    (void)state;
    char *t = render("top", UNIT_BYTES, false);
    assert_string_equal(t, C " 3\n" A " 107\n");
    free(t);
    t = render("top", UNIT_COUNT, false);
    assert_string_equal(t, C " 3\n" A " 3\n");
    free(t);
    t = render("leaks", UNIT_BYTES, false);
    assert_string_equal(t, C " 5\n" A " 57\n");
    free(t);
    t = render("peak", UNIT_BYTES, false);    /* zeros dropped */
    assert_string_equal(t, A " 80\n");
    free(t);
    t = render("peak", UNIT_COUNT, false);
    assert_string_equal(t, A " 1\n");
    free(t);
}

static void leak_classes(void **state)
{
    (void)state;
    char *t = render("leaks", UNIT_BYTES, true);
    assert_string_equal(t, "[definitely lost];" A " 47\n"
                           "[possibly lost];" C " 2\n"
                           "[still reachable];" A " 10\n"
                           "[unclassified];" C " 3\n");
    free(t);
    t = render("leaks", UNIT_COUNT, true);
    assert_string_equal(t, "[definitely lost];" A " 2\n"
                           "[possibly lost];" C " 1\n"
                           "[still reachable];" A " 1\n"
                           "[unclassified];" C " 1\n");
    free(t);
    t = render("top", UNIT_BYTES, true);     /* classes split leaks only */
    assert_string_equal(t, C " 3\n" A " 107\n");
    free(t);
}

static void diff(void **state)
{
    (void)state;
    struct out_diff_row d[3] = {
        {.row = rows[0], .v = {.size = 100, .old_size = 40, .count = 4, .old_count = 1}},
        {.row = rows[1], .v = {.size = 0, .old_size = 5, .count = 0, .old_count = 1}},
        {.row = rows[2], .v = {.size = 9, .old_size = 0, .count = 1, .old_count = 0}},
    };
    struct out_diff od = {.group_by = "stack", .metric = "live", .rows = d, .nrows = 3};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_format_folded.diff(f, &od);
    fclose(f);
    assert_string_equal(text, C " 0 9\n" A " 45 100\n");
    free(text);
    od.unit = UNIT_COUNT;
    f = open_memstream(&text, &len);
    out_format_folded.diff(f, &od);
    fclose(f);
    assert_string_equal(text, C " 0 1\n" A " 2 4\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports),
        cmocka_unit_test(leak_classes),
        cmocka_unit_test(diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
