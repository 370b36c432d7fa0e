/* ---------------------------------------------------------------------------
 * template_match.h: LeakSanitizer's suppression pattern match, so that a
 * suppressions file written for LeakSanitizer means the same to mtrace.
 * '*' matches any run of characters; a leading '^' anchors the pattern at
 * the start of the string and a trailing '$' at its end; otherwise the
 * pattern may match anywhere (a substring). An empty or NULL string never
 * matches. Header-only: the shim's gate and the reporter both use it.
 * ------------------------------------------------------------------------- */
#ifndef MTRACE_TEMPLATE_MATCH_H
#define MTRACE_TEMPLATE_MATCH_H

#include <stdbool.h>
#include <string.h>

/* Where the literal run t[0..n) first occurs in s, or NULL. */
static inline const char *mt_tm_find(const char *s, const char *t, size_t n)
{
    if (n == 0)
        return s;
    for (; *s; s++)
        if (*s == *t && strncmp(s, t, n) == 0)
            return s;
    return NULL;
}

static inline bool mt_template_match(const char *templ, const char *str)
{
    if (!str || !*str || !templ)
        return false;
    bool start = false, asterisk = false;
    if (*templ == '^') {
        start = true;
        templ++;
    }
    while (*templ) {
        if (*templ == '*') {
            templ++;
            start = false;
            asterisk = true;
            continue;
        }
        if (*templ == '$')
            return *str == '\0' || asterisk;
        if (*str == '\0')
            return false;
        size_t n = strcspn(templ, "*$");
        const char *at = mt_tm_find(str, templ, n);
        if (!at || (start && at != str))
            return false;
        str = at + n;
        templ += n;
        start = false;
        asterisk = false;
    }
    return true;
}

#endif
