/* JUnit XML for check --junit (junit.c), and the XML escaping it needs,
 * exposed for unit tests (tests/report/test_text.c). */
#ifndef MTRACE_REPORT_JUNIT_H
#define MTRACE_REPORT_JUNIT_H

#include <stdbool.h>
#include <stddef.h>

#include "textutil.h"

/* JUnit XML: one <testsuite> of test cases, each passing or failing with a
 * one-line MESSAGE and a TEXT body (junit.c). */
struct junit_case {
    const char *name, *classname;
    const char *message;           /* NULL: the case passed */
    const char *text;              /* the failure's body */
};

/* Write the document to PATH; -1 with "PATH: why" in ERR. */
int junit_write(const char *path, const char *suite, const struct junit_case *cases,
                size_t n, char *err, size_t errlen);
/* Append S to B escaped for XML 1.0 character data or (ATTR) an attribute
 * value: markup characters as entities, characters XML 1.0 cannot carry
 * (control bytes, invalid UTF-8, U+FFFE/U+FFFF) as U+FFFD, and in
 * attributes tab and newlines as character references. */
void xml_escape(struct sbuf *b, const char *s, bool attr);

#endif
