/* Clocks, RFC 3339 timestamps and Vault-style durations. */
#ifndef CF_TIMEUTIL_H
#define CF_TIMEUTIL_H

#include <stdint.h>

int64_t cf_now_ns(void);          /* wall clock, ns since the epoch */
int64_t cf_now_ms(void);
uint64_t cf_mono_ms(void);
/* "2026-11-22T15:04:05.123456789Z" (nano precision, trailing zeros kept
 * off as Go's RFC3339Nano does). out must hold 40 bytes. */
void cf_time_rfc3339nano(int64_t ns, char out[40]);
/* "2026-11-22T15:04:05Z". out must hold 40 bytes. */
void cf_time_rfc3339(int64_t secs, char out[40]);
/* "768h", "1h30m", "90s", "250ms" (rounded down to s), or plain seconds
 * "3600". CF_EINVAL on anything else or a negative value. */
int cf_duration_parse(const char *s, long long *secs);

#endif
