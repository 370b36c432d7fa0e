/* An index of the scope DIEs of each compile unit, so that finding the
 * inlined-call chain of an address costs a walk down a small tree instead
 * of libdw's dwarf_getscopes + dwarf_getscopes_die, which each walk the CU's
 * DIEs again for every address: seconds on an interpreter built with debug
 * info (one CU such as CPython's ceval.c holds tens of thousands of DIEs,
 * and a Python snapshot has thousands of distinct addresses in it). Each CU
 * is indexed once, on its first query, with the traversal rules of libdw's
 * own scope walk, so the answers are the ones libdw gives. */
#ifndef MTRACE_REPORT_SCOPEIDX_H
#define MTRACE_REPORT_SCOPEIDX_H

#include <elfutils/libdw.h>

struct scopeidx;

struct scopeidx *scopeidx_new(void);
/* Frees the index; the Dwarf data it points into must still be alive. */
void scopeidx_free(struct scopeidx *x);

/* What dwarf_getscopes(CUDIE, PC) followed by dwarf_getscopes_die on its
 * innermost DIE returns: the chain from the innermost scope DIE containing
 * PC (a CU-relative DWARF address) out to the CU DIE. *SCOPES is malloc'd
 * (free it) when the result is > 0; 0: no scope holds PC; -1: error. A CU
 * the index cannot mirror exactly (imported units, unreadable ranges) is
 * answered by those libdw calls themselves. */
int scopeidx_chain(struct scopeidx *x, Dwarf *dw, Dwarf_Die *cudie, Dwarf_Addr pc,
                   Dwarf_Die **scopes);

#endif
