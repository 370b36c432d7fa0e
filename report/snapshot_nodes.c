/* The NODES section (format.h, struct mt_node): the stacks' frames as a
 * prefix tree. Validated fully, then expanded once into the flat frames
 * array every other part of the reporter reads, so a NODES snapshot and a
 * FRAMES one load into the same struct snap.
 *
 * Hostile input: every parent must be an earlier node (so no cycle, no
 * forward reference, and depths come out in one pass), and every stack's
 * frame_count must equal its innermost node's depth. The expansion is
 * bounded, so a small file cannot make the reader allocate gigabytes: at
 * most SNAP_NODES_MEAN_DEPTH frames a stack on average and SNAP_MAX_FRAMES
 * in all (docs/FORMAT.md). Expanding copies a node's chain from where an
 * earlier stack already expanded it, so the work is a memcpy per stack
 * plus one step per node. */
#include "snapshot_nodes.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Entries may be larger than struct mt_node (a newer writer) and are read
 * by memcpy: nothing is read unaligned. */
static inline struct mt_node node_at(const uint8_t *base, size_t esz, size_t i)
{
    struct mt_node n;
    memcpy(&n, base + i * esz, sizeof n);
    return n;
}

/* Each node's depth (frames from it to its outermost); -1 on a bad node. */
static int node_depths(const struct snap *s, const uint8_t *base, size_t esz, size_t count,
                       uint32_t *depth, char *err, size_t errlen)
{
    for (size_t i = 0; i < count; i++) {
        struct mt_node n = node_at(base, esz, i);
        if (n.parent != NONE && n.parent >= i) {
            set_err(err, errlen, "node %zu: parent %" PRIu32 " is not an earlier node", i,
                    n.parent);
            return -1;
        }
        struct mt_frame f = {n.addr, n.kind, n.line};
        if (snap_check_frame(s, &f, true, i, err, errlen))
            return -1;
        depth[i] = n.parent == NONE ? 1 : depth[n.parent] + 1;
    }
    return 0;
}

/* Every stack names a node whose depth is its frame count; the total. */
static int check_stacks(const struct snap *s, size_t count, const uint32_t *depth,
                        uint64_t *total, char *err, size_t errlen)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s->nstacks; i++) {
        const struct mt_stack *st = &s->stacks[i];
        if (st->frame_count == 0)
            continue;                    /* first_frame is not read */
        if (st->first_frame >= count) {
            set_err(err, errlen, "stack %zu: node %" PRIu64 " outside the node table"
                    " (%zu nodes)", i, st->first_frame, count);
            return -1;
        }
        if (depth[st->first_frame] != st->frame_count) {
            set_err(err, errlen, "stack %zu: %" PRIu32 " frames but node %" PRIu64
                    " begins a chain of %" PRIu32, i, st->frame_count, st->first_frame,
                    depth[st->first_frame]);
            return -1;
        }
        sum += st->frame_count;          /* < 2^26 stacks of < 2^32: no overflow */
    }
    if (sum > (uint64_t)SNAP_NODES_MEAN_DEPTH * s->nstacks || sum > SNAP_MAX_FRAMES) {
        set_err(err, errlen, "%" PRIu64 " frames in %zu stack(s): more than this reader"
                " expands (%u a stack on average, %llu in all)", sum, s->nstacks,
                SNAP_NODES_MEAN_DEPTH, (unsigned long long)SNAP_MAX_FRAMES);
        return -1;
    }
    *total = sum;
    return 0;
}

/* Stack by stack, innermost first; at[n] is where node n's chain was first
 * expanded (NONE: not yet), whose frames are then copied as they are. */
static void expand(struct snap *s, const uint8_t *base, size_t esz, uint32_t *at)
{
    size_t out = 0;
    for (size_t i = 0; i < s->nstacks; i++) {
        struct mt_stack *st = &s->stacks[i];
        uint32_t left = st->frame_count;
        uint32_t n = left ? (uint32_t)st->first_frame : NONE;
        st->first_frame = out;
        while (left) {
            if (at[n] != NONE) {
                memcpy(&s->frames[out], &s->frames[at[n]], left * sizeof *s->frames);
                out += left;
                break;
            }
            struct mt_node nd = node_at(base, esz, n);
            at[n] = (uint32_t)out;       /* < SNAP_MAX_FRAMES */
            s->frames[out++] = (struct mt_frame){nd.addr, nd.kind, nd.line};
            left--;
            n = nd.parent;
        }
    }
}

int snap_nodes_expand(struct snap *s, const uint8_t *data, const struct mt_section *sec,
                      char *err, size_t errlen)
{
    const size_t count = sec->count, esz = sec->entry_size;
    const uint8_t *base = data + sec->offset;
    uint32_t *depth = malloc((count ? count : 1) * sizeof *depth);
    uint64_t total = 0;
    if (!depth) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    if (node_depths(s, base, esz, count, depth, err, errlen) ||
        check_stacks(s, count, depth, &total, err, errlen)) {
        free(depth);
        return -1;
    }
    s->frames = malloc((total ? total : 1) * sizeof *s->frames);
    if (!s->frames) {
        free(depth);
        set_err(err, errlen, "out of memory expanding %" PRIu64 " frames", total);
        return -1;
    }
    s->nframes = total;
    memset(depth, 0xff, count * sizeof *depth);   /* reused: every entry NONE */
    expand(s, base, esz, depth);
    free(depth);
    return 0;
}
