/* One formatted line per call, written with a single fputs so concurrent
 * threads do not interleave inside a line. */
#include "util/log.h"
#include "util/buf.h"
#include "util/encode.h"
#include <coffer/errors.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *NAMES[] = {"error", "warn", "info", "debug", "trace"};

void cf_vlog(const struct cf_logger *l, int level, const char *prefix, const char *fmt,
             va_list ap)
{
    if (!l || level > l->level || level < 0 || level > CF_LOG_TRACE)
        return;
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    struct cf_buf b = {0};
    cf_buf_printf(&b, "%s.%03ldZ [%s] %s%s", when, ts.tv_nsec / 1000000, NAMES[level],
                  prefix ? prefix : "", prefix ? ": " : "");
    cf_buf_vprintf(&b, fmt, ap);
    /* Messages quote paths and keys a client chose: no forged lines. */
    cf_str_oneline(b.data);
    cf_buf_puts(&b, "\n");
    if (b.data)
        fputs(b.data, l->out ? l->out : stderr);
    cf_buf_free(&b);
}

void cf_log(const struct cf_logger *l, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cf_vlog(l, level, NULL, fmt, ap);
    va_end(ap);
}

int cf_log_level_parse(const char *s, int *level)
{
    for (int i = 0; i <= CF_LOG_TRACE; i++)
        if (!strcasecmp(s, NAMES[i])) {
            *level = i;
            return 0;
        }
    if (!strcasecmp(s, "warning")) {
        *level = CF_LOG_WARN;
        return 0;
    }
    return CF_EINVAL;
}
