/* Internal to the snapshot reader: the NODES section (snapshot_nodes.c) and
 * the frame check it shares with the FRAMES path (snapshot_read.c). */
#ifndef MTRACE_REPORT_SNAPSHOT_NODES_H
#define MTRACE_REPORT_SNAPSHOT_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot_read.h"

/* Frame F (entry IDX of FRAMES, or of NODES when NODE) has a known kind and,
 * for a Python frame, string offsets inside S's string table. */
int snap_check_frame(const struct snap *s, const struct mt_frame *f, bool node, size_t idx,
                     char *err, size_t errlen);

/* Validates NODES section SEC of DATA against S's strings and stacks (S's
 * stacks are read, their frames not yet) and expands it into s->frames,
 * rewriting every stack's first_frame to index them as FRAMES would. */
int snap_nodes_expand(struct snap *s, const uint8_t *data, const struct mt_section *sec,
                      char *err, size_t errlen);

#endif
