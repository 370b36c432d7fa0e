/* Unit tests (cmocka) for report/humanize.c: sizes with binary units and
 * one decimal, counts with thousands separators, their signed forms for
 * changes, percentages, and parsing sizes with K/M/G/T. Exact strings:
 * the table output and its tests depend on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "humanize.h"

static void sizes(void **state)
{
    (void)state;
    char b[HZ_BUF];
    assert_string_equal(hz_size(0, b), "0 B");
    assert_string_equal(hz_size(1, b), "1 B");
    assert_string_equal(hz_size(1023, b), "1023 B");
    assert_string_equal(hz_size(1024, b), "1.0 KiB");
    assert_string_equal(hz_size(1536, b), "1.5 KiB");
    assert_string_equal(hz_size(5120, b), "5.0 KiB");
    assert_string_equal(hz_size(1048575, b), "1.0 MiB"); /* not "1024.0 KiB" */
    assert_string_equal(hz_size(1048576, b), "1.0 MiB");
    assert_string_equal(hz_size(1288490189, b), "1.2 GiB");
    assert_string_equal(hz_size(5ull << 40, b), "5.0 TiB");
    assert_string_equal(hz_size(UINT64_MAX, b), "16.0 EiB");
}

static void counts(void **state)
{
    (void)state;
    char b[HZ_BUF];
    assert_string_equal(hz_count(0, b), "0");
    assert_string_equal(hz_count(999, b), "999");
    assert_string_equal(hz_count(1000, b), "1,000");
    assert_string_equal(hz_count(123456, b), "123,456");
    assert_string_equal(hz_count(1234567, b), "1,234,567");
    assert_string_equal(hz_count(UINT64_MAX, b), "18,446,744,073,709,551,615");
}

static void deltas(void **state)
{
    (void)state;
    char b[HZ_BUF];
    assert_string_equal(hz_size_delta(0, false, b), "0 B");
    assert_string_equal(hz_size_delta(0, true, b), "0 B");
    assert_string_equal(hz_size_delta(512, true, b), "-512 B");
    assert_string_equal(hz_size_delta(1536, false, b), "+1.5 KiB");
    assert_string_equal(hz_size_delta(UINT64_MAX, true, b), "-16.0 EiB");
    assert_string_equal(hz_count_delta(0, false, b), "0");
    assert_string_equal(hz_count_delta(1234, false, b), "+1,234");
    assert_string_equal(hz_count_delta(UINT64_MAX, true, b), "-18,446,744,073,709,551,615");
}

static void percents(void **state)
{
    (void)state;
    char b[HZ_BUF];
    assert_string_equal(hz_percent(1, 0, b), "-");
    assert_string_equal(hz_percent(0, 10, b), "0.0%");
    assert_string_equal(hz_percent(1, 3, b), "33.3%");
    assert_string_equal(hz_percent(10, 10, b), "100.0%");
    assert_string_equal(hz_percent(UINT64_MAX, 1, b), "999.9%");
}

static void parse_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        uint64_t v;
    } cases[] = {
        {"0", 0, 0}, {"1234", 0, 1234}, {"1K", 0, 1024}, {"1KiB", 0, 1024},
        {"3M", 0, 3u << 20}, {"2GiB", 0, 2ull << 30}, {"1T", 0, 1ull << 40},
        {"18446744073709551615", 0, UINT64_MAX}, {"18446744073709551616", -1, 0},
        {"16777216T", -1, 0}, {"", -1, 0}, {"-1", -1, 0}, {"+1", -1, 0}, {"1.5K", -1, 0},
        {"1k", -1, 0}, {"1KB", -1, 0}, {"1 K", -1, 0}, {"K", -1, 0}, {"1Ki", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 77;
        int rc = hz_parse_size(cases[i].s, &v);
        if (rc != cases[i].rc || (rc == 0 && v != cases[i].v))
            fail_msg("'%s': rc %d value %llu", cases[i].s, rc, (unsigned long long)v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes),
        cmocka_unit_test(counts),
        cmocka_unit_test(deltas),
        cmocka_unit_test(percents),
        cmocka_unit_test(parse_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
