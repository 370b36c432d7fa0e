/* The terminal the tables are drawn on: whether the output stream gets
 * colour (--color=auto|always|never, NO_COLOR, TERM=dumb), whether the
 * locale's charset is UTF-8 (else "…" and sparklines fall back to ASCII),
 * and its width (COLUMNS, the tty's, else 120). Colour is tied to one
 * stream: text rendered elsewhere (check's JUnit, built in a memstream)
 * never carries escapes. */
#ifndef MTRACE_REPORT_TERM_H
#define MTRACE_REPORT_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum term_color_mode { TERM_COLOR_AUTO, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER };

/* What the table colours. */
enum term_style {
    TS_TITLE,      /* the first line of a report, column headers: bold */
    TS_BYTES,      /* byte columns: cyan */
    TS_PYTHON,     /* Python frames: yellow */
    TS_NODEBUG,    /* native frames without source lines: dim */
    TS_GROW,       /* diff: growth, red */
    TS_SHRINK,     /* diff: shrinkage, green */
};

/* "auto", "always", "never" (also "yes"/"no", "tty", "force", "none" as
 * GNU ls takes them); -1 for anything else. */
int term_color_from_name(const char *name);

/* Decide once, for OUT (the stream the report is written to): colour per
 * MODE (auto: only when OUT is a tty, NO_COLOR is unset or empty and TERM
 * is not "dumb"); UTF-8 or ASCII decorations (text_set_utf8) from the
 * charset of the locale's LC_CTYPE. */
void term_init(FILE *out, enum term_color_mode mode);

/* Whether text written to OUT gets colour. */
bool term_color(FILE *out);
/* The escape that starts style S on OUT, and the one that ends it; "" when
 * OUT gets no colour. */
const char *term_on(FILE *out, enum term_style s);
const char *term_off(FILE *out);

/* Output width: COLUMNS when set to a number (as ls honours it), else the
 * terminal's width when FD is a tty, else 120; at least 40. */
size_t term_width(int fd);

/* A sparkline of V[0..N) into B: one cell per value, scaled from 0 to the
 * largest; "▁▂▃▄▅▆▇█", or "_.-=+*#@" outside UTF-8 locales. */
struct sbuf;
void term_sparkline(struct sbuf *b, const uint64_t *v, size_t n);

#endif
