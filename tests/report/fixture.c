/* Symbolization fixture: a -O0 -g program that captures return addresses of
 * its own calls (on source lines it records with __LINE__ into expect.sh),
 * reads its module map with dl_iterate_phdr (with build-ids), and writes
 * snapshots of synthetic stacks with exact counters through snapwriter:
 * good.snap (with the first version-1 header, 168 bytes) plus variants
 * (newer-writer layout, changed build-id, missing module, two processes for
 * --merge), and the series of one process for diff, filters and the series
 * view (fixture_series.c), two snapshots of a Python process
 * (fixture_python.c), and snapshots with leak classes for leaks and check
 * (fixture_leaks.c). Usage: report_fixture OUTDIR */
#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "snapwriter.h"

#define NOINLINE __attribute__((noinline))
#define RA() ((uint64_t)__builtin_return_address(0))

static FILE *expf;
#define EXPECT_LINE(name) fprintf(expf, "%s=%d\n", name, __LINE__)

static uint64_t a_site, a_ret_main, a_ret_g, g_ret_main;
static uint64_t xm_site, xm_ret, b_ret_main;
static uint64_t c_site, c_ret_main;
static uint64_t d_site, d_ret_main;
static uint64_t e_site, e_ret_main;

static NOINLINE uint64_t here(void) { return RA(); }

static NOINLINE void f_a(uint64_t *ret)
{
    a_site = here(); EXPECT_LINE("LINE_A");
    *ret = RA();
}

static NOINLINE void g(void)
{
    f_a(&a_ret_g); EXPECT_LINE("LINE_G_CALL");
    g_ret_main = RA();
}

static NOINLINE void xmalloc(void)
{
    xm_site = here(); EXPECT_LINE("LINE_XM");
    xm_ret = RA();
}

static NOINLINE void f_b(void)
{
    xmalloc(); EXPECT_LINE("LINE_B");
    b_ret_main = RA();
}

static NOINLINE void f_c(void)
{
    c_site = here(); EXPECT_LINE("LINE_C");
    c_ret_main = RA();
}

static inline __attribute__((always_inline)) void inl(void)
{
    d_site = here(); EXPECT_LINE("LINE_INL");
}

static NOINLINE void f_d(void)
{
    inl(); EXPECT_LINE("LINE_D_CALL");
    d_ret_main = RA();
}

static NOINLINE void f_e(void)
{
    e_site = here(); EXPECT_LINE("LINE_E");
    e_ret_main = RA();
}

static char exe_path[PATH_MAX];

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct sw *w = data;
    uint64_t lo = UINT64_MAX, hi = 0;
    uint8_t bid[MT_BUILD_ID_MAX];
    uint32_t bid_size = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD) {
            if (p->p_vaddr < lo)
                lo = p->p_vaddr;
            if (p->p_vaddr + p->p_memsz > hi)
                hi = p->p_vaddr + p->p_memsz;
        } else if (p->p_type == PT_NOTE && bid_size == 0) {
            const char *n = (const char *)(info->dlpi_addr + p->p_vaddr);
            const char *end = n + p->p_memsz;
            while (n + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)n;
                const char *name = n + sizeof *nh;
                const char *desc = name + ((nh->n_namesz + 3) & ~3u);
                if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                    memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= MT_BUILD_ID_MAX) {
                    memcpy(bid, desc, nh->n_descsz);
                    bid_size = nh->n_descsz;
                    break;
                }
                n = desc + ((nh->n_descsz + 3) & ~3u);
            }
        }
    }
    if (lo > hi)
        return 0;
    const char *path = info->dlpi_name[0] ? info->dlpi_name : exe_path;
    sw_module(w, path, info->dlpi_addr + lo, info->dlpi_addr + hi, info->dlpi_addr, bid,
              bid_size);
    return 0;
}

void fixture_modules(struct sw *w)
{
    dl_iterate_phdr(add_module, w);
}

/* The stacks of good.snap; see tests/report/cli_test.sh for the expected rows. */
static void add_stacks(struct sw *w, uint64_t libc_malloc)
{
    uint64_t f;
    f = sw_native(w, a_site); sw_native(w, a_ret_main);
    sw_stack(w, f, 2, 4096, 4, 1024, 1, 2048, 2);
    f = sw_native(w, a_site); sw_native(w, a_ret_g); sw_native(w, g_ret_main);
    sw_stack(w, f, 3, 1024, 1, 0, 0, 1024, 1);
    f = sw_native(w, xm_site); sw_native(w, xm_ret); sw_native(w, b_ret_main);
    sw_stack(w, f, 3, 3000, 3, 3000, 3, 3000, 3);
    f = sw_native(w, libc_malloc); sw_native(w, c_site); sw_native(w, c_ret_main);
    sw_stack(w, f, 3, 2048, 2, 0, 0, 0, 0);
    f = sw_native(w, d_site); sw_native(w, d_ret_main);
    sw_stack(w, f, 2, 512, 1, 512, 1, 512, 1);
    f = sw_native(w, e_site); sw_python(w, "/app/app.py", "work", 7);
    sw_python(w, "/app/app.py", "<module>", 1); sw_native(w, e_ret_main);
    sw_stack(w, f, 4, 10000, 10, 100, 1, 5000, 5);
    f = sw_native(w, 0x10);
    sw_stack(w, f, 1, 1, 1, 1, 1, 0, 0);
    f = sw_native(w, libc_malloc);
    sw_stack(w, f, 1, 100, 1, 0, 0, 0, 0);
}

static void header(struct sw *w, uint64_t pid)
{
    w->hdr.pid = pid;
    w->hdr.ppid = 4000;
    w->hdr.flags = MT_HDR_FORKED;
    w->hdr.start_time_ns = 1700000000000000000ull;
    w->hdr.time_ns = 1700000000123456789ull;
    w->hdr.reason = MT_REASON_EXIT;
    w->hdr.sequence = 3;
    w->hdr.program = sw_str(w, "/usr/bin/fixture-prog");
    w->hdr.cmdline = sw_str(w, "fixture-prog --flag");
    w->hdr.max_depth = 64;
    w->hdr.current_bytes = 4637;
    w->hdr.current_blocks = 7;
    w->hdr.peak_bytes = 11584;
    w->hdr.peak_blocks = 12;
    w->hdr.total_allocs = 23;
    w->hdr.total_bytes = 20781;
    w->hdr.total_frees = 16;
    w->hdr.dropped = 2;
    w->hdr.rss_bytes = 5u << 20;
    w->hdr.peak_rss_bytes = 6u << 20;
}

enum variant { GOOD, EXTENDED, BAD_BUILD_ID, MISSING_MODULE, NODES, EXTENDED_NODES };

static int write_snap(const char *dir, const char *name, enum variant v, uint64_t pid,
                      uint64_t libc_malloc)
{
    struct sw w;
    char path[PATH_MAX];
    sw_init(&w);
    header(&w, pid);
    dl_iterate_phdr(add_module, &w);
    for (size_t i = 0; i < w.nmods; i++) {
        const char *p = w.str + w.mods[i].path;
        if (strcmp(p, exe_path) != 0)
            continue;
        if (v == BAD_BUILD_ID)
            w.mods[i].build_id[0] ^= 0xff;
        if (v == MISSING_MODULE)
            w.mods[i].path = sw_str(&w, "/nonexistent/report_fixture_gone");
    }
    if (v == GOOD)
        w.v1_header = 1; /* as the first version-1 writers did: 168 bytes */
    w.nodes = v == NODES || v == EXTENDED_NODES; /* the shim's layout since 0.3 */
    if (v == EXTENDED || v == EXTENDED_NODES) {
        w.hdr_extra = 16;
        w.rec_extra = 8;
        w.unknown_section = 1;
    }
    add_stacks(&w, libc_malloc);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = sw_write(&w, path);
    sw_free(&w);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    if (n <= 0)
        return 1;
    exe_path[n] = '\0';
    snprintf(path, sizeof path, "%s/expect.sh", argv[1]);
    expf = fopen(path, "w");
    if (!expf)
        return 1;
    fprintf(expf, "FIXTURE_SRC=%s\nFIXTURE_EXE=%s\n", __FILE__, exe_path);

    f_a(&a_ret_main); EXPECT_LINE("LINE_MAIN_A");
    g(); EXPECT_LINE("LINE_MAIN_G");
    f_b(); EXPECT_LINE("LINE_MAIN_B");
    f_c(); EXPECT_LINE("LINE_MAIN_C");
    f_d(); EXPECT_LINE("LINE_MAIN_D");
    f_e(); EXPECT_LINE("LINE_MAIN_E");

    /* A return address inside glibc's malloc: a wrapper frame by module. */
    uint64_t libc_malloc = (uint64_t)dlsym(RTLD_DEFAULT, "malloc") + 8;
    fclose(expf);

    int rc = 0;
    rc |= write_snap(argv[1], "good.snap", GOOD, 4242, libc_malloc);
    rc |= write_snap(argv[1], "good2.snap", GOOD, 4243, libc_malloc);
    rc |= write_snap(argv[1], "ext.snap", EXTENDED, 4242, libc_malloc);
    rc |= write_snap(argv[1], "nodes.snap", NODES, 4242, libc_malloc);
    rc |= write_snap(argv[1], "ext_nodes.snap", EXTENDED_NODES, 4242, libc_malloc);
    rc |= write_snap(argv[1], "badbid.snap", BAD_BUILD_ID, 4242, libc_malloc);
    rc |= write_snap(argv[1], "missing.snap", MISSING_MODULE, 4242, libc_malloc);
    struct fixture_sites sites = {
        .a_site = a_site, .a_ret_main = a_ret_main, .a_ret_g = a_ret_g,
        .g_ret_main = g_ret_main, .c_site = c_site, .c_ret_main = c_ret_main,
        .libc_malloc = libc_malloc,
    };
    rc |= fixture_write_series(argv[1], &sites);
    rc |= fixture_write_python(argv[1], &sites);
    rc |= fixture_write_leaks(argv[1], &sites);
    rc |= fixture_write_timeline(argv[1]);
    return rc ? 1 : 0;
}
