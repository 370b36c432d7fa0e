/* JSON string escaping, exposed for unit tests (tests/report/test_text.c). */
#ifndef MTRACE_REPORT_OUTPUT_JSON_H
#define MTRACE_REPORT_OUTPUT_JSON_H

#include <stdio.h>

/* Write S as a JSON string literal (with quotes); NULL writes null.
 * Control characters, quote and backslash are escaped; bytes that are not
 * valid UTF-8 become \ufffd, so the output is always valid JSON. */
void json_string(FILE *out, const char *s);

#endif
