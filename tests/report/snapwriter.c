/* Test-only snapshot builder (see snapwriter.h). Layout: header, section
 * directory, then strings, modules, frames (or nodes), stacks, leaks, timeline, labels,
 * each 8-byte aligned, then the trailer -- the layout drawn in format.h. */
#include "snapwriter.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *grow(void *p, size_t n, size_t size)
{
    void *q = realloc(p, (n + 1) * size);
    if (!q) {
        perror("realloc");
        exit(99);
    }
    return q;
}

void sw_init(struct sw *w)
{
    memset(w, 0, sizeof *w);
    memcpy(w->hdr.magic, MT_FILE_MAGIC, 8);
    w->hdr.version = MT_FILE_VERSION;
    sw_str(w, ""); /* offset 0: the empty string */
}

void sw_free(struct sw *w)
{
    free(w->str);
    free(w->mods);
    free(w->frames);
    free(w->stacks);
    free(w->leaks);
    free(w->points);
    free(w->labels);
}

uint32_t sw_str(struct sw *w, const char *s)
{
    size_t len = strlen(s) + 1;
    if (w->nstr + len > w->capstr) {
        w->capstr = (w->nstr + len) * 2;
        w->str = realloc(w->str, w->capstr);
        if (!w->str)
            exit(99);
    }
    uint32_t off = (uint32_t)w->nstr;
    memcpy(w->str + w->nstr, s, len);
    w->nstr += len;
    return off;
}

void sw_module(struct sw *w, const char *path, uint64_t start, uint64_t end, uint64_t bias,
               const uint8_t *build_id, uint32_t build_id_size)
{
    w->mods = grow(w->mods, w->nmods, sizeof *w->mods);
    struct mt_module *m = &w->mods[w->nmods++];
    memset(m, 0, sizeof *m);
    m->start = start;
    m->end = end;
    m->bias = bias;
    m->path = sw_str(w, path);
    m->build_id_size = build_id_size;
    if (build_id_size)
        memcpy(m->build_id, build_id, build_id_size);
}

uint64_t sw_native(struct sw *w, uint64_t addr)
{
    w->frames = grow(w->frames, w->nframes, sizeof *w->frames);
    w->frames[w->nframes] = (struct mt_frame){addr, MT_FRAME_NATIVE, 0};
    return w->nframes++;
}

uint64_t sw_python(struct sw *w, const char *file, const char *func, uint32_t line)
{
    uint64_t f = sw_str(w, file), fn = sw_str(w, func);
    w->frames = grow(w->frames, w->nframes, sizeof *w->frames);
    w->frames[w->nframes] = (struct mt_frame){f << 32 | fn, MT_FRAME_PYTHON, line};
    return w->nframes++;
}

void sw_stack(struct sw *w, uint64_t first, uint32_t count, uint64_t ab, uint64_t ac,
              uint64_t lb, uint64_t lc, uint64_t pb, uint64_t pc)
{
    w->stacks = grow(w->stacks, w->nstacks, sizeof *w->stacks);
    w->stacks[w->nstacks++] = (struct mt_stack){first, count, 0, ac, ab, lc, lb, pc, pb};
}

void sw_leak_scan(struct sw *w, uint32_t status, uint32_t threads, uint32_t missed,
                  uint32_t ms)
{
    w->hdr.leak_scan = status;
    w->hdr.leak_threads = threads;
    w->hdr.leak_threads_missed = missed;
    w->hdr.leak_scan_ms = ms;
}

void sw_leak(struct sw *w, uint64_t stack, const uint64_t count[MT_LEAK_CLASSES],
             const uint64_t bytes[MT_LEAK_CLASSES])
{
    w->leaks = grow(w->leaks, w->nleaks, sizeof *w->leaks);
    struct mt_leak *l = &w->leaks[w->nleaks++];
    l->stack = stack;
    memcpy(l->count, count, sizeof l->count);
    memcpy(l->bytes, bytes, sizeof l->bytes);
}

void sw_point(struct sw *w, uint64_t time_ns, uint64_t traced, uint64_t max,
              uint64_t max_time_ns, uint64_t rss, uint64_t allocs)
{
    w->points = grow(w->points, w->npoints, sizeof *w->points);
    w->points[w->npoints++] = (struct mt_tl_point){time_ns, traced, max, max_time_ns, rss,
                                                   allocs};
}

void sw_label(struct sw *w, uint64_t time_ns, uint64_t allocs, uint64_t traced,
              const char *text)
{
    uint32_t t = sw_str(w, text);
    w->labels = grow(w->labels, w->nlabels, sizeof *w->labels);
    w->labels[w->nlabels++] = (struct mt_tl_label){time_ns, allocs, traced, t, 0};
}

/* Quadratic, as test data is small: a node is found by parent and frame. */
size_t sw_nodes(const struct sw *w, struct mt_node **nodes, struct mt_stack **stacks)
{
    struct mt_node *nd = calloc(w->nframes + 1, sizeof *nd);
    struct mt_stack *st = calloc(w->nstacks + 1, sizeof *st);
    if (!nd || !st)
        exit(99);
    size_t n = 0;
    for (size_t i = 0; i < w->nstacks; i++) {
        st[i] = w->stacks[i];
        uint32_t parent = UINT32_MAX;
        for (uint32_t k = st[i].frame_count; k-- > 0;) {
            const struct mt_frame *f = &w->frames[st[i].first_frame + k];
            size_t j = 0;
            while (j < n && !(nd[j].parent == parent && nd[j].addr == f->addr &&
                              nd[j].kind == f->kind && nd[j].line == f->line))
                j++;
            if (j == n) {
                nd = grow(nd, n, sizeof *nd);
                nd[n++] = (struct mt_node){f->addr, f->kind, f->line, parent, 0};
            }
            parent = (uint32_t)j;
        }
        st[i].first_frame = parent;
    }
    *nodes = nd;
    *stacks = st;
    return n;
}

static size_t align8(size_t x)
{
    return (x + 7) & ~(size_t)7;
}

uint8_t *sw_build(struct sw *w, size_t *size)
{
    const int leaks = !w->v1_header && (w->hdr.leak_scan || w->nleaks);
    const size_t known_hdr = w->v1_header     ? 168
                             : w->header_size ? w->header_size
                                              : sizeof(struct mt_file_header);
    const size_t hsz = known_hdr + w->hdr_extra;
    const size_t dsz = sizeof(struct mt_section) + w->rec_extra;
    const size_t msz = sizeof(struct mt_module) + w->rec_extra;
    struct mt_node *nodes = NULL;
    struct mt_stack *stacks = w->stacks;
    const size_t nnodes = w->nodes ? sw_nodes(w, &nodes, &stacks) : 0;
    const size_t fsz = (w->nodes ? sizeof(struct mt_node) : sizeof(struct mt_frame)) +
                       w->rec_extra;
    const size_t nfr = w->nodes ? nnodes : w->nframes;
    const size_t ssz = sizeof(struct mt_stack) + w->rec_extra;
    const size_t lsz = sizeof(struct mt_leak) + w->rec_extra;
    const size_t psz = sizeof(struct mt_tl_point) + w->rec_extra;
    const size_t labsz = sizeof(struct mt_tl_label) + w->rec_extra;
    /* strings, modules, frames, stacks, then leaks, timeline, labels and the
     * unknown one if any */
    struct mt_section sec[8] = {
        {MT_SEC_STRINGS, 1, 0, w->nstr},
        {MT_SEC_MODULES, (uint32_t)msz, 0, w->nmods},
        {w->nodes ? MT_SEC_NODES : MT_SEC_FRAMES, (uint32_t)fsz, 0, nfr},
        {MT_SEC_STACKS, (uint32_t)ssz, 0, w->nstacks},
    };
    size_t bytes[8] = {w->nstr, msz * w->nmods, fsz * nfr, ssz * w->nstacks};
    size_t nsec = 4, leak_sec = 0, tl_sec = 0, lab_sec = 0;
    if (leaks) {
        leak_sec = nsec;
        sec[nsec] = (struct mt_section){MT_SEC_LEAKS, (uint32_t)lsz, 0, w->nleaks};
        bytes[nsec++] = lsz * w->nleaks;
    }
    if (w->npoints) {
        tl_sec = nsec;
        sec[nsec] = (struct mt_section){MT_SEC_TIMELINE, (uint32_t)psz, 0, w->npoints};
        bytes[nsec++] = psz * w->npoints;
    }
    if (w->nlabels) {
        lab_sec = nsec;
        sec[nsec] = (struct mt_section){MT_SEC_LABELS, (uint32_t)labsz, 0, w->nlabels};
        bytes[nsec++] = labsz * w->nlabels;
    }
    if (w->unknown_section) {
        sec[nsec] = (struct mt_section){1000, 16, 0, 0};
        bytes[nsec++] = 0;
    }
    size_t off = align8(hsz + nsec * dsz);
    for (size_t i = 0; i < nsec; i++) {
        sec[i].offset = off;
        off = align8(off + bytes[i]);
    }
    size_t total = off + 8;
    uint8_t *buf = calloc(1, total);
    if (!buf)
        exit(99);
    struct mt_file_header h = w->hdr;
    h.header_size = (uint32_t)hsz;
    h.file_size = total;
    h.section_count = (uint32_t)nsec;
    h.section_entry_size = (uint32_t)dsz;
    if (w->nodes)
        h.flags |= MT_HDR_NODES;
    memcpy(buf, &h, known_hdr);
    for (size_t i = 0; i < nsec; i++)
        memcpy(buf + hsz + i * dsz, &sec[i], sizeof sec[i]);
    memcpy(buf + sec[0].offset, w->str, w->nstr);
    for (size_t i = 0; i < w->nmods; i++)
        memcpy(buf + sec[1].offset + i * msz, &w->mods[i], sizeof w->mods[i]);
    for (size_t i = 0; !w->nodes && i < w->nframes; i++)
        memcpy(buf + sec[2].offset + i * fsz, &w->frames[i], sizeof w->frames[i]);
    for (size_t i = 0; i < nnodes; i++)
        memcpy(buf + sec[2].offset + i * fsz, &nodes[i], sizeof nodes[i]);
    for (size_t i = 0; i < w->nstacks; i++)
        memcpy(buf + sec[3].offset + i * ssz, &stacks[i], sizeof stacks[i]);
    if (w->nodes) {
        free(nodes);
        free(stacks);
    }
    for (size_t i = 0; leaks && i < w->nleaks; i++)
        memcpy(buf + sec[leak_sec].offset + i * lsz, &w->leaks[i], sizeof w->leaks[i]);
    for (size_t i = 0; i < w->npoints; i++)
        memcpy(buf + sec[tl_sec].offset + i * psz, &w->points[i], sizeof w->points[i]);
    for (size_t i = 0; i < w->nlabels; i++)
        memcpy(buf + sec[lab_sec].offset + i * labsz, &w->labels[i], sizeof w->labels[i]);
    memcpy(buf + total - 8, MT_FILE_TRAILER, 8);
    *size = total;
    return buf;
}

int sw_write(struct sw *w, const char *path)
{
    size_t size;
    uint8_t *buf = sw_build(w, &size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        rc = write(fd, buf, size) == (ssize_t)size ? 0 : -1;
        close(fd);
    }
    free(buf);
    if (rc)
        perror(path);
    return rc;
}
