/* Durations and time arithmetic: every user-supplied length of time is held
 * to CF_DURATION_MAX_SECS, and deadlines saturate instead of wrapping. */
#include "cf_test.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdint.h>

static long long dur(const char *s)
{
    long long x = -42;
    return cf_duration_parse(s, &x) ? -1 : x;
}

static void test_parse_forms(void)
{
    CF_ASSERT_INT_EQ(dur("3600"), 3600);
    CF_ASSERT_INT_EQ(dur("1h30m"), 5400);
    CF_ASSERT_INT_EQ(dur("90s"), 90);
    CF_ASSERT_INT_EQ(dur("2d"), 172800);
    CF_ASSERT_INT_EQ(dur("1500ms"), 1);
    CF_ASSERT_INT_EQ(dur("0"), 0);
    CF_ASSERT_INT_EQ(dur(""), -1);
    CF_ASSERT_INT_EQ(dur("-5"), -1);
    CF_ASSERT_INT_EQ(dur("soon"), -1);
    CF_ASSERT_INT_EQ(dur("inf"), -1);
    CF_ASSERT_INT_EQ(dur("5x"), -1);
    CF_ASSERT_INT_EQ(cf_duration_too_long("soon"), 0);
    CF_ASSERT_INT_EQ(cf_duration_too_long("1h"), 0);
}

/* F14's class: the longest accepted duration still converts to int64 ns. */
static void test_parse_limit(void)
{
    CF_ASSERT_INT_EQ(CF_DURATION_MAX_SECS, 9223372036LL);
    CF_ASSERT_INT_EQ(dur("9223372036"), 9223372036LL);
    CF_ASSERT_INT_EQ(dur("9223372036s"), 9223372036LL);
    CF_ASSERT_INT_EQ(dur("2562047h47m16s"), 9223372036LL);
    CF_ASSERT_INT_EQ(dur("9223372037"), -1);
    CF_ASSERT_INT_EQ(dur("2562048h"), -1);
    CF_ASSERT_INT_EQ(dur("99999999999999999999"), -1);
    CF_ASSERT_INT_EQ(dur("99999999999999999999h"), -1);
    CF_ASSERT_INT_EQ(dur("1e18h"), -1); /* strtod reads the exponent */
    CF_ASSERT_INT_EQ(dur("1000000000000000000h"), -1);
    char big[320]; /* 1e300h: strtod's range, far past ours */
    memset(big, '0', sizeof big);
    big[0] = '1';
    big[301] = 'h';
    big[302] = '\0';
    CF_ASSERT_INT_EQ(dur(big), -1);
    big[301] = '0';
    big[310] = 'h';
    big[311] = '\0'; /* 1e309h: strtod overflows to HUGE_VAL */
    CF_ASSERT_INT_EQ(dur(big), -1);
    CF_ASSERT_INT_EQ(cf_duration_too_long("9223372037"), 1);
    CF_ASSERT_INT_EQ(cf_duration_too_long("99999999999999999999"), 1);
    CF_ASSERT_INT_EQ(cf_duration_too_long("99999999999999999999h"), 1);
    CF_ASSERT_INT_EQ(cf_duration_too_long("9223372036"), 0);
}

static void test_add_secs(void)
{
    CF_ASSERT_INT_EQ(cf_time_add_secs(5, 2), 2000000005LL);
    CF_ASSERT_INT_EQ(cf_time_add_secs(5, -1), -999999995LL);
    int64_t now = cf_now_ns();
    CF_ASSERT_INT_EQ(cf_time_add_secs(now, CF_DURATION_MAX_SECS), INT64_MAX);
    CF_ASSERT_INT_EQ(cf_time_add_secs(now, 9000000000000000000LL), INT64_MAX);
    CF_ASSERT_INT_EQ(cf_time_add_secs(-now, -CF_DURATION_MAX_SECS), INT64_MIN);
    CF_ASSERT_INT_EQ(cf_time_add_secs(0, CF_DURATION_MAX_SECS),
                     CF_DURATION_MAX_SECS * 1000000000LL);
}

static void test_rfc3339_far(void)
{
    char out[40];
    cf_time_rfc3339(0, out);
    CF_ASSERT_STR_EQ(out, "1970-01-01T00:00:00Z");
    /* now + the longest TTL: a real date, no wrap to the past */
    cf_time_rfc3339(1800000000LL + CF_DURATION_MAX_SECS, out);
    CF_ASSERT_STR_EQ(out, "2319-04-27T07:47:16Z");
    cf_time_rfc3339(INT64_MAX, out);
    CF_ASSERT_STR_EQ(out, "9999-12-31T23:59:59Z");
    cf_time_rfc3339nano(INT64_MAX, out);
    CF_ASSERT_STR_EQ(out, "2262-04-11T23:47:16.854775807Z");
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"parse_forms", test_parse_forms},
        {"parse_limit", test_parse_limit},
        {"add_secs", test_add_secs},
        {"rfc3339_far", test_rfc3339_far},
        {NULL, NULL},
    };
    return cf_test_run("timeutil", cases);
}
