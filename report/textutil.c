/* Text helpers: string buffer, control-byte scrubbing for terminal output,
 * UTF-8 column counting and truncation with an ellipsis. Hostile snapshot
 * strings pass through here before reaching a terminal, so escape sequences
 * in a program name or a Python file name cannot drive the user's terminal. */
#include "textutil.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_oom(void)
{
    fputs("mtrace-report: out of memory\n", stderr);
    exit(2);
}

static void sb_grow(struct sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s)
        report_oom();
    b->s = s;
    b->cap = cap;
}

void sb_addn(struct sbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_add(struct sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sb_reset(struct sbuf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

void sb_free(struct sbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

const char *sb_str(const struct sbuf *b)
{
    return b->s ? b->s : "";
}

void sb_add_clean(struct sbuf *b, const char *s)
{
    size_t start = b->len;
    sb_add(b, s);
    for (size_t i = start; i < b->len; i++) {
        unsigned char c = (unsigned char)b->s[i];
        if (c < 0x20 || c == 0x7f)
            b->s[i] = '?';
    }
}

static int is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static bool utf8 = true;

bool text_utf8(void)
{
    return utf8;
}

void text_set_utf8(bool on)
{
    utf8 = on;
}

const char *text_ellipsis(void)
{
    return utf8 ? "\xe2\x80\xa6" : "...";
}

size_t text_cols(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        if (s[0] == '\033' && s[1] == '[') {
            /* an SGR escape of ours: no column (hostile text never has ESC:
             * sb_add_clean turned it into '?') */
            for (s += 2; *s && *s != 'm'; s++)
                ;
            if (!*s)
                break;
            continue;
        }
        if (!is_cont((unsigned char)*s))
            n++;
    }
    return n;
}

void sb_fit_left(struct sbuf *b, const char *s, size_t maxcols)
{
    size_t cols = text_cols(s);
    if (cols <= maxcols) {
        sb_add(b, s);
        return;
    }
    const char *ell = text_ellipsis();
    size_t ecols = text_cols(ell);
    if (maxcols < ecols)
        return;
    size_t skip = cols - (maxcols - ecols); /* code points to drop from the front */
    const char *p = s;
    while (*p && skip) {
        p++;
        while (*p && is_cont((unsigned char)*p))
            p++;
        skip--;
    }
    sb_add(b, ell);
    sb_add(b, p);
}

void sb_fit_right(struct sbuf *b, const char *s, size_t maxcols)
{
    size_t cols = text_cols(s);
    if (cols <= maxcols) {
        sb_add(b, s);
        return;
    }
    const char *ell = text_ellipsis();
    size_t ecols = text_cols(ell);
    if (maxcols < ecols)
        return;
    size_t keep = maxcols - ecols;
    const char *p = s;
    while (*p && keep) {
        p++;
        while (*p && is_cont((unsigned char)*p))
            p++;
        keep--;
    }
    sb_addn(b, s, (size_t)(p - s));
    sb_add(b, ell);
}

/* Length of the valid UTF-8 sequence at S, or 0 if invalid. */
size_t text_utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}
