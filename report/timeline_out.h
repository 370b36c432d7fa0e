/* Renderers of the timeline model (timeline.h): the table with its
 * sparklines (timeline_table.c), the raw series as JSON and CSV
 * (timeline_data.c, docs/JSON.md), and the HTML page of plots only
 * (output_html.c). */
#ifndef MTRACE_REPORT_TIMELINE_OUT_H
#define MTRACE_REPORT_TIMELINE_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "output.h"
#include "timeline.h"

/* Lines under a process's table: diff rows (growth between two snapshots)
 * or plain rows with their BYTES and COUNT metric (what was live at the
 * peak, or at the snapshot: grown from nothing at the start). */
struct tl_lines {
    const char *title;
    const struct out_diff_row *diff;
    const struct out_row *rows;
    enum metric bytes, count;
    size_t n;
};

#define TL_MAX_LINES 2

struct tl_view {
    const struct tl_proc *proc;
    struct tl_lines lines[TL_MAX_LINES];
    size_t nlines;
};

/* Per process: its header, sparklines of the traced heap and RSS with the
 * marks (P peak, S snapshot, 1-9 a-z labels), the table cut to at most
 * MAX_ROWS rows (0: every point), then its lines. */
void tl_table(FILE *out, const struct tl_view *views, size_t n, size_t max_rows,
              size_t width);

/* The raw series of every process: {"mtrace_report":1,"command":"timeline",
 * "processes":[...]} (docs/JSON.md), or CSV with one row per point, label
 * and snapshot. */
void tl_json(FILE *out, const struct tl_set *set);
void tl_csv(FILE *out, const struct tl_set *set);

/* The HTML page holding only the plots of SET (timeline --format html, and
 * what an --rss-only file gives). */
void html_timeline_page(FILE *out, const struct tl_set *set);

#endif
