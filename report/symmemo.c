/* See symmemo.h. The points are every symbol's value and end as libdwfl
 * sees them (the resolved address, and st_value adjusted by the module's
 * bias, both of which its search tries) and every section's bounds (its
 * same-section test for symbols without a size); a few more points than
 * needed only split gaps further, which costs lookups, never exactness. */
#include "symmemo.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

struct symmemo {
    uint64_t *pts;          /* sorted, distinct */
    size_t npts, cap;
    const void **val;       /* 2 per gap: [2g] inside gap g, [2g + 1] at its first point */
    uint8_t *known;
};

static void add(struct symmemo *m, uint64_t p)
{
    if (m->npts == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        uint64_t *t = realloc(m->pts, cap * sizeof *t);
        if (!t)
            report_oom();
        m->pts = t;
        m->cap = cap;
    }
    m->pts[m->npts++] = p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct symmemo *symmemo_new(Dwfl_Module *dm)
{
    struct symmemo *m = calloc(1, sizeof *m);
    if (!m)
        report_oom();
    int n = dwfl_module_getsymtab(dm);
    for (int i = 0; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        Elf *elf;
        Dwarf_Addr bias;
        if (!dwfl_module_getsym_info(dm, i, &sym, &addr, &shndx, &elf, &bias))
            continue;
        add(m, addr);
        add(m, addr + sym.st_size);
        add(m, sym.st_value + bias);
        add(m, sym.st_value + bias + sym.st_size);
    }
    GElf_Addr bias;
    Elf *elf = dwfl_module_getelf(dm, &bias);
    for (Elf_Scn *scn = NULL; elf && (scn = elf_nextscn(elf, scn)) != NULL;) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh)) {
            add(m, sh.sh_addr + bias);
            add(m, sh.sh_addr + bias + sh.sh_size);
            add(m, sh.sh_addr); /* before bias too: a superset is harmless */
            add(m, sh.sh_addr + sh.sh_size);
        }
    }
    if (m->npts)
        qsort(m->pts, m->npts, sizeof *m->pts, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < m->npts; i++)
        if (k == 0 || m->pts[i] != m->pts[k - 1])
            m->pts[k++] = m->pts[i];
    m->npts = k;
    m->val = calloc(2 * (k + 1), sizeof *m->val);
    m->known = calloc(2 * (k + 1), 1);
    if (!m->val || !m->known)
        report_oom();
    return m;
}

void symmemo_free(struct symmemo *m)
{
    if (!m)
        return;
    free(m->pts);
    free(m->val);
    free(m->known);
    free(m);
}

/* Slot of PC: gap g = the number of points <= PC, twice, plus 1 when PC is
 * the point that opens it. */
static size_t slot(const struct symmemo *m, uint64_t pc)
{
    size_t lo = 0, hi = m->npts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->pts[mid] <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 2 * lo + (lo > 0 && m->pts[lo - 1] == pc);
}

bool symmemo_get(const struct symmemo *m, uint64_t pc, const void **value)
{
    size_t s = slot(m, pc);
    if (!m->known[s])
        return false;
    *value = m->val[s];
    return true;
}

void symmemo_put(struct symmemo *m, uint64_t pc, const void *value)
{
    size_t s = slot(m, pc);
    m->val[s] = value;
    m->known[s] = 1;
}
