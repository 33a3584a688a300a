/* Turns a backend's cf_result into the HTTP status and body Vault clients
 * expect: the response envelope, an error list, a raw body or nothing. */
#ifndef CF_HTTP_ENVELOPE_H
#define CF_HTTP_ENVELOPE_H

#include <stddef.h>
#include "request/request.h"

/* Renders res (borrowed). *body is malloc'd, NUL-terminated, owned by the
 * caller (free with cf_free_secret_str: it may hold secrets); NULL for a 204.
 * CF_EINVAL when res->data is not JSON while inject is set or a message is not
 * valid UTF-8; CF_ENOMEM. A failed call allocates nothing. */
int cf_envelope_render(const struct cf_result *res, const char *request_id, int *status,
                       char **body, size_t *len);
/* The same, except that a result that cannot be rendered becomes a 500
 * "internal error: cannot render response" (then it returns 1, and the
 * result's own headers are not to be sent; *body is NULL only when out of
 * memory). 0 when res was rendered. */
int cf_envelope_render_or_fail(const struct cf_result *res, const char *request_id,
                               int *status, char **body, size_t *len);

#endif
