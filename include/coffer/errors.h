/* Error codes shared by the host and every plugin.
 * Fallible functions return 0 or one of these negative codes; the numbers
 * are part of the ABI and never change meaning. */
#ifndef COFFER_ERRORS_H
#define COFFER_ERRORS_H

#include <stddef.h>

#define CF_OK          0
#define CF_ENOENT     -1   /* no such key / object */
#define CF_EINVAL     -2   /* bad argument or malformed input */
#define CF_EIO        -3   /* the backing store failed */
#define CF_ETIMEDOUT  -4
#define CF_ECANCELED  -5
#define CF_ENOTSUP    -6   /* operation not offered (NULL or short vtable) */
#define CF_ENOMEM     -7
#define CF_ECONFIG    -8   /* configuration is wrong: the message says what to change */
#define CF_ELOCKLOST  -9
#define CF_EUNAVAIL  -10   /* remote service unreachable, retry later */
#define CF_EEXIST    -11   /* already exists / already initialized */
#define CF_EDENIED   -12   /* permission denied */
#define CF_ESEALED   -13   /* the barrier is sealed */

/* One sentence of detail for the caller; never holds secret material.
 * Caller-owned, fixed size so that filling it cannot fail. */
struct coffer_err {
    char msg[512];
};

#endif
