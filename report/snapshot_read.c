/* Snapshot loading and validation: the only code that touches raw file bytes.
 * Opens regular files only (O_NONBLOCK so a FIFO cannot hang us), reads the
 * whole file, and checks header, trailer, section directory, every record's
 * indexes and every string offset with overflow-safe arithmetic. Records are
 * copied (known prefix only) into aligned arrays so larger entries written by
 * newer writers are tolerated and nothing is read unaligned. */
#include "snapshot_read.h"
#include "snapshot_nodes.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mtrace snapshots are little-endian; this reader assumes a little-endian host"
#endif

/* docs/FORMAT.md documents these sizes; a change here is a format change.
 * The header grew from 168 bytes (leak scan fields appended, then the end
 * of the process, the allocator's figures, then the timeline's): every
 * size from 168 up loads, missing fields read 0. */
_Static_assert(sizeof(struct mt_file_header) == 264, "header layout");
_Static_assert(offsetof(struct mt_file_header, leak_scan) == SNAP_HEADER_MIN,
               "fields after the first version-1 header");
_Static_assert(sizeof(struct mt_section) == 24, "section layout");
_Static_assert(sizeof(struct mt_module) == 64, "module layout");
_Static_assert(sizeof(struct mt_frame) == 16, "frame layout");
_Static_assert(sizeof(struct mt_stack) == 64, "stack layout");
_Static_assert(sizeof(struct mt_node) == 24, "node layout");
_Static_assert(sizeof(struct mt_leak) == 72, "leak layout");
_Static_assert(sizeof(struct mt_tl_point) == 48, "timeline point layout");
_Static_assert(sizeof(struct mt_tl_label) == 32, "timeline label layout");

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *snap_reason_name(uint32_t reason)
{
    switch (reason) {
    case MT_REASON_EXIT: return "exit";
    case MT_REASON_SIGNAL: return "signal";
    case MT_REASON_TIMER: return "timer";
    case MT_REASON_API: return "api";
    case MT_REASON_PEAK: return "peak";
    case MT_REASON_EXIT_NOW: return "_exit";
    case MT_REASON_KILLED: return "killed";
    case MT_REASON_EXEC: return "exec";
    default: return "unknown";
    }
}

void snap_cause(const struct mt_file_header *h, char *buf, size_t len)
{
    const char *name = snap_reason_name(h->reason);
    bool with_status = h->header_size >= sizeof *h;
    if (h->reason == MT_REASON_KILLED && h->end_signal > 0 && h->end_signal < 65) {
        const char *abbrev = sigabbrev_np((int)h->end_signal);
        if (abbrev)
            snprintf(buf, len, "killed by SIG%s", abbrev);
        else
            snprintf(buf, len, "killed by signal %" PRIu32, h->end_signal);
    } else if (with_status && (h->reason == MT_REASON_EXIT || h->reason == MT_REASON_EXIT_NOW)) {
        snprintf(buf, len, "%s(%" PRId32 ")", name, h->end_status);
    } else if (h->reason == 0 && (h->flags & MT_HDR_RSS_ONLY)) {
        snprintf(buf, len, "ended");     /* not reaped by mtrace-reaper: how is not known */
    } else {
        snprintf(buf, len, "%s", name);
    }
}

const char *snap_leak_scan_name(uint32_t scan)
{
    switch (scan) {
    case MT_SCAN_NONE: return "none";
    case MT_SCAN_DONE: return "done";
    case MT_SCAN_PARTIAL: return "partial";
    default: return "unknown";
    }
}

const char *snap_leak_class_name(unsigned cls)
{
    static const char *const names[MT_LEAK_CLASSES] = {
        [MT_LEAK_DEFINITE] = "definite", [MT_LEAK_INDIRECT] = "indirect",
        [MT_LEAK_POSSIBLE] = "possible", [MT_LEAK_REACHABLE] = "reachable",
    };
    return cls < MT_LEAK_CLASSES ? names[cls] : "unknown";
}

const struct mt_leak *snap_stack_leak(const struct snap *s, size_t si)
{
    if (!s->leak_of_stack || si >= s->nstacks || s->leak_of_stack[si] == 0)
        return NULL;
    return &s->leaks[s->leak_of_stack[si] - 1];
}

bool snap_rss_only(const struct snap *s)
{
    return (s->hdr.flags & MT_HDR_RSS_ONLY) != 0;
}

const char *snap_str(const struct snap *s, uint64_t off)
{
    if (!s->strings || off >= s->strings_size)
        return "";
    return s->strings + off;
}

const char *snap_section_name(uint32_t kind)
{
    switch (kind) {
    case MT_SEC_STRINGS: return "strings";
    case MT_SEC_MODULES: return "modules";
    case MT_SEC_FRAMES: return "frames";
    case MT_SEC_STACKS: return "stacks";
    case MT_SEC_LEAKS: return "leaks";
    case MT_SEC_TIMELINE: return "timeline";
    case MT_SEC_LABELS: return "labels";
    case MT_SEC_NODES: return "nodes";
    default: return "unknown";
    }
}

/* Copy COUNT entries of ENTRY_SIZE bytes each (>= KNOWN) from SRC into a new
 * array of KNOWN-sized elements. */
static void *copy_records(const uint8_t *src, uint64_t count, uint64_t entry_size,
                          size_t known)
{
    uint8_t *dst = calloc(count ? count : 1, known);
    if (!dst)
        return NULL;
    for (uint64_t i = 0; i < count; i++)
        memcpy(dst + i * known, src + i * entry_size, known);
    return dst;
}

static int check_str(const struct snap *s, uint64_t off, const char *what, size_t idx,
                     char *err, size_t errlen)
{
    if (off < s->strings_size)
        return 0;
    if (idx == SIZE_MAX)
        set_err(err, errlen, "%s: string offset %" PRIu64
                " out of range (string table has %zu bytes)", what, off, s->strings_size);
    else
        set_err(err, errlen, "%s %zu: string offset %" PRIu64
                " out of range (string table has %zu bytes)", what, idx, off,
                s->strings_size);
    return -1;
}

int snap_check_frame(const struct snap *s, const struct mt_frame *f, bool node, size_t idx,
                     char *err, size_t errlen)
{
    if (f->kind == MT_FRAME_PYTHON)
        return check_str(s, f->addr >> 32, node ? "Python node (file)" : "Python frame (file)",
                         idx, err, errlen) ||
               check_str(s, f->addr & 0xffffffffu,
                         node ? "Python node (function)" : "Python frame (function)", idx,
                         err, errlen) ? -1 : 0;
    if (f->kind != MT_FRAME_NATIVE) {
        set_err(err, errlen, "%s %zu: unknown frame kind %" PRIu32, node ? "node" : "frame",
                idx, f->kind);
        return -1;
    }
    return 0;
}

/* The LEAKS section SEC (NULL: absent) of S, whose stacks are validated:
 * consistent with the header's leak_scan, every entry names a stack, and no
 * stack twice (a writer emits one entry per stack; a second one would make
 * the classes ambiguous, so it is an error rather than summed). */
static int parse_leaks(struct snap *s, const uint8_t *data, const struct mt_section *sec,
                       char *err, size_t errlen)
{
    const uint32_t scan = s->hdr.leak_scan;
    const uint64_t count = sec ? sec->count : 0;
    if (scan > MT_SCAN_PARTIAL) {
        set_err(err, errlen, "header: unknown leak scan status %" PRIu32, scan);
        return -1;
    }
    if (scan == MT_SCAN_NONE) {
        if (count) {
            set_err(err, errlen, "leaks section has %" PRIu64 " entries but the header"
                    " says the heap was not scanned", count);
            return -1;
        }
        return 0;
    }
    /* Scanned: a missing section means no block was live at the scan. */
    s->nleaks = count;
    s->leaks = copy_records(data + (sec ? sec->offset : 0), count,
                            sec ? sec->entry_size : 0, sizeof(struct mt_leak));
    s->leak_of_stack = calloc(s->nstacks ? s->nstacks : 1, sizeof *s->leak_of_stack);
    if (!s->leaks || !s->leak_of_stack) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->nleaks; i++) {
        uint64_t st = s->leaks[i].stack;
        if (st >= s->nstacks) {
            set_err(err, errlen, "leak entry %zu: stack %" PRIu64
                    " outside the stack table (%zu stacks)", i, st, s->nstacks);
            return -1;
        }
        if (s->leak_of_stack[st]) {
            set_err(err, errlen, "leak entry %zu: stack %" PRIu64
                    " already has leak entry %" PRIu32, i, st, s->leak_of_stack[st] - 1);
            return -1;
        }
        /* Fits: the file is at most 4 GiB, so fewer than 2^32 72-byte entries. */
        s->leak_of_stack[st] = (uint32_t)(i + 1);
    }
    return 0;
}

struct lab_ix {
    uint64_t time_ns;
    size_t index;
};

static int lab_cmp(const void *pa, const void *pb)
{
    const struct lab_ix *a = pa, *b = pb;
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* TIMELINE and LABELS (either may be absent). Hostile points are made
 * usable rather than rejected: a writer reads CLOCK_REALTIME, which may
 * step back while the program runs, and losing the whole snapshot to that
 * would be worse than a flat step in the plot. So a time before the
 * previous point's is read as the previous point's, max_bytes below
 * traced_bytes as traced_bytes, and a max_time_ns outside the point's
 * interval as the point's time. Labels need their text in the string
 * table; they are sorted by time (stable), as they may come from several
 * threads. */
static int parse_timeline(struct snap *s, const uint8_t *data, const struct mt_section *tl,
                          const struct mt_section *lb, char *err, size_t errlen)
{
    if (tl) {
        s->ntimeline = tl->count;
        s->timeline = copy_records(data + tl->offset, tl->count, tl->entry_size,
                                   sizeof(struct mt_tl_point));
        if (!s->timeline) {
            set_err(err, errlen, "out of memory");
            return -1;
        }
        uint64_t prev = 0;
        for (size_t i = 0; i < s->ntimeline; i++) {
            struct mt_tl_point *p = &s->timeline[i];
            if (p->time_ns < prev)
                p->time_ns = prev;
            if (p->max_bytes < p->traced_bytes)
                p->max_bytes = p->traced_bytes;
            if (p->max_time_ns > p->time_ns || p->max_time_ns < prev || p->max_time_ns == 0)
                p->max_time_ns = p->time_ns;
            prev = p->time_ns;
        }
    }
    if (!lb)
        return 0;
    s->nlabels = lb->count;
    s->labels = copy_records(data + lb->offset, lb->count, lb->entry_size,
                             sizeof(struct mt_tl_label));
    if (!s->labels) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->nlabels; i++)
        if (check_str(s, s->labels[i].text, "label", i, err, errlen))
            return -1;
    /* Stable: qsort on (time, original index), then permute. */
    struct lab_ix *ix = calloc(s->nlabels ? s->nlabels : 1, sizeof *ix);
    struct mt_tl_label *sorted = calloc(s->nlabels ? s->nlabels : 1, sizeof *sorted);
    if (!ix || !sorted) {
        free(ix);
        free(sorted);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < s->nlabels; i++)
        ix[i] = (struct lab_ix){s->labels[i].time_ns, i};
    qsort(ix, s->nlabels, sizeof *ix, lab_cmp);
    for (size_t i = 0; i < s->nlabels; i++)
        sorted[i] = s->labels[ix[i].index];
    free(s->labels);
    free(ix);
    s->labels = sorted;
    return 0;
}

int snap_parse(uint8_t *data, size_t size, struct snap *out, char *err, size_t errlen)
{
    struct snap s;
    memset(&s, 0, sizeof s);
    const struct mt_section *known[MT_SEC_NODES + 1] = {0};
    static const size_t known_size[MT_SEC_NODES + 1] = {
        0, 1, sizeof(struct mt_module), sizeof(struct mt_frame), sizeof(struct mt_stack),
        sizeof(struct mt_leak), sizeof(struct mt_tl_point), sizeof(struct mt_tl_label),
        sizeof(struct mt_node),
    };
    const size_t hmin = SNAP_HEADER_MIN;

    if (size == 0) {
        set_err(err, errlen, "empty file (not an mtrace snapshot)");
        return -1;
    }
    if (size < 8 || memcmp(data, MT_FILE_MAGIC, 8) != 0) {
        set_err(err, errlen, "not an mtrace snapshot");
        return -1;
    }
    if (size < 12) {
        set_err(err, errlen, "truncated at offset %zu (expected at least %zu bytes)",
                size, hmin);
        return -1;
    }
    uint32_t version;
    memcpy(&version, data + 8, 4);
    if (version != MT_FILE_VERSION) {
        set_err(err, errlen, "unsupported snapshot version %" PRIu32
                " (this mtrace-report reads %u)", version, MT_FILE_VERSION);
        return -1;
    }
    if (size < hmin) {
        uint64_t expect = hmin;
        if (size >= 24)
            memcpy(&expect, data + 16, 8);
        set_err(err, errlen, "truncated at offset %zu (expected %" PRIu64 " bytes)",
                size, expect);
        return -1;
    }
    memcpy(&s.hdr, data, hmin); /* the rest stays 0 for a 168-byte header */
    const struct mt_file_header *h = &s.hdr;
    if (h->file_size != size) {
        if (size < h->file_size)
            set_err(err, errlen, "truncated at offset %zu (expected %" PRIu64 " bytes)",
                    size, h->file_size);
        else
            set_err(err, errlen, "file has %zu bytes but its header says %" PRIu64,
                    size, h->file_size);
        return -1;
    }
    if (h->header_size < hmin || h->header_size % 8 != 0) {
        set_err(err, errlen, "invalid header size %" PRIu32
                " (expected a multiple of 8, at least %zu)", h->header_size, hmin);
        return -1;
    }
    if (size < 8 || h->header_size > size - 8) {
        set_err(err, errlen, "header size %" PRIu32 " exceeds the file (%zu bytes)",
                h->header_size, size);
        return -1;
    }
    if (h->header_size >= sizeof s.hdr)
        memcpy(&s.hdr, data, sizeof s.hdr);
    else if (h->header_size > hmin)
        memcpy(&s.hdr, data, h->header_size);
    if (memcmp(data + size - 8, MT_FILE_TRAILER, 8) != 0) {
        set_err(err, errlen, "missing trailer at offset %zu (file cut short or corrupt)",
                size - 8);
        return -1;
    }
    const uint64_t limit = size - 8; /* payloads end before the trailer */
    const uint64_t esz = h->section_entry_size;
    if (esz < sizeof(struct mt_section)) {
        set_err(err, errlen, "section entry size %" PRIu64 " is smaller than %zu",
                esz, sizeof(struct mt_section));
        return -1;
    }
    if (h->section_count > (limit - h->header_size) / esz) {
        set_err(err, errlen, "section directory (%" PRIu32 " entries of %" PRIu64
                " bytes at offset %" PRIu32 ") extends past the end of the file",
                h->section_count, esz, h->header_size);
        return -1;
    }
    const uint64_t dir_end = h->header_size + (uint64_t)h->section_count * esz;
    s.nsections = h->section_count;
    s.sections = copy_records(data + h->header_size, s.nsections, esz,
                              sizeof(struct mt_section));
    if (!s.sections) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s.nsections; i++) {
        const struct mt_section *sec = &s.sections[i];
        const char *kn = snap_section_name(sec->kind);
        if (sec->offset % 8 != 0) {
            set_err(err, errlen, "section %zu (%s): offset %" PRIu64
                    " is not 8-byte aligned", i, kn, sec->offset);
            goto fail;
        }
        if (sec->offset < dir_end || sec->offset > limit) {
            set_err(err, errlen, "section %zu (%s): offset %" PRIu64
                    " outside the payload area (%" PRIu64 "..%" PRIu64 ")", i, kn,
                    sec->offset, dir_end, limit);
            goto fail;
        }
        if (sec->entry_size == 0 ? sec->count != 0
                                 : sec->count > (limit - sec->offset) / sec->entry_size) {
            set_err(err, errlen, "section %zu (%s): %" PRIu64 " entries of %" PRIu32
                    " bytes at offset %" PRIu64 " extend past the end of the file",
                    i, kn, sec->count, sec->entry_size, sec->offset);
            goto fail;
        }
        if (sec->kind == 0 || sec->kind > MT_SEC_NODES)
            continue; /* unknown kind from a newer writer: skip it */
        if (known[sec->kind]) {
            set_err(err, errlen, "section %zu: duplicate %s section", i, kn);
            goto fail;
        }
        if (sec->kind == MT_SEC_STRINGS ? sec->entry_size != 1
                                        : sec->entry_size < known_size[sec->kind]) {
            set_err(err, errlen, "section %zu (%s): entry size %" PRIu32
                    " (this reader needs %s%zu)", i, kn, sec->entry_size,
                    sec->kind == MT_SEC_STRINGS ? "" : "at least ", known_size[sec->kind]);
            goto fail;
        }
        known[sec->kind] = sec;
    }

    const struct mt_section *str = known[MT_SEC_STRINGS];
    if (!str || str->count == 0) {
        set_err(err, errlen, "no string table");
        goto fail;
    }
    s.strings = (const char *)data + str->offset;
    s.strings_size = str->count;
    if (s.strings[0] != '\0' || s.strings[s.strings_size - 1] != '\0') {
        set_err(err, errlen, "string table must start and end with a NUL byte");
        goto fail;
    }

    const struct mt_section *nodes = known[MT_SEC_NODES];
    if (nodes && known[MT_SEC_FRAMES]) {
        set_err(err, errlen, "both a frames and a nodes section (a snapshot has one)");
        goto fail;
    }
    static const struct mt_section none = {0, 0, 0, 0};
    const struct mt_section *ms = known[MT_SEC_MODULES] ? known[MT_SEC_MODULES] : &none;
    const struct mt_section *fs = known[MT_SEC_FRAMES] ? known[MT_SEC_FRAMES] : &none;
    const struct mt_section *ss = known[MT_SEC_STACKS] ? known[MT_SEC_STACKS] : &none;
    s.nmodules = ms->count;
    s.nstacks = ss->count;
    s.modules = copy_records(data + ms->offset, ms->count, ms->entry_size,
                             sizeof(struct mt_module));
    s.stacks = copy_records(data + ss->offset, ss->count, ss->entry_size,
                            sizeof(struct mt_stack));
    if (!nodes) {                        /* NODES: frames come from the expansion */
        s.nframes = fs->count;
        s.frames = copy_records(data + fs->offset, fs->count, fs->entry_size,
                                sizeof(struct mt_frame));
    }
    if (!s.modules || (!nodes && !s.frames) || !s.stacks) {
        set_err(err, errlen, "out of memory");
        goto fail;
    }

    if (check_str(&s, h->program, "header: program", SIZE_MAX, err, errlen) ||
        check_str(&s, h->cmdline, "header: cmdline", SIZE_MAX, err, errlen) ||
        check_str(&s, h->replaced, "header: replaced", SIZE_MAX, err, errlen))
        goto fail;
    for (size_t i = 0; i < s.nmodules; i++) {
        const struct mt_module *m = &s.modules[i];
        if (check_str(&s, m->path, "module", i, err, errlen))
            goto fail;
        if (m->build_id_size > MT_BUILD_ID_MAX) {
            set_err(err, errlen, "module %zu: build-id size %" PRIu32 " exceeds %u", i,
                    m->build_id_size, MT_BUILD_ID_MAX);
            goto fail;
        }
        if (m->end < m->start) {
            set_err(err, errlen, "module %zu: end 0x%" PRIx64 " before start 0x%" PRIx64,
                    i, m->end, m->start);
            goto fail;
        }
    }
    if (nodes && snap_nodes_expand(&s, data, nodes, err, errlen))
        goto fail;
    for (size_t i = 0; !nodes && i < s.nframes; i++)
        if (snap_check_frame(&s, &s.frames[i], false, i, err, errlen))
            goto fail;
    for (size_t i = 0; !nodes && i < s.nstacks; i++) {
        const struct mt_stack *st = &s.stacks[i];
        if (st->first_frame > s.nframes || st->frame_count > s.nframes - st->first_frame) {
            set_err(err, errlen, "stack %zu: frames %" PRIu64 "+%" PRIu32
                    " outside the frame table (%zu frames)", i, st->first_frame,
                    st->frame_count, s.nframes);
            goto fail;
        }
    }
    if (parse_leaks(&s, data, known[MT_SEC_LEAKS], err, errlen) != 0 ||
        parse_timeline(&s, data, known[MT_SEC_TIMELINE], known[MT_SEC_LABELS], err,
                       errlen) != 0)
        goto fail;
    s.data = data;
    s.size = size;
    *out = s;
    return 0;
fail:
    free(s.sections);
    free(s.modules);
    free(s.frames);
    free(s.stacks);
    free(s.leaks);
    free(s.leak_of_stack);
    free(s.timeline);
    free(s.labels);
    return -1;
}

int snap_load(const char *path, struct snap *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        set_err(err, errlen, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s", S_ISDIR(st.st_mode) ? strerror(EISDIR)
                                                        : "not a regular file");
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > SNAP_MAX_FILE_SIZE) {
        set_err(err, errlen, "file too large (%lld bytes; the limit is 4 GiB)",
                (long long)st.st_size);
        close(fd);
        return -1;
    }
    size_t want = (size_t)st.st_size, got = 0;
    uint8_t *buf = malloc(want ? want : 1);
    if (!buf) {
        set_err(err, errlen, "out of memory reading %zu bytes", want);
        close(fd);
        return -1;
    }
    while (got < want) {
        ssize_t n = read(fd, buf + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "read error: %s", strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break; /* file shrank while we read: validation reports truncation */
        got += (size_t)n;
    }
    close(fd);
    if (snap_parse(buf, got, out, err, errlen) != 0) {
        free(buf);
        return -1;
    }
    out->path = strdup(path);
    if (!out->path) {
        snap_free(out);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void snap_free(struct snap *s)
{
    free(s->path);
    free(s->data);
    free(s->sections);
    free(s->modules);
    free(s->frames);
    free(s->stacks);
    free(s->leaks);
    free(s->leak_of_stack);
    free(s->timeline);
    free(s->labels);
    memset(s, 0, sizeof *s);
}
