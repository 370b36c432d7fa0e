/* JUnit XML for check --junit (see junit.h), the shape GitLab, Jenkins and
 * GitHub's test-report actions read: <testsuites> around one <testsuite>,
 * one <testcase> per case, a <failure message="..."> with the report as
 * its text when it failed. Everything in it may come from the traced
 * program (paths, function names), so every string is escaped, and what
 * XML 1.0 cannot carry at all (most control bytes, invalid UTF-8) becomes
 * U+FFFD rather than an unreadable document. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "junit.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

void xml_escape(struct sbuf *b, const char *s, bool attr)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        switch (c) {
        case '&': sb_add(b, "&amp;"); p++; continue;
        case '<': sb_add(b, "&lt;"); p++; continue;
        case '>': sb_add(b, "&gt;"); p++; continue;
        case '"': sb_add(b, attr ? "&quot;" : "\""); p++; continue;
        case '\'': sb_add(b, attr ? "&apos;" : "'"); p++; continue;
        case '\t': sb_add(b, attr ? "&#9;" : "\t"); p++; continue;
        case '\n': sb_add(b, attr ? "&#10;" : "\n"); p++; continue;
        case '\r': sb_add(b, "&#13;"); p++; continue; /* parsers would drop a bare CR */
        default: break;
        }
        if (c < 0x20) {
            sb_add(b, REPLACEMENT);
            p++;
            continue;
        }
        size_t n = text_utf8_len(p);
        /* Invalid UTF-8, or U+FFFE / U+FFFF (EF BF BE, EF BF BF): not XML characters. */
        if (n == 0 || (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)) {
            sb_add(b, REPLACEMENT);
            p += n ? n : 1;
            continue;
        }
        sb_addn(b, (const char *)p, n);
        p += n;
    }
}

int junit_write(const char *path, const char *suite, const struct junit_case *cases,
                size_t n, char *err, size_t errlen)
{
    size_t failures = 0;
    for (size_t i = 0; i < n; i++)
        failures += cases[i].message != NULL;
    struct sbuf x = {0};
    sb_add(&x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    sb_printf(&x, "<testsuites name=\"mtrace\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
              n, failures);
    sb_add(&x, "  <testsuite name=\"");
    xml_escape(&x, suite, true);
    sb_printf(&x, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"0\">\n",
              n, failures);
    for (size_t i = 0; i < n; i++) {
        const struct junit_case *c = &cases[i];
        sb_add(&x, "    <testcase name=\"");
        xml_escape(&x, c->name, true);
        sb_add(&x, "\" classname=\"");
        xml_escape(&x, c->classname, true);
        sb_add(&x, "\" time=\"0\"");
        if (!c->message) {
            sb_add(&x, "/>\n");
            continue;
        }
        sb_add(&x, ">\n      <failure type=\"mtrace.leak\" message=\"");
        xml_escape(&x, c->message, true);
        sb_add(&x, "\">");
        xml_escape(&x, c->text ? c->text : "", false);
        sb_add(&x, "</failure>\n    </testcase>\n");
    }
    sb_add(&x, "  </testsuite>\n</testsuites>\n");

    struct sbuf cpath = {0};
    sb_add_clean(&cpath, path);
    int rc = 0;
    FILE *f = fopen(path, "w");
    if (!f || fwrite(x.s, 1, x.len, f) != x.len || fflush(f) != 0) {
        snprintf(err, errlen, "%s: cannot write the JUnit file: %s", sb_str(&cpath),
                 strerror(errno));
        rc = -1;
    }
    if (f && fclose(f) != 0 && rc == 0) {
        snprintf(err, errlen, "%s: cannot write the JUnit file: %s", sb_str(&cpath),
                 strerror(errno));
        rc = -1;
    }
    sb_free(&cpath);
    sb_free(&x);
    return rc;
}
