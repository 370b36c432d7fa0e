/* Unit tests (cmocka) for report/snapshot_read.c: a snapshot built in memory
 * with snapwriter parses and reads back exactly; a newer writer's larger
 * header/records and unknown sections are tolerated, and so is the first
 * writers' 168-byte header (its leak fields read as 0); the LEAKS section
 * reads back per stack, TIMELINE and LABELS too (hostile points made
 * usable); NODES reads back as the same frames FRAMES would give, and its
 * corruptions (cycles, chains, indexes, too many frames) are rejected; each
 * corruption gives the exact one-line error.
 * Runs under ASan/UBSan with MTRACE_SANITIZE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "snapshot_read.h"
#include "snapwriter.h"

static uint8_t *build(size_t *size, int extended)
{
    struct sw w;
    sw_init(&w);
    w.hdr.pid = 77;
    w.hdr.program = sw_str(&w, "/bin/prog");
    w.hdr.current_bytes = 123;
    uint8_t bid[4] = {0xde, 0xad, 0xbe, 0xef};
    sw_module(&w, "/bin/prog", 0x1000, 0x2000, 0x1000, bid, 4);
    uint64_t f = sw_native(&w, 0x1234);
    sw_python(&w, "a.py", "fn", 3);
    sw_stack(&w, f, 2, 100, 2, 50, 1, 70, 1);
    if (extended) {
        w.hdr_extra = 24;
        w.rec_extra = 16;
        w.unknown_section = 1;
    }
    uint8_t *buf = sw_build(&w, size);
    sw_free(&w);
    return buf;
}

static void reads_back(void **state)
{
    (void)state;
    for (int ext = 0; ext < 2; ext++) {
        size_t size;
        uint8_t *buf = build(&size, ext);
        struct snap s;
        char err[256] = "";
        assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
        assert_int_equal(s.hdr.pid, 77);
        assert_int_equal(s.hdr.current_bytes, 123);
        assert_string_equal(snap_str(&s, s.hdr.program), "/bin/prog");
        assert_int_equal(s.nmodules, 1);
        assert_int_equal(s.modules[0].bias, 0x1000);
        assert_int_equal(s.modules[0].build_id[3], 0xef);
        assert_int_equal(s.nframes, 2);
        assert_int_equal(s.frames[0].addr, 0x1234);
        assert_int_equal(s.frames[1].kind, MT_FRAME_PYTHON);
        assert_string_equal(snap_str(&s, s.frames[1].addr >> 32), "a.py");
        assert_string_equal(snap_str(&s, s.frames[1].addr & 0xffffffffu), "fn");
        assert_int_equal(s.frames[1].line, 3);
        assert_int_equal(s.nstacks, 1);
        assert_int_equal(s.stacks[0].alloc_bytes, 100);
        assert_int_equal(s.stacks[0].peak_bytes, 70);
        assert_int_equal(s.nsections, ext ? 5 : 4);
        assert_string_equal(snap_str(&s, 1u << 30), ""); /* out of range reads "" */
        snap_free(&s);
    }
}

/* Parse a patched copy; expect failure with exactly WANT. */
static void expect_error(const uint8_t *buf, size_t size, const char *want)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, buf, size);
    struct snap s;
    char err[256] = "";
    assert_int_equal(snap_parse(copy, size, &s, err, sizeof err), -1);
    assert_string_equal(err, want);
    free(copy);
}

#define PATCH(buf, off, type, value) do { type v_ = (value); memcpy((buf) + (off), &v_, sizeof v_); } while (0)

static void rejects(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build(&size, 0);
    const size_t hs = sizeof(struct mt_file_header), ds = sizeof(struct mt_section);
    char want[256];
    struct mt_section frames, stacks, strings;
    memcpy(&strings, buf + hs, sizeof strings);
    memcpy(&frames, buf + hs + 2 * ds, sizeof frames);
    memcpy(&stacks, buf + hs + 3 * ds, sizeof stacks);

    expect_error(buf, 0, "empty file (not an mtrace snapshot)");
    expect_error(buf, 7, "not an mtrace snapshot");
    snprintf(want, sizeof want, "truncated at offset 9 (expected at least %u bytes)",
             SNAP_HEADER_MIN);
    expect_error(buf, 9, want);
    snprintf(want, sizeof want, "truncated at offset 40 (expected %zu bytes)", size);
    expect_error(buf, 40, want);
    snprintf(want, sizeof want, "truncated at offset %zu (expected %zu bytes)", size - 1, size);
    expect_error(buf, size - 1, want);

    uint8_t *b = malloc(size);
    memcpy(b, buf, size);
    PATCH(b, 8, uint32_t, 9);
    expect_error(b, size, "unsupported snapshot version 9 (this mtrace-report reads 1)");

    memcpy(b, buf, size);
    PATCH(b, hs + 2 * ds + offsetof(struct mt_section, offset), uint64_t, 3);
    expect_error(b, size, "section 2 (frames): offset 3 is not 8-byte aligned");

    memcpy(b, buf, size);
    PATCH(b, hs + 2 * ds + offsetof(struct mt_section, count), uint64_t, UINT64_MAX / 8);
    snprintf(want, sizeof want, "section 2 (frames): %llu entries of 16 bytes at offset %llu "
             "extend past the end of the file", (unsigned long long)(UINT64_MAX / 8),
             (unsigned long long)frames.offset);
    expect_error(b, size, want);

    memcpy(b, buf, size);
    PATCH(b, stacks.offset + offsetof(struct mt_stack, first_frame), uint64_t, 1);
    expect_error(b, size, "stack 0: frames 1+2 outside the frame table (2 frames)");

    memcpy(b, buf, size);
    PATCH(b, stacks.offset + offsetof(struct mt_stack, first_frame), uint64_t, UINT64_MAX);
    expect_error(b, size, "stack 0: frames 18446744073709551615+2 outside the frame table "
                          "(2 frames)");

    memcpy(b, buf, size);
    PATCH(b, frames.offset + 16 + offsetof(struct mt_frame, addr), uint64_t,
          (uint64_t)strings.count << 32);
    snprintf(want, sizeof want, "Python frame (file) 1: string offset %llu out of range "
             "(string table has %llu bytes)", (unsigned long long)strings.count,
             (unsigned long long)strings.count);
    expect_error(b, size, want);

    memcpy(b, buf, size);
    b[strings.offset] = 'x';
    expect_error(b, size, "string table must start and end with a NUL byte");

    memcpy(b, buf, size);
    PATCH(b, offsetof(struct mt_file_header, section_entry_size), uint32_t, 0);
    expect_error(b, size, "section entry size 0 is smaller than 24");
    free(b);
    free(buf);
}

/* Stacks 0..2; leak entries for stacks 2 and 0 (not in stack order). */
static uint8_t *build_leaks(size_t *size, int extended, uint32_t scan)
{
    struct sw w;
    sw_init(&w);
    w.hdr.pid = 88;
    uint64_t f = sw_native(&w, 0x1000);
    sw_stack(&w, f, 1, 100, 2, 100, 2, 100, 2);
    sw_stack(&w, f, 1, 10, 1, 0, 0, 10, 1);
    sw_stack(&w, f, 1, 300, 3, 300, 3, 300, 3);
    sw_leak_scan(&w, scan, 4, scan == MT_SCAN_PARTIAL ? 1 : 0, 9);
    static const uint64_t c2[4] = {1, 2, 0, 0}, b2[4] = {100, 200, 0, 0};
    static const uint64_t c0[4] = {0, 0, 1, 1}, b0[4] = {0, 0, 40, 60};
    sw_leak(&w, 2, c2, b2);
    sw_leak(&w, 0, c0, b0);
    if (extended) {
        w.hdr_extra = 8;
        w.rec_extra = 24;
        w.unknown_section = 1;
    }
    uint8_t *buf = sw_build(&w, size);
    sw_free(&w);
    return buf;
}

static void leaks_read_back(void **state)
{
    (void)state;
    for (int ext = 0; ext < 2; ext++) {
        size_t size;
        uint8_t *buf = build_leaks(&size, ext, MT_SCAN_DONE);
        struct snap s;
        char err[256] = "";
        assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
        assert_int_equal(s.hdr.header_size, sizeof(struct mt_file_header) + (ext ? 8 : 0));
        assert_int_equal(s.hdr.leak_scan, MT_SCAN_DONE);
        assert_int_equal(s.hdr.leak_threads, 4);
        assert_int_equal(s.hdr.leak_threads_missed, 0);
        assert_int_equal(s.hdr.leak_scan_ms, 9);
        assert_int_equal(s.nleaks, 2);
        const struct mt_leak *l = snap_stack_leak(&s, 2);
        assert_non_null(l);
        assert_int_equal(l->stack, 2);
        assert_int_equal(l->count[MT_LEAK_DEFINITE], 1);
        assert_int_equal(l->bytes[MT_LEAK_INDIRECT], 200);
        l = snap_stack_leak(&s, 0);
        assert_non_null(l);
        assert_int_equal(l->bytes[MT_LEAK_REACHABLE], 60);
        assert_null(snap_stack_leak(&s, 1));   /* nothing live: no entry */
        assert_null(snap_stack_leak(&s, 3));   /* out of range */
        assert_string_equal(snap_section_name(MT_SEC_LEAKS), "leaks");
        assert_string_equal(snap_leak_scan_name(s.hdr.leak_scan), "done");
        snap_free(&s);
    }
    /* A scan with no live block: no section at all. */
    struct sw w;
    sw_init(&w);
    sw_leak_scan(&w, MT_SCAN_PARTIAL, 1, 2, 3);
    size_t size;
    uint8_t *buf = sw_build(&w, &size);
    sw_free(&w);
    struct snap s;
    char err[256] = "";
    assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
    assert_int_equal(s.nleaks, 0);
    assert_int_equal(s.hdr.leak_threads_missed, 2);
    assert_string_equal(snap_leak_scan_name(s.hdr.leak_scan), "partial");
    snap_free(&s);
}

/* The first writers' header: 168 bytes, no leak fields, no LEAKS section. */
static void old_header(void **state)
{
    (void)state;
    struct sw w;
    sw_init(&w);
    w.v1_header = 1;
    w.hdr.pid = 5;
    w.hdr.peak_rss_bytes = 4096;
    sw_leak_scan(&w, MT_SCAN_DONE, 7, 7, 7); /* not written: outside the old header */
    uint64_t f = sw_native(&w, 0x1000);
    sw_stack(&w, f, 1, 1, 1, 1, 1, 1, 1);
    for (int extra = 0; extra < 2; extra++) {
        w.hdr_extra = extra ? 8 : 0; /* 176: half of the new fields */
        size_t size;
        uint8_t *buf = sw_build(&w, &size);
        struct snap s;
        char err[256] = "";
        assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
        assert_int_equal(s.hdr.header_size, 168 + (extra ? 8 : 0));
        assert_int_equal(s.hdr.pid, 5);
        assert_int_equal(s.hdr.peak_rss_bytes, 4096);
        assert_int_equal(s.hdr.leak_scan, MT_SCAN_NONE);
        assert_int_equal(s.hdr.leak_threads, 0);
        assert_int_equal(s.hdr.leak_scan_ms, 0);
        assert_null(s.leaks);
        assert_null(snap_stack_leak(&s, 0));
        snap_free(&s);
    }
    sw_free(&w);
}

static void leaks_rejects(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build_leaks(&size, 0, MT_SCAN_DONE);
    const size_t hs = sizeof(struct mt_file_header), ds = sizeof(struct mt_section);
    struct mt_section lk, mods;
    memcpy(&mods, buf + hs + 1 * ds, sizeof mods);
    memcpy(&lk, buf + hs + 4 * ds, sizeof lk);
    assert_int_equal(lk.kind, MT_SEC_LEAKS);
    uint8_t *b = malloc(size);
    char want[256];

    memcpy(b, buf, size);
    PATCH(b, lk.offset + offsetof(struct mt_leak, stack), uint64_t, 3);
    expect_error(b, size, "leak entry 0: stack 3 outside the stack table (3 stacks)");

    memcpy(b, buf, size);
    PATCH(b, lk.offset + 72 + offsetof(struct mt_leak, stack), uint64_t, 2);
    expect_error(b, size, "leak entry 1: stack 2 already has leak entry 0");

    memcpy(b, buf, size);
    PATCH(b, hs + 4 * ds + offsetof(struct mt_section, entry_size), uint32_t, 71);
    expect_error(b, size, "section 4 (leaks): entry size 71 (this reader needs at least 72)");

    memcpy(b, buf, size);
    memcpy(b + hs + 1 * ds, &lk, sizeof lk);
    expect_error(b, size, "section 4: duplicate leaks section");

    memcpy(b, buf, size);
    PATCH(b, hs + 4 * ds + offsetof(struct mt_section, count), uint64_t, UINT64_MAX / 64);
    snprintf(want, sizeof want, "section 4 (leaks): %llu entries of 72 bytes at offset %llu "
             "extend past the end of the file", (unsigned long long)(UINT64_MAX / 64),
             (unsigned long long)lk.offset);
    expect_error(b, size, want);

    memcpy(b, buf, size);
    PATCH(b, offsetof(struct mt_file_header, leak_scan), uint32_t, 3);
    expect_error(b, size, "header: unknown leak scan status 3");

    memcpy(b, buf, size);
    PATCH(b, offsetof(struct mt_file_header, leak_scan), uint32_t, MT_SCAN_NONE);
    expect_error(b, size, "leaks section has 2 entries but the header says the heap was "
                          "not scanned");

    /* Header sizes between the old and the new one, and below the old. */
    memcpy(b, buf, size);
    PATCH(b, offsetof(struct mt_file_header, header_size), uint32_t, 160);
    expect_error(b, size, "invalid header size 160 (expected a multiple of 8, at least 168)");
    free(b);
    free(buf);
}


/* TIMELINE and LABELS: read back, with hostile points made usable (times
 * non-decreasing, max >= traced, max_time inside the point's interval) and
 * labels sorted by time; the header's timeline fields. */
static uint8_t *build_timeline(size_t *size, size_t rec_extra, size_t header_size)
{
    struct sw w;
    sw_init(&w);
    w.hdr.pid = 9;
    w.hdr.flags = MT_HDR_RSS_ONLY;
    w.hdr.peak_allocs = 42;
    w.hdr.sample_bytes = 4096;
    w.hdr.timeline_ms = 100;
    w.rec_extra = rec_extra;
    w.header_size = header_size;
    sw_point(&w, 100, 10, 12, 90, 1000, 1);
    sw_point(&w, 300, 20, 25, 250, 2000, 2);
    sw_point(&w, 200, 30, 5, 0, 3000, 3);        /* back in time, max < traced */
    sw_point(&w, 400, 40, 40, 900, 4000, 4);     /* max_time after the point */
    sw_label(&w, 350, 3, 30, "late");
    sw_label(&w, 150, 1, 10, "early");
    sw_label(&w, 350, 3, 30, "late too");
    uint8_t *buf = sw_build(&w, size);
    sw_free(&w);
    return buf;
}

static void timeline_read_back(void **state)
{
    (void)state;
    for (int ext = 0; ext < 2; ext++) {
        size_t size;
        uint8_t *buf = build_timeline(&size, ext ? 8 : 0, 0);
        struct snap s;
        char err[256] = "";
        assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
        assert_true(snap_rss_only(&s));
        assert_int_equal(s.hdr.peak_allocs, 42);
        assert_int_equal(s.hdr.sample_bytes, 4096);
        assert_int_equal(s.hdr.timeline_ms, 100);
        assert_int_equal(s.ntimeline, 4);
        static const uint64_t t[4] = {100, 300, 300, 400}, mx[4] = {12, 25, 30, 40},
                              mt[4] = {90, 250, 300, 400}, rss[4] = {1000, 2000, 3000, 4000};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(s.timeline[i].time_ns, t[i]);
            assert_int_equal(s.timeline[i].max_bytes, mx[i]);
            assert_int_equal(s.timeline[i].max_time_ns, mt[i]);
            assert_int_equal(s.timeline[i].rss_bytes, rss[i]);
            assert_int_equal(s.timeline[i].allocs, (uint64_t)i + 1);
        }
        assert_int_equal(s.nlabels, 3);
        assert_string_equal(snap_str(&s, s.labels[0].text), "early");
        assert_string_equal(snap_str(&s, s.labels[1].text), "late");     /* stable */
        assert_string_equal(snap_str(&s, s.labels[2].text), "late too");
        assert_int_equal(s.labels[1].allocs, 3);
        assert_int_equal(s.labels[1].traced_bytes, 30);
        char cause[64];
        snap_cause(&s.hdr, cause, sizeof cause);
        assert_string_equal(cause, "ended");  /* reason 0 of an --rss-only file */
        snap_free(&s);
    }
    /* Older headers: the timeline fields read as 0 (248: only peak_allocs). */
    for (size_t hs = 240; hs <= 248; hs += 8) {
        size_t size;
        uint8_t *buf = build_timeline(&size, 0, hs);
        struct snap s;
        char err[256] = "";
        assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
        assert_int_equal(s.hdr.header_size, hs);
        assert_int_equal(s.hdr.peak_allocs, hs == 248 ? 42 : 0);
        assert_int_equal(s.hdr.sample_bytes, 0);
        assert_int_equal(s.hdr.timeline_ms, 0);
        assert_int_equal(s.ntimeline, 4);
        snap_free(&s);
    }
}

static void timeline_rejects(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build_timeline(&size, 0, 0);
    const size_t hs = sizeof(struct mt_file_header), ds = sizeof(struct mt_section);
    struct mt_section str, tl, lb;
    memcpy(&str, buf + hs, sizeof str);
    memcpy(&tl, buf + hs + 4 * ds, sizeof tl);
    memcpy(&lb, buf + hs + 5 * ds, sizeof lb);
    assert_int_equal(tl.kind, MT_SEC_TIMELINE);
    assert_int_equal(lb.kind, MT_SEC_LABELS);
    uint8_t *b = malloc(size);
    char want[256];

    memcpy(b, buf, size);
    PATCH(b, lb.offset + 32 + offsetof(struct mt_tl_label, text), uint32_t, (uint32_t)str.count);
    snprintf(want, sizeof want, "label 1: string offset %llu out of range (string table has "
             "%llu bytes)", (unsigned long long)str.count, (unsigned long long)str.count);
    expect_error(b, size, want);

    memcpy(b, buf, size);
    PATCH(b, hs + 4 * ds + offsetof(struct mt_section, entry_size), uint32_t, 47);
    expect_error(b, size, "section 4 (timeline): entry size 47 (this reader needs at least 48)");

    memcpy(b, buf, size);
    PATCH(b, hs + 5 * ds + offsetof(struct mt_section, entry_size), uint32_t, 31);
    expect_error(b, size, "section 5 (labels): entry size 31 (this reader needs at least 32)");

    memcpy(b, buf, size);
    memcpy(b + hs + 5 * ds, &tl, sizeof tl);
    expect_error(b, size, "section 5: duplicate timeline section");

    memcpy(b, buf, size);
    PATCH(b, hs + 4 * ds + offsetof(struct mt_section, count), uint64_t, UINT64_MAX / 40);
    snprintf(want, sizeof want, "section 4 (timeline): %llu entries of 48 bytes at offset %llu "
             "extend past the end of the file", (unsigned long long)(UINT64_MAX / 40),
             (unsigned long long)tl.offset);
    expect_error(b, size, want);

    memcpy(b, buf, size);
    PATCH(b, hs + 5 * ds + offsetof(struct mt_section, offset), uint64_t, lb.offset + 4);
    snprintf(want, sizeof want, "section 5 (labels): offset %llu is not 8-byte aligned",
             (unsigned long long)lb.offset + 4);
    expect_error(b, size, want);
    free(b);
    free(buf);
}

/* Stacks sharing outer frames, one the outer part of another, one with no
 * frames, a Python frame: written in either layout. */
static uint8_t *build_tree(size_t *size, int nodes, size_t rec_extra)
{
    struct sw w;
    sw_init(&w);
    w.nodes = nodes;
    w.rec_extra = rec_extra;
    sw_native(&w, 0x100);                              /* not used */
    uint64_t a = sw_native(&w, 0x200);
    sw_native(&w, 0x210);
    sw_python(&w, "a.py", "fn", 3);
    sw_native(&w, 0x100);
    uint64_t b = sw_native(&w, 0x300);
    sw_python(&w, "a.py", "fn", 3);
    sw_native(&w, 0x100);
    sw_stack(&w, a, 4, 10, 1, 0, 0, 0, 0);            /* 0x200 0x210 fn 0x100 */
    sw_stack(&w, b, 3, 20, 2, 0, 0, 0, 0);            /* 0x300 fn 0x100 */
    sw_stack(&w, a + 1, 3, 30, 3, 0, 0, 0, 0);        /* 0x210 fn 0x100: inside stack 0 */
    sw_stack(&w, 0, 0, 40, 4, 0, 0, 0, 0);            /* no frames */
    sw_stack(&w, a + 3, 1, 50, 5, 0, 0, 0, 0);        /* 0x100 */
    uint8_t *buf = sw_build(&w, size);
    sw_free(&w);
    return buf;
}

static void nodes_read_back(void **state)
{
    (void)state;
    size_t fsize, nsize;
    uint8_t *fbuf = build_tree(&fsize, 0, 0);
    struct snap f;
    char err[256] = "";
    assert_int_equal(snap_parse(fbuf, fsize, &f, err, sizeof err), 0);
    for (size_t extra = 0; extra <= 8; extra += 8) {
        uint8_t *nbuf = build_tree(&nsize, 1, extra);
        struct snap n;
        assert_int_equal(snap_parse(nbuf, nsize, &n, err, sizeof err), 0);
        assert_true(n.hdr.flags & MT_HDR_NODES);
        assert_int_equal(n.sections[2].kind, MT_SEC_NODES);
        /* 0x100 fn 0x210 0x200, fn 0x300 (sw_python's strings are new: another fn) */
        assert_int_equal(n.sections[2].count, 6);
        assert_int_equal(n.nstacks, 5);
        assert_int_equal(n.nframes, 4 + 3 + 3 + 0 + 1);
        for (size_t i = 0; i < n.nstacks; i++) {
            const struct mt_stack *a = &f.stacks[i], *b = &n.stacks[i];
            assert_int_equal(a->frame_count, b->frame_count);
            assert_int_equal(a->alloc_bytes, b->alloc_bytes);
            assert_true(b->first_frame + b->frame_count <= n.nframes);
            for (uint32_t k = 0; k < a->frame_count; k++) {
                const struct mt_frame *x = &f.frames[a->first_frame + k];
                const struct mt_frame *y = &n.frames[b->first_frame + k];
                assert_int_equal(x->addr, y->addr);
                assert_int_equal(x->kind, y->kind);
                assert_int_equal(x->line, y->line);
            }
        }
        snap_free(&n);
    }
    snap_free(&f);
}

/* One stack of DEPTH distinct frames and EXTRA stacks of one frame. */
static uint8_t *build_deep(size_t *size, uint32_t depth, uint32_t extra)
{
    struct sw w;
    sw_init(&w);
    w.nodes = 1;
    for (uint32_t i = 0; i < depth; i++)
        sw_native(&w, 0x1000 + i);
    sw_stack(&w, 0, depth, 1, 1, 0, 0, 0, 0);
    for (uint32_t i = 0; i < extra; i++)
        sw_stack(&w, depth - 1, 1, 1, 1, 0, 0, 0, 0);
    uint8_t *buf = sw_build(&w, size);
    sw_free(&w);
    return buf;
}

static void nodes_rejects(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build_tree(&size, 1, 0);
    const size_t hs = sizeof(struct mt_file_header), ds = sizeof(struct mt_section);
    struct mt_section ns, st;
    memcpy(&ns, buf + hs + 2 * ds, sizeof ns);
    memcpy(&st, buf + hs + 3 * ds, sizeof st);
    assert_int_equal(ns.kind, MT_SEC_NODES);
    uint8_t *b = malloc(size);
    const size_t parent = offsetof(struct mt_node, parent);
    const size_t n1 = ns.offset + ns.entry_size;      /* node 1: its parent is node 0 */

    memcpy(b, buf, size);
    PATCH(b, n1 + parent, uint32_t, 1);
    expect_error(b, size, "node 1: parent 1 is not an earlier node");
    memcpy(b, buf, size);
    PATCH(b, n1 + parent, uint32_t, 5);
    expect_error(b, size, "node 1: parent 5 is not an earlier node");
    memcpy(b, buf, size);
    PATCH(b, ns.offset + parent, uint32_t, 1);       /* 0 -> 1 -> 0 */
    expect_error(b, size, "node 0: parent 1 is not an earlier node");

    memcpy(b, buf, size);
    PATCH(b, st.offset + offsetof(struct mt_stack, frame_count), uint32_t, 5);
    expect_error(b, size, "stack 0: 5 frames but node 3 begins a chain of 4");
    memcpy(b, buf, size);
    PATCH(b, st.offset + offsetof(struct mt_stack, frame_count), uint32_t, 3);
    expect_error(b, size, "stack 0: 3 frames but node 3 begins a chain of 4");
    memcpy(b, buf, size);
    PATCH(b, st.offset + offsetof(struct mt_stack, first_frame), uint64_t, 6);
    expect_error(b, size, "stack 0: node 6 outside the node table (6 nodes)");
    memcpy(b, buf, size);
    PATCH(b, ns.offset + offsetof(struct mt_node, kind), uint32_t, 2);
    expect_error(b, size, "node 0: unknown frame kind 2");
    memcpy(b, buf, size);
    PATCH(b, hs + ds + offsetof(struct mt_section, kind), uint32_t, MT_SEC_FRAMES);
    expect_error(b, size, "both a frames and a nodes section (a snapshot has one)");
    free(b);
    free(buf);

    /* The expansion's bound: 256 frames a stack on average. */
    char err[256];
    struct snap s;
    buf = build_deep(&size, 300, 0);
    expect_error(buf, size, "300 frames in 1 stack(s): more than this reader expands (256 a "
                            "stack on average, 268435456 in all)");
    free(buf);
    buf = build_deep(&size, 300, 1);                 /* 301 frames in 2 stacks: fine */
    assert_int_equal(snap_parse(buf, size, &s, err, sizeof err), 0);
    assert_int_equal(s.nframes, 301);
    assert_int_equal(s.frames[s.stacks[1].first_frame].addr, 0x1000 + 299);
    snap_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_back),
        cmocka_unit_test(rejects),
        cmocka_unit_test(leaks_read_back),
        cmocka_unit_test(old_header),
        cmocka_unit_test(leaks_rejects),
        cmocka_unit_test(timeline_read_back),
        cmocka_unit_test(timeline_rejects),
        cmocka_unit_test(nodes_read_back),
        cmocka_unit_test(nodes_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
