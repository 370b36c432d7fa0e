/* ---------------------------------------------------------------------------
 * modules.c: the module map (path, address range, load bias, GNU build-id)
 * that lets the reporter resolve raw return addresses offline and notice a
 * binary that changed since. Read with dl_iterate_phdr, which takes the
 * loader lock: callers hold no tracer lock here.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "mtrace/format.h"

struct collect {
    struct mt_module *mods;
    int max, n;
    struct mt_strtab *st;
    char exe[4096];
};

static void read_build_id(const struct dl_phdr_info *info, struct mt_module *m)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
        const char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name_sz = (nh->n_namesz + 3u) & ~3u;
            size_t desc_sz = (nh->n_descsz + 3u) & ~3u;
            const char *name = p + sizeof *nh;
            const char *desc = name + name_sz;
            if (desc + desc_sz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0) {
                uint32_t n = nh->n_descsz < MT_BUILD_ID_MAX ? nh->n_descsz : MT_BUILD_ID_MAX;
                memcpy(m->build_id, desc, n);
                m->build_id_size = n;
                return;
            }
            p = desc + desc_sz;
        }
    }
}

static int collect_one(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct collect *c = arg;
    if (c->n >= c->max)
        return 1;
    const char *name = info->dlpi_name;
    bool is_exe = !name || !*name;
    if (is_exe && c->n > 0)
        return 0;                /* only the first unnamed object is the program */
    if (!is_exe && strncmp(name, "linux-vdso", 10) == 0)
        return 0;                /* no file to read back */
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (s < lo)
            lo = s;
        if (s + ph->p_memsz > hi)
            hi = s + ph->p_memsz;
    }
    if (hi == 0)
        return 0;
    struct mt_module *m = &c->mods[c->n++];
    memset(m, 0, sizeof *m);
    m->start = lo;
    m->end = hi;
    m->bias = info->dlpi_addr;
    const char *path = is_exe ? c->exe : name;
    m->path = mt_strtab_add(c->st, path, strlen(path));
    read_build_id(info, m);
    return 0;
}

/* Under the writer's lock (its only caller): c is static, off the stack. */
int mt_modules_collect(struct mt_module *mods, int max, struct mt_strtab *st)
{
    static struct collect c;
    c = (struct collect){ .mods = mods, .max = max, .st = st };
    mt_proc_exe(c.exe, sizeof c.exe);
    dl_iterate_phdr(collect_one, &c);
    return c.n;
}

struct own { uintptr_t addr, lo, hi; };

static int find_own(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct own *o = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (o->addr >= s && o->addr < s + ph->p_memsz) {
            o->lo = s;
            o->hi = s + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

bool mt_modules_text_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
    struct own o = { .addr = addr };
    dl_iterate_phdr(find_own, &o);
    *lo = o.lo;
    *hi = o.hi;
    return o.hi != 0;
}

bool mt_modules_own_text(uintptr_t *lo, uintptr_t *hi)
{
    return mt_modules_text_of((uintptr_t)&mt_modules_own_text, lo, hi);
}
