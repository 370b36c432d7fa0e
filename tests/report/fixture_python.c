/* The Python fixture: two snapshots of one Python process (py0.snap, then
 * py1.snap; /usr/bin/python3.11, pid 6000) whose stacks mix native and
 * Python frames as the shim writes them: native frames innermost (glibc's
 * malloc, interpreter internals, a C extension), then the Python frames,
 * innermost first. Interpreter frames lie in two modules that exist only in
 * the module table (python3.11 and libpython3.11.so.1.0 under /nonexistent:
 * their frames stay unresolved, module+offset, and the reporter warns once
 * per module); the C extension's frames are the fixture's own f_a (they
 * resolve to fixture.c). Expected rows are spelled out in cli_test.sh; the
 * numbers below are the only source of them.
 *
 *   S1  malloc, py3+0x1000, py3+0x2000, Builder.build app.py:12, main :30, <module> :33
 *   S2  malloc, py3+0x1100, libpy+0x3000, the Python frames of S1 (NEW only)
 *   S2' malloc, py3+0x1300, the Python frames of S1 (OLD only)
 *   S3  malloc, f_a (C extension), libpy+0x3100, Builder.extend app.py:20, main, <module>
 *   S4  malloc, f_c, main: native only
 *   S5  malloc, py3+0x1000, pad util.py:5, Builder.build app.py:14, main, <module>
 *   S6  malloc, py3+0x1200, Builder.build app.py:13, main, <module> (NEW only) */
#include <limits.h>
#include <stdio.h>

#include "fixture.h"

#define PY3_BASE 0x10000000ull
#define LIBPY_BASE 0x20000000ull
#define MOD_SIZE 0x100000ull
#define T0 1700000200000000000ull

enum fkind { F_END, F_WRAP, F_PY3, F_LIBPY, F_EXT, F_NATIVE_C, F_NATIVE_C_MAIN, F_PY };

struct fspec {
    enum fkind k;
    uint64_t off;           /* F_PY3, F_LIBPY: offset in the module */
    const char *file, *fn;  /* F_PY */
    uint32_t line;
};

#define W {F_WRAP, 0, NULL, NULL, 0}
#define PY3(o) {F_PY3, o, NULL, NULL, 0}
#define LIBPY(o) {F_LIBPY, o, NULL, NULL, 0}
#define PYF(file, fn, line) {F_PY, 0, file, fn, line}
#define OUTER PYF("/app/app.py", "main", 30), PYF("/app/app.py", "<module>", 33)
#define END {F_END, 0, NULL, NULL, 0}

#define NSTACKS 7
#define MAXF 8

static const struct fspec stacks[NSTACKS][MAXF] = {
    {W, PY3(0x1000), PY3(0x2000), PYF("/app/app.py", "Builder.build", 12), OUTER, END},
    {W, PY3(0x1100), LIBPY(0x3000), PYF("/app/app.py", "Builder.build", 12), OUTER, END},
    {W, PY3(0x1300), PYF("/app/app.py", "Builder.build", 12), OUTER, END},
    {W, {F_EXT, 0, NULL, NULL, 0}, LIBPY(0x3100), PYF("/app/app.py", "Builder.extend", 20),
     OUTER, END},
    {W, {F_NATIVE_C, 0, NULL, NULL, 0}, {F_NATIVE_C_MAIN, 0, NULL, NULL, 0}, END},
    {W, PY3(0x1000), PYF("/app/util.py", "pad", 5), PYF("/app/app.py", "Builder.build", 14),
     OUTER, END},
    {W, PY3(0x1200), PYF("/app/app.py", "Builder.build", 13), OUTER, END},
};

/* Per stack (S1, S2, S2', S3, S4, S5, S6) and snapshot (py0, py1): allocated
 * bytes/count, live bytes/count, at peak bytes/count. All zero: absent. */
static const uint64_t counts[NSTACKS][2][6] = {
    {{1000, 1, 1000, 1, 1000, 1}, {4000, 4, 2000, 2, 3000, 3}},
    {{0}, {1000, 1, 1000, 1, 1000, 1}},
    {{500, 1, 500, 1, 500, 1}, {0}},
    {{0}, {3000, 3, 3000, 3, 3000, 3}},
    {{2048, 2, 1024, 1, 1024, 1}, {2048, 2, 1024, 1, 1024, 1}},
    {{400, 4, 200, 2, 200, 2}, {500, 5, 0, 0, 100, 1}},
    {{0}, {600, 2, 300, 1, 300, 1}},
};

static uint64_t add_frame(struct sw *w, const struct fspec *f, const struct fixture_sites *s)
{
    switch (f->k) {
    case F_WRAP: return sw_native(w, s->libc_malloc);
    case F_PY3: return sw_native(w, PY3_BASE + f->off);
    case F_LIBPY: return sw_native(w, LIBPY_BASE + f->off);
    case F_EXT: return sw_native(w, s->a_site);
    case F_NATIVE_C: return sw_native(w, s->c_site);
    case F_NATIVE_C_MAIN: return sw_native(w, s->c_ret_main);
    case F_PY: return sw_python(w, f->file, f->fn, f->line);
    case F_END: break;
    }
    return 0;
}

static void add_stack(struct sw *w, int i, const uint64_t *c, const struct fixture_sites *s)
{
    uint64_t first = 0;
    uint32_t n = 0;
    for (const struct fspec *f = stacks[i]; f->k != F_END; f++, n++) {
        uint64_t idx = add_frame(w, f, s);
        if (n == 0)
            first = idx;
    }
    sw_stack(w, first, n, c[0], c[1], c[2], c[3], c[4], c[5]);
    w->hdr.total_bytes += c[0];
    w->hdr.total_allocs += c[1];
    w->hdr.current_bytes += c[2];
    w->hdr.current_blocks += c[3];
}

/* py0.snap, py1.snap; with NODES, py0_nodes.snap (the same in NODES). */
static int write_one(const char *dir, int k, const struct fixture_sites *s, int nodes)
{
    struct sw w;
    char path[PATH_MAX];
    sw_init(&w);
    w.hdr.pid = 6000;
    w.hdr.ppid = 1;
    w.hdr.start_time_ns = T0 - 1000000000ull;
    w.hdr.time_ns = T0 + (uint64_t)k * 2000000000ull;
    w.hdr.reason = k == 0 ? MT_REASON_SIGNAL : MT_REASON_EXIT;
    w.hdr.sequence = (uint32_t)k;
    w.hdr.program = sw_str(&w, "/usr/bin/python3.11");
    w.hdr.cmdline = sw_str(&w, "python3.11 /app/app.py");
    w.hdr.max_depth = 64;
    /* First, so these ranges are found before any real module. */
    sw_module(&w, "/nonexistent/mtrace-fixture/bin/python3.11", PY3_BASE, PY3_BASE + MOD_SIZE,
              PY3_BASE, NULL, 0);
    sw_module(&w, "/nonexistent/mtrace-fixture/lib/libpython3.11.so.1.0", LIBPY_BASE,
              LIBPY_BASE + MOD_SIZE, LIBPY_BASE, NULL, 0);
    fixture_modules(&w);
    for (int i = 0; i < NSTACKS; i++) {
        const uint64_t *c = counts[i][k];
        if (c[0] || c[1] || c[2] || c[3] || c[4] || c[5])
            add_stack(&w, i, c, s);
    }
    w.hdr.peak_bytes = w.hdr.current_bytes + 1000;
    w.nodes = nodes;
    snprintf(path, sizeof path, "%s/py%d%s.snap", dir, k, nodes ? "_nodes" : "");
    int rc = sw_write(&w, path);
    sw_free(&w);
    return rc;
}

int fixture_write_python(const char *dir, const struct fixture_sites *s)
{
    return write_one(dir, 0, s, 0) | write_one(dir, 1, s, 0) | write_one(dir, 0, s, 1);
}
