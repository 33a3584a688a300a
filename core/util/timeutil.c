/* Time helpers shared by the API layer and the engines. */
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <errno.h>
#include <math.h>
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

void cf_deadline_in(clockid_t clock, unsigned ms, struct timespec *out)
{
    clock_gettime(clock, out);
    out->tv_sec += ms / 1000;
    out->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (out->tv_nsec >= 1000000000L) {
        out->tv_sec++;
        out->tv_nsec -= 1000000000L;
    }
}

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
    /* Only a stored value past year 2^31 fails; Go prints it, we clamp. */
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 40, "%s",
                 secs < 0 ? "0001-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
        return;
    }
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

/* The duration s in seconds, unbounded above; CF_EINVAL when malformed or
 * negative. A plain integer beyond long long reads as HUGE_VAL. */
static int parse_secs(const char *s, double *out)
{
    if (!s || !*s)
        return CF_EINVAL;
    char *end;
    errno = 0;
    long long plain = strtoll(s, &end, 10);
    if (!*end) {
        if (plain < 0)
            return CF_EINVAL;
        *out = errno == ERANGE ? HUGE_VAL : (double)plain;
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
        if (!strncmp(p, "ms", 2)) {
            mult = 0.001;
            p += 2;
        } else if (*p == 'h') {
            mult = 3600;
            p++;
        } else if (*p == 'm') {
            mult = 60;
            p++;
        } else if (*p == 's') {
            mult = 1;
            p++;
        } else if (*p == 'd') {
            mult = 86400;
            p++;
        } else
            return CF_EINVAL;
        total += v * mult;
    }
    *out = total;
    return 0;
}

int cf_duration_parse(const char *s, long long *secs)
{
    double total;
    if (parse_secs(s, &total))
        return CF_EINVAL;
    /* Bound before converting: an out-of-range double is UB. */
    if (!(total < (double)CF_DURATION_MAX_SECS + 1))
        return CF_EINVAL;
    *secs = (long long)total;
    return 0;
}

int cf_duration_too_long(const char *s)
{
    double total;
    return !parse_secs(s, &total) && !(total < (double)CF_DURATION_MAX_SECS + 1);
}

int64_t cf_time_add_secs(int64_t ns, long long secs)
{
    int64_t d, r;
    if (__builtin_mul_overflow((int64_t)secs, INT64_C(1000000000), &d) ||
        __builtin_add_overflow(ns, d, &r))
        return secs < 0 ? INT64_MIN : INT64_MAX;
    return r;
}

void cf_duration_str(long long secs, char out[40])
{
    if (!secs) {
        snprintf(out, 40, "0s");
        return;
    }
    const char *sign = secs < 0 ? "-" : "";
    unsigned long long a =
        secs < 0 ? 0ULL - (unsigned long long)secs : (unsigned long long)secs;
    unsigned long long h = a / 3600, mi = (a % 3600) / 60, s = a % 60;
    if (h)
        snprintf(out, 40, "%s%lluh%llum%llus", sign, h, mi, s);
    else if (mi)
        snprintf(out, 40, "%s%llum%llus", sign, mi, s);
    else
        snprintf(out, 40, "%s%llus", sign, s);
}
