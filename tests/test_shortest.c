/* test_shortest.c - the shortest-text formatter of doubles and floats
 * (runtime/shortest.c) against a slow reference built on printf and strtod.
 *
 * For every value: the text reads back to the same bits, no text of one
 * digit fewer reads back, and it is the correctly rounded text of its
 * length when that one reads back.  The random part checks
 * MSGBUS_SHORTEST_COUNT bit patterns (default 100000 of each type; `make
 * check-shortest-full` runs 10 million). */
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalars.h"

/* Significant digits of a JSON number text, without leading zeros and
 * trailing zeros; *exp10 gets the exponent of the last digit. */
static void split_text(const char *s, char *digits, int *exp10)
{
    int n = 0, e = 0;
    bool seen_point = false;
    if (*s == '-')
        s++;
    for (; *s && *s != 'e'; s++) {
        if (*s == '.') {
            seen_point = true;
            continue;
        }
        if (n == 0 && *s == '0') {
            if (seen_point)
                e--;
            continue;
        }
        digits[n++] = *s;
        if (seen_point)
            e--;
    }
    if (*s == 'e')
        e += atoi(s + 1);
    while (n > 1 && digits[n - 1] == '0') {
        n--;
        e++;
    }
    if (n == 0)
        digits[n++] = '0';
    digits[n] = '\0';
    *exp10 = e;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static bool reads_back(const char *text, double v, bool is_float)
{
    double back = strtod(text, NULL);
    if (is_float)
        return (float)back == (float)v && signbit(back) == signbit(v);
    return memcmp(&back, &v, sizeof v) == 0;
}

/* The slow reference, for one length n: the correctly rounded n-digit
 * decimal of v and its two neighbours (which matter where the interval is
 * lopsided, at powers of two).  Returns whether any of them reads back;
 * *rounded_ok tells whether the correctly rounded one does, and best gets
 * its digits. */
static bool some_text_of_length(double v, bool is_float, int n, char *best, bool *rounded_ok)
{
    char text[64];
    snprintf(text, sizeof text, "%.*e", n - 1, v);
    int e;
    split_text(text, best, &e);
    *rounded_ok = reads_back(text, v, is_float);
    if (*rounded_ok)
        return true;
    char *epos = strchr(text, 'e');
    int exp10 = atoi(epos + 1) - (n - 1);
    char mant[32];
    size_t m = 0;
    for (const char *p = text; p < epos; p++)
        if (*p >= '0' && *p <= '9')
            mant[m++] = *p;
    mant[m] = '\0';
    uint64_t mv = strtoull(mant, NULL, 10);
    for (int delta = -1; delta <= 1; delta += 2) {
        char alt[64];
        snprintf(alt, sizeof alt, "%s%" PRIu64 "e%d", v < 0 ? "-" : "",
                 mv + (uint64_t)(int64_t)delta, exp10);
        if (reads_back(alt, v, is_float))
            return true;
    }
    return false;
}

/* Checks one value; returns true when it passes (fails the test if not). */
static void check_value(double v, bool is_float)
{
    char out[MB_NUMBER_TEXT], digits[32], best[32];
    int n = is_float ? mb_format_float((float)v, out) : mb_format_double(v, out);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq((int)strlen(out), n);
    ck_assert_msg(reads_back(out, v, is_float), "%s does not read back as %a", out, v);
    int e;
    split_text(out, digits, &e);
    if (v == 0) {
        ck_assert_str_eq(out, signbit(v) ? "-0" : "0");
        return;
    }
    /* Shortest: nothing of one digit fewer reads back (lengths that work
     * are closed upwards: a k-digit text is a (k+1)-digit one too, so
     * checking one length fewer is enough).  Closest: when the correctly
     * rounded text of our length reads back, ours is that one. */
    int n_digits = (int)strlen(digits);
    bool rounded_ok;
    if (n_digits > 1)
        ck_assert_msg(!some_text_of_length(v, is_float, n_digits - 1, best, &rounded_ok),
                      "%s (%a): %d digits suffice", out, v, n_digits - 1);
    some_text_of_length(v, is_float, n_digits, best, &rounded_ok);
    if (rounded_ok)
        ck_assert_msg(strcmp(digits, best) == 0, "%s (%a): expected digits %s", out, v, best);
    /* JSON grammar: no '+' in front, no leading zeros, digits after '.' */
    ck_assert(out[0] == '-' || (out[0] >= '0' && out[0] <= '9'));
    ck_assert(strstr(out, "inf") == NULL && strstr(out, "nan") == NULL);
}

static void check_double(double v) { check_value(v, false); }
static void check_float(float v) { check_value((double)v, true); }

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static float float_from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

START_TEST(zeros_and_extremes)
{
    check_double(0.0);
    check_double(-0.0);
    check_float(0.0f);
    check_float(-0.0f);
    check_double(DBL_MIN);
    check_double(DBL_MAX);
    check_double(-DBL_MAX);
    check_double(from_bits(1));                 /* smallest subnormal */
    check_double(from_bits(0x000fffffffffffffu));  /* largest subnormal */
    check_float(FLT_MIN);
    check_float(FLT_MAX);
    check_float(float_from_bits(1));
    check_float(float_from_bits(0x007fffff));
    char out[MB_NUMBER_TEXT];
    ck_assert_int_eq(mb_format_double(from_bits(1), out), 6);
    ck_assert_str_eq(out, "5e-324");
    mb_format_double(DBL_MAX, out);
    ck_assert_str_eq(out, "1.7976931348623157e+308");
    mb_format_float(FLT_MAX, out);
    ck_assert_str_eq(out, "3.4028235e+38");
    mb_format_float(float_from_bits(1), out);
    ck_assert_str_eq(out, "1e-45");
}
END_TEST

START_TEST(every_subnormal_boundary)
{
    /* all subnormal and normal powers of two, and their neighbours */
    for (int e = 0; e < 2047; e++)
        for (int64_t d = -2; d <= 2; d++) {
            uint64_t b = ((uint64_t)e << 52) + (uint64_t)d;
            if ((int64_t)b >= 0 && (b >> 52) < 2047)
                check_double(from_bits(b));
        }
    for (int e = 0; e < 255; e++)
        for (int32_t d = -2; d <= 2; d++) {
            uint32_t b = ((uint32_t)e << 23) + (uint32_t)d;
            if ((int32_t)b >= 0 && (b >> 23) < 255)
                check_float(float_from_bits(b));
        }
}
END_TEST

START_TEST(integers)
{
    /* every integer up to 2^20, then samples up to 2^53 and its neighbours */
    char out[MB_NUMBER_TEXT], expect[32];
    for (int64_t i = 0; i <= (1 << 20); i++) {
        mb_format_double((double)i, out);
        snprintf(expect, sizeof expect, "%.15g", (double)i);
        ck_assert_str_eq(out, expect);
    }
    for (int i = 0; i < 200000; i++) {
        int64_t v = (int64_t)(next_random() >> 11);        /* < 2^53 */
        check_double((double)v);
        check_double((double)-v);
    }
    for (int k = 1; k <= 64; k++) {
        check_double(ldexp(1, k));
        check_double(ldexp(1, k) - 1);
        check_double(ldexp(1, k) + 1);
    }
    mb_format_double(9007199254740992.0, out);
    ck_assert_str_eq(out, "9007199254740992");
    mb_format_double(18014398509481988.0, out);         /* 2^54 + 4 */
    ck_assert_str_eq(out, "18014398509481988");
}
END_TEST

START_TEST(powers_of_ten)
{
    char out[MB_NUMBER_TEXT], want[40];
    for (int e = -323; e <= 308; e++) {
        snprintf(want, sizeof want, "1e%d", e);
        double v = strtod(want, NULL);
        check_double(v);
        mb_format_double(v, out);
        char digits[32];
        int exp10;
        split_text(out, digits, &exp10);
        ck_assert_msg(strcmp(digits, "1") == 0 && exp10 == e, "1e%d printed as %s", e, out);
    }
    for (int e = -45; e <= 38; e++) {
        snprintf(want, sizeof want, "1e%d", e);
        check_float(strtof(want, NULL));
    }
    mb_format_double(1e15, out);
    ck_assert_str_eq(out, "1e+15");
    mb_format_double(1e-5, out);
    ck_assert_str_eq(out, "1e-05");
    mb_format_double(0.0001, out);
    ck_assert_str_eq(out, "0.0001");
    mb_format_double(123456789012345.0, out);
    ck_assert_str_eq(out, "123456789012345");
}
END_TEST

START_TEST(where_17g_differs)
{
    /* "%.17g" writes noise digits the shortest text does without */
    static const struct { double v; const char *text; } cases[] = {
        { 0.1, "0.1" }, { 0.2, "0.2" }, { 0.3, "0.3" }, { 0.1 + 0.2, "0.30000000000000004" },
        { 1.0 / 3, "0.3333333333333333" }, { 2.0 / 3, "0.6666666666666666" },
        { 1234.56, "1234.56" }, { 5e-324, "5e-324" }, { 1e23, "1e+23" },
        { 0.1 + 0.7, "0.7999999999999999" }, { 2.2250738585072014e-308,
          "2.2250738585072014e-308" }, { 4.9406564584124654e-324, "5e-324" },
        { 123456789012345680.0, "1.2345678901234568e+17" }, { -2.5, "-2.5" }, { 100, "100" },
        { 1e300, "1e+300" }, { 5e-5, "5e-05" }, { 0.000123, "0.000123" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[MB_NUMBER_TEXT], seventeen[40];
        mb_format_double(cases[i].v, out);
        ck_assert_str_eq(out, cases[i].text);
        check_double(cases[i].v);
        snprintf(seventeen, sizeof seventeen, "%.17g", cases[i].v);
        (void)seventeen;
    }
    char out[MB_NUMBER_TEXT];
    mb_format_float(0.1f, out);
    ck_assert_str_eq(out, "0.1");
    mb_format_float(16777216.0f, out);
    ck_assert_str_eq(out, "16777216");
    mb_format_float(1e7f, out);
    ck_assert_str_eq(out, "1e+07");
    mb_format_float(3.14159274f, out);
    ck_assert_str_eq(out, "3.1415927");
}
END_TEST

START_TEST(nan_and_infinity_refused)
{
    char out[MB_NUMBER_TEXT];
    ck_assert_int_eq(mb_format_double(NAN, out), -1);
    ck_assert_int_eq(mb_format_double(INFINITY, out), -1);
    ck_assert_int_eq(mb_format_double(-INFINITY, out), -1);
    ck_assert_int_eq(mb_format_float(NAN, out), -1);
    ck_assert_int_eq(mb_format_float(-INFINITY, out), -1);
}
END_TEST

static long random_count(void)
{
    const char *s = getenv("MSGBUS_SHORTEST_COUNT");
    return s && *s ? atol(s) : 100000;
}

START_TEST(random_bit_patterns)
{
    long count = random_count();
    for (long i = 0; i < count; i++) {
        uint64_t b = next_random();
        if ((b >> 52 & 0x7ff) == 0x7ff)
            continue;               /* NaN and infinities: tested above */
        check_double(from_bits(b));
    }
    for (long i = 0; i < count; i++) {
        uint32_t b = (uint32_t)(next_random() >> 32);
        if ((b >> 23 & 0xff) == 0xff)
            continue;
        check_float(float_from_bits(b));
    }
    printf("random_bit_patterns: %ld doubles and %ld floats checked\n", count, count);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("shortest");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, zeros_and_extremes);
    tcase_add_test(tc, every_subnormal_boundary);
    tcase_add_test(tc, integers);
    tcase_add_test(tc, powers_of_ten);
    tcase_add_test(tc, where_17g_differs);
    tcase_add_test(tc, nan_and_infinity_refused);
    tcase_add_test(tc, random_bit_patterns);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
