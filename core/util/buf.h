/* A growable byte buffer, always NUL-terminated. */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct cf_buf {
    char *data; /* NUL-terminated, NULL until the first append */
    size_t len;
    size_t cap;
};

/* Each returns 0 or CF_ENOMEM; on failure the buffer is unchanged. */
int cf_buf_append(struct cf_buf *b, const void *p, size_t n);
int cf_buf_puts(struct cf_buf *b, const char *s);
int cf_buf_printf(struct cf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cf_buf_vprintf(struct cf_buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (free with free()); the buffer is reset. */
char *cf_buf_take(struct cf_buf *b);
void cf_buf_reset(struct cf_buf *b);
void cf_buf_free(struct cf_buf *b);

#endif
