/* The pprof format: a gzipped profile.proto heap profile, as `go tool
 * pprof` and continuous-profiling services read it. Sample types, in this
 * order: alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 * inuse_space/bytes (inuse_space the default); for `peak` the inuse pair
 * holds what was live at the traced heap's peak (a comment says so). A
 * sample is a stack of --group-by stack (a Python traceback unless
 * --native) from its first frame that is not an allocator wrapper; its
 * locations run leaf first. A native return address is one location in
 * its module's mapping, with its inlined calls as extra lines, innermost
 * first; a Python frame is a location without mapping (mapping_id 0) whose
 * one line names a function of its .py file. Every mapping says it has
 * functions, file names, lines and inline frames, so pprof does not try to
 * symbolize again from binaries on the reader's machine; the main
 * executable's mapping comes first, build ids are hex text. Strings are
 * made valid UTF-8 (proto3 strings must be). Function names are demangled
 * (the symbolizer's); Python ones carry no system name, so pprof leaves
 * them whole. diff has no pprof form:
 * pprof compares two profiles itself (-diff_base). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output.h"
#include "pbwriter.h"
#include "textutil.h" /* before uthash.h: uthash_fatal */
#include <uthash.h>

/* Field numbers of profile.proto (github.com/google/pprof, proto/). */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
    PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
    PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
    PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};
enum { VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2 };
enum {
    MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
    MAPPING_HAS_INLINE_FRAMES = 10,
};
enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };
enum { FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4 };

/* Interning: a byte key → an id from 1 up. */
struct ent {
    char *key;
    size_t len;
    uint64_t id;
    UT_hash_handle hh;
};

struct idmap {
    struct ent *h;
    uint64_t n;
};

/* The id of KEY[0..LEN); *FRESH says whether it was new. */
static uint64_t intern(struct idmap *m, const void *key, size_t len, bool *fresh)
{
    struct ent *e;
    HASH_FIND(hh, m->h, key, len, e);
    *fresh = !e;
    if (e)
        return e->id;
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = malloc(len ? len : 1)))
        report_oom();
    memcpy(e->key, key, len);
    e->len = len;
    e->id = ++m->n;
    HASH_ADD_KEYPTR(hh, m->h, e->key, len, e);
    return e->id;
}

static void idmap_free(struct idmap *m)
{
    struct ent *e, *tmp;
    HASH_ITER(hh, m->h, e, tmp) {
        HASH_DEL(m->h, e);
        free(e->key);
        free(e);
    }
}

struct pprof {
    const struct out_report *r;
    struct idmap strs, funcs, locs;
    struct pb strings, mappings, locations, functions, samples;
    const struct out_module **maps;  /* mapping id - 1 → module */
    size_t nmaps;
    struct sbuf key, tmp;
};

/* Index of S in the string table (S made valid UTF-8 first). */
static int64_t str(struct pprof *p, const char *s)
{
    sb_reset(&p->tmp);
    const unsigned char *c = (const unsigned char *)(s ? s : "");
    while (*c) {
        size_t n = text_utf8_len(c);
        sb_addn(&p->tmp, n ? (const char *)c : "\xef\xbf\xbd", n ? n : 3);
        c += n ? n : 1;
    }
    bool fresh;
    uint64_t id = intern(&p->strs, sb_str(&p->tmp), p->tmp.len, &fresh);
    if (fresh)
        pb_bytes(&p->strings, PROFILE_STRING_TABLE, sb_str(&p->tmp), p->tmp.len);
    return (int64_t)(id - 1);
}

static int64_t i64(uint64_t v)
{
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* The mapping id of module M (registered on first use). */
static uint64_t mapping_id(struct pprof *p, const struct out_module *m)
{
    for (size_t i = 0; i < p->nmaps; i++)
        if (p->maps[i] == m)
            return i + 1;
    const struct out_module **t = realloc(p->maps, (p->nmaps + 1) * sizeof *t);
    if (!t)
        report_oom();
    p->maps = t;
    p->maps[p->nmaps++] = m;
    char hex[2 * MT_BUILD_ID_MAX + 1] = "";
    for (uint32_t i = 0; i < m->build_id_size && i < MT_BUILD_ID_MAX; i++)
        snprintf(hex + 2 * i, 3, "%02x", m->build_id[i]);
    struct pb msg = {0};
    pb_uint(&msg, MAPPING_ID, p->nmaps);
    pb_uint(&msg, MAPPING_MEMORY_START, m->start);
    pb_uint(&msg, MAPPING_MEMORY_LIMIT, m->end);
    pb_uint(&msg, MAPPING_FILE_OFFSET, 0);
    pb_int(&msg, MAPPING_FILENAME, str(p, m->path));
    if (hex[0])
        pb_int(&msg, MAPPING_BUILD_ID, str(p, hex));
    pb_uint(&msg, MAPPING_HAS_FUNCTIONS, 1);
    pb_uint(&msg, MAPPING_HAS_FILENAMES, 1);
    pb_uint(&msg, MAPPING_HAS_LINE_NUMBERS, 1);
    pb_uint(&msg, MAPPING_HAS_INLINE_FRAMES, 1);
    pb_message(&p->mappings, PROFILE_MAPPING, &msg);
    pb_free(&msg);
    return p->nmaps;
}

/* The module native frame F lies in, as the symbolizer found it: the first
 * of its snapshot's modules holding the address (with --merge, the
 * snapshot whose module of that path holds it). NULL outside every one. */
static const struct out_module *module_of(const struct pprof *p, const struct rframe *f)
{
    if (!f->module)
        return NULL;
    for (size_t s = 0; s < p->r->nsnaps; s++) {
        const struct out_snapinfo *si = &p->r->snaps[s];
        for (size_t i = 0; i < si->nmodules; i++) {
            const struct out_module *m = &si->modules[i];
            if (f->addr >= m->start && f->addr < m->end && strcmp(m->path, f->module) == 0)
                return m;
        }
    }
    return NULL;
}

/* The function id of frame F: its name (or the frame's fallback label) and
 * source file. */
static uint64_t function_id(struct pprof *p, const struct rframe *f)
{
    struct sbuf name = {0};
    if (f->function)
        sb_add(&name, f->function);
    else
        frame_fallback_label(&name, f);
    const char *file = f->file ? f->file : "";
    sb_reset(&p->key);
    sb_addn(&p->key, sb_str(&name), name.len + 1);   /* with its NUL: a separator */
    sb_add(&p->key, file);
    bool fresh;
    uint64_t id = intern(&p->funcs, sb_str(&p->key), p->key.len, &fresh);
    if (fresh) {
        struct pb msg = {0};
        pb_uint(&msg, FUNCTION_ID, id);
        int64_t n = str(p, sb_str(&name));
        pb_int(&msg, FUNCTION_NAME, n);
        /* pprof simplifies a name equal to its system name as C++
         * ("std::vector<int>::push_back(int)" becomes std::vector::push_back,
         * as for a mangled one); a Python name ("<module>",
         * "load.<locals>.<listcomp>") must stay whole: no system name. */
        if (!f->python)
            pb_int(&msg, FUNCTION_SYSTEM_NAME, n);
        pb_int(&msg, FUNCTION_FILENAME, str(p, file));
        pb_message(&p->functions, PROFILE_FUNCTION, &msg);
        pb_free(&msg);
    }
    sb_free(&name);
    return id;
}

/* The location id of frames F[0..N): one address and its inline chain
 * (innermost first), or one Python frame. */
static uint64_t location_id(struct pprof *p, const struct rframe *f, size_t n)
{
    uint64_t *fids = malloc(n * sizeof *fids);
    if (!fids)
        report_oom();
    for (size_t i = 0; i < n; i++)
        fids[i] = function_id(p, &f[i]);
    /* Key: kind, module path and address (native), then function and line
     * of each line. */
    sb_reset(&p->key);
    if (f[0].python)
        sb_add(&p->key, "P");
    else
        sb_printf(&p->key, "N%s%c%" PRIx64, f[0].module ? f[0].module : "", 0, f[0].addr);
    for (size_t i = 0; i < n; i++)
        sb_printf(&p->key, ";%" PRIu64 ":%" PRIu32, fids[i], f[i].line);
    bool fresh;
    uint64_t id = intern(&p->locs, sb_str(&p->key), p->key.len, &fresh);
    if (!fresh) {
        free(fids);
        return id;
    }
    struct pb msg = {0}, line = {0};
    pb_uint(&msg, LOCATION_ID, id);
    if (!f[0].python) {
        const struct out_module *mod = module_of(p, &f[0]);
        if (mod)
            pb_uint(&msg, LOCATION_MAPPING_ID, mapping_id(p, mod));
        pb_uint(&msg, LOCATION_ADDRESS, f[0].addr);
    }
    for (size_t i = 0; i < n; i++) {
        pb_reset(&line);
        pb_uint(&line, LINE_FUNCTION_ID, fids[i]);
        if (f[i].line)
            pb_int(&line, LINE_LINE, f[i].line);
        pb_message(&msg, LOCATION_LINE, &line);
    }
    pb_message(&p->locations, PROFILE_LOCATION, &msg);
    pb_free(&msg);
    pb_free(&line);
    free(fids);
    return id;
}

static void add_sample(struct pprof *p, const struct out_row *row)
{
    const struct counters *c = &row->c;
    bool peak = strcmp(p->r->command, "peak") == 0;
    uint64_t v[4] = {
        (uint64_t)i64(c->alloc_count), (uint64_t)i64(c->alloc_bytes),
        (uint64_t)i64(peak ? c->peak_count : c->live_count),
        (uint64_t)i64(peak ? c->peak_bytes : c->live_bytes),
    };
    if (!v[0] && !v[1] && !v[2] && !v[3])
        return;
    size_t cap = row->nstack + 1, n = 0;
    uint64_t *ids = malloc(cap * sizeof *ids);
    if (!ids)
        report_oom();
    for (size_t k = row->show_from; k < row->nstack; k++) {
        size_t first = k;
        /* An inline chain shares one return address: one location. */
        while (k + 1 < row->nstack && row->stack[k].inlined && !row->stack[k].python)
            k++;
        ids[n++] = location_id(p, &row->stack[first], k - first + 1);
    }
    if (n == 0) {
        /* every frame hidden or none stored: one named location, no mapping
         * (marked python only so that it gets none) */
        static const struct rframe empty = {.function = "(empty stack)", .python = true};
        ids[n++] = location_id(p, &empty, 1);
    }
    struct pb msg = {0};
    pb_packed(&msg, SAMPLE_LOCATION_ID, ids, n);
    pb_packed(&msg, SAMPLE_VALUE, v, 4);
    pb_message(&p->samples, PROFILE_SAMPLE, &msg);
    pb_free(&msg);
    free(ids);
}

static void value_type(struct pprof *p, struct pb *into, uint32_t field, const char *type,
                       const char *unit)
{
    struct pb msg = {0};
    pb_int(&msg, VALUETYPE_TYPE, str(p, type));
    pb_int(&msg, VALUETYPE_UNIT, str(p, unit));
    pb_message(into, field, &msg);
    pb_free(&msg);
}

/* The main executable of S: the module named as the program, else the
 * first one (the loader lists the program first). */
static const struct out_module *main_module(const struct out_snapinfo *s)
{
    for (size_t i = 0; i < s->nmodules; i++)
        if (strcmp(s->modules[i].path, s->program) == 0)
            return &s->modules[i];
    return s->nmodules ? &s->modules[0] : NULL;
}

/* Gzip DATA[0..N) onto OUT (header without name or time: reproducible). */
static void gzip_write(FILE *out, const uint8_t *data, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        report_oom();
    unsigned char buf[1 << 14];
    int rc;
    do {
        if (z.avail_in == 0 && n) {
            size_t chunk = n < (1u << 30) ? n : (1u << 30);
            z.next_in = (unsigned char *)data;
            z.avail_in = (uInt)chunk;
            data += chunk;
            n -= chunk;
        }
        z.next_out = buf;
        z.avail_out = sizeof buf;
        rc = deflate(&z, n ? Z_NO_FLUSH : Z_FINISH);
        fwrite(buf, 1, sizeof buf - z.avail_out, out);
    } while (rc == Z_OK || rc == Z_BUF_ERROR);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        fputs("mtrace-report: gzip failed\n", stderr);
        report_oom();
    }
}

static void comments(struct pprof *p, struct pb *into)
{
    const struct out_report *r = p->r;
    struct sbuf c = {0};
    sb_printf(&c, "mtrace-report %s", r->command);
    if (r->merged && r->nsnaps > 1)
        sb_printf(&c, ": %zu snapshots summed (--merge)", r->nsnaps);
    pb_int(into, PROFILE_COMMENT, str(p, sb_str(&c)));
    for (size_t i = 0; i < r->nsnaps; i++) {
        const struct out_snapinfo *s = &r->snaps[i];
        sb_reset(&c);
        sb_printf(&c, "snapshot %s: %s pid %" PRIu64 ", %s #%" PRIu32, s->file,
                  s->program[0] ? s->program : "?", s->pid, s->reason, s->sequence);
        pb_int(into, PROFILE_COMMENT, str(p, sb_str(&c)));
    }
    if (strcmp(r->command, "peak") == 0)
        pb_int(into, PROFILE_COMMENT,
               str(p, "inuse_objects, inuse_space: blocks live when the traced heap peaked"));
    if (r->filtered)
        pb_int(into, PROFILE_COMMENT, str(p, "filtered: only the stacks the filters kept"));
    sb_free(&c);
}

static void pprof_report(FILE *out, const struct out_report *r, size_t index)
{
    (void)index;
    struct pprof p;
    memset(&p, 0, sizeof p);
    p.r = r;
    str(&p, "");  /* string_table[0] must be "" */
    struct pb head = {0}, tail = {0}, prof = {0};
    value_type(&p, &head, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
    value_type(&p, &head, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
    value_type(&p, &head, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
    value_type(&p, &head, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
    if (r->nsnaps) {
        const struct out_module *m = main_module(&r->snaps[0]);
        if (m)
            mapping_id(&p, m);   /* the main executable's mapping first */
    }
    for (size_t i = 0; i < r->nrows; i++)
        add_sample(&p, &r->rows[i]);

    uint64_t t = 0, start = UINT64_MAX;
    for (size_t i = 0; i < r->nsnaps; i++) {
        if (r->snaps[i].time_ns > t)
            t = r->snaps[i].time_ns;
        if (r->snaps[i].start_time_ns && r->snaps[i].start_time_ns < start)
            start = r->snaps[i].start_time_ns;
    }
    if (t)
        pb_int(&tail, PROFILE_TIME_NANOS, i64(t));
    if (start <= t)
        pb_int(&tail, PROFILE_DURATION_NANOS, i64(t - start));
    value_type(&p, &tail, PROFILE_PERIOD_TYPE, "space", "bytes");
    pb_int(&tail, PROFILE_PERIOD, 1);   /* exact: every allocation counted */
    comments(&p, &tail);
    pb_int(&tail, PROFILE_DEFAULT_SAMPLE_TYPE, str(&p, "inuse_space"));

    const struct pb *parts[] = {&head, &p.samples, &p.mappings, &p.locations, &p.functions,
                                &p.strings, &tail};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        pb_raw(&prof, parts[i]->data, parts[i]->len);   /* whole fields: they concatenate */
    gzip_write(out, prof.data, prof.len);

    pb_free(&head);
    pb_free(&tail);
    pb_free(&prof);
    pb_free(&p.strings);
    pb_free(&p.mappings);
    pb_free(&p.locations);
    pb_free(&p.functions);
    pb_free(&p.samples);
    idmap_free(&p.strs);
    idmap_free(&p.funcs);
    idmap_free(&p.locs);
    free(p.maps);
    sb_free(&p.key);
    sb_free(&p.tmp);
}

static void pprof_nop(FILE *out, size_t n)
{
    (void)out;
    (void)n;
}

const struct out_format out_format_pprof = {
    .name = "pprof",
    .begin = pprof_nop,
    .report = pprof_report,
    .end = pprof_nop,
    .diff = NULL,
    .per_stack = true,
    .single = true,
    .binary = true,
};
