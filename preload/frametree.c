/* ---------------------------------------------------------------------------
 * frametree.c: the snapshot's NODES section, the interned stacks' frames as
 * a prefix tree (format.h, struct mt_node). Stacks share their outer frames
 * (main, the interpreter's loop, a test runner's thirty frames), so the tree
 * is an order of magnitude smaller than the flat frames.
 *
 * Built by the writer after the counters are copied and the tracer's locks
 * released (stacks.c): no pool, no traced heap, only mt_map. Each stack is walked from its outermost frame inward; a node
 * is found or added by (parent, frame word) in an open-addressing table
 * (grown by doubling), so nodes come out parents first. Consecutive stacks
 * tend to share outer frames: the previous stack's path is kept and its
 * common prefix taken without a lookup. Words are kept in the nodes' addr
 * until mt_ftree_export turns them into frames, once per node.
 * ------------------------------------------------------------------------- */
#define _GNU_SOURCE
#include <string.h>

#include "internal.h"
#include "mtrace/format.h"

#define NO_NODE UINT32_MAX

static inline uint64_t mix(uint32_t parent, uintptr_t word)
{
    uint64_t h = (uint64_t)word ^ ((uint64_t)parent * 0x9E3779B97F4A7C15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}

/* A slot: node index + 1 in the low half (0: empty), the hash's high half
 * above it, so that most mismatches are told without reading the node. */
static bool table_map(struct mt_ftree *t, size_t cap)
{
    t->slots = mt_map_filled(cap * sizeof *t->slots);   /* hashed: every page */
    t->mask = cap - 1;
    return t->slots != NULL;
}

static void table_put(struct mt_ftree *t, uint64_t h, uint32_t idx)
{
    size_t i = (size_t)h & t->mask;
    while (t->slots[i])
        i = (i + 1) & t->mask;
    t->slots[i] = (h & 0xffffffff00000000ull) | ((uint64_t)idx + 1);
}

static bool table_grow(struct mt_ftree *t)
{
    uint64_t *old = t->slots;
    size_t old_cap = t->mask + 1;
    if (!table_map(t, old_cap * 2)) {
        t->slots = old;
        t->mask = old_cap - 1;
        return false;
    }
    for (uint32_t n = 0; n < t->count; n++)
        table_put(t, mix(t->nodes[n].parent, (uintptr_t)t->nodes[n].addr), n);
    mt_unmap(old, old_cap * sizeof *old);
    return true;
}

bool mt_ftree_init(struct mt_ftree *t, uint64_t frame_total)
{
    memset(t, 0, sizeof *t);
    if (frame_total >= NO_NODE)
        return false;                    /* node indexes are 32-bit */
    /* Nodes never outnumber frames; the mapping is touched only as used. */
    t->cap = frame_total ? frame_total : 1;
    t->nodes_bytes = (size_t)t->cap * sizeof *t->nodes;
    size_t cap = 512;
    while (cap < frame_total / 16)       /* Python: ~12 frames per node; grows */
        cap *= 2;
    t->nodes = mt_map(t->nodes_bytes);
    t->nodes_ready = (char *)t->nodes;
    return t->nodes && table_map(t, cap);
}

static uint32_t find_or_add(struct mt_ftree *t, uint32_t parent, uintptr_t word)
{
    uint64_t h = mix(parent, word);
    uint64_t tag = h & 0xffffffff00000000ull;
    size_t i = (size_t)h & t->mask;
    for (uint64_t s; (s = t->slots[i]); i = (i + 1) & t->mask) {
        if ((s & 0xffffffff00000000ull) != tag)
            continue;
        uint32_t n = (uint32_t)s - 1;
        if (t->nodes[n].addr == word && t->nodes[n].parent == parent)
            return n;
    }
    if (t->count >= t->cap)
        return NO_NODE;                  /* cannot happen: nodes <= frames */
    uint32_t n = t->count++;
    mt_populate_ahead(&t->nodes_ready, (const char *)&t->nodes[t->count],
                      (const char *)t->nodes + t->nodes_bytes);
    t->nodes[n] = (struct mt_node){ .addr = word, .parent = parent };
    t->slots[i] = tag | ((uint64_t)n + 1);
    if ((size_t)t->count * 2 > t->mask + 1 && !table_grow(t))
        return NO_NODE;
    return n;
}

uint32_t mt_ftree_add(struct mt_ftree *t, const uintptr_t *frames, int n)
{
    if (n <= 0 || t->failed)
        return NO_NODE;
    /* The common outer part with the previous stack keeps its nodes (as
     * far as path goes: stacks are at most MT_MAX_DEPTH deep anyway). */
    int same = 0, lim = n < t->prev_n ? n : t->prev_n;
    if (lim > MT_MAX_DEPTH)
        lim = MT_MAX_DEPTH;
    while (same < lim && frames[n - 1 - same] == t->prev[t->prev_n - 1 - same])
        same++;
    uint32_t parent = same ? t->path[same - 1] : NO_NODE;
    for (int d = same; d < n; d++) {
        parent = find_or_add(t, parent, frames[n - 1 - d]);
        if (parent == NO_NODE) {
            t->failed = true;
            return NO_NODE;
        }
        if (d < MT_MAX_DEPTH)
            t->path[d] = parent;
    }
    t->prev = frames;
    t->prev_n = n;
    return parent;
}

void mt_ftree_export(struct mt_ftree *t, struct mt_strtab *st)
{
    for (uint32_t i = 0; i < t->count; i++) {
        struct mt_node *nd = &t->nodes[i];
        uintptr_t word = (uintptr_t)nd->addr;
        if (mt_is_pyframe(word)) {
            struct mt_frame f;
            mt_python_export(word, st, &f);
            nd->addr = f.addr;
            nd->kind = f.kind;
            nd->line = f.line;
        } else {
            nd->kind = MT_FRAME_NATIVE;  /* addr, line 0 as added */
        }
    }
}

/* Unmapping in a threaded process interrupts the other CPUs (TLB
 * shootdown): done once the locks are released, not in the pause. */
void mt_ftree_drop_index(struct mt_ftree *t)
{
    if (t->slots)
        mt_unmap(t->slots, (t->mask + 1) * sizeof *t->slots);
    t->slots = NULL;
}

void mt_ftree_release(struct mt_ftree *t)
{
    mt_ftree_drop_index(t);
    mt_unmap(t->nodes, t->nodes_bytes);
    memset(t, 0, sizeof *t);
}
