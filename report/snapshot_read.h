/* Loading and validating one snapshot file (include/mtrace/format.h).
 * Every file is hostile: snap_load opens only regular files without blocking,
 * and snap_parse checks every size, offset, count and index before anything
 * else looks at the data. After a successful parse the tables below are safe
 * to index without further checks (records are copied into aligned arrays). */
#ifndef MTRACE_REPORT_SNAPSHOT_READ_H
#define MTRACE_REPORT_SNAPSHOT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtrace/format.h"

#define SNAP_MAX_FILE_SIZE (4ull << 30) /* refuse files above 4 GiB */
/* The header of the first version-1 writers (up to peak_rss_bytes); fields
 * after it read as 0 from such files. */
#define SNAP_HEADER_MIN 168u
/* A NODES snapshot expands to at most this many frames a stack on average
 * (the shim keeps at most 256: MTRACE_DEPTH's maximum) and SNAP_MAX_FRAMES
 * in all (4 GiB of frames, what a FRAMES file within the size limit holds). */
#define SNAP_NODES_MEAN_DEPTH 256u
#define SNAP_MAX_FRAMES (1ull << 28)

struct snap {
    char *path;                    /* as given on the command line */
    uint8_t *data;                 /* the whole file */
    size_t size;
    struct mt_file_header hdr;     /* known prefix, copied */
    struct mt_section *sections;   /* directory, known prefix of each entry */
    size_t nsections;
    const char *strings;           /* NUL-terminated blob, strings[0] == '\0' */
    size_t strings_size;
    struct mt_module *modules;
    size_t nmodules;
    struct mt_frame *frames;       /* a NODES snapshot's expanded: each stack's */
    size_t nframes;                /* frames at first_frame, as FRAMES lays them */
    struct mt_stack *stacks;
    size_t nstacks;
    /* Leak classes (hdr.leak_scan != MT_SCAN_NONE): the LEAKS records as
     * stored, and per stack the index of its record + 1 (0: none, i.e. no
     * live block when the scan ran). NULL/0 when the heap was not scanned. */
    struct mt_leak *leaks;
    size_t nleaks;
    uint32_t *leak_of_stack;
    /* The memory timeline (TIMELINE, LABELS; NULL/0 when absent). Points
     * are in the file's order with their times made non-decreasing (a
     * point before its predecessor is read at the predecessor's time: the
     * clock stepped back) and max_bytes >= traced_bytes; labels are sorted
     * by time, stably. */
    struct mt_tl_point *timeline;
    size_t ntimeline;
    struct mt_tl_label *labels;
    size_t nlabels;
};

/* Read and validate PATH. On failure returns -1 and writes one line (no
 * prefix, no newline) such as "No such file or directory" to ERR. */
int snap_load(const char *path, struct snap *out, char *err, size_t errlen);

/* Validate DATA (SIZE bytes; ownership passes to OUT on success and on
 * failure stays with the caller). Same error convention as snap_load. */
int snap_parse(uint8_t *data, size_t size, struct snap *out, char *err,
               size_t errlen);

void snap_free(struct snap *s);

/* Whether S was written by mtrace-run --rss-only (a timeline of RSS only). */
bool snap_rss_only(const struct snap *s);

/* String at a validated offset (offsets were checked by snap_parse; an
 * offset out of range still returns "" rather than reading outside). */
const char *snap_str(const struct snap *s, uint64_t off);

/* The leak classes of stack SI (< nstacks), or NULL when the snapshot has
 * none or the stack had no live block when the heap was scanned. */
const struct mt_leak *snap_stack_leak(const struct snap *s, size_t si);

const char *snap_reason_name(uint32_t reason);
/* The reason with how the process ended, for tables: "exit(3)", "_exit(0)",
 * "killed by SIGSEGV", "exec", "signal", ...; "ended" for an --rss-only
 * process whose end the reaper did not see (reason 0). */
void snap_cause(const struct mt_file_header *h, char *buf, size_t len);
/* "none", "done", "partial" or "unknown" (enum mt_leak_scan). */
const char *snap_leak_scan_name(uint32_t scan);
/* "definite", "indirect", "possible", "reachable" (enum mt_leak_class). */
const char *snap_leak_class_name(unsigned cls);
/* Name of a section kind ("strings", "modules", ...; "unknown"). */
const char *snap_section_name(uint32_t kind);

#endif
