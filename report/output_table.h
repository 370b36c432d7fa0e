/* Pieces of the table format (output_table.c) that check's table
 * (check_output.c) shares, so a leak report reads like the other reports:
 * header lines, the stack under a row, the site label. Every string passes
 * through the terminal-safe cleaning of textutil.h; lines are cut to WIDTH. */
#ifndef MTRACE_REPORT_OUTPUT_TABLE_H
#define MTRACE_REPORT_OUTPUT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output.h"
#include "textutil.h"

/* "  LABEL     value", the value cut on the left to fit WIDTH. */
void table_kv(FILE *out, size_t width, const char *label, const char *value);
/* As table_kv, broken after "; " when too wide. */
void table_kv_wrap(FILE *out, size_t width, const char *label, const char *value);
/* The header lines of one snapshot; SCAN_LINE adds the leak scan's. */
void table_snapinfo(FILE *out, const struct out_snapinfo *s, size_t width, bool scan_line);
/* Three lines about one side of a diff: file, program, when and heap. */
void table_brief(FILE *out, const char *label, const struct out_snapinfo *s, size_t width);
/* The filters and what they kept. */
void table_filtered(FILE *out, const struct out_filtered *f, size_t width);
/* The frames of ROW worth showing, at most DEPTH, indented by 6. */
void table_stack(FILE *out, const struct out_row *row, size_t depth, size_t width);
/* The SITE column of ROW: its key, or under --group-by stack its site. */
void table_site_label(struct sbuf *b, const char *group_by, const struct out_row *row);
/* Print S broken at spaces into lines of at most WIDTH columns (a word
 * longer than a line stays whole), continuation lines indented by INDENT. */
void table_wrap(FILE *out, const char *s, size_t width, size_t indent);
/* "  +3.9 KiB  +4 blocks  new      SITE": ROWS[0..N), columns aligned. */
void table_change_lines(FILE *out, const struct out_diff_row *rows, size_t n, size_t width);
/* valgrind's LEAK SUMMARY of the classes in T. */
void table_leak_summary(FILE *out, const struct counters *t);

#endif
