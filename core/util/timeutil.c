/* Time helpers shared by the API layer and the engines. */
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t cf_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cf_now_ms(void) { return cf_now_ns() / 1000000; }

uint64_t cf_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cf_time_rfc3339(int64_t secs, char out[40])
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 40, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void cf_time_rfc3339nano(int64_t ns, char out[40])
{
    time_t t = (time_t)(ns / 1000000000LL);
    long frac = (long)(ns % 1000000000LL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!frac) {
        snprintf(out, 40, "%sZ", base);
        return;
    }
    char f[16];
    snprintf(f, sizeof f, "%09ld", frac % 1000000000L);
    for (int i = 8; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    f[9] = '\0';
    /* base is 19 chars and f at most 9: 30 bytes with '.', 'Z' and NUL. */
    snprintf(out, 40, "%.19s.%.9sZ", base, f);
}

int cf_duration_parse(const char *s, long long *secs)
{
    if (!s || !*s)
        return CF_EINVAL;
    char *end;
    long long plain = strtoll(s, &end, 10);
    if (!*end) {
        if (plain < 0)
            return CF_EINVAL;
        *secs = plain;
        return 0;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        /* Only plain decimals: strtod would also take "inf", "nan", "0x". */
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return CF_EINVAL;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return CF_EINVAL;
        p = end;
        double mult;
        if (!strncmp(p, "ms", 2)) { mult = 0.001; p += 2; }
        else if (*p == 'h') { mult = 3600; p++; }
        else if (*p == 'm') { mult = 60; p++; }
        else if (*p == 's') { mult = 1; p++; }
        else if (*p == 'd') { mult = 86400; p++; }
        else return CF_EINVAL;
        total += v * mult;
        /* Bound before converting: an out-of-range double is UB. */
        if (!(total < 9.0e18))
            return CF_EINVAL;
    }
    *secs = (long long)total;
    return 0;
}
