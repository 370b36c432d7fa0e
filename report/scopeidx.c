/* Per-CU scope trees (see scopeidx.h). The tree keeps the DIEs libdw's scope
 * walk (__libdw_visit_scopes, used by dwarf_getscopes) could match: it visits
 * the children of the CU, tests each with dwarf_haspc, and descends only into
 * a DIE that contains the address and has a tag that may own scopes. A DIE
 * without address ranges never matches, so it and its subtree are left out;
 * the rest keep their document order, since the walk takes the first child
 * that contains the address at each level. The query follows that rule down
 * the tree; the path is the chain dwarf_getscopes_die gives for the DIE it
 * ends on. When the walk would do anything the tree does not mirror (an
 * imported unit, a range or sibling it cannot read, nesting past a sane
 * depth), the CU is marked and answered by libdw directly. */
#include "scopeidx.h"

#include <dwarf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h" /* before uthash.h: uthash_fatal */
#include <uthash.h>

#define MAX_NEST 512 /* deeper DIE nesting: leave the CU to libdw */

struct snode {
    Dwarf_Die die;
    uint32_t first_child, next; /* 0: none (node 0, the CU, is nobody's child) */
    uint32_t range, nranges;    /* into cuidx.ranges */
    uint32_t parent;
};

struct cuidx {
    const void *key;            /* the CU DIE's address in the debug data */
    bool libdw;                 /* answer with libdw: the tree cannot mirror it */
    struct snode *nodes;
    size_t n, cap;
    Dwarf_Addr (*ranges)[2];
    size_t nr, capr;
    UT_hash_handle hh;
};

struct scopeidx {
    struct cuidx *cus;
};

struct scopeidx *scopeidx_new(void)
{
    struct scopeidx *x = calloc(1, sizeof *x);
    if (!x)
        report_oom();
    return x;
}

void scopeidx_free(struct scopeidx *x)
{
    if (!x)
        return;
    struct cuidx *c, *t;
    HASH_ITER(hh, x->cus, c, t) {
        HASH_DEL(x->cus, c);
        free(c->nodes);
        free(c->ranges);
        free(c);
    }
    free(x);
}

static bool may_have_scopes(int tag)
{
    switch (tag) {
    case DW_TAG_compile_unit: case DW_TAG_module: case DW_TAG_lexical_block:
    case DW_TAG_with_stmt: case DW_TAG_catch_block: case DW_TAG_try_block:
    case DW_TAG_entry_point: case DW_TAG_inlined_subroutine: case DW_TAG_subprogram:
    case DW_TAG_namespace: case DW_TAG_class_type: case DW_TAG_structure_type:
        return true;
    default:
        return false;
    }
}

static uint32_t add_node(struct cuidx *c, const Dwarf_Die *die, uint32_t parent)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct snode *t = realloc(c->nodes, cap * sizeof *t);
        if (!t)
            report_oom();
        c->nodes = t;
        c->cap = cap;
    }
    struct snode *s = &c->nodes[c->n];
    memset(s, 0, sizeof *s);
    s->die = *die;
    s->parent = parent;
    s->range = (uint32_t)c->nr;
    return (uint32_t)c->n++;
}

static void add_range(struct cuidx *c, Dwarf_Addr lo, Dwarf_Addr hi)
{
    if (c->nr == c->capr) {
        size_t cap = c->capr ? c->capr * 2 : 256;
        Dwarf_Addr (*t)[2] = realloc(c->ranges, cap * sizeof *t);
        if (!t)
            report_oom();
        c->ranges = t;
        c->capr = cap;
    }
    c->ranges[c->nr][0] = lo;
    c->ranges[c->nr][1] = hi;
    c->nr++;
}

/* Adds the children of node PARENT (DIE PDIE) that have address ranges, in
 * order, and their subtrees. Returns false where libdw's walk would differ
 * from the tree (the CU then goes to libdw). */
static bool add_children(struct cuidx *c, uint32_t parent, Dwarf_Die *pdie, unsigned nest)
{
    if (nest > MAX_NEST || c->n >= UINT32_MAX / 2)
        return false;
    Dwarf_Die child;
    int r = dwarf_child(pdie, &child);
    if (r != 0)
        return r > 0;
    uint32_t last = 0;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_imported_unit)
            return false;
        size_t first = c->nr;
        ptrdiff_t off = 0;
        Dwarf_Addr base, lo, hi;
        while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0)
            add_range(c, lo, hi);
        if (off < 0)
            return false;
        if (c->nr == first)
            continue; /* never contains an address: pruned, subtree unseen */
        uint32_t k = add_node(c, &child, parent);
        c->nodes[k].range = (uint32_t)first;
        c->nodes[k].nranges = (uint32_t)(c->nr - first);
        if (last)
            c->nodes[last].next = k;
        else
            c->nodes[parent].first_child = k;
        last = k;
        if (may_have_scopes(tag) && dwarf_haschildren(&child) > 0 &&
            !add_children(c, k, &child, nest + 1))
            return false;
    } while ((r = dwarf_siblingof(&child, &child)) == 0);
    return r > 0;
}

static struct cuidx *cu_of(struct scopeidx *x, Dwarf_Die *cudie)
{
    struct cuidx *c;
    const void *key = cudie->addr;
    HASH_FIND(hh, x->cus, &key, sizeof key, c);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    if (!c)
        report_oom();
    c->key = key;
    add_node(c, cudie, 0);
    if (!add_children(c, 0, cudie, 0)) {
        c->libdw = true;
        free(c->nodes);
        free(c->ranges);
        c->nodes = NULL;
        c->ranges = NULL;
        c->n = c->nr = 0;
    }
    HASH_ADD(hh, x->cus, key, sizeof c->key, c);
    return c;
}

static bool contains(const struct cuidx *c, const struct snode *s, Dwarf_Addr pc)
{
    for (uint32_t i = 0; i < s->nranges; i++)
        if (pc >= c->ranges[s->range + i][0] && pc < c->ranges[s->range + i][1])
            return true;
    return false;
}

/* libdw's answer, as symbolize.c used to ask it. */
static int libdw_chain(Dwarf *dw, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **scopes)
{
    Dwarf_Die *sc = NULL;
    int n = dwarf_getscopes(cudie, pc, &sc);
    if (n <= 0) {
        free(sc);
        return n;
    }
    Dwarf_Die inner;
    Dwarf_Off off = dwarf_dieoffset(&sc[0]);
    free(sc);
    sc = NULL;
    if (!dw || !dwarf_offdie(dw, off, &inner))
        return -1;
    n = dwarf_getscopes_die(&inner, &sc);
    if (n <= 0) {
        free(sc);
        return n;
    }
    *scopes = sc;
    return n;
}

int scopeidx_chain(struct scopeidx *x, Dwarf *dw, Dwarf_Die *cudie, Dwarf_Addr pc,
                   Dwarf_Die **scopes)
{
    struct cuidx *c = cu_of(x, cudie);
    if (c->libdw)
        return libdw_chain(dw, cudie, pc, scopes);
    /* Down the tree: at each level the first child holding PC. */
    uint32_t cur = 0, depth = 0, inlined = 0;
    for (;;) {
        uint32_t k = c->nodes[cur].first_child;
        while (k && !contains(c, &c->nodes[k], pc))
            k = c->nodes[k].next;
        if (!k)
            break;
        cur = k;
        depth++;
        if (dwarf_tag(&c->nodes[k].die) == DW_TAG_inlined_subroutine)
            inlined = k;
    }
    if (depth == 0)
        return 0;
    /* dwarf_getscopes then looks for the innermost inline's abstract
     * origin, and fails when it has none. */
    if (inlined) {
        Dwarf_Attribute attr;
        Dwarf_Die origin;
        if (!dwarf_formref_die(dwarf_attr(&c->nodes[inlined].die, DW_AT_abstract_origin, &attr),
                               &origin))
            return -1;
    }
    /* The caller re-finds the innermost DIE by its offset in the module's
     * main Dwarf; a DIE that lives elsewhere (a split or alternate file)
     * comes back different there: libdw's chain for that one. */
    Dwarf_Die inner;
    if (!dw || !dwarf_offdie(dw, dwarf_dieoffset(&c->nodes[cur].die), &inner))
        return -1;
    if (inner.addr != c->nodes[cur].die.addr) {
        Dwarf_Die *sc = NULL;
        int n = dwarf_getscopes_die(&inner, &sc);
        if (n <= 0)
            free(sc);
        else
            *scopes = sc;
        return n;
    }
    Dwarf_Die *sc = malloc((depth + 1) * sizeof *sc);
    if (!sc)
        report_oom();
    int n = 0;
    for (uint32_t k = cur;; k = c->nodes[k].parent) {
        sc[n++] = c->nodes[k].die;
        if (k == 0)
            break;
    }
    *scopes = sc;
    return n;
}
