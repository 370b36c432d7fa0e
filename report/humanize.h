/* Human-readable numbers for table output: sizes in binary units with one
 * decimal (0 B, 512 B, 1.5 KiB, 2.0 GiB) and counts with thousands separators
 * (1,234,567), both also signed for changes. Pure functions, unit-tested in tests/report/test_humanize.c. */
#ifndef MTRACE_REPORT_HUMANIZE_H
#define MTRACE_REPORT_HUMANIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HZ_BUF 32

/* Write into BUF (at least HZ_BUF bytes) and return BUF. */
char *hz_size(uint64_t bytes, char *buf);
char *hz_count(uint64_t n, char *buf);
/* Signed forms for changes: "+1.5 KiB", "-512 B", "+1,234"; zero is "0 B", "0". */
char *hz_size_delta(uint64_t mag, bool neg, char *buf);
char *hz_count_delta(uint64_t mag, bool neg, char *buf);
/* Parse a byte size: digits, then optionally K, M, G or T (binary
 * multiples: 1K = 1024), alone or as KiB/MiB/GiB/TiB. 0, or -1 on anything
 * else (a sign, a fraction, overflow). */
int hz_parse_size(const char *s, uint64_t *out);

/* "12.3%"; values are clamped to [0, 999.9]; "-" when TOTAL is 0. */
char *hz_percent(uint64_t part, uint64_t total, char *buf);

#endif
