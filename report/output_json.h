/* JSON pieces of the output layer (output_json.c): string escaping, exposed
 * for unit tests (tests/report/test_text.c), and the objects check's JSON
 * document shares with the reports (docs/JSON.md). */
#ifndef MTRACE_REPORT_OUTPUT_JSON_H
#define MTRACE_REPORT_OUTPUT_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"

/* Write S as a JSON string literal (with quotes); NULL writes null.
 * Control characters, quote and backslash are escaped; bytes that are not
 * valid UTF-8 become \ufffd, so the output is always valid JSON. */
void json_string(FILE *out, const char *s);

/* "K":"V" and "K":V, then SEP. */
void json_kstr(FILE *out, const char *k, const char *v, const char *sep);
void json_knum(FILE *out, const char *k, uint64_t v, const char *sep);

/* The snapshot object, braces included. */
void json_snapinfo(FILE *out, const struct out_snapinfo *s);
/* "key", site fields, then a trailing comma. */
void json_row_site(FILE *out, const struct out_row *row);
/* "stack":[frame objects]. */
void json_stack(FILE *out, const struct out_row *row);
/* "leaks":{"definite":{"bytes":N,"count":N},...} or "leaks":null. */
void json_leak_classes(FILE *out, const struct counters *c, bool classes);
/* "filters":{...} or "filters":null, then a comma. */
void json_filters(FILE *out, const struct out_filtered *f, bool classes);
/* An array of diff row objects. */
void json_diff_rows(FILE *out, const struct out_diff_row *rows, size_t n);

#endif
