/* Error codes shared by the host and every plugin.
 * Fallible functions return 0 or one of these negative codes; the numbers
 * are part of the ABI and never change meaning. */
#ifndef COFFER_ERRORS_H
#define COFFER_ERRORS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define CF_OK 0
#define CF_ENOENT -1 /* no such key / object */
#define CF_EINVAL -2 /* bad argument or malformed input */
#define CF_EIO -3    /* the backing store failed */
#define CF_ETIMEDOUT -4
#define CF_ECANCELED -5
#define CF_ENOTSUP -6 /* operation not offered (NULL or short vtable) */
#define CF_ENOMEM -7
#define CF_ECONFIG -8 /* configuration is wrong: the message says what to change */
#define CF_ELOCKLOST -9
#define CF_EUNAVAIL -10 /* remote service unreachable, retry later */
#define CF_EEXIST -11   /* already exists / already initialized */
#define CF_EDENIED -12  /* permission denied */
#define CF_ESEALED -13  /* the barrier is sealed */

/* One sentence of detail for the caller; never holds secret material.
 * Caller-owned, fixed size so that filling it cannot fail. */
struct coffer_err {
    char msg[512];
};

/* printf into err->msg; a NULL err is ignored so that callers need not
 * check. A message too long is cut at msg's size, never mid UTF-8
 * sequence (messages carry "—"), and always ends in '\0'. */
static inline void coffer_err_set(struct coffer_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline void coffer_err_set(struct coffer_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        err->msg[0] = '\0';
    } else if ((size_t)n >= sizeof err->msg) {
        /* Drop a trailing sequence that lost its continuation bytes. */
        size_t end = sizeof err->msg - 1, lead = end;
        while (lead > 0 && ((unsigned char)err->msg[lead - 1] & 0xC0) == 0x80)
            lead--;
        if (lead > 0 && ((unsigned char)err->msg[lead - 1] & 0x80)) {
            unsigned char c = (unsigned char)err->msg[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (end - (lead - 1) < want)
                err->msg[lead - 1] = '\0';
        }
    }
}

#endif
