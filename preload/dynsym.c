/* ---------------------------------------------------------------------------
 * dynsym.c: names for return addresses from the loaded modules' dynamic
 * symbol tables, read in place, for the leak gate's report. What dladdr
 * does, without the loader's lock: the gate runs after the leak scan has
 * parked every other thread for good, maybe one inside dlopen holding it.
 * The module list is taken with dl_iterate_phdr before the scan (tracer.c).
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_MODS 4096

struct dynmod {
    uintptr_t base, lo, hi;
    const char *path;
    const ElfW(Sym) *sym;
    const char *str;
    size_t nsym;
};

static struct dynmod *mods;
static int nmods;
static char exe[4096];

/* Symbol count from DT_GNU_HASH: past the last chain of the fullest bucket. */
static size_t gnu_hash_count(const uint32_t *gh)
{
    uint32_t nbuckets = gh[0], symoffset = gh[1], bloom = gh[2];
    const uint32_t *buckets = (const uint32_t *)(const void *)((const ElfW(Addr) *)&gh[4] + bloom);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t last = 0;
    for (uint32_t i = 0; i < nbuckets; i++)
        if (buckets[i] > last)
            last = buckets[i];
    if (last < symoffset)
        return symoffset;
    while (!(chain[last - symoffset] & 1))
        last++;
    return (size_t)last + 1;
}

/* glibc relocates these entries in place; some loaders leave them relative. */
static uintptr_t dyn_ptr(uintptr_t v, uintptr_t base)
{
    return v < base ? v + base : v;
}

/* A module's dynamic symbol table and hash tables, from its DYNAMIC
 * segment (either hash may be absent). */
struct dyntab {
    const ElfW(Sym) *sym;
    const char *str;
    const uint32_t *gnu, *sysv;
};

static void read_dynamic(const ElfW(Dyn) *dyn, uintptr_t base, struct dyntab *t)
{
    memset(t, 0, sizeof *t);
    for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t v = dyn_ptr(dyn->d_un.d_ptr, base);
        switch (dyn->d_tag) {
        case DT_SYMTAB: t->sym = (const ElfW(Sym) *)v; break;
        case DT_STRTAB: t->str = (const char *)v; break;
        case DT_GNU_HASH: t->gnu = (const uint32_t *)v; break;
        case DT_HASH: t->sysv = (const uint32_t *)v; break;
        default: break;
        }
    }
}

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (nmods >= MAX_MODS)
        return 1;
    struct dynmod *m = &mods[nmods];
    memset(m, 0, sizeof *m);
    m->base = info->dlpi_addr;
    m->lo = UINTPTR_MAX;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD) {
            if (s < m->lo)
                m->lo = s;
            if (s + ph->p_memsz > m->hi)
                m->hi = s + ph->p_memsz;
        } else if (ph->p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)s;
        }
    }
    if (!m->hi)
        return 0;
    m->path = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : exe;
    struct dyntab t;
    read_dynamic(dyn, m->base, &t);
    m->sym = t.sym;
    m->str = t.str;
    if (m->sym && m->str)
        m->nsym = t.gnu ? gnu_hash_count(t.gnu) : t.sysv ? t.sysv[1] : 0;
    nmods++;
    return 0;
}

void mt_dynsym_load(void)
{
    if (mods)
        return;
    mods = mt_map(MAX_MODS * sizeof *mods);
    if (!mods)
        return;
    mt_proc_exe(exe, sizeof exe);
    dl_iterate_phdr(add_module, NULL);
}

bool mt_dynsym_lookup(uintptr_t addr, struct mt_symbol *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < nmods; i++) {
        const struct dynmod *m = &mods[i];
        if (addr < m->lo || addr >= m->hi)
            continue;
        out->module = m->path;
        out->module_base = m->base;
        uintptr_t off = addr - m->base, best = 0;
        const ElfW(Sym) *hit = NULL;
        for (size_t k = 0; k < m->nsym; k++) {
            const ElfW(Sym) *s = &m->sym[k];
            int type = ELF64_ST_TYPE(s->st_info);
            if (s->st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC))
                continue;
            if (s->st_value <= off && off < s->st_value + s->st_size) {
                hit = s;
                break;
            }
            if (!s->st_size && s->st_value <= off && s->st_value >= best) {
                best = s->st_value;
                hit = s;
            }
        }
        if (hit) {
            out->function = m->str + hit->st_name;
            out->function_addr = m->base + hit->st_value;
        }
        return true;
    }
    return false;
}

/* ---- whether a loaded module defines a symbol --------------------------- */
/* dlsym reports a missing symbol through dlerror, whose message and state
 * glibc mallocs: left in the heap before main, they shift every block the
 * program allocates (python.c asks for Python's symbols in every process). */
struct find { const char *name; uint32_t gnu, sysv; bool found; };

static bool sym_is(const ElfW(Sym) *s, const char *str, const char *name)
{
    return s->st_shndx != SHN_UNDEF && strcmp(str + s->st_name, name) == 0;
}

static bool in_gnu_hash(const uint32_t *gh, const ElfW(Sym) *sym, const char *str,
                        const struct find *f)
{
    uint32_t nbuckets = gh[0], symoffset = gh[1], nbloom = gh[2], shift = gh[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(const void *)&gh[4];
    enum { BITS = sizeof(ElfW(Addr)) * 8 };
    if (!nbuckets || !nbloom)
        return false;
    ElfW(Addr) word = bloom[(f->gnu / BITS) % nbloom];
    ElfW(Addr) mask = (ElfW(Addr))1 << (f->gnu % BITS) | (ElfW(Addr))1 << ((f->gnu >> shift) % BITS);
    if ((word & mask) != mask)
        return false;
    const uint32_t *buckets = (const uint32_t *)(const void *)&bloom[nbloom];
    const uint32_t *chain = buckets + nbuckets;
    uint32_t i = buckets[f->gnu % nbuckets];
    if (i < symoffset)
        return false;
    for (;; i++) {
        uint32_t h = chain[i - symoffset];
        if ((h | 1) == (f->gnu | 1) && sym_is(&sym[i], str, f->name))
            return true;
        if (h & 1)
            return false;
    }
}

static bool in_sysv_hash(const uint32_t *hh, const ElfW(Sym) *sym, const char *str,
                         const struct find *f)
{
    uint32_t nbucket = hh[0], nchain = hh[1];
    const uint32_t *bucket = &hh[2], *chain = bucket + nbucket;
    if (!nbucket)
        return false;
    for (uint32_t i = bucket[f->sysv % nbucket], n = 0; i && i < nchain && n < nchain;
         i = chain[i], n++)
        if (sym_is(&sym[i], str, f->name))
            return true;
    return false;
}

static int find_in_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    struct dyntab t;
    read_dynamic(dyn, info->dlpi_addr, &t);
    if (t.sym && t.str)
        f->found = t.gnu ? in_gnu_hash(t.gnu, t.sym, t.str, f)
                         : t.sysv && in_sysv_hash(t.sysv, t.sym, t.str, f);
    return f->found;
}

bool mt_dynsym_defined(const char *name)
{
    struct find f = { name, 5381, 0, false };
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        f.gnu = f.gnu * 33 + *c;
        f.sysv = (f.sysv << 4) + *c;
        f.sysv = (f.sysv ^ ((f.sysv & 0xf0000000u) >> 24)) & 0x0fffffffu;
    }
    dl_iterate_phdr(find_in_module, &f);
    return f.found;
}
