/* Levelled logging to a stream (stderr by default). Callers never pass
 * secrets or tokens; the logger cannot tell them apart. */
#ifndef CF_LOG_H
#define CF_LOG_H

#include <stdio.h>
#include <coffer/host.h> /* CF_LOG_* levels */

struct cf_logger {
    int level; /* lines above this level are dropped */
    FILE *out; /* NULL means stderr */
};

void cf_log(const struct cf_logger *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cf_vlog(const struct cf_logger *l, int level, const char *prefix, const char *fmt,
             va_list ap);
/* "trace|debug|info|warn|warning|error" → level; CF_EINVAL otherwise. */
int cf_log_level_parse(const char *s, int *level);

#endif
