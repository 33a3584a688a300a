/* Services the host offers a plugin instance. Plugins reach the host only
 * through this table and link no symbol of the core. */
#ifndef COFFER_HOST_H
#define COFFER_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define CF_LOG_ERROR 0
#define CF_LOG_WARN 1
#define CF_LOG_INFO 2
#define CF_LOG_DEBUG 3
#define CF_LOG_TRACE 4

struct coffer_host {
    size_t struct_size; /* sizeof(struct coffer_host) of the host */
    void *ctx;          /* pass back as the first argument below */

    /* Log one line; the host prefixes the plugin name. Never log secrets. */
    void (*log)(void *ctx, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

    /* Typed lookups of this instance's config block. Return 0 and fill *out,
     * CF_ENOENT when the key is absent, CF_EINVAL when it has another type.
     * Strings are borrowed and live as long as the instance. */
    int (*config_string)(void *ctx, const char *key, const char **out);
    int (*config_int)(void *ctx, const char *key, long long *out);
    int (*config_bool)(void *ctx, const char *key, int *out);

    /* Memory that crosses the boundary is allocated with these. */
    void *(*alloc)(size_t n);
    void *(*realloc)(void *p, size_t n);
    void (*free)(void *p);
    void (*free_secret)(void *p, size_t n); /* zeroes n bytes, then frees */

    uint64_t (*monotonic_ms)(void);
    int64_t (*wall_ms)(void); /* Unix epoch, milliseconds */

    /* Non-zero once the host is shutting down: long waits should return
     * CF_ECANCELED soon after. */
    int (*cancelled)(void *ctx);
};

#endif
