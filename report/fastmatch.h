/* fnmatch(3) with flags 0, fast for the common case. In a UTF-8 locale
 * (the reporter sets LC_CTYPE for its tables) glibc's fnmatch converts
 * pattern and string to wide characters on every call, which made it the
 * bulk of a big snapshot's report: site finding and the filters match every
 * frame of every stack. */
#ifndef MTRACE_REPORT_FASTMATCH_H
#define MTRACE_REPORT_FASTMATCH_H

#include <stdbool.h>

/* fnmatch(PAT, S, 0) == 0. ASCII patterns made of literals, '*' and '?'
 * against ASCII strings are matched here, byte by byte (the same as
 * character by character then); anything else (a bracket expression, a
 * backslash, a byte >= 0x80 on either side) goes to fnmatch itself. */
bool fast_fnmatch(const char *pat, const char *s);

#endif
