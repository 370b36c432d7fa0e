/* Test-only snapshot builder: assembles a snapshot in memory from strings,
 * modules, frames and stacks, following include/mtrace/format.h, in either
 * layout (flat FRAMES as before 0.3, or NODES as the shim writes), with knobs
 * for what a newer writer may do (bigger header, bigger records, unknown
 * sections) and an older one did (the 168-byte header), leak classes, and
 * the memory timeline. Used by the fixture and the unit tests; not part of mtrace. */
#ifndef MTRACE_TEST_SNAPWRITER_H
#define MTRACE_TEST_SNAPWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "mtrace/format.h"

struct sw {
    struct mt_file_header hdr;   /* fill pid, counters...; sizes are computed */
    char *str;
    size_t nstr, capstr;
    struct mt_module *mods;
    size_t nmods;
    struct mt_frame *frames;
    size_t nframes;
    struct mt_stack *stacks;
    size_t nstacks;
    struct mt_leak *leaks;
    size_t nleaks;       /* a LEAKS section is written when hdr.leak_scan or nleaks */
    struct mt_tl_point *points;  /* TIMELINE, written when there are points */
    size_t npoints;
    struct mt_tl_label *labels;  /* LABELS, written when there are labels */
    size_t nlabels;
    int v1_header;       /* write the first version-1 header (168 bytes, no leak fields) */
    size_t header_size;  /* else, when not 0: write this much of the header (an older
                          * writer's 240, say) */
    size_t hdr_extra;    /* extra zero bytes after the known header (multiple of 8) */
    size_t rec_extra;    /* extra zero bytes after every record and dir entry */
    int unknown_section; /* add an empty section of an unassigned kind */
    int nodes;           /* write the frames as a NODES prefix tree (MT_HDR_NODES),
                          * stacks given as for FRAMES */
};

void sw_init(struct sw *w);
void sw_free(struct sw *w);
uint32_t sw_str(struct sw *w, const char *s);
void sw_module(struct sw *w, const char *path, uint64_t start, uint64_t end, uint64_t bias,
               const uint8_t *build_id, uint32_t build_id_size);
uint64_t sw_native(struct sw *w, uint64_t addr);           /* returns frame index */
uint64_t sw_python(struct sw *w, const char *file, const char *func, uint32_t line);
void sw_stack(struct sw *w, uint64_t first, uint32_t count, uint64_t ab, uint64_t ac,
              uint64_t lb, uint64_t lc, uint64_t pb, uint64_t pc);
/* The header's leak scan fields (enum mt_leak_scan ...). */
void sw_leak_scan(struct sw *w, uint32_t status, uint32_t threads, uint32_t missed,
                  uint32_t ms);
/* A LEAKS entry for stack index STACK: blocks and bytes per class, in the
 * order of enum mt_leak_class (definite, indirect, possible, reachable). */
void sw_leak(struct sw *w, uint64_t stack, const uint64_t count[MT_LEAK_CLASSES],
             const uint64_t bytes[MT_LEAK_CLASSES]);
/* A TIMELINE point and a LABELS entry (the text goes into the strings). */
void sw_point(struct sw *w, uint64_t time_ns, uint64_t traced, uint64_t max,
              uint64_t max_time_ns, uint64_t rss, uint64_t allocs);
void sw_label(struct sw *w, uint64_t time_ns, uint64_t allocs, uint64_t traced,
              const char *text);
/* The NODES the frames and stacks make (as sw_build writes them with
 * w->nodes): nodes parents first, each stack's first_frame rewritten to its
 * innermost node (UINT32_MAX for none). Returns the node count; the caller
 * frees *NODES and *STACKS. */
size_t sw_nodes(const struct sw *w, struct mt_node **nodes, struct mt_stack **stacks);
/* Serialize; returns a malloc'd buffer of *SIZE bytes. */
uint8_t *sw_build(struct sw *w, size_t *size);
/* Serialize to PATH (0600); 0 on success. */
int sw_write(struct sw *w, const char *path);

#endif
