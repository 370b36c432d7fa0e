/* Unit tests (cmocka) for report/suppress.c: LeakSanitizer's TemplateMatch
 * (substring, '^' and '$' anchors, '*'), the file format (comments, blank
 * lines, CRLF, types of other sanitizers ignored, syntax errors with
 * FILE:LINE), which frames each kind of suppression looks at (leak: any
 * frame's function, file or module path; called_from_lib: the site's
 * module; built-ins: the frames out to the site only, never a deeper
 * interpreter frame, and site_only rules the site alone), and what a
 * suppression counts. Stacks are rframes as the
 * symbolizer makes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "suppress.h"

static void template_match(void **state)
{
    (void)state;
    static const struct {
        const char *templ, *s;
        bool match;
    } cases[] = {
        {"foo", "foo", true},
        {"foo", "xfoox", true},           /* anywhere */
        {"foo", "fo", false},
        {"^foo", "foox", true},
        {"^foo", "xfoo", false},
        {"foo$", "xfoo", true},
        {"foo$", "foox", false},
        {"^foo$", "foo", true},
        {"^foo$", "foofoo", false},
        {"^f*o$", "fxxo", true},
        {"f*o", "xxfyyozz", true},
        {"^f*o$", "fxxoy", false},
        {"a*b$", "ab", true},
        {"a*b$", "abab", false},           /* LSan takes the first "b" and does not backtrack */
        {"*", "x", true},
        {"x", "", false},                  /* an empty name never matches */
        {"*", "", false},
        {"lib*.so", "/usr/lib/x86_64-linux-gnu/libz.so.1", true},
        {"^lib*.so$", "/usr/lib/libz.so", false},
        {"^/usr/lib/*.so$", "/usr/lib/libz.so", true},
        {"a$b", "xa", true},               /* LSan: a '$' ends the pattern wherever it is */
        {"a$b", "xa$by", false},
        {"std::vector<*>::push_back", "std::vector<int, std::allocator<int> >::push_back", true},
        {"^^x", "^x", true},               /* the second '^' is literal */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool m = supp_template_match(cases[i].templ, cases[i].s);
        if (m != cases[i].match)
            fail_msg("'%s' on '%s': %d, want %d", cases[i].templ, cases[i].s, m,
                     cases[i].match);
    }
    assert_false(supp_template_match("x", NULL));
}

static int parse(struct supp_set *set, const char *text, char *err, size_t errlen)
{
    return supp_parse(set, "s.supp", text, strlen(text), err, errlen);
}

static void expect_syntax(const char *text, const char *want)
{
    struct supp_set set = {0};
    char err[256] = "";
    assert_int_equal(parse(&set, text, err, sizeof err), -1);
    assert_string_equal(err, want);
    supp_free(&set);
}

static void file_format(void **state)
{
    (void)state;
    struct supp_set set = {0};
    char err[256] = "";
    const char *text = "# a comment\n"
                       "\n"
                       "   leak:foo  \r\n"
                       "\tleak:^bar$\n"
                       "race:ignored_for_leaks\n"
                       "race:twice\n"
                       "called_from_lib:libfoo.so\n"
                       "  # indented comment\n"
                       "leak:last";                 /* no final newline */
    assert_int_equal(parse(&set, text, err, sizeof err), 0);
    assert_int_equal(set.n, 4);
    assert_int_equal(set.v[0].kind, SUPP_LEAK);
    assert_string_equal(set.v[0].pattern, "foo");
    assert_int_equal(set.v[0].line, 3);
    assert_string_equal(set.v[0].file, "s.supp");
    assert_string_equal(set.v[1].pattern, "^bar$");
    assert_int_equal(set.v[1].line, 4);
    assert_int_equal(set.v[2].kind, SUPP_CALLED_FROM_LIB);
    assert_int_equal(set.v[2].line, 7);
    assert_string_equal(set.v[3].pattern, "last");
    assert_int_equal(set.v[3].line, 9);
    assert_int_equal(set.nwarned, 1); /* "race" warned about once */
    supp_free(&set);

    expect_syntax("leak:ok\nno colon here\n",
                  "s.supp:2: expected TYPE:PATTERN such as leak:my_function, got 'no colon here'");
    expect_syntax("Leak:foo", "s.supp:1: invalid suppression type 'Leak' (expected leak: or "
                              "called_from_lib:)");
    expect_syntax(":foo", "s.supp:1: invalid suppression type '' (expected leak: or "
                          "called_from_lib:)");
    expect_syntax("\n\nleak:", "s.supp:3: empty pattern after 'leak:'");
    expect_syntax("leak:^$", "s.supp:1: empty pattern after 'leak:'");
    expect_syntax("called_from_lib:  ", "s.supp:1: empty pattern after 'called_from_lib:'");
    expect_syntax("x\x1b[2J",
                  "s.supp:1: expected TYPE:PATTERN such as leak:my_function, got 'x?[2J'");
    struct supp_set s2 = {0};
    assert_int_equal(supp_parse(&s2, "n.supp", "leak:a\nleak:b\0c\n", 15, err, sizeof err), -1);
    assert_string_equal(err, "n.supp:2: NUL byte in the line");
    supp_free(&s2);
}

static void load_file(void **state)
{
    (void)state;
    struct supp_set set = {0};
    char err[512] = "", path[] = "/tmp/mtrace-supp-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "leak:from_file\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    assert_int_equal(supp_load_file(&set, path, err, sizeof err), 0);
    assert_int_equal(set.n, 1);
    assert_string_equal(set.v[0].file, path);
    unlink(path);
    assert_int_equal(supp_load_file(&set, path, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err, want);
    assert_int_equal(supp_load_file(&set, "/tmp", err, sizeof err), -1);
    assert_string_equal(err, "/tmp: Is a directory");
    supp_free(&set);
}

static struct rframe nat(const char *fn, const char *file, const char *module)
{
    struct rframe f = {0};
    f.function = fn;
    f.file = file;
    f.module = module;
    if (module) {
        const char *b = strrchr(module, '/');
        f.module_base = b ? b + 1 : module;
    }
    return f;
}

static struct rframe py(const char *fn, const char *file, uint32_t line)
{
    struct rframe f = {0};
    f.function = fn;
    f.file = file;
    f.line = line;
    f.python = true;
    return f;
}

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define PY3 "/usr/bin/python3.11"
#define EXT "/opt/ext/myext.cpython-311-x86_64-linux-gnu.so"
#define PROG "/usr/bin/prog"
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct site_opts so = {0};

static const char *matched(struct supp_set *set, const struct rframe *f, size_t n)
{
    struct supp *s = supp_match(set, f, n, &so);
    return s ? s->pattern : NULL;
}

static void user_patterns(void **state)
{
    (void)state;
    struct supp_set set = {0};
    char err[256];
    assert_int_equal(parse(&set, "leak:^deep_caller$\n"
                                 "leak:helpers.c\n"
                                 "leak:libfoo.so\n"
                                 "leak:app/cache.py\n"
                                 "leak:Builder.*grow\n"
                                 "called_from_lib:libbar\n", err, sizeof err), 0);
    /* function, on a frame far from the allocation */
    const struct rframe s1[] = {nat("malloc", NULL, LIBC), nat("mk", "/src/a.c", PROG),
                                nat("deep_caller", "/src/b.c", PROG),
                                nat("main", "/src/m.c", PROG)};
    assert_string_equal(matched(&set, s1, N(s1)), "^deep_caller$");
    /* anchored: "deep_caller_2" is another function */
    const struct rframe s1b[] = {nat("malloc", NULL, LIBC), nat("deep_caller_2", "/src/b.c", PROG)};
    assert_null(matched(&set, s1b, N(s1b)));
    /* source file (substring of the path) */
    const struct rframe s2[] = {nat("malloc", NULL, LIBC), nat("h", "/src/helpers.c", PROG)};
    assert_string_equal(matched(&set, s2, N(s2)), "helpers.c");
    /* module path */
    const struct rframe s3[] = {nat("malloc", NULL, LIBC), nat(NULL, NULL, "/opt/lib/libfoo.so.1"),
                                nat("main", "/src/m.c", PROG)};
    assert_string_equal(matched(&set, s3, N(s3)), "libfoo.so");
    /* Python frames: file and function */
    const struct rframe s4[] = {nat("malloc", NULL, LIBC), nat("PyList_New", NULL, PY3),
                                py("load", "/srv/app/cache.py", 3),
                                py("<module>", "/srv/main.py", 1)};
    assert_string_equal(matched(&set, s4, N(s4)), "app/cache.py");
    const struct rframe s5[] = {nat("malloc", NULL, LIBC), py("Builder.try_grow", "/x.py", 3)};
    assert_string_equal(matched(&set, s5, N(s5)), "Builder.*grow");
    /* called_from_lib: the site frame's module only */
    const struct rframe s6[] = {nat("malloc", NULL, LIBC),
                                nat("bar_new", NULL, "/usr/lib/libbar.so.2"),
                                nat("main", "/src/m.c", PROG)};
    assert_string_equal(matched(&set, s6, N(s6)), "libbar");
    const struct rframe s7[] = {nat("malloc", NULL, LIBC), nat("mine", "/src/m.c", PROG),
                                nat("bar_call", NULL, "/usr/lib/libbar.so.2")};
    assert_null(matched(&set, s7, N(s7)));
    /* the innermost frame that matches decides, whatever the file order */
    supp_free(&set);
    assert_int_equal(parse(&set, "leak:outer\nleak:inner\n", err, sizeof err), 0);
    const struct rframe s8[] = {nat("inner", NULL, PROG), nat("outer", NULL, PROG)};
    assert_string_equal(matched(&set, s8, N(s8)), "inner");
    supp_free(&set);
}

static const char *builtin(struct supp_set *set, const struct rframe *f, size_t n)
{
    struct supp *s = supp_match(set, f, n, &so);
    if (s)
        assert_int_equal(s->kind, SUPP_BUILTIN);
    return s ? s->pattern : NULL;
}

/* The shared table (mtrace/known_frames.h) as the shim's gate walks it:
 * the native frames out to the site; site_only rules the site alone. */
static void defaults_site_only(void **state)
{
    (void)state;
    struct supp_set set = {0};
    supp_add_defaults(&set);
    assert_int_equal(set.n, supp_ndefaults());
    /* the interpreter allocated it: its frame is the site */
    const struct rframe a[] = {nat("malloc", NULL, LIBC), nat("PyMem_RawMalloc", NULL, PY3),
                               nat("PyList_New", NULL, PY3), py("f", "/app.py", 1)};
    assert_int_equal(supp_site_end(a, N(a), &so), 3);
    assert_string_equal(builtin(&set, a, N(a)), "module:python3* (site frame)");
    /* a C extension calling PyMem_Malloc (a wrapper in the interpreter's
     * module): the site is the extension's, not the interpreter's */
    const struct rframe a2[] = {nat("malloc", NULL, LIBC), nat("PyMem_Malloc", NULL, PY3),
                                nat("ext_make", "ext.c", EXT), py("f", "/app.py", 1)};
    assert_null(builtin(&set, a2, N(a2)));
    /* a C extension allocated it: the interpreter's frames are further out */
    const struct rframe b[] = {nat("malloc", NULL, LIBC), nat("ext_make", "ext.c", EXT),
                               nat("_PyEval_EvalFrameDefault", NULL, PY3),
                               nat("Py_RunMain", NULL, "/usr/lib/libpython3.11.so.1.0"),
                               py("f", "/app.py", 1)};
    assert_int_equal(supp_site_end(b, N(b), &so), 2);
    assert_null(builtin(&set, b, N(b)));
    /* a C program's site with the loader further out: kept */
    const struct rframe c[] = {nat("malloc", NULL, LIBC), nat("main", "/src/m.c", PROG),
                               nat("_dl_start_user", NULL, "/lib64/ld-linux-x86-64.so.2")};
    assert_null(builtin(&set, c, N(c)));
    /* the loader between malloc and the site (a wrapper module): covered */
    const struct rframe d[] = {nat("malloc", NULL, LIBC),
                               nat("_dl_map_object", NULL, "/lib64/ld-linux-x86-64.so.2"),
                               nat("dlopen", NULL, LIBC), nat("main", "/src/m.c", PROG)};
    assert_int_equal(supp_site_end(d, N(d), &so), 4);
    assert_non_null(builtin(&set, d, N(d)));
    /* a loader function inside libc (static copies), by function name */
    const struct rframe e[] = {nat("malloc", NULL, LIBC), nat("_dl_allocate_tls", NULL, LIBC),
                               nat("pthread_create", NULL, LIBC), nat("main", "/src/m.c", PROG)};
    assert_string_equal(builtin(&set, e, N(e)), "function:_dl_*");
    /* every frame a wrapper: all are site frames */
    const struct rframe f[] = {nat(NULL, NULL, "/lib64/ld-linux-x86-64.so.2"),
                               nat(NULL, NULL, "/lib64/ld-linux-x86-64.so.2")};
    assert_int_equal(supp_site_end(f, N(f), &so), 2);
    assert_string_equal(builtin(&set, f, N(f)), "module:ld-linux*");
    /* Python frames between native ones are skipped, never a site */
    const struct rframe g[] = {nat("malloc", NULL, LIBC), py("f", "/app.py", 1),
                               nat("x", NULL, "/usr/lib/libpython3.11.so.1.0")};
    assert_int_equal(supp_site_end(g, N(g), &so), 3);
    assert_string_equal(builtin(&set, g, N(g)), "module:libpython* (site frame)");
    /* a function named like a built-in rule, further out than the site: kept */
    const struct rframe h[] = {nat("malloc", NULL, LIBC), nat("make", "/src/m.c", PROG),
                               nat("_dl_catch_error", NULL, LIBC)};
    assert_null(builtin(&set, h, N(h)));
    /* module rules see the file name, not the directory */
    const struct rframe i[] = {nat("malloc", NULL, LIBC),
                               nat("f", NULL, "/opt/python3/lib/mine.so")};
    assert_null(builtin(&set, i, N(i)));
    /* user suppressions come first and take the stack */
    char err[256];
    assert_int_equal(parse(&set, "leak:PyList_New\n", err, sizeof err), 0);
    struct supp *s = supp_match(&set, a, N(a), &so);
    assert_int_equal(s->kind, SUPP_LEAK);
    struct sbuf line = {0};
    supp_describe(&line, s);
    assert_string_equal(sb_str(&line), "leak:PyList_New");
    sb_free(&line);
    supp_free(&set);
}

static void usage_counts(void **state)
{
    (void)state;
    struct supp_set set = {0};
    char err[256];
    assert_int_equal(parse(&set, "leak:a\n", err, sizeof err), 0);
    supp_note(&set.v[0], 2, 100);
    supp_note(&set.v[0], 1, UINT64_MAX);
    assert_int_equal(set.v[0].stacks, 2);
    assert_int_equal(set.v[0].blocks, 3);
    assert_true(set.v[0].bytes == UINT64_MAX); /* saturates */
    supp_reset_usage(&set);
    assert_int_equal(set.v[0].stacks + set.v[0].blocks + set.v[0].bytes, 0);
    supp_free(&set);
    assert_string_equal(supp_type_name(SUPP_CALLED_FROM_LIB), "called_from_lib");
    assert_string_equal(supp_type_name(SUPP_BUILTIN), "builtin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(template_match),
        cmocka_unit_test(file_format),
        cmocka_unit_test(load_file),
        cmocka_unit_test(user_patterns),
        cmocka_unit_test(defaults_site_only),
        cmocka_unit_test(usage_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
