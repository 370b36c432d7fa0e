/* Unit tests (cmocka) for stacks with Python frames, through the whole path
 * a command takes (snapshot built with snapwriter, parsed, symbolized
 * without debug info, grouped by rows_build): under --group-by stack the
 * Python traceback hides allocator wrappers and interpreter frames (by the
 * module's file name) but keeps a C extension's, and stacks that differ
 * only in hidden frames share a row; --native keys and shows every frame;
 * line, function and file grouping key by the innermost Python frame and
 * show the same traceback; native-only stacks are grouped and shown as
 * before. No module file is opened (no debug info), so
 * every native frame is module+offset with no function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "snapshot_read.h"
#include "snapwriter.h"

#define LIBC 0x1000000ull
#define PY3 0x2000000ull
#define LIBPY 0x3000000ull
#define EXT 0x4000000ull
#define MOD_SIZE 0x100000ull

struct pyfix {
    struct snap snap;
    struct symbolizer *z;
};

static void module(struct sw *w, const char *path, uint64_t base)
{
    sw_module(w, path, base, base + MOD_SIZE, base, NULL, 0);
}

/* S1 and S2 differ only in wrapper and interpreter frames; S3 has a C
 * extension frame; S4 is native only. */
static int setup(void **state)
{
    struct sw w;
    sw_init(&w);
    w.hdr.pid = 9;
    module(&w, "/lib/x86_64-linux-gnu/libc.so.6", LIBC);
    module(&w, "/usr/bin/python3.11", PY3);
    module(&w, "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", LIBPY);
    module(&w, "/opt/ext/myext.cpython-311-x86_64-linux-gnu.so", EXT);
    uint64_t f = sw_native(&w, LIBC + 0x10);                           /* S1 */
    sw_native(&w, PY3 + 0x100);
    sw_native(&w, PY3 + 0x200);
    sw_python(&w, "/app/app.py", "Builder.build", 12);
    sw_python(&w, "/app/app.py", "<module>", 30);
    sw_stack(&w, f, 5, 400, 4, 200, 2, 300, 3);
    f = sw_native(&w, LIBPY + 0x300);                                  /* S2 */
    sw_python(&w, "/app/app.py", "Builder.build", 12);
    sw_python(&w, "/app/app.py", "<module>", 30);
    sw_stack(&w, f, 3, 100, 1, 100, 1, 100, 1);
    f = sw_native(&w, LIBC + 0x10);                                    /* S3 */
    sw_native(&w, EXT + 0x42);
    sw_native(&w, LIBPY + 0x400);
    sw_python(&w, "/app/app.py", "Builder.extend", 20);
    sw_python(&w, "/app/app.py", "<module>", 31);
    sw_stack(&w, f, 5, 300, 3, 300, 3, 300, 3);
    f = sw_native(&w, LIBC + 0x10);                                    /* S4 */
    sw_native(&w, EXT + 0x50);
    sw_native(&w, EXT + 0x60);
    sw_stack(&w, f, 3, 50, 1, 0, 0, 0, 0);
    size_t size;
    uint8_t *buf = sw_build(&w, &size);
    sw_free(&w);
    struct pyfix *p = calloc(1, sizeof *p);
    char err[256];
    assert_non_null(p);
    assert_int_equal(snap_parse(buf, size, &p->snap, err, sizeof err), 0);
    p->z = sym_new(&p->snap, 1);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pyfix *p = *state;
    sym_free(p->z);
    snap_free(&p->snap);
    free(p);
    return 0;
}

/* Rows of the fixture grouped BY (NATIVE: --native), sorted by bytes. */
static struct out_row *rows_of(struct pyfix *p, enum group_by by, bool native, size_t *n)
{
    struct site_opts so = {NULL, 0, native};
    struct row_spec sp = {.by = by, .so = &so, .rep = METRIC_ALLOC_BYTES};
    struct out_row *rows = rows_build(&sp, &p->snap, &p->z, 1, n, NULL);
    rows_sort(rows, *n, METRIC_ALLOC_BYTES);
    return rows;
}

static void python_frame(const struct rframe *f, const char *fn, uint32_t line)
{
    assert_true(f->python);
    assert_string_equal(f->function, fn);
    assert_string_equal(f->file, "/app/app.py");
    assert_int_equal(f->line, line);
}

static void native_frame(const struct rframe *f, const char *module_base, uint64_t offset)
{
    assert_false(f->python);
    assert_null(f->function);
    assert_string_equal(f->module_base, module_base);
    assert_int_equal(f->offset, offset);
}

static void traceback_by_default(void **state)
{
    size_t n;
    struct out_row *r = rows_of(*state, GROUP_STACK, false, &n);
    assert_int_equal(n, 3);
    /* S1 + S2: one row, the Python frames only; S1 (heavier) represents it. */
    assert_string_equal(r[0].key, "Builder.build /app/app.py:12 <- <module> /app/app.py:30");
    assert_int_equal(r[0].c.alloc_bytes, 500);
    assert_int_equal(r[0].c.live_count, 3);
    assert_int_equal(r[0].nstack, 2);
    assert_int_equal(r[0].show_from, 0);
    assert_ptr_equal(r[0].site, &r[0].stack[0]);
    python_frame(&r[0].stack[0], "Builder.build", 12);
    python_frame(&r[0].stack[1], "<module>", 30);
    /* S3: the C extension's frame stays, libc and libpython go. */
    assert_string_equal(r[1].key, "myext.cpython-311-x86_64-linux-gnu.so+0x42 <- "
                                  "Builder.extend /app/app.py:20 <- <module> /app/app.py:31");
    assert_int_equal(r[1].nstack, 3);
    native_frame(&r[1].stack[0], "myext.cpython-311-x86_64-linux-gnu.so", 0x42);
    assert_ptr_equal(r[1].site, &r[1].stack[1]);
    python_frame(&r[1].stack[1], "Builder.extend", 20);
    /* S4, native only: as before (every frame kept, shown from the first
     * that is not a wrapper). */
    assert_int_equal(r[2].nstack, 3);
    assert_int_equal(r[2].show_from, 1);
    native_frame(&r[2].stack[0], "libc.so.6", 0x10);
    assert_string_equal(r[2].key, "libc.so.6+0x10 <- myext.cpython-311-x86_64-linux-gnu.so+0x50"
                                  " <- myext.cpython-311-x86_64-linux-gnu.so+0x60");
    rows_free(r, n);
}

static void native_shows_every_frame(void **state)
{
    size_t n;
    struct out_row *r = rows_of(*state, GROUP_STACK, true, &n);
    assert_int_equal(n, 4);
    assert_string_equal(r[0].key, "libc.so.6+0x10 <- python3.11+0x100 <- python3.11+0x200 <- "
                                  "Builder.build /app/app.py:12 <- <module> /app/app.py:30");
    assert_int_equal(r[0].c.alloc_bytes, 400);
    assert_int_equal(r[0].nstack, 5);
    assert_int_equal(r[0].show_from, 1);
    assert_ptr_equal(r[0].site, &r[0].stack[1]);      /* the native site */
    native_frame(&r[0].stack[1], "python3.11", 0x100);
    assert_int_equal(r[2].c.alloc_bytes, 100);          /* S2 on its own */
    assert_string_equal(r[2].key, "libpython3.11.so.1.0+0x300 <- "
                                  "Builder.build /app/app.py:12 <- <module> /app/app.py:30");
    assert_int_equal(r[2].show_from, 0);
    rows_free(r, n);
}

/* Line, function and file rows: keyed by the innermost Python frame (the
 * native site with --native), and shown as the Python traceback. */
static void line_function_file(void **state)
{
    size_t n;
    struct out_row *r = rows_of(*state, GROUP_LINE, false, &n);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].key, "/app/app.py:12");
    assert_int_equal(r[0].c.alloc_bytes, 500);
    assert_string_equal(r[1].key, "/app/app.py:20");
    assert_string_equal(r[2].key, "myext.cpython-311-x86_64-linux-gnu.so+0x50");
    /* The representative stack is shown as the Python traceback too: S1
     * without libc and python3.11, the site on its first Python frame. */
    assert_int_equal(r[0].nstack, 2);
    assert_int_equal(r[0].show_from, 0);
    assert_ptr_equal(r[0].site, &r[0].stack[0]);
    python_frame(&r[0].stack[0], "Builder.build", 12);
    python_frame(&r[0].stack[1], "<module>", 30);
    /* S3: the C extension's frame first, libpython gone. */
    assert_int_equal(r[1].nstack, 3);
    assert_int_equal(r[1].show_from, 0);
    native_frame(&r[1].stack[0], "myext.cpython-311-x86_64-linux-gnu.so", 0x42);
    assert_ptr_equal(r[1].site, &r[1].stack[1]);
    python_frame(&r[1].stack[1], "Builder.extend", 20);
    python_frame(&r[1].stack[2], "<module>", 31);
    /* S4, native only: every frame, shown from the first non-wrapper. */
    assert_int_equal(r[2].nstack, 3);
    assert_int_equal(r[2].show_from, 1);
    assert_ptr_equal(r[2].site, &r[2].stack[1]);
    native_frame(&r[2].stack[0], "libc.so.6", 0x10);
    rows_free(r, n);

    /* --native: the native site and every frame. */
    r = rows_of(*state, GROUP_LINE, true, &n);
    assert_int_equal(n, 4);
    assert_string_equal(r[0].key, "python3.11+0x100");
    assert_int_equal(r[0].nstack, 5);
    assert_int_equal(r[0].show_from, 1);
    assert_ptr_equal(r[0].site, &r[0].stack[1]);
    native_frame(&r[0].stack[0], "libc.so.6", 0x10);
    native_frame(&r[0].stack[2], "python3.11", 0x200);
    python_frame(&r[0].stack[3], "Builder.build", 12);
    assert_string_equal(r[1].key, "myext.cpython-311-x86_64-linux-gnu.so+0x42");
    assert_int_equal(r[1].nstack, 5);
    native_frame(&r[1].stack[2], "libpython3.11.so.1.0", 0x400);
    assert_string_equal(r[2].key, "libpython3.11.so.1.0+0x300");
    assert_int_equal(r[2].nstack, 3);
    assert_int_equal(r[2].show_from, 0);
    rows_free(r, n);

    r = rows_of(*state, GROUP_FUNCTION, false, &n);
    assert_int_equal(n, 3);
    assert_string_equal(r[0].key, "Builder.build (/app/app.py)");
    assert_int_equal(r[0].nstack, 2);
    python_frame(&r[0].stack[0], "Builder.build", 12);
    assert_string_equal(r[1].key, "Builder.extend (/app/app.py)");
    assert_int_equal(r[1].nstack, 3);
    native_frame(&r[1].stack[0], "myext.cpython-311-x86_64-linux-gnu.so", 0x42);
    assert_ptr_equal(r[1].site, &r[1].stack[1]);
    assert_int_equal(r[2].nstack, 3);                  /* S4 as before */
    rows_free(r, n);

    r = rows_of(*state, GROUP_FILE, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].key, "/app/app.py");
    assert_int_equal(r[0].c.alloc_bytes, 800);
    assert_int_equal(r[0].nstack, 2);                  /* S1, the heaviest */
    assert_ptr_equal(r[0].site, &r[0].stack[0]);
    python_frame(&r[0].stack[1], "<module>", 30);
    assert_string_equal(r[1].key, "/opt/ext/myext.cpython-311-x86_64-linux-gnu.so");
    assert_int_equal(r[1].nstack, 3);
    rows_free(r, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(traceback_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(native_shows_every_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(line_function_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
