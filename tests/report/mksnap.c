/* Writes hostile variants of a valid snapshot for the bad-input tests:
 * mksnap GOOD.snap OUTDIR [LEAK.snap] writes OUTDIR/bad_*.snap and
 * OUTDIR/bad.list, one line per variant: "FILE<TAB>text the error line must
 * contain". Each variant patches exactly one thing (sizes, offsets, indexes,
 * counts, magic...). The matching good-but-extreme case (huge counters) is
 * written as huge.snap. With LEAK.snap (a snapshot with a LEAKS section),
 * its variants too (bad_leaks_*.snap, and huge_leak.snap); with TIMELINE.snap
 * (one with TIMELINE and LABELS sections) theirs (bad_label*, bad_timeline*,
 * and the good but hostile hostile_timeline_back.snap, huge_timeline.snap);
 * with NODES.snap (frames as a NODES prefix tree) theirs (bad_nodes_*.snap):
 * parent cycles and forward references, chains too short or too long,
 * indexes out of range, more frames than the reader expands. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtrace/format.h"
#include "snapwriter.h"

static uint8_t *good;
static size_t good_size;

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    uint8_t *b = malloc(*size + 64);
    if (!b || fread(b, 1, *size, f) != *size)
        exit(1);
    fclose(f);
    return b;
}
static const char *outdir;
static FILE *list;

static void emit(const char *name, const uint8_t *buf, size_t size, const char *expect)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", outdir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    if (expect)
        fprintf(list, "%s\t%s\n", name, expect);
}

static uint8_t *copy(void)
{
    uint8_t *c = malloc(good_size + 64);
    memcpy(c, good, good_size);
    return c;
}

static struct mt_file_header hdr(void)
{
    struct mt_file_header h;
    memcpy(&h, good, sizeof h);
    return h;
}

/* Offset of the directory entry and payload of section KIND. */
static size_t dir_entry(uint32_t kind, struct mt_section *out)
{
    struct mt_file_header h = hdr();
    for (uint32_t i = 0; i < h.section_count; i++) {
        size_t off = h.header_size + (size_t)i * h.section_entry_size;
        memcpy(out, good + off, sizeof *out);
        if (out->kind == kind)
            return off;
    }
    fprintf(stderr, "section %u not found\n", kind);
    exit(1);
}

#define PATCH(buf, off, type, value) do { type v_ = (value); memcpy((buf) + (off), &v_, sizeof v_); } while (0)

/* Variants of the LEAKS section of the snapshot in GOOD. */
static void leak_variants(void)
{
    struct mt_section stk, lk, mod;
    size_t stk_dir = dir_entry(MT_SEC_STACKS, &stk);
    size_t lk_dir = dir_entry(MT_SEC_LEAKS, &lk);
    size_t mod_dir = dir_entry(MT_SEC_MODULES, &mod);
    struct mt_file_header h = hdr();
    size_t lk_index = (lk_dir - h.header_size) / h.section_entry_size;
    char msg[160];
    uint8_t *b;
    (void)stk_dir;
    if (lk.count < 2) {
        fprintf(stderr, "the leak snapshot needs two leak entries\n");
        exit(1);
    }
    uint64_t st0;
    memcpy(&st0, good + lk.offset + offsetof(struct mt_leak, stack), 8);
    b = copy(); PATCH(b, lk.offset + offsetof(struct mt_leak, stack), uint64_t, stk.count);
    snprintf(msg, sizeof msg, "leak entry 0: stack %llu outside the stack table (%llu stacks)",
             (unsigned long long)stk.count, (unsigned long long)stk.count);
    emit("bad_leaks_stack.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, lk.offset + offsetof(struct mt_leak, stack), uint64_t, UINT64_MAX);
    emit("bad_leaks_stack_max.snap", b, good_size, "stack 18446744073709551615 outside"); free(b);
    b = copy();
    PATCH(b, lk.offset + lk.entry_size + offsetof(struct mt_leak, stack), uint64_t, st0);
    snprintf(msg, sizeof msg, "leak entry 1: stack %llu already has leak entry 0",
             (unsigned long long)st0);
    emit("bad_leaks_dup.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, lk_dir + offsetof(struct mt_section, entry_size), uint32_t, 64);
    snprintf(msg, sizeof msg, "section %zu (leaks): entry size 64 (this reader needs at least 72)",
             lk_index);
    emit("bad_leaks_entry_size.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, lk_dir + offsetof(struct mt_section, count), uint64_t, 1ull << 61);
    emit("bad_leaks_count.snap", b, good_size, "(leaks): 2305843009213693952 entries"); free(b);
    b = copy(); memcpy(b + mod_dir, b + lk_dir, sizeof(struct mt_section));
    snprintf(msg, sizeof msg, "section %zu: duplicate leaks section", lk_index);
    emit("bad_leaks_twice.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, leak_scan), uint32_t, 7);
    emit("bad_leaks_scan.snap", b, good_size, "header: unknown leak scan status 7"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, leak_scan), uint32_t, MT_SCAN_NONE);
    snprintf(msg, sizeof msg, "leaks section has %llu entries but the header says the heap "
             "was not scanned", (unsigned long long)lk.count);
    emit("bad_leaks_noscan.snap", b, good_size, msg); free(b);

    /* Good but extreme: every class counter at UINT64_MAX (sums saturate). */
    b = copy();
    for (size_t i = 0; i < lk.count; i++)
        for (size_t k = offsetof(struct mt_leak, count); k < sizeof(struct mt_leak); k += 8)
            PATCH(b, lk.offset + i * lk.entry_size + k, uint64_t, UINT64_MAX);
    emit("huge_leak.snap", b, good_size, NULL); free(b);
}

/* Variants of the TIMELINE and LABELS sections of the snapshot in GOOD. */
static void timeline_variants(void)
{
    struct mt_section tl, lb, str;
    size_t tl_dir = dir_entry(MT_SEC_TIMELINE, &tl);
    size_t lb_dir = dir_entry(MT_SEC_LABELS, &lb);
    dir_entry(MT_SEC_STRINGS, &str);
    struct mt_file_header h = hdr();
    size_t tl_index = (tl_dir - h.header_size) / h.section_entry_size;
    size_t lb_index = (lb_dir - h.header_size) / h.section_entry_size;
    char msg[160];
    uint8_t *b;
    b = copy(); PATCH(b, lb.offset + offsetof(struct mt_tl_label, text), uint32_t,
                      (uint32_t)str.count);
    snprintf(msg, sizeof msg, "label 0: string offset %llu out of range",
             (unsigned long long)str.count);
    emit("bad_label_text.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, tl_dir + offsetof(struct mt_section, entry_size), uint32_t, 40);
    snprintf(msg, sizeof msg, "section %zu (timeline): entry size 40 (this reader needs at "
             "least 48)", tl_index);
    emit("bad_timeline_entry_size.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, lb_dir + offsetof(struct mt_section, count), uint64_t, 1ull << 60);
    emit("bad_labels_count.snap", b, good_size, "(labels): 1152921504606846976 entries"); free(b);
    b = copy(); PATCH(b, tl_dir + offsetof(struct mt_section, offset), uint64_t, good_size);
    emit("bad_timeline_offset.snap", b, good_size, "(timeline): offset"); free(b);
    b = copy(); memcpy(b + lb_dir, b + tl_dir, sizeof(struct mt_section));
    snprintf(msg, sizeof msg, "section %zu: duplicate timeline section", lb_index);
    emit("bad_timeline_twice.snap", b, good_size, msg); free(b);
    /* Good but hostile: times running backwards, every field at UINT64_MAX. */
    b = copy();
    for (size_t i = 0; i < tl.count; i++)
        PATCH(b, tl.offset + i * tl.entry_size + offsetof(struct mt_tl_point, time_ns), uint64_t,
              UINT64_MAX - i);
    emit("hostile_timeline_back.snap", b, good_size, NULL); free(b);
    b = copy();
    for (size_t i = 0; i < tl.count; i++)
        for (size_t k = 0; k < sizeof(struct mt_tl_point); k += 8)
            PATCH(b, tl.offset + i * tl.entry_size + k, uint64_t, UINT64_MAX);
    emit("huge_timeline.snap", b, good_size, NULL); free(b);
}

/* Node I of the NODES section NS of GOOD. */
static struct mt_node node(const struct mt_section *ns, size_t i)
{
    struct mt_node n;
    memcpy(&n, good + ns->offset + i * ns->entry_size, sizeof n);
    return n;
}

/* Variants of the NODES section of the snapshot in GOOD. */
static void node_variants(void)
{
    struct mt_section ns, stk, mod, str;
    size_t ns_dir = dir_entry(MT_SEC_NODES, &ns);
    size_t mod_dir = dir_entry(MT_SEC_MODULES, &mod);
    dir_entry(MT_SEC_STACKS, &stk);
    dir_entry(MT_SEC_STRINGS, &str);
    struct mt_file_header h = hdr();
    size_t ns_index = (ns_dir - h.header_size) / h.section_entry_size;
    char msg[200];
    uint8_t *b;
    /* A node with a parent (k), a Python one (py); stack 0's innermost node. */
    size_t k = SIZE_MAX, py = SIZE_MAX;
    for (size_t i = 0; i < ns.count; i++) {
        struct mt_node n = node(&ns, i);
        if (k == SIZE_MAX && n.parent != UINT32_MAX)
            k = i;
        if (py == SIZE_MAX && n.kind == MT_FRAME_PYTHON)
            py = i;
    }
    struct mt_stack s0;
    memcpy(&s0, good + stk.offset, sizeof s0);
    if (k == SIZE_MAX || py == SIZE_MAX || s0.frame_count < 2) {
        fprintf(stderr, "the nodes snapshot needs a chain, a Python node, stack 0 of 2+\n");
        exit(1);
    }
    const size_t kp = ns.offset + k * ns.entry_size + offsetof(struct mt_node, parent);
    b = copy(); PATCH(b, kp, uint32_t, (uint32_t)k);
    snprintf(msg, sizeof msg, "node %zu: parent %zu is not an earlier node", k, k);
    emit("bad_nodes_cycle_self.snap", b, good_size, msg); free(b);
    /* A two-node cycle: the earlier node's parent made the later one. */
    uint32_t p = node(&ns, k).parent;
    b = copy();
    PATCH(b, ns.offset + p * ns.entry_size + offsetof(struct mt_node, parent), uint32_t,
          (uint32_t)k);
    snprintf(msg, sizeof msg, "node %u: parent %zu is not an earlier node", p, k);
    emit("bad_nodes_cycle.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, kp, uint32_t, (uint32_t)ns.count);
    snprintf(msg, sizeof msg, "node %zu: parent %llu is not an earlier node", k,
             (unsigned long long)ns.count);
    emit("bad_nodes_parent_range.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, kp, uint32_t, UINT32_MAX - 1);
    snprintf(msg, sizeof msg, "node %zu: parent 4294967294 is not an earlier node", k);
    emit("bad_nodes_parent_max.snap", b, good_size, msg); free(b);

    const size_t fc = stk.offset + offsetof(struct mt_stack, frame_count);
    const size_t ff = stk.offset + offsetof(struct mt_stack, first_frame);
    b = copy(); PATCH(b, fc, uint32_t, s0.frame_count + 1);
    snprintf(msg, sizeof msg, "stack 0: %u frames but node %llu begins a chain of %u",
             s0.frame_count + 1, (unsigned long long)s0.first_frame, s0.frame_count);
    emit("bad_nodes_chain_long.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, fc, uint32_t, s0.frame_count - 1);
    snprintf(msg, sizeof msg, "stack 0: %u frames but node %llu begins a chain of %u",
             s0.frame_count - 1, (unsigned long long)s0.first_frame, s0.frame_count);
    emit("bad_nodes_chain_short.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, fc, uint32_t, UINT32_MAX);
    snprintf(msg, sizeof msg, "stack 0: 4294967295 frames but node %llu begins a chain of %u",
             (unsigned long long)s0.first_frame, s0.frame_count);
    emit("bad_nodes_frame_count.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, ff, uint64_t, ns.count);
    snprintf(msg, sizeof msg, "stack 0: node %llu outside the node table (%llu nodes)",
             (unsigned long long)ns.count, (unsigned long long)ns.count);
    emit("bad_nodes_index.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, ff, uint64_t, UINT64_MAX);
    emit("bad_nodes_index_max.snap", b, good_size,
         "stack 0: node 18446744073709551615 outside the node table"); free(b);

    b = copy(); PATCH(b, ns.offset + offsetof(struct mt_node, kind), uint32_t, 7);
    emit("bad_nodes_kind.snap", b, good_size, "node 0: unknown frame kind 7"); free(b);
    b = copy(); PATCH(b, ns.offset + py * ns.entry_size + offsetof(struct mt_node, addr),
                      uint64_t, (uint64_t)str.count << 32);
    snprintf(msg, sizeof msg, "Python node (file) %zu: string offset %llu out of range", py,
             (unsigned long long)str.count);
    emit("bad_nodes_string.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, ns_dir + offsetof(struct mt_section, entry_size), uint32_t, 16);
    snprintf(msg, sizeof msg, "section %zu (nodes): entry size 16 (this reader needs at "
             "least 24)", ns_index);
    emit("bad_nodes_entry_size.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, ns_dir + offsetof(struct mt_section, count), uint64_t, 1ull << 60);
    emit("bad_nodes_count.snap", b, good_size, "(nodes): 1152921504606846976 entries"); free(b);
    b = copy(); PATCH(b, mod_dir + offsetof(struct mt_section, kind), uint32_t, MT_SEC_FRAMES);
    emit("bad_nodes_and_frames.snap", b, good_size, "both a frames and a nodes section");
    free(b);

    /* Every chain checks out but the expansion would be too big: one
     * stack of 257 frames (more than 256 a stack on average). A small
     * file must not make the reader allocate much. */
    struct sw w;
    sw_init(&w);
    for (uint64_t i = 0; i < 257; i++)
        sw_native(&w, 0x1000 + i);
    sw_stack(&w, 0, 257, 1, 1, 1, 1, 1, 1);
    w.nodes = 1;
    size_t n;
    b = sw_build(&w, &n);
    sw_free(&w);
    emit("bad_nodes_expand.snap", b, n, "257 frames in 1 stack(s): more than this reader "
         "expands (256 a stack on average, 268435456 in all)"); free(b);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 6) {
        fprintf(stderr, "usage: mksnap GOOD OUTDIR [LEAK [TIMELINE [NODES]]]\n");
        return 2;
    }
    outdir = argv[2];
    good = read_file(argv[1], &good_size);
    if (!good)
        return 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/bad.list", outdir);
    list = fopen(path, "w");
    struct mt_file_header h = hdr();
    struct mt_section str, mod, frm, stk;
    size_t str_dir = dir_entry(MT_SEC_STRINGS, &str);
    size_t mod_dir = dir_entry(MT_SEC_MODULES, &mod);
    size_t frm_dir = dir_entry(MT_SEC_FRAMES, &frm);
    size_t stk_dir = dir_entry(MT_SEC_STACKS, &stk);
    (void)mod_dir;
    uint8_t *b;
    char name[64], msg[128];

    emit("bad_empty.snap", good, 0, "empty file");
    size_t cuts[] = {4, 11, 100, good_size / 2, good_size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        snprintf(name, sizeof name, "bad_trunc_%zu.snap", cuts[i]);
        if (cuts[i] < 8)
            snprintf(msg, sizeof msg, "not an mtrace snapshot");
        else if (cuts[i] < 24)
            snprintf(msg, sizeof msg, "truncated at offset %zu", cuts[i]);
        else
            snprintf(msg, sizeof msg, "truncated at offset %zu (expected %zu bytes)", cuts[i],
                     good_size);
        emit(name, good, cuts[i], msg);
    }
    b = copy(); b[0] = 'X';
    emit("bad_magic.snap", b, good_size, "not an mtrace snapshot"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, version), uint32_t, 2);
    emit("bad_version.snap", b, good_size,
         "unsupported snapshot version 2 (this mtrace-report reads 1)"); free(b);
    b = copy(); memset(b + good_size, 0, 8);
    emit("bad_grown.snap", b, good_size + 8, "but its header says"); free(b);
    b = copy(); b[good_size - 2] = 'X';
    emit("bad_trailer.snap", b, good_size, "missing trailer"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, header_size), uint32_t, 8);
    emit("bad_header_size.snap", b, good_size, "invalid header size 8"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, header_size), uint32_t, 0xfffffff8u);
    emit("bad_header_huge.snap", b, good_size, "exceeds the file"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, section_count), uint32_t, 0xffffffffu);
    emit("bad_section_count.snap", b, good_size, "section directory"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, section_entry_size), uint32_t, 4);
    emit("bad_section_entry_size.snap", b, good_size, "section entry size 4"); free(b);
    b = copy(); PATCH(b, frm_dir + offsetof(struct mt_section, offset), uint64_t, good_size + 8);
    emit("bad_section_offset.snap", b, good_size, "outside the payload area"); free(b);
    b = copy(); PATCH(b, frm_dir + offsetof(struct mt_section, offset), uint64_t,
                      frm.offset + 4);
    emit("bad_section_align.snap", b, good_size, "not 8-byte aligned"); free(b);
    b = copy(); PATCH(b, frm_dir + offsetof(struct mt_section, count), uint64_t, 1ull << 61);
    emit("bad_huge_count.snap", b, good_size, "extend past the end of the file"); free(b);
    b = copy(); PATCH(b, stk_dir + offsetof(struct mt_section, entry_size), uint32_t, 8);
    emit("bad_entry_size.snap", b, good_size, "entry size 8 (this reader needs at least"); free(b);
    b = copy(); memcpy(b + stk_dir, b + frm_dir, sizeof(struct mt_section));
    emit("bad_duplicate.snap", b, good_size, "duplicate frames section"); free(b);
    b = copy(); b[str.offset + str.count - 1] = 'x';
    emit("bad_strings_nul.snap", b, good_size, "string table must start and end"); free(b);
    b = copy(); PATCH(b, str_dir + offsetof(struct mt_section, kind), uint32_t, 77);
    emit("bad_no_strings.snap", b, good_size, "no string table"); free(b);
    b = copy(); PATCH(b, offsetof(struct mt_file_header, program), uint32_t,
                      (uint32_t)str.count);
    snprintf(msg, sizeof msg, "header: program: string offset %u out of range",
             (unsigned)str.count);
    emit("bad_string_header.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, mod.offset + offsetof(struct mt_module, path), uint32_t, 0xfffffff0u);
    emit("bad_string_module.snap", b, good_size, "module 0: string offset 4294967280"); free(b);
    b = copy(); PATCH(b, mod.offset + offsetof(struct mt_module, build_id_size), uint32_t, 33);
    emit("bad_build_id_size.snap", b, good_size, "build-id size 33"); free(b);

    /* Frames/stacks: find a Python frame and patch it. */
    size_t py = SIZE_MAX;
    for (size_t i = 0; i < frm.count; i++) {
        struct mt_frame fr;
        memcpy(&fr, good + frm.offset + i * frm.entry_size, sizeof fr);
        if (fr.kind == MT_FRAME_PYTHON) {
            py = i;
            break;
        }
    }
    if (py == SIZE_MAX)
        return 1;
    size_t pyoff = frm.offset + py * frm.entry_size;
    b = copy(); PATCH(b, pyoff + offsetof(struct mt_frame, addr), uint64_t,
                      (uint64_t)0x7fffffff << 32 | 1);
    snprintf(msg, sizeof msg, "Python frame (file) %zu: string offset 2147483647", py);
    emit("bad_string_python.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, pyoff + offsetof(struct mt_frame, addr), uint64_t, 0xfffffff0u);
    snprintf(msg, sizeof msg, "Python frame (function) %zu: string offset", py);
    emit("bad_string_python_fn.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, frm.offset + offsetof(struct mt_frame, kind), uint32_t, 7);
    emit("bad_frame_kind.snap", b, good_size, "frame 0: unknown frame kind 7"); free(b);
    b = copy(); PATCH(b, stk.offset + offsetof(struct mt_stack, first_frame), uint64_t,
                      frm.count);
    snprintf(msg, sizeof msg, "stack 0: frames %llu+2 outside the frame table",
             (unsigned long long)frm.count);
    emit("bad_frame_index.snap", b, good_size, msg); free(b);
    b = copy(); PATCH(b, stk.offset + offsetof(struct mt_stack, first_frame), uint64_t,
                      UINT64_MAX - 1);
    emit("bad_frame_overflow.snap", b, good_size, "outside the frame table"); free(b);
    b = copy(); PATCH(b, stk.offset + offsetof(struct mt_stack, frame_count), uint32_t,
                      0xffffffffu);
    emit("bad_frame_count.snap", b, good_size, "outside the frame table"); free(b);

    /* Good but extreme: every stack's counters at UINT64_MAX (sums saturate). */
    b = copy();
    for (size_t i = 0; i < stk.count; i++)
        for (size_t k = offsetof(struct mt_stack, alloc_count); k < sizeof(struct mt_stack); k += 8)
            PATCH(b, stk.offset + i * stk.entry_size + k, uint64_t, UINT64_MAX);
    emit("huge.snap", b, good_size, NULL); free(b);
    (void)h;
    free(good);
    if (argc >= 4) {
        good = read_file(argv[3], &good_size);
        if (!good)
            return 1;
        leak_variants();
        free(good);
    }
    if (argc >= 5) {
        good = read_file(argv[4], &good_size);
        if (!good)
            return 1;
        timeline_variants();
        free(good);
    }
    if (argc == 6) {
        good = read_file(argv[5], &good_size);
        if (!good)
            return 1;
        node_variants();
        free(good);
    }
    fclose(list);
    return 0;
}
