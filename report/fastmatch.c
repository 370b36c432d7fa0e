/* See fastmatch.h. The match is the classic one for '*' and '?': on a
 * mismatch, retry from the last '*' with one more byte swallowed by it;
 * linear in practice, O(pattern x string) at worst. */
#include "fastmatch.h"

#include <fnmatch.h>
#include <stddef.h>

static bool simple(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p >= 0x80 || *p == '[' || *p == '\\')
            return false;
    return true;
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

bool fast_fnmatch(const char *pat, const char *s)
{
    if (!simple(pat) || !ascii(s))
        return fnmatch(pat, s, 0) == 0;
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = ++pat;
            resume = s;
        } else if (*pat == '?' || *pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}
