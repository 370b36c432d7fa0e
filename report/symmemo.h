/* A memo of one module's ELF symbol lookups (dwfl_module_addrinfo), shared
 * by every address of a function. libdwfl scans the module's whole symbol
 * table for each lookup; a stripped interpreter (Debian's python3) has
 * thousands of distinct return addresses in a Python snapshot but only a
 * few hundred functions. The answer depends on the address only through
 * which symbol starts and ends, and which section bounds, lie at or below
 * it, so it is the same for every address between two consecutive such
 * points: the memo keeps one answer per gap (and one for an address equal
 * to the point opening the gap, which libdwfl treats apart). Exact, not a
 * guess: any address gets the name libdwfl would give. */
#ifndef MTRACE_REPORT_SYMMEMO_H
#define MTRACE_REPORT_SYMMEMO_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdint.h>

struct symmemo;

/* Reads DM's symbol table and section headers once. */
struct symmemo *symmemo_new(Dwfl_Module *dm);
void symmemo_free(struct symmemo *m);

/* The value stored for PC's gap, if any (true), in *VALUE. */
bool symmemo_get(const struct symmemo *m, uint64_t pc, const void **value);
void symmemo_put(struct symmemo *m, uint64_t pc, const void *value);

#endif
