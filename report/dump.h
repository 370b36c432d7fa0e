/* The dump command: every record of a snapshot as stored, for debugging. */
#ifndef MTRACE_REPORT_DUMP_H
#define MTRACE_REPORT_DUMP_H

#include <stdio.h>

#include "snapshot_read.h"

void dump_snapshot(FILE *out, const struct snap *s);

#endif
