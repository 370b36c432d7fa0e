/* Symbolization of one snapshot's frames with elfutils libdwfl: function,
 * file:line and inlined calls for native return addresses, resolved against
 * the snapshot's own module map (path, load bias, build-id); Python frames
 * are turned into rframes from the snapshot's strings. Results are cached per
 * address (inlined-call chains come from per-CU scope trees, scopeidx.h);
 * all returned strings live until sym_free. */
#ifndef MTRACE_REPORT_SYMBOLIZE_H
#define MTRACE_REPORT_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "snapshot_read.h"

struct symbolizer;

/* Reports each module of S to libdwfl; prints one warning line per module
 * that cannot be used (missing file, build-id mismatch) to stderr. With
 * NO_DEBUG, libdwfl is not used at all (module+offset only). */
struct symbolizer *sym_new(const struct snap *s, int no_debug);

/* Expand frame F (from the snapshot given to sym_new) into one or more
 * rframes, innermost first. *OUT stays valid until the next call. */
size_t sym_frame(struct symbolizer *z, const struct mt_frame *f,
                 const struct rframe **out);
/* The same, with *CLS set to each rframe's site_classify() verdict (site.h),
 * worked out once per address like the rest. */
size_t sym_frame_cls(struct symbolizer *z, const struct mt_frame *f,
                     const struct rframe **out, const uint8_t **cls);

void sym_free(struct symbolizer *z);

#endif
