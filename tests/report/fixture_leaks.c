/* The leak fixture: snapshots written at exit with leak classes, for leaks
 * and check (expected figures in cli_test.sh; the tables below are their
 * only source). Native frames are the fixture's own (they resolve to
 * fixture.c) or lie in modules that exist only in the module table: a
 * CPython (python3.11, libpython3.11.so.1.0) and a loader (ld-linux-x86-
 * 64.so.2) under /nonexistent, which show as module+offset and whose file
 * names the built-in suppressions match.
 *
 *   stack, frames (innermost first)                  classes: blocks/bytes
 *   S0  malloc, f_a, main                            definite 1/100, indirect 3/300
 *   S1  malloc, f_c, main                            possible 2/2048
 *   S2  f_a, g, main                                 reachable 1/64
 *   S3  malloc, python3.11+0x100, <module> app.py:1  definite 1/50 (built-in: python3)
 *   S4  malloc, f_a, libpython+0x300, Builder.make app.py:5
 *                                                    definite 1/70 (C extension: kept)
 *   S5  ld-linux+0x10, ld-linux+0x20                 definite 2/32 (built-in: ld-linux)
 *   S6  f_c, main                                    (nothing live: no leak entry)
 *   S7  malloc, f_c, python3.11+0x200                definite 1/30 (deeper interpreter
 *                                                    frame: kept)
 *
 * leak.snap        pid 7000, all of them; scan done, 3 threads, 12 ms
 * leak_child.snap  pid 7001, fork child of 7000: S0's frames, definite 1/1000
 * leak_partial.snap pid 7002: S0's frames, possible 4/400; partial (1 of 3 missed)
 * leak_noscan.snap pid 7003: S0's frames live 4/400, written on a signal, no scan
 * leak_clean.snap  pid 7004: S2, S3, S5 only (passes with the built-ins)
 * leak_hostile.snap pid 7005: a Python frame whose names need escaping
 * leak_html.snap   pid 7006: S0, S1 and a Python frame named as markup
 *                  (definite 1/600) for the HTML page's tests */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define PY3_BASE 0x10000000ull
#define LIBPY_BASE 0x20000000ull
#define LDSO_BASE 0x30000000ull
#define MOD_SIZE 0x100000ull
#define T0 1700000300000000000ull

enum fk { K_END, K_MALLOC, K_A, K_A_RET_MAIN, K_A_RET_G, K_G_RET_MAIN, K_C, K_C_RET_MAIN,
          K_PY3, K_LIBPY, K_LDSO, K_PY };

struct fr {
    enum fk k;
    uint64_t off;
    const char *file, *fn;
    uint32_t line;
};

#define F(k) {k, 0, NULL, NULL, 0}
#define M(k, o) {k, o, NULL, NULL, 0}
#define PYF(file, fn, line) {K_PY, 0, file, fn, line}
#define END F(K_END)
#define NST 8

static const struct fr stacks[NST][5] = {
    {F(K_MALLOC), F(K_A), F(K_A_RET_MAIN), END},
    {F(K_MALLOC), F(K_C), F(K_C_RET_MAIN), END},
    {F(K_A), F(K_A_RET_G), F(K_G_RET_MAIN), END},
    {F(K_MALLOC), M(K_PY3, 0x100), PYF("/app/app.py", "<module>", 1), END},
    {F(K_MALLOC), F(K_A), M(K_LIBPY, 0x300), PYF("/app/app.py", "Builder.make", 5), END},
    {M(K_LDSO, 0x10), M(K_LDSO, 0x20), END},
    {F(K_C), F(K_C_RET_MAIN), END},
    {F(K_MALLOC), F(K_C), M(K_PY3, 0x200), END},
};

/* Per stack: blocks then bytes per class (definite, indirect, possible,
 * reachable); live = their sum. */
static const uint64_t classes[NST][2][MT_LEAK_CLASSES] = {
    {{1, 3, 0, 0}, {100, 300, 0, 0}},
    {{0, 0, 2, 0}, {0, 0, 2048, 0}},
    {{0, 0, 0, 1}, {0, 0, 0, 64}},
    {{1, 0, 0, 0}, {50, 0, 0, 0}},
    {{1, 0, 0, 0}, {70, 0, 0, 0}},
    {{2, 0, 0, 0}, {32, 0, 0, 0}},
    {{0}, {0}},
    {{1, 0, 0, 0}, {30, 0, 0, 0}},
};

static uint64_t frame(struct sw *w, const struct fr *f, const struct fixture_sites *s)
{
    switch (f->k) {
    case K_MALLOC: return sw_native(w, s->libc_malloc);
    case K_A: return sw_native(w, s->a_site);
    case K_A_RET_MAIN: return sw_native(w, s->a_ret_main);
    case K_A_RET_G: return sw_native(w, s->a_ret_g);
    case K_G_RET_MAIN: return sw_native(w, s->g_ret_main);
    case K_C: return sw_native(w, s->c_site);
    case K_C_RET_MAIN: return sw_native(w, s->c_ret_main);
    case K_PY3: return sw_native(w, PY3_BASE + f->off);
    case K_LIBPY: return sw_native(w, LIBPY_BASE + f->off);
    case K_LDSO: return sw_native(w, LDSO_BASE + f->off);
    case K_PY: return sw_python(w, f->file, f->fn, f->line);
    case K_END: break;
    }
    return 0;
}

/* Stack I of the table with classes CLS (blocks, bytes per class). */
static void add(struct sw *w, int i, const uint64_t cls[2][MT_LEAK_CLASSES],
                const struct fixture_sites *s)
{
    uint64_t first = 0, blocks = 0, bytes = 0;
    uint32_t n = 0;
    for (const struct fr *f = stacks[i]; f->k != K_END; f++, n++) {
        uint64_t idx = frame(w, f, s);
        if (n == 0)
            first = idx;
    }
    for (int k = 0; k < MT_LEAK_CLASSES; k++) {
        blocks += cls[0][k];
        bytes += cls[1][k];
    }
    uint64_t si = w->nstacks;
    /* allocated in total: live plus 10 freed blocks of 8 bytes */
    sw_stack(w, first, n, bytes + 80, blocks + 10, bytes, blocks, bytes, blocks);
    if (blocks)
        sw_leak(w, si, cls[0], cls[1]);
    w->hdr.current_bytes += bytes;
    w->hdr.current_blocks += blocks;
    w->hdr.total_bytes += bytes + 80;
    w->hdr.total_allocs += blocks + 10;
}

static void begin(struct sw *w, uint64_t pid, uint32_t reason)
{
    sw_init(w);
    w->hdr.pid = pid;
    w->hdr.ppid = 1;
    w->hdr.start_time_ns = T0 - 1000000000ull;
    w->hdr.time_ns = T0 + (pid - 7000) * 1000000ull;
    w->hdr.reason = reason;
    w->hdr.program = sw_str(w, "/usr/bin/leak-prog");
    w->hdr.cmdline = sw_str(w, "leak-prog --all");
    w->hdr.max_depth = 64;
    sw_module(w, "/nonexistent/mtrace-fixture/bin/python3.11", PY3_BASE, PY3_BASE + MOD_SIZE,
              PY3_BASE, NULL, 0);
    sw_module(w, "/nonexistent/mtrace-fixture/lib/libpython3.11.so.1.0", LIBPY_BASE,
              LIBPY_BASE + MOD_SIZE, LIBPY_BASE, NULL, 0);
    sw_module(w, "/nonexistent/mtrace-fixture/lib/ld-linux-x86-64.so.2", LDSO_BASE,
              LDSO_BASE + MOD_SIZE, LDSO_BASE, NULL, 0);
    fixture_modules(w);
}

static int finish(struct sw *w, const char *dir, const char *name)
{
    char path[PATH_MAX];
    w->hdr.peak_bytes = w->hdr.current_bytes;
    w->hdr.peak_blocks = w->hdr.current_blocks;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = sw_write(w, path);
    sw_free(w);
    return rc;
}

int fixture_write_leaks(const char *dir, const struct fixture_sites *s)
{
    struct sw w;
    int rc = 0;

    begin(&w, 7000, MT_REASON_EXIT);
    sw_leak_scan(&w, MT_SCAN_DONE, 3, 0, 12);
    for (int i = 0; i < NST; i++)
        add(&w, i, classes[i], s);
    rc |= finish(&w, dir, "leak.snap");
    begin(&w, 7000, MT_REASON_EXIT);            /* the same, NODES for FRAMES */
    w.nodes = 1;
    sw_leak_scan(&w, MT_SCAN_DONE, 3, 0, 12);
    for (int i = 0; i < NST; i++)
        add(&w, i, classes[i], s);
    rc |= finish(&w, dir, "leak_nodes.snap");

    static const uint64_t child[2][MT_LEAK_CLASSES] = {{1, 0, 0, 0}, {1000, 0, 0, 0}};
    begin(&w, 7001, MT_REASON_EXIT);
    w.hdr.ppid = 7000;
    w.hdr.flags = MT_HDR_FORKED;
    sw_leak_scan(&w, MT_SCAN_DONE, 1, 0, 1);
    add(&w, 0, child, s);
    rc |= finish(&w, dir, "leak_child.snap");

    static const uint64_t possible[2][MT_LEAK_CLASSES] = {{0, 0, 4, 0}, {0, 0, 400, 0}};
    begin(&w, 7002, MT_REASON_EXIT);
    sw_leak_scan(&w, MT_SCAN_PARTIAL, 2, 1, 5);
    add(&w, 0, possible, s);
    rc |= finish(&w, dir, "leak_partial.snap");

    begin(&w, 7003, MT_REASON_SIGNAL);
    add(&w, 0, classes[0], s);
    w.nleaks = 0; /* no scan: live blocks without classes */
    rc |= finish(&w, dir, "leak_noscan.snap");

    begin(&w, 7004, MT_REASON_EXIT);
    sw_leak_scan(&w, MT_SCAN_DONE, 1, 0, 2);
    add(&w, 2, classes[2], s);
    add(&w, 3, classes[3], s);
    add(&w, 5, classes[5], s);
    rc |= finish(&w, dir, "leak_clean.snap");

    /* Markup, quotes, control and invalid UTF-8 bytes, U+FFFE, "]]>": the
     * JUnit and JSON outputs must stay well-formed. */
    begin(&w, 7005, MT_REASON_EXIT);
    sw_leak_scan(&w, MT_SCAN_DONE, 1, 0, 1);
    uint64_t f = sw_native(&w, s->libc_malloc);
    sw_python(&w, "/app/<x>&\"'\x01\x1b[31m\xff\xef\xbf\xbe]]>.py", "evil<&>\x7f", 3);
    sw_stack(&w, f, 2, 16, 1, 16, 1, 16, 1);
    static const uint64_t one[2][MT_LEAK_CLASSES] = {{1, 0, 0, 0}, {16, 0, 0, 0}};
    sw_leak(&w, 0, one[0], one[1]);
    w.hdr.current_bytes = 16;
    w.hdr.current_blocks = 1;
    rc |= finish(&w, dir, "leak_hostile.snap");

    /* A page must show these names as text, never run them. */
    begin(&w, 7006, MT_REASON_EXIT);
    sw_leak_scan(&w, MT_SCAN_DONE, 1, 0, 1);
    add(&w, 0, classes[0], s);
    add(&w, 1, classes[1], s);
    f = sw_native(&w, s->libc_malloc);
    sw_python(&w, "/app/</script><script>alert(2)</script>.py", "<img src=x onerror=alert(1)>",
              7);
    sw_stack(&w, f, 2, 600, 1, 600, 1, 600, 1);
    static const uint64_t markup[2][MT_LEAK_CLASSES] = {{1, 0, 0, 0}, {600, 0, 0, 0}};
    sw_leak(&w, w.nstacks - 1, markup[0], markup[1]);
    w.hdr.current_bytes += 600;
    w.hdr.current_blocks += 1;
    w.hdr.total_bytes += 600;
    w.hdr.total_allocs += 1;
    rc |= finish(&w, dir, "leak_html.snap");
    return rc;
}
