/* libdwfl symbolization, offline: every module of the snapshot is reported
 * with dwfl_report_elf at its recorded load bias, after we opened the file
 * ourselves (regular files only: a hostile module path must not hang us) and
 * checked its build-id against the snapshot's. Native frames are return
 * addresses, so line and function lookups use addr - 1; inlined calls come
 * from the scope chain eu-addr2line -i derives (dwarf_getscopes, then
 * dwarf_getscopes_die), answered from per-CU scope trees (scopeidx.h). The
 * ELF symbol name is looked up only where DWARF names no function, through
 * a per-module memo (symmemo.h). Cached per address, with each frame's
 * allocator-wrapper verdict (site.h). */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demangle.h"
#include "scopeidx.h"
#include "site.h"
#include "symmemo.h"
#include "textutil.h" /* before uthash.h: uthash_fatal */
#include <uthash.h>

struct modinfo {
    const struct mt_module *m;
    const char *path;
    const char *base;
    Dwfl_Module *dm;         /* NULL: no symbols for this module */
    struct symmemo *syms;    /* its ELF symbol lookups, made on first use */
};

struct cache_ent {
    uint64_t addr;
    struct rframe *frames;
    uint8_t *cls;            /* site_classify() of each frame */
    size_t n;
    UT_hash_handle hh;
};

struct intern {
    UT_hash_handle hh;
    char s[];
};

struct symbolizer {
    const struct snap *snap;
    Dwfl *dwfl;
    struct modinfo *mods;
    size_t nmods;
    struct cache_ent *cache;
    struct scopeidx *scopes; /* per-CU scope trees, for inlined calls */
    struct intern *strings;
    struct rframe python;    /* scratch result for Python frames */
    struct rframe *tmp;      /* scratch while expanding inlines */
    size_t ntmp, captmp;
};

static char *debuginfo_path = NULL;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* Stable copy of S, shared by equal strings. NULL stays NULL. */
static const char *intern(struct symbolizer *z, const char *s)
{
    if (!s)
        return NULL;
    struct intern *e;
    size_t len = strlen(s);
    HASH_FIND(hh, z->strings, s, len, e);
    if (e)
        return e->s;
    e = malloc(sizeof *e + len + 1);
    if (!e)
        report_oom();
    memcpy(e->s, s, len + 1);
    HASH_ADD_KEYPTR(hh, z->strings, e->s, len, e);
    return e->s;
}

static const char *intern_demangled(struct symbolizer *z, const char *s)
{
    if (!s)
        return NULL;
    char *d = demangle(s);
    if (!d)
        report_oom();
    const char *r = intern(z, d);
    free(d);
    return r;
}

static const char *basename_of(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static int is_pseudo_module(const char *path)
{
    return path[0] == '\0' || path[0] == '[' || strncmp(path, "linux-vdso", 10) == 0 ||
           strncmp(path, "linux-gate", 10) == 0;
}

static void warn_module(const struct symbolizer *z, const char *path, const char *what)
{
    fprintf(stderr, "mtrace-report: warning: %s: module %s: %s; its frames show as "
            "module+offset\n", z->snap->path ? z->snap->path : "-", path, what);
}

static void report_module(struct symbolizer *z, struct modinfo *mi)
{
    const struct mt_module *m = mi->m;
    int fd = open(mi->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        warn_module(z, mi->path, strerror(errno));
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        warn_module(z, mi->path, "not a regular file");
        return;
    }
    Dwfl_Module *dm = dwfl_report_elf(z->dwfl, mi->base, mi->path, fd, m->bias, false);
    if (!dm) {
        close(fd);
        warn_module(z, mi->path, dwfl_errmsg(-1));
        return;
    }
    if (m->build_id_size > 0) {
        GElf_Addr bias;
        const unsigned char *bits = NULL;
        GElf_Addr vaddr;
        (void)dwfl_module_getelf(dm, &bias);
        int n = dwfl_module_build_id(dm, &bits, &vaddr);
        if (n != (int)m->build_id_size || memcmp(bits, m->build_id, (size_t)n) != 0) {
            warn_module(z, mi->path, n <= 0 ? "file has no build-id (the snapshot's has one)"
                                            : "build-id differs from the snapshot's "
                                              "(file changed since)");
            return; /* stays reported to dwfl, but mi->dm stays NULL: unused */
        }
    }
    mi->dm = dm;
}

struct symbolizer *sym_new(const struct snap *s, int no_debug)
{
    struct symbolizer *z = calloc(1, sizeof *z);
    if (!z)
        report_oom();
    z->snap = s;
    z->scopes = scopeidx_new();
    z->nmods = s->nmodules;
    z->mods = calloc(z->nmods ? z->nmods : 1, sizeof *z->mods);
    if (!z->mods)
        report_oom();
    if (!no_debug) {
        z->dwfl = dwfl_begin(&callbacks);
        if (z->dwfl)
            dwfl_report_begin(z->dwfl);
    }
    for (size_t i = 0; i < z->nmods; i++) {
        struct modinfo *mi = &z->mods[i];
        mi->m = &s->modules[i];
        mi->path = intern(z, snap_str(s, mi->m->path));
        mi->base = intern(z, basename_of(mi->path));
        if (z->dwfl && !is_pseudo_module(mi->path))
            report_module(z, mi);
    }
    if (z->dwfl)
        dwfl_report_end(z->dwfl, NULL, NULL);
    return z;
}

static struct modinfo *find_module(const struct symbolizer *z, uint64_t addr)
{
    for (size_t i = 0; i < z->nmods; i++)
        if (addr >= z->mods[i].m->start && addr < z->mods[i].m->end)
            return &z->mods[i];
    return NULL;
}

static struct rframe *push(struct symbolizer *z, const struct rframe *base)
{
    if (z->ntmp == z->captmp) {
        size_t cap = z->captmp ? z->captmp * 2 : 8;
        struct rframe *t = realloc(z->tmp, cap * sizeof *t);
        if (!t)
            report_oom();
        z->tmp = t;
        z->captmp = cap;
    }
    struct rframe *f = &z->tmp[z->ntmp++];
    *f = *base;
    return f;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &attr))
        name = dwarf_formstring(&attr);
    if (!name && dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr))
        name = dwarf_formstring(&attr);
    if (!name && dwarf_attr_integrate(die, DW_AT_name, &attr))
        name = dwarf_formstring(&attr);
    return name;
}

static int is_function_scope(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return tag == DW_TAG_inlined_subroutine || tag == DW_TAG_subprogram ||
           tag == DW_TAG_entry_point;
}

/* The ELF symbol name at PC, demangled; looked up only when DWARF names no
 * function, and through the module's memo (libdwfl scans the whole symbol
 * table on each lookup). */
struct symname {
    struct modinfo *mi;
    uint64_t pc;
    bool done;
    const char *name;
};

static const char *symname_get(struct symbolizer *z, struct symname *sn)
{
    if (sn->done)
        return sn->name;
    struct modinfo *mi = sn->mi;
    if (!mi->syms)
        mi->syms = symmemo_new(mi->dm);
    const void *v;
    if (symmemo_get(mi->syms, sn->pc, &v)) {
        sn->name = v;
    } else {
        GElf_Off symoff;
        GElf_Sym sym;
        sn->name = intern_demangled(
            z, dwfl_module_addrinfo(mi->dm, sn->pc, &symoff, &sym, NULL, NULL, NULL));
        symmemo_put(mi->syms, sn->pc, sn->name);
    }
    sn->done = true;
    return sn->name;
}

/* Expand PC (already addr - 1) in module MI into z->tmp, innermost first. */
static void expand_native(struct symbolizer *z, struct modinfo *mi, uint64_t pc,
                          const struct rframe *base)
{
    Dwfl_Module *dm = mi->dm;
    struct symname sn = {.mi = mi, .pc = pc};
    const char *src = NULL;
    int lineno = 0;
    Dwfl_Line *ln = dwfl_module_getsrc(dm, pc);
    if (ln)
        src = dwfl_lineinfo(ln, NULL, &lineno, NULL, NULL, NULL);

    struct rframe *f = push(z, base);
    f->file = intern(z, src);
    f->line = lineno > 0 ? (uint32_t)lineno : 0;
    size_t fi = z->ntmp - 1; /* push may move z->tmp */

    Dwarf_Addr bias = 0, dbias;
    Dwarf_Die *cudie = dwfl_module_addrdie(dm, pc, &bias);
    Dwarf *dw = cudie ? dwfl_module_getdwarf(dm, &dbias) : NULL;
    Dwarf_Die *scopes = NULL;
    /* The chain of the innermost scope DIE at PC out to the CU, as
     * eu-addr2line -i derives it (scopeidx.h). */
    int n = cudie ? scopeidx_chain(z->scopes, dw, cudie, pc - bias, &scopes) : 0;
    if (n <= 0) {
        z->tmp[fi].function = symname_get(z, &sn);
        return;
    }
    Dwarf_Files *files = NULL;
    if (dwarf_getsrcfiles(cudie, &files, NULL) != 0)
        files = NULL;

    int i = 0;
    while (i < n && !is_function_scope(&scopes[i]))
        i++;
    const char *nm = i < n ? die_name(&scopes[i]) : NULL;
    z->tmp[fi].function = nm ? intern_demangled(z, nm) : symname_get(z, &sn);
    if (i < n)
        z->tmp[fi].inlined = dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine;
    /* Each inlined scope: its caller is the next function scope out, at the
     * inline's DW_AT_call_file:DW_AT_call_line. */
    while (i < n && dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
        Dwarf_Attribute attr;
        Dwarf_Word val;
        const char *cfile = NULL;
        uint32_t cline = 0;
        if (files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &val) == 0)
            cfile = dwarf_filesrc(files, val, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &val) == 0)
            cline = (uint32_t)val;
        int j = i + 1;
        while (j < n && !is_function_scope(&scopes[j]))
            j++;
        struct rframe *c = push(z, base);
        c->file = intern(z, cfile);
        c->line = cline;
        if (j < n) {
            const char *cn = die_name(&scopes[j]);
            c->function = intern_demangled(z, cn);
            c->inlined = dwarf_tag(&scopes[j]) == DW_TAG_inlined_subroutine;
        }
        if (!c->function && !c->inlined)
            c->function = symname_get(z, &sn);
        if (j >= n)
            break;
        i = j;
    }
    free(scopes);
}

size_t sym_frame(struct symbolizer *z, const struct mt_frame *f, const struct rframe **out)
{
    const uint8_t *cls;
    return sym_frame_cls(z, f, out, &cls);
}

size_t sym_frame_cls(struct symbolizer *z, const struct mt_frame *f, const struct rframe **out,
                     const uint8_t **cls)
{
    static const uint8_t python_cls = 0; /* never a wrapper nor the interpreter */
    if (f->kind == MT_FRAME_PYTHON) {
        memset(&z->python, 0, sizeof z->python);
        z->python.python = true;
        z->python.file = snap_str(z->snap, f->addr >> 32);
        z->python.function = snap_str(z->snap, f->addr & 0xffffffffu);
        z->python.line = f->line;
        if (!z->python.file[0])
            z->python.file = NULL;
        if (!z->python.function[0])
            z->python.function = NULL;
        *out = &z->python;
        *cls = &python_cls;
        return 1;
    }
    struct cache_ent *e;
    HASH_FIND(hh, z->cache, &f->addr, sizeof f->addr, e);
    if (e) {
        *out = e->frames;
        *cls = e->cls;
        return e->n;
    }
    struct rframe base;
    memset(&base, 0, sizeof base);
    base.addr = f->addr;
    struct modinfo *mi = find_module(z, f->addr);
    z->ntmp = 0;
    if (mi) {
        base.module = mi->path;
        base.module_base = mi->base;
        base.offset = f->addr - mi->m->bias;
    }
    if (mi && mi->dm && z->dwfl && f->addr > 0 &&
        dwfl_addrmodule(z->dwfl, f->addr - 1) == mi->dm)
        expand_native(z, mi, f->addr - 1, &base);
    else
        push(z, &base);

    e = calloc(1, sizeof *e);
    if (!e)
        report_oom();
    e->addr = f->addr;
    e->n = z->ntmp;
    e->frames = malloc(e->n * sizeof *e->frames);
    e->cls = malloc(e->n);
    if (!e->frames || !e->cls)
        report_oom();
    memcpy(e->frames, z->tmp, e->n * sizeof *e->frames);
    for (size_t i = 0; i < e->n; i++)
        e->cls[i] = site_classify(&e->frames[i]);
    HASH_ADD(hh, z->cache, addr, sizeof e->addr, e);
    *out = e->frames;
    *cls = e->cls;
    return e->n;
}

void sym_free(struct symbolizer *z)
{
    if (!z)
        return;
    struct cache_ent *e, *et;
    HASH_ITER(hh, z->cache, e, et) {
        HASH_DEL(z->cache, e);
        free(e->frames);
        free(e->cls);
        free(e);
    }
    struct intern *s, *st;
    HASH_ITER(hh, z->strings, s, st) {
        HASH_DEL(z->strings, s);
        free(s);
    }
    scopeidx_free(z->scopes); /* before dwfl_end: it points into the DWARF */
    for (size_t i = 0; i < z->nmods; i++)
        symmemo_free(z->mods[i].syms);
    if (z->dwfl)
        dwfl_end(z->dwfl);
    free(z->mods);
    free(z->tmp);
    free(z);
}
