/* Growable NUL-terminated buffer used to build JSON, paths and messages. */
#include "util/buf.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct cf_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return CF_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int cf_buf_append(struct cf_buf *b, const void *p, size_t n)
{
    if (reserve(b, n))
        return CF_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int cf_buf_puts(struct cf_buf *b, const char *s)
{
    return cf_buf_append(b, s, strlen(s));
}

int cf_buf_vprintf(struct cf_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || reserve(b, (size_t)n))
        return CF_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int cf_buf_printf(struct cf_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cf_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *cf_buf_take(struct cf_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void cf_buf_reset(struct cf_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cf_buf_free(struct cf_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
