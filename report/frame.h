/* One displayed frame after symbolization: the neutral shape shared by the
 * symbolizer, site finding, grouping and every output format. A native return
 * address can expand into several of these (its inlined calls, innermost
 * first); a Python frame is exactly one. Strings live as long as the
 * symbolizer (or the snapshot, for Python strings); NULL means unknown. */
#ifndef MTRACE_REPORT_FRAME_H
#define MTRACE_REPORT_FRAME_H

#include <stdbool.h>
#include <stdint.h>

struct rframe {
    const char *function;   /* demangled; NULL when unknown */
    const char *file;       /* source file; NULL when unknown */
    uint32_t line;          /* 0 when unknown */
    const char *module;     /* module path from the snapshot; NULL: none */
    const char *module_base;/* basename of module, for display */
    uint64_t addr;          /* raw address as stored (native frames) */
    uint64_t offset;        /* addr - module bias (ELF address), when module */
    bool inlined;           /* function was inlined into the next frame */
    bool python;            /* a Python frame (function/file/line as stored) */
};

#endif
