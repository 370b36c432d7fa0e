/* Unit tests (cmocka) for the pure text pieces of the reporter: JSON string
 * escaping (control bytes, quotes, invalid UTF-8), XML escaping for
 * JUnit (what XML 1.0 cannot carry), truncation with "…",
 * control-byte scrubbing, C++ demangling, allocator-wrapper matching and
 * site finding (and the symbolizer's cached verdict), interpreter frames and
 * what a Python traceback shows, group keys, and the fnmatch fast path. */
#include <fnmatch.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "demangle.h"
#include "fastmatch.h"
#include "group.h"
#include "junit.h"
#include "output_json.h"
#include "site.h"
#include "textutil.h"

static char *json_of(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_string(f, s);
    fclose(f);
    return buf;
}

static void check_json(const char *in, const char *want)
{
    char *got = json_of(in);
    assert_string_equal(got, want);
    free(got);
}

static void check_xml(const char *in, bool attr, const char *want)
{
    struct sbuf b = {0};
    xml_escape(&b, in, attr);
    assert_string_equal(sb_str(&b), want);
    sb_free(&b);
}

static void xml_escaping(void **state)
{
    (void)state;
    check_xml("a<b>&\"c'", false, "a&lt;b&gt;&amp;\"c'");
    check_xml("a<b>&\"c'", true, "a&lt;b&gt;&amp;&quot;c&apos;");
    check_xml("l1\nl2\tx\r", false, "l1\nl2\tx&#13;");
    check_xml("l1\nl2\tx", true, "l1&#10;l2&#9;x");
    check_xml("]]>", false, "]]&gt;");
    /* not XML 1.0 characters: replaced by U+FFFD */
    check_xml("a\x01" "b\x1b", false, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    check_xml("\xff\xc3", false, "\xef\xbf\xbd\xef\xbf\xbd");
    check_xml("\xef\xbf\xbe\xef\xbf\xbf", false, "\xef\xbf\xbd\xef\xbf\xbd");
    check_xml("\xed\xa0\x80", false, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    /* valid UTF-8 and DEL stay */
    check_xml("caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80\x7f", true,
              "caf\xc3\xa9 \xe2\x80\xa6 \xf0\x9f\x98\x80\x7f");
}

static void json_escaping(void **state)
{
    (void)state;
    check_json(NULL, "null");
    check_json("", "\"\"");
    check_json("a\"b\\c", "\"a\\\"b\\\\c\"");
    check_json("\n\t\r\x01\x1f\x7f", "\"\\n\\t\\r\\u0001\\u001f\\u007f\"");
    check_json("caf\xc3\xa9 \xe2\x80\xa6", "\"caf\xc3\xa9 \xe2\x80\xa6\"");
    check_json("\xff", "\"\\ufffd\"");
    check_json("a\xc3", "\"a\\ufffd\"");              /* cut sequence */
    check_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");     /* overlong */
    check_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    check_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
}

static void fitting(void **state)
{
    (void)state;
    struct sbuf b = {0};
    sb_fit_left(&b, "/a/b/c.c:12", 20);
    assert_string_equal(sb_str(&b), "/a/b/c.c:12");
    sb_reset(&b);
    sb_fit_left(&b, "/very/long/path/file.c:12", 10);
    assert_string_equal(sb_str(&b), "\xe2\x80\xa6" "file.c:12");
    assert_int_equal(text_cols(sb_str(&b)), 10);
    sb_reset(&b);
    sb_fit_right(&b, "function_name", 5);
    assert_string_equal(sb_str(&b), "func\xe2\x80\xa6");
    sb_reset(&b);
    sb_fit_left(&b, "\xc3\xa9\xc3\xa9\xc3\xa9", 2); /* never splits a code point */
    assert_string_equal(sb_str(&b), "\xe2\x80\xa6\xc3\xa9");
    sb_reset(&b);
    sb_add_clean(&b, "a\x1b[31mb\x7f");
    assert_string_equal(sb_str(&b), "a?[31mb?");
    sb_free(&b);
}

static void demangling(void **state)
{
    (void)state;
    char *d = demangle("_ZN2ns4funcEv");
    assert_string_equal(d, "ns::func()");
    free(d);
    d = demangle("_Znwm");
    assert_string_equal(d, "operator new(unsigned long)");
    free(d);
    d = demangle("main");
    assert_string_equal(d, "main");
    free(d);
    d = demangle("_Zgarbage");
    assert_string_equal(d, "_Zgarbage");
    free(d);
}

static struct rframe nat(const char *fn, const char *file, uint32_t line, const char *mod)
{
    struct rframe f = {0};
    f.function = fn;
    f.file = file;
    f.line = line;
    f.module = mod;
    f.module_base = mod ? (strrchr(mod, '/') ? strrchr(mod, '/') + 1 : mod) : NULL;
    f.addr = 0x1000;
    f.offset = 0x20;
    return f;
}

static void wrappers(void **state)
{
    (void)state;
    struct site_opts none = {0};
    const char *pats[] = {"xmalloc"};
    struct site_opts xm = {pats, 1, false};
    struct rframe f;
    f = nat("malloc", NULL, 0, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("anything", NULL, 0, "/opt/lib/libmtrace.so");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("operator new(unsigned long)", NULL, 0, "/usr/lib/libstdc++.so.6");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("std::__new_allocator<int>::allocate(unsigned long, void const*)", "n.h", 1,
            "/bin/prog");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("PyMem_RawMalloc", NULL, 0, "/usr/bin/python3");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("PyObject_Malloc", NULL, 0, "/usr/bin/python3");
    assert_true(site_is_wrapper(&f, &none));
    f = nat("PyObject_GetAttr", NULL, 0, "/usr/bin/python3");
    assert_false(site_is_wrapper(&f, &none));
    f = nat("xmalloc", "x.c", 3, "/bin/prog");
    assert_false(site_is_wrapper(&f, &none));
    assert_true(site_is_wrapper(&f, &xm));
    f = nat("mallocate", "x.c", 3, "/bin/prog");
    assert_false(site_is_wrapper(&f, &none));
}

static void interpreter(void **state)
{
    (void)state;
    struct site_opts none = {0};
    const char *pats[] = {"grow"};
    struct site_opts grow = {pats, 1, false};
    struct rframe f;
    /* By the module's file name, whatever the function. */
    f = nat(NULL, NULL, 0, "/usr/bin/python3.11");
    assert_true(site_is_interpreter(&f));
    f = nat("main", NULL, 0, "/usr/bin/python3");
    assert_true(site_is_interpreter(&f));
    f = nat(NULL, NULL, 0, "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0");
    assert_true(site_is_interpreter(&f));
    f = nat("PyList_New", NULL, 0, "/opt/ext/myext.so");  /* known module: not by name */
    assert_false(site_is_interpreter(&f));
    f = nat(NULL, NULL, 0, "/opt/python3.11/lib/myext.so");  /* directory does not count */
    assert_false(site_is_interpreter(&f));
    /* Without a module, by the function name. */
    f = nat("_PyEval_EvalFrameDefault", NULL, 0, NULL);
    assert_true(site_is_interpreter(&f));
    f = nat("PyList_New", NULL, 0, NULL);
    assert_true(site_is_interpreter(&f));
    f = nat("grow", "myext.c", 42, NULL);
    assert_false(site_is_interpreter(&f));
    f = nat(NULL, NULL, 0, NULL);
    assert_false(site_is_interpreter(&f));

    /* What a Python traceback shows. */
    f = nat("grow", "myext.c", 42, "/opt/ext/myext.so");
    assert_true(site_in_traceback(&f, &none));
    assert_false(site_in_traceback(&f, &grow));           /* --alloc-fn grow */
    f = nat("malloc", NULL, 0, "/lib/libc.so.6");
    assert_false(site_in_traceback(&f, &none));
    f = nat("PyObject_Malloc", NULL, 0, NULL);            /* wrapper and interpreter */
    assert_false(site_in_traceback(&f, &none));
    f = nat("list_resize", NULL, 0, "/usr/bin/python3.12");
    assert_false(site_in_traceback(&f, &none));
    f = (struct rframe){0};
    f.python = true;
    f.function = "PyThing";                               /* Python frames always */
    assert_false(site_is_interpreter(&f));
    assert_true(site_in_traceback(&f, &none));
    assert_true(site_has_python(&f, 1));
    assert_false(site_has_python(&f, 0));
}

/* With the verdicts the symbolizer caches (site_classify) handed in, site
 * finding answers as it does without them, --alloc-fn included. */
static void cached_class(void **state)
{
    (void)state;
    const char *pats[] = {"xmalloc"};
    struct site_opts none = {0}, xm = {pats, 1, false}, native = {NULL, 0, true};
    struct rframe st[] = {
        nat("malloc", NULL, 0, "/lib/libc.so.6"),
        nat("PyObject_Malloc", NULL, 0, NULL),
        nat("xmalloc", "x.c", 3, "/bin/prog"),
        nat("list_resize", NULL, 0, "/usr/bin/python3.12"),
        nat("work", "w.c", 1, "/bin/prog"),
        nat(NULL, NULL, 0, NULL),
        {.python = true, .function = "run", .file = "/app/a.py", .line = 9},
    };
    size_t n = sizeof st / sizeof st[0];
    uint8_t cls[sizeof st / sizeof st[0]];
    for (size_t i = 0; i < n; i++) {
        cls[i] = site_classify(&st[i]);
        assert_int_equal((cls[i] & SITE_WRAPPER) != 0, site_is_wrapper(&st[i], &none));
        assert_int_equal((cls[i] & SITE_INTERPRETER) != 0, site_is_interpreter(&st[i]));
        assert_int_equal(site_in_traceback_cls(&st[i], cls[i], &xm),
                         site_in_traceback(&st[i], &xm));
    }
    const struct site_opts *opts[] = {&none, &xm, &native};
    for (size_t k = 0; k < 3; k++)
        for (size_t m = 0; m <= n; m++) {
            assert_int_equal(site_find_cls(st, cls, m, opts[k]), site_find(st, m, opts[k]));
            assert_int_equal(site_show_from_cls(st, cls, m, opts[k]),
                             site_show_from(st, m, opts[k]));
        }
    assert_int_equal(site_find_cls(st, cls, n, &none), 6);
    assert_int_equal(site_find_cls(st, cls, n, &native), 2);
    assert_int_equal(site_find_cls(st, cls, n, &xm), 6);
    assert_int_equal(site_show_from_cls(st, cls, n, &xm), 3);
}

/* fast_fnmatch agrees with fnmatch(3) in a UTF-8 locale, on its own ASCII
 * cases and on those it hands over (brackets, escapes, UTF-8). */
static void fast_glob(void **state)
{
    (void)state;
    const char *loc = setlocale(LC_CTYPE, NULL);
    char *saved = strdup(loc ? loc : "C");
    assert_non_null(saved);
    setlocale(LC_CTYPE, "C.UTF-8");
    const char *pats[] = {"", "*", "?", "a*", "*a", "*a*b?", "lib*.so*", "_Py*", "a?c",
                          "[ab]*", "\\*", "*\xc3\xa9", "?\xc3\xa9", "**x", "x**"};
    const char *strs[] = {"", "a", "ab", "abc", "b", "libc.so.6", "_PyEval", "a/c", "*",
                          "\\x", "\xc3\xa9", "a\xc3\xa9", "aab", "xx", "/p/libpython3.so"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        for (size_t j = 0; j < sizeof strs / sizeof strs[0]; j++)
            if (fast_fnmatch(pats[i], strs[j]) != (fnmatch(pats[i], strs[j], 0) == 0))
                fail_msg("fast_fnmatch(\"%s\", \"%s\") differs from fnmatch", pats[i],
                         strs[j]);
    setlocale(LC_CTYPE, saved);
    free(saved);
}

static void sites_and_keys(void **state)
{
    (void)state;
    struct site_opts none = {0}, native = {NULL, 0, true};
    struct rframe st[4];
    st[0] = nat("malloc", NULL, 0, "/lib/libc.so.6");
    st[1] = nat("work", "/src/w.c", 12, "/bin/prog");
    st[2] = nat("main", "/src/m.c", 5, "/bin/prog");
    assert_int_equal(site_find(st, 3, &none), 1);
    assert_int_equal(site_find(st, 1, &none), 0); /* all wrappers: outermost */
    struct sbuf k = {0};
    group_key(&k, GROUP_LINE, st, 3, 1);
    assert_string_equal(sb_str(&k), "/src/w.c:12");
    group_key(&k, GROUP_FUNCTION, st, 3, 1);
    assert_string_equal(sb_str(&k), "work");
    group_key(&k, GROUP_FILE, st, 3, 1);
    assert_string_equal(sb_str(&k), "/src/w.c");
    group_key(&k, GROUP_STACK, st, 3, 1);
    assert_string_equal(sb_str(&k), "malloc (libc.so.6+0x20) <- work /src/w.c:12 <- "
                                    "main /src/m.c:5");
    group_key(&k, GROUP_LINE, st, 3, 0);
    assert_string_equal(sb_str(&k), "malloc (libc.so.6+0x20)");

    /* Python: the innermost Python frame, unless --native. */
    st[2] = (struct rframe){0};
    st[2].python = true;
    st[2].function = "run";
    st[2].file = "/app/a.py";
    st[2].line = 9;
    st[3] = nat("main", "/src/m.c", 5, "/bin/prog");
    assert_int_equal(site_find(st, 4, &none), 2);
    assert_int_equal(site_find(st, 4, &native), 1);
    group_key(&k, GROUP_FUNCTION, st, 4, 2);
    assert_string_equal(sb_str(&k), "run (/app/a.py)");
    group_key(&k, GROUP_LINE, st, 4, 2);
    assert_string_equal(sb_str(&k), "/app/a.py:9");
    group_key(&k, GROUP_FILE, st, 4, 2);
    assert_string_equal(sb_str(&k), "/app/a.py");
    /* A Python frame without a file (or function) is not "0x0". */
    st[2].file = NULL;
    group_key(&k, GROUP_LINE, st, 4, 2);
    assert_string_equal(sb_str(&k), "run (Python)");
    st[2].function = NULL;
    group_key(&k, GROUP_FUNCTION, st, 4, 2);
    assert_string_equal(sb_str(&k), "?? (Python)");
    sb_free(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_escaping), cmocka_unit_test(xml_escaping),
        cmocka_unit_test(fitting),
        cmocka_unit_test(demangling),    cmocka_unit_test(wrappers),
        cmocka_unit_test(interpreter),   cmocka_unit_test(sites_and_keys),
        cmocka_unit_test(cached_class),  cmocka_unit_test(fast_glob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
