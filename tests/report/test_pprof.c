/* Unit tests (cmocka) of the protobuf writer (pbwriter.c) and of the pprof
 * format (output_pprof.c): encodings checked byte for byte and decoded back
 * with the tests' own reader (pbdecode.h); a synthetic report rendered,
 * gunzipped and decoded: string_table[0] "", the four sample types in
 * order, default inuse_space, the main executable's mapping first with a
 * hex build id and the has_* flags, locations leaf first, an inline chain
 * as one location with its lines innermost first, Python frames without
 * mapping, strings made valid UTF-8, peak's inuse values, times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "output.h"
#include "pbdecode.h"
#include "pbwriter.h"

static void expect_bytes(const struct pb *b, const uint8_t *want, size_t n)
{
    assert_int_equal(b->len, n);
    assert_memory_equal(b->data, want, n);
}

static void varints(void **state)
{
    (void)state;
    static const struct { uint64_t v; uint8_t enc[10]; size_t n; } cases[] = {
        {0, {0x00}, 1}, {1, {0x01}, 1}, {127, {0x7f}, 1}, {128, {0x80, 0x01}, 2},
        {300, {0xac, 0x02}, 2}, {16383, {0xff, 0x7f}, 2}, {16384, {0x80, 0x80, 0x01}, 3},
        {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
    };
    struct pb b = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pb_reset(&b);
        pb_varint(&b, cases[i].v);
        expect_bytes(&b, cases[i].enc, cases[i].n);
        struct pbr r = pbr_of(b.data, b.len);
        uint64_t v;
        assert_int_equal(pbr_varint(&r, &v), 0);
        assert_true(v == cases[i].v);
        assert_ptr_equal(r.p, r.end);
    }
    /* round trip of every power of two and its neighbours */
    for (unsigned k = 0; k < 64; k++)
        for (int d = -1; d <= 1; d++) {
            uint64_t x = ((uint64_t)1 << k) + (uint64_t)(int64_t)d;
            pb_reset(&b);
            pb_varint(&b, x);
            struct pbr r = pbr_of(b.data, b.len);
            uint64_t v;
            assert_int_equal(pbr_varint(&r, &v), 0);
            assert_true(v == x);
        }
    pb_free(&b);
}

static void fields(void **state)
{
    (void)state;
    struct pb b = {0}, m = {0};
    pb_uint(&b, 1, 150);
    static const uint8_t f1[] = {0x08, 0x96, 0x01};
    expect_bytes(&b, f1, sizeof f1);

    pb_reset(&b);
    pb_string(&b, 2, "hi");
    static const uint8_t f2[] = {0x12, 0x02, 'h', 'i'};
    expect_bytes(&b, f2, sizeof f2);

    pb_reset(&b);
    pb_string(&b, 6, "");          /* an empty string is still a field */
    static const uint8_t f3[] = {0x32, 0x00};
    expect_bytes(&b, f3, sizeof f3);

    pb_reset(&b);
    pb_int(&b, 3, -1);             /* int64: ten bytes of two's complement */
    static const uint8_t f4[] = {0x18, 0xff, 0xff, 0xff, 0xff, 0xff,
                                 0xff, 0xff, 0xff, 0xff, 0x01};
    expect_bytes(&b, f4, sizeof f4);

    pb_reset(&b);
    static const uint64_t vals[] = {1, 300};
    pb_packed(&b, 1, vals, 2);
    static const uint8_t f5[] = {0x0a, 0x03, 0x01, 0xac, 0x02};
    expect_bytes(&b, f5, sizeof f5);
    pb_reset(&b);
    pb_packed(&b, 1, vals, 0);     /* nothing for an empty list */
    assert_int_equal(b.len, 0);

    /* a nested message in field 16 (a two-byte key) */
    pb_reset(&b);
    pb_uint(&m, 1, 7);
    pb_string(&m, 2, "x");
    pb_message(&b, 16, &m);
    static const uint8_t f6[] = {0x82, 0x01, 0x05, 0x08, 0x07, 0x12, 0x01, 'x'};
    expect_bytes(&b, f6, sizeof f6);

    /* decode back */
    struct pbr r = pbr_of(b.data, b.len);
    struct pbfield f = {0};
    assert_int_equal(pbr_next(&r, &f), 1);
    assert_int_equal(f.field, 16);
    assert_int_equal(f.wire, 2);
    struct pbr in = pbr_of(f.data, f.len);
    assert_int_equal(pbr_next(&in, &f), 1);
    assert_true(f.field == 1 && f.wire == 0 && f.v == 7);
    assert_int_equal(pbr_next(&in, &f), 1);
    assert_true(f.field == 2 && f.len == 1 && f.data[0] == 'x');
    assert_int_equal(pbr_next(&in, &f), 0);
    assert_int_equal(pbr_next(&r, &f), 0);
    pb_free(&b);
    pb_free(&m);
}

/* ---- a decoded profile ---- */

#define MAXN 32
struct dline { uint64_t fid; int64_t line; };
struct dloc { uint64_t id, mapping, address; struct dline lines[8]; size_t nlines; };
struct dfunc { uint64_t id; int64_t name, system_name, filename; };
struct dmap {
    uint64_t id, start, limit, offset;
    int64_t filename, build_id;
    bool flags[4];
};
struct dsample { uint64_t locs[MAXN]; size_t nlocs; int64_t v[8]; size_t nv; };
struct dprof {
    int64_t st[8][2];
    size_t nst;
    struct dsample s[MAXN];
    size_t ns;
    struct dmap m[MAXN];
    size_t nm;
    struct dloc l[MAXN];
    size_t nl;
    struct dfunc f[MAXN];
    size_t nf;
    char *str[256];
    size_t nstr;
    int64_t time, duration, period, period_type[2], def, comments[8];
    size_t ncomments;
};

/* Values of a repeated varint field, packed or not, appended to V. */
static void repeated(const struct pbfield *f, uint64_t *v, size_t *n)
{
    if (f->wire == 0) {
        v[(*n)++] = f->v;
        return;
    }
    struct pbr r = pbr_of(f->data, f->len);
    while (r.p < r.end) {
        assert_true(*n < MAXN);
        assert_int_equal(pbr_varint(&r, &v[(*n)++]), 0);
    }
}

static void decode_value_type(const struct pbfield *f, int64_t out[2])
{
    struct pbr r = pbr_of(f->data, f->len);
    struct pbfield g = {0};
    while (pbr_next(&r, &g) == 1)
        out[g.field - 1] = (int64_t)g.v;
}

static void decode(const uint8_t *data, size_t len, struct dprof *p)
{
    memset(p, 0, sizeof *p);
    struct pbr r = pbr_of(data, len);
    struct pbfield f = {0}, g = {0};
    int rc;
    while ((rc = pbr_next(&r, &f)) == 1) {
        struct pbr in = pbr_of(f.data, f.wire == 2 ? f.len : 0);
        switch (f.field) {
        case 1: decode_value_type(&f, p->st[p->nst++]); break;
        case 2: {
            struct dsample *s = &p->s[p->ns++];
            while (pbr_next(&in, &g) == 1) {
                if (g.field == 1)
                    repeated(&g, s->locs, &s->nlocs);
                else if (g.field == 2)
                    repeated(&g, (uint64_t *)s->v, &s->nv);
            }
            break;
        }
        case 3: {
            struct dmap *m = &p->m[p->nm++];
            while (pbr_next(&in, &g) == 1) {
                switch (g.field) {
                case 1: m->id = g.v; break;
                case 2: m->start = g.v; break;
                case 3: m->limit = g.v; break;
                case 4: m->offset = g.v; break;
                case 5: m->filename = (int64_t)g.v; break;
                case 6: m->build_id = (int64_t)g.v; break;
                case 7: case 8: case 9: case 10: m->flags[g.field - 7] = g.v != 0; break;
                }
            }
            break;
        }
        case 4: {
            struct dloc *l = &p->l[p->nl++];
            while (pbr_next(&in, &g) == 1) {
                if (g.field == 1)
                    l->id = g.v;
                else if (g.field == 2)
                    l->mapping = g.v;
                else if (g.field == 3)
                    l->address = g.v;
                else if (g.field == 4) {
                    struct pbr ln = pbr_of(g.data, g.len);
                    struct pbfield h = {0};
                    struct dline *d = &l->lines[l->nlines++];
                    while (pbr_next(&ln, &h) == 1) {
                        if (h.field == 1)
                            d->fid = h.v;
                        else if (h.field == 2)
                            d->line = (int64_t)h.v;
                    }
                }
            }
            break;
        }
        case 5: {
            struct dfunc *fn = &p->f[p->nf++];
            while (pbr_next(&in, &g) == 1) {
                if (g.field == 1)
                    fn->id = g.v;
                else if (g.field == 2)
                    fn->name = (int64_t)g.v;
                else if (g.field == 3)
                    fn->system_name = (int64_t)g.v;
                else if (g.field == 4)
                    fn->filename = (int64_t)g.v;
            }
            break;
        }
        case 6:
            p->str[p->nstr] = calloc(1, f.len + 1);
            memcpy(p->str[p->nstr++], f.data, f.len);
            break;
        case 9: p->time = (int64_t)f.v; break;
        case 10: p->duration = (int64_t)f.v; break;
        case 11: decode_value_type(&f, p->period_type); break;
        case 12: p->period = (int64_t)f.v; break;
        case 13: p->comments[p->ncomments++] = (int64_t)f.v; break;
        case 14: p->def = (int64_t)f.v; break;
        default: fail_msg("unexpected field %u", f.field);
        }
    }
    assert_int_equal(rc, 0);
}

static void decoded_free(struct dprof *p)
{
    for (size_t i = 0; i < p->nstr; i++)
        free(p->str[i]);
}

static const char *S(const struct dprof *p, int64_t i)
{
    assert_true(i >= 0 && (size_t)i < p->nstr);
    return p->str[i];
}

static const struct dloc *loc(const struct dprof *p, uint64_t id)
{
    for (size_t i = 0; i < p->nl; i++)
        if (p->l[i].id == id)
            return &p->l[i];
    fail_msg("no location %llu", (unsigned long long)id);
    return NULL;
}

static const struct dfunc *fun(const struct dprof *p, uint64_t id)
{
    for (size_t i = 0; i < p->nf; i++)
        if (p->f[i].id == id)
            return &p->f[i];
    fail_msg("no function %llu", (unsigned long long)id);
    return NULL;
}

/* Render R with the pprof format, gunzip it into *OUT (malloc'd). */
static size_t render(const struct out_report *r, uint8_t **out)
{
    char *gz = NULL;
    size_t gzlen = 0;
    FILE *f = open_memstream(&gz, &gzlen);
    assert_non_null(f);
    out_format_pprof.report(f, r, 0);
    assert_int_equal(fclose(f), 0);
    assert_true(gzlen > 18);
    assert_true((uint8_t)gz[0] == 0x1f && (uint8_t)gz[1] == 0x8b);   /* gzip magic */
    size_t cap = 1 << 16;
    *out = malloc(cap);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (unsigned char *)gz;
    z.avail_in = (uInt)gzlen;
    z.next_out = *out;
    z.avail_out = (uInt)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = z.total_out;
    inflateEnd(&z);
    free(gz);
    return n;
}

static const uint8_t app_bid[4] = {0xde, 0xad, 0xbe, 0x0f};

static const struct out_module mods[2] = {
    {.path = "/lib/libc.so.6", .start = 0x7000, .end = 0x8000},
    {.path = "/usr/bin/app", .start = 0x1000, .end = 0x2000, .build_id = app_bid,
     .build_id_size = 4},
};

#define NAT(fn, file, line, addr, mod) \
    {fn, file, line, mod, NULL, addr, 0, false, false}

static struct rframe st0[] = {
    NAT("malloc", NULL, 0, 0x7010, "/lib/libc.so.6"),               /* wrapper: hidden */
    {"inl", "/src/a.c", 5, "/usr/bin/app", NULL, 0x1100, 0, true, false},
    NAT("f", "/src/a.c", 9, 0x1100, "/usr/bin/app"),
    NAT("main", "/src/a.c", 20, 0x1200, "/usr/bin/app"),
};
static struct rframe st1[] = {
    NAT("ext", "/src/ext.c", 3, 0x1300, "/usr/bin/app"),
    {"Builder.build", "/app/app.py", 12, NULL, NULL, 0, 0, false, true},
    {"<module>", "/app/app.py", 33, NULL, NULL, 0, 0, false, true},
};
static struct rframe st2[] = {
    NAT("bad\xff\xfename", NULL, 0, 0x10, NULL),
};

static struct out_row rows[] = {
    {.key = "k0", .stack = st0, .nstack = 4, .show_from = 1,
     .c = {.alloc_bytes = 100, .alloc_count = 2, .live_bytes = 50, .live_count = 1,
           .peak_bytes = 80, .peak_count = 1}},
    {.key = "k1", .stack = st1, .nstack = 3, .show_from = 0,
     .c = {.alloc_bytes = 10, .alloc_count = 1, .peak_bytes = 10, .peak_count = 1}},
    {.key = "k2", .stack = st2, .nstack = 1, .show_from = 0,
     .c = {.alloc_bytes = 1, .alloc_count = 1}},
    {.key = "k3", .stack = st2, .nstack = 1, .show_from = 0},   /* all zero: no sample */
};

static struct out_report report_of(const char *command, const struct out_snapinfo *si)
{
    struct out_report r = {
        .command = command, .group_by = "stack", .snaps = si, .nsnaps = 1,
        .rows = rows, .nrows = 4, .total_rows = 4,
    };
    return r;
}

static struct out_snapinfo snapinfo(void)
{
    struct out_snapinfo si = {
        .file = "app.snap", .program = "/usr/bin/app", .reason = "exit", .pid = 42,
        .start_time_ns = 1700000000000000000ull, .time_ns = 1700000002500000000ull,
        .modules = mods, .nmodules = 2,
    };
    return si;
}

static void profile(void **state)
{
    (void)state;
    struct out_snapinfo si = snapinfo();
    struct out_report r = report_of("top", &si);
    uint8_t *data;
    size_t len = render(&r, &data);
    struct dprof p;
    decode(data, len, &p);

    assert_string_equal(S(&p, 0), "");
    static const char *const types[4][2] = {{"alloc_objects", "count"},
                                            {"alloc_space", "bytes"},
                                            {"inuse_objects", "count"},
                                            {"inuse_space", "bytes"}};
    assert_int_equal(p.nst, 4);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(S(&p, p.st[i][0]), types[i][0]);
        assert_string_equal(S(&p, p.st[i][1]), types[i][1]);
    }
    assert_string_equal(S(&p, p.def), "inuse_space");
    assert_string_equal(S(&p, p.period_type[0]), "space");
    assert_string_equal(S(&p, p.period_type[1]), "bytes");
    assert_int_equal(p.period, 1);
    assert_true(p.time == 1700000002500000000ll);
    assert_true(p.duration == 2500000000ll);
    assert_true(p.ncomments >= 2);
    assert_string_equal(S(&p, p.comments[0]), "mtrace-report top");

    /* the main executable first (second in the module map); libc's only
     * frame is a hidden wrapper, so it has no mapping */
    assert_int_equal(p.nm, 1);
    assert_int_equal(p.m[0].id, 1);
    assert_string_equal(S(&p, p.m[0].filename), "/usr/bin/app");
    assert_string_equal(S(&p, p.m[0].build_id), "deadbe0f");
    assert_true(p.m[0].start == 0x1000 && p.m[0].limit == 0x2000);
    for (int i = 0; i < 4; i++)
        assert_true(p.m[0].flags[i]);

    assert_int_equal(p.ns, 3);   /* the all-zero row has no sample */
    /* sample 0: the inline chain is one location, innermost line first */
    const struct dsample *s = &p.s[0];
    assert_int_equal(s->nv, 4);
    assert_true(s->v[0] == 2 && s->v[1] == 100 && s->v[2] == 1 && s->v[3] == 50);
    assert_int_equal(s->nlocs, 2);
    const struct dloc *l = loc(&p, s->locs[0]);
    assert_true(l->mapping == 1 && l->address == 0x1100);
    assert_int_equal(l->nlines, 2);
    assert_string_equal(S(&p, fun(&p, l->lines[0].fid)->name), "inl");
    assert_int_equal(l->lines[0].line, 5);
    assert_string_equal(S(&p, fun(&p, l->lines[1].fid)->name), "f");
    assert_int_equal(l->lines[1].line, 9);
    assert_string_equal(S(&p, fun(&p, l->lines[1].fid)->filename), "/src/a.c");
    l = loc(&p, s->locs[1]);
    assert_string_equal(S(&p, fun(&p, l->lines[0].fid)->name), "main");
    assert_int_equal(l->address, 0x1200);

    /* sample 1: a C extension's frame, then Python frames without mapping */
    s = &p.s[1];
    assert_true(s->v[0] == 1 && s->v[1] == 10 && s->v[2] == 0 && s->v[3] == 0);
    assert_int_equal(s->nlocs, 3);
    assert_int_equal(loc(&p, s->locs[0])->mapping, 1);
    l = loc(&p, s->locs[1]);
    assert_true(l->mapping == 0 && l->address == 0 && l->nlines == 1);
    const struct dfunc *fn = fun(&p, l->lines[0].fid);
    assert_string_equal(S(&p, fn->name), "Builder.build");
    assert_string_equal(S(&p, fn->filename), "/app/app.py");
    assert_int_equal(fn->system_name, 0);    /* pprof would shorten "<...>" */
    assert_int_equal(l->lines[0].line, 12);
    assert_string_equal(S(&p, fun(&p, loc(&p, s->locs[2])->lines[0].fid)->name), "<module>");

    /* sample 2: a name that is not UTF-8, outside every module */
    s = &p.s[2];
    l = loc(&p, s->locs[0]);
    assert_true(l->mapping == 0 && l->address == 0x10);
    assert_string_equal(S(&p, fun(&p, l->lines[0].fid)->name),
                        "bad\xef\xbf\xbd\xef\xbf\xbdname");

    /* every string once */
    for (size_t i = 0; i < p.nstr; i++)
        for (size_t j = i + 1; j < p.nstr; j++)
            assert_string_not_equal(p.str[i], p.str[j]);
    decoded_free(&p);
    free(data);
}

static void peak_profile(void **state)
{
    (void)state;
    struct out_snapinfo si = snapinfo();
    si.modules = NULL;    /* no module map: no mapping at all, still valid */
    si.nmodules = 0;
    struct out_report r = report_of("peak", &si);
    uint8_t *data;
    size_t len = render(&r, &data);
    struct dprof p;
    decode(data, len, &p);
    assert_int_equal(p.nm, 0);
    const struct dsample *s = &p.s[0];
    assert_true(s->v[0] == 2 && s->v[1] == 100 && s->v[2] == 1 && s->v[3] == 80);
    assert_int_equal(loc(&p, s->locs[0])->mapping, 0);
    bool said = false;
    for (size_t i = 0; i < p.ncomments; i++)
        said |= strstr(S(&p, p.comments[i]), "peaked") != NULL;
    assert_true(said);
    decoded_free(&p);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varints),
        cmocka_unit_test(fields),
        cmocka_unit_test(profile),
        cmocka_unit_test(peak_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
