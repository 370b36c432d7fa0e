/* Human-readable sizes, counts and percentages. Sizes: below 1024 exact
 * bytes, then KiB..EiB with one decimal, rounding up a unit when the rounded
 * figure would read 1024.0. Counts: decimal with ',' every three digits.
 * And the one parser of sizes given on the command line. */
#include "humanize.h"

#include <stdio.h>
#include <string.h>

char *hz_size(uint64_t bytes, char *buf)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, HZ_BUF, "%u B", (unsigned)bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (u + 1 < sizeof units / sizeof units[0] && v >= 1023.95) {
        v /= 1024.0;
        u++;
    }
    snprintf(buf, HZ_BUF, "%.1f %s", v, units[u]);
    return buf;
}

char *hz_count(uint64_t n, char *buf)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    char *p = buf;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            *p++ = ',';
        *p++ = digits[i];
    }
    *p = '\0';
    return buf;
}

int hz_parse_size(const char *s, uint64_t *out)
{
    static const char units[] = "KMGT";
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p) {
        const char *u = strchr(units, *p);
        if (!u || !*u || (p[1] && strcmp(p + 1, "iB") != 0))
            return -1;
        for (int shift = (int)(u - units) + 1; shift > 0; shift--) {
            if (v > UINT64_MAX / 1024)
                return -1;
            v *= 1024;
        }
    }
    *out = v;
    return 0;
}

char *hz_percent(uint64_t part, uint64_t total, char *buf)
{
    if (total == 0) {
        strcpy(buf, "-");
        return buf;
    }
    double pct = 100.0 * (double)part / (double)total;
    if (pct > 999.9)
        pct = 999.9;
    snprintf(buf, HZ_BUF, "%.1f%%", pct);
    return buf;
}

static char *signed_of(char *(*fmt)(uint64_t, char *), uint64_t mag, bool neg, char *buf)
{
    char tmp[HZ_BUF];
    fmt(mag, tmp);          /* at most 26 characters: a sign still fits */
    buf[0] = neg ? '-' : '+';
    memcpy(buf + (mag != 0), tmp, strlen(tmp) + 1);
    return buf;
}

char *hz_size_delta(uint64_t mag, bool neg, char *buf)
{
    return signed_of(hz_size, mag, neg, buf);
}

char *hz_count_delta(uint64_t mag, bool neg, char *buf)
{
    return signed_of(hz_count, mag, neg, buf);
}
