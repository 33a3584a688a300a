/* Clocks, RFC 3339 timestamps and Vault-style durations. */
#ifndef CF_TIMEUTIL_H
#define CF_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

int64_t cf_now_ns(void); /* wall clock, ns since the epoch */
int64_t cf_now_ms(void);
uint64_t cf_mono_ms(void);
/* clock's time ms milliseconds from now, for pthread_cond_timedwait on a
 * condition bound to that clock. */
void cf_deadline_in(clockid_t clock, unsigned ms, struct timespec *out);
/* "2026-11-22T15:04:05.123456789Z" (nano precision, trailing zeros kept
 * off as Go's RFC3339Nano does). out must hold 40 bytes. */
void cf_time_rfc3339nano(int64_t ns, char out[40]);
/* "2026-11-22T15:04:05Z". out must hold 40 bytes. */
void cf_time_rfc3339(int64_t secs, char out[40]);

/* The longest duration Coffer takes from anyone, in seconds: what still
 * fits in int64 nanoseconds (Go's time.Duration, so Vault's own limit),
 * 2562047h47m16s or about 292 years. Every TTL is held to it on the way
 * in, so that a checked value converts to ns without overflow. */
#define CF_DURATION_MAX_SECS (INT64_MAX / 1000000000LL)
#define CF_DURATION_MAX_TEXT "9223372036s (about 292 years)"

/* "768h", "1h30m", "90s", "250ms" (rounded down to s), or plain seconds
 * "3600". CF_EINVAL on anything else, a negative value, or more than
 * CF_DURATION_MAX_SECS. */
int cf_duration_parse(const char *s, long long *secs);
/* 1 when s is a well-formed duration longer than CF_DURATION_MAX_SECS: lets
 * a caller whose cf_duration_parse failed say "too long", not "malformed". */
int cf_duration_too_long(const char *s);
/* ns plus secs seconds, saturated to the int64 range: deadlines computed
 * from stored or requested numbers stay ordered instead of wrapping. */
int64_t cf_time_add_secs(int64_t ns, long long secs);
/* Go's time.Duration.String() of whole seconds, as Vault prints TTLs and
 * intervals: "0s", "30s", "5m0s", "1h2m3s", "-1s". */
void cf_duration_str(long long secs, char out[40]);

#endif
