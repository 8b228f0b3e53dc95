/* test_parse_double.c - reading JSON numbers into doubles is exact: the
 * fast paths of mb_parse_double (runtime/scalars.c) give the same bits as
 * strtod on decimals of 1 to 19 significant digits, on the exact halfway
 * points between two doubles, and on the shortest text of random doubles. */
#include <check.h>
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scalars.h"

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t next_random(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void same_as_strtod(const char *text)
{
    double want = strtod(text, NULL), got = -1;
    int rc = mb_parse_double(text, strlen(text), &got);
    ck_assert_msg(rc == 0, "%s: rc %d", text, rc);
    ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "%s: got %.17g, strtod %.17g", text,
                  got, want);
}

/* 1..19 digits, with a point somewhere or an exponent from -30 to 30. */
START_TEST(random_decimals)
{
    char text[64];
    for (long k = 0; k < 2000000; k++) {
        uint64_t r = next_random();
        int digits = 1 + (int)(r % 19), point = (int)((r >> 8) % 21), n = 0;
        if (r >> 63)
            text[n++] = '-';
        uint64_t v = next_random();
        for (int i = 0; i < digits; i++) {
            if (i == point && i > 0)
                text[n++] = '.';
            text[n++] = (char)('0' + (i == 0 && digits > 1 ? 1 + v % 9 : v % 10));
            v /= 10;
            if (v == 0)
                v = next_random();
        }
        if ((r >> 40) & 1)
            n += snprintf(text + n, sizeof text - (size_t)n, "e%d", (int)((r >> 41) % 61) - 30);
        text[n] = '\0';
        same_as_strtod(text);
    }
}
END_TEST

/* The exact midpoints between neighbouring doubles, and the decimals just
 * beside them, where a double rounding would go wrong. */
START_TEST(halfway_points)
{
    char text[64];
    for (long k = 0; k < 200000; k++) {
        /* a double with few significant digits: m * 2^-e, e in 1..10 */
        uint64_t m = (next_random() >> 11) | 1;        /* odd, 53 bits */
        int e = 1 + (int)(next_random() % 10);
        /* the midpoint (2m+1) / 2^(e+1) is a finite decimal with e+1
         * fraction digits; printed exactly it has up to 19+ digits */
        uint64_t num = m >> 40;                         /* keep it to 13 bits */
        num = 2 * num + 1;
        long double mid = (long double)num / (long double)(1ULL << (e + 1));
        snprintf(text, sizeof text, "%.*Lf", e + 1, mid);
        same_as_strtod(text);
        /* 2^53-scale midpoints: integers 2^53 + odd, as 16-digit decimals */
        uint64_t big = (UINT64_C(1) << 53) + 2 * (next_random() % 1000000) + 1;
        snprintf(text, sizeof text, "%llu", (unsigned long long)big);
        same_as_strtod(text);
        snprintf(text, sizeof text, "%llu0e-1", (unsigned long long)big);
        same_as_strtod(text);
        snprintf(text, sizeof text, "%llu", (unsigned long long)(big << 6 | 32));
        same_as_strtod(text);
    }
}
END_TEST

/* What encoders write: the shortest text of random doubles reads back. */
START_TEST(shortest_text_round_trips)
{
    char text[MB_NUMBER_TEXT];
    for (long k = 0; k < 1000000; k++) {
        uint64_t b = next_random();
        double d;
        memcpy(&d, &b, sizeof d);
        if (mb_format_double(d, text) < 0)
            continue;
        same_as_strtod(text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parse_double");
    TCase *tc = tcase_create("exact");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, random_decimals);
    tcase_add_test(tc, halfway_points);
    tcase_add_test(tc, shortest_text_round_trips);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
