/* Small text helpers shared by the reporter: a growable string buffer,
 * terminal-safe copies of hostile strings (control bytes become '?'), column
 * counting for UTF-8 and left/right truncation with "…" (or "..."), and the one
 * out-of-memory exit (also used as uthash's fatal handler). */
#ifndef MTRACE_REPORT_TEXTUTIL_H
#define MTRACE_REPORT_TEXTUTIL_H

#include <stdbool.h>
#include <stddef.h>

_Noreturn void report_oom(void);
#define uthash_fatal(msg) report_oom()

struct sbuf {
    char *s;     /* always NUL-terminated once anything was added */
    size_t len, cap;
};

void sb_add(struct sbuf *b, const char *s);
void sb_addn(struct sbuf *b, const char *s, size_t n);
void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_reset(struct sbuf *b);            /* empty, keeps memory */
void sb_free(struct sbuf *b);
const char *sb_str(const struct sbuf *b); /* "" when empty */

/* Copy of S for a terminal: bytes < 0x20 and 0x7f become '?'. */
void sb_add_clean(struct sbuf *b, const char *s);

/* Length of the valid UTF-8 sequence at S (1 to 4), or 0 if it is not one
 * (overlong forms, surrogates, beyond U+10FFFF, truncated). */
size_t text_utf8_len(const unsigned char *s);

/* Display columns of UTF-8 text (one per code point; no wide-char tables).
 * SGR escapes (ESC '[' ... 'm', the table's colours) take none. */
size_t text_cols(const char *s);

/* Whether decorations may be UTF-8 ("…", sparklines); true until
 * text_set_utf8(false) (term_init, outside UTF-8 locales). */
bool text_utf8(void);
void text_set_utf8(bool utf8);
/* The ellipsis of cut text: "…", or "..." when not text_utf8(). */
const char *text_ellipsis(void);

/* Append S to B, cut to at most MAXCOLS columns: ellipsis + its tail (left)
 * or its head + ellipsis (right). MAXCOLS below the ellipsis's width
 * appends nothing. */
void sb_fit_left(struct sbuf *b, const char *s, size_t maxcols);
void sb_fit_right(struct sbuf *b, const char *s, size_t maxcols);

#endif
