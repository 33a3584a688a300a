/* HTTP → cf_request for the listener: route and method checks, headers,
 * query, token and body. Private to core/http. */
#ifndef CF_HTTP_REQUEST_PARSE_H
#define CF_HTTP_REQUEST_PARSE_H

#include <stddef.h>
#include <microhttpd.h>
#include <coffer/errors.h>
#include <coffer/transport.h>
#include "request/request.h"
#include "util/json.h"

/* MHD_OPTION_UNESCAPE_CALLBACK that leaves URL and query text raw, so that
 * this file decodes them (and can see %00 and '+'). */
size_t cf_http_unescape_none(void *cls, struct MHD_Connection *c, char *s);

/* "/v1/a%2Fb" → "a/b" (malloc'd, caller frees). CF_ENOENT when url is not
 * under /v1/; CF_EINVAL for a bad escape, a control byte (NUL, < 0x20,
 * 0x7f), or a ".", ".." or empty segment once decoded (one trailing '/'
 * is fine). The path that comes out is safe to log. */
int cf_http_route(const char *url, char **path);

/* Method name → operation; list_param is the decoded ?list= value or NULL.
 * CF_ENOTSUP for a method Vault does not serve. */
int cf_http_method_op(const char *method, const char *list_param, enum cf_op *op);

/* A request the client got wrong comes back from the two builders below as
 * CF_EINVAL with the reply's HTTP status (400/404/405) in *status and its
 * message in err; an empty err->msg stands for Vault's bare
 * {"errors":[]}. Any other failure is CF_ENOMEM and sets neither. */

/* Builds the request from the headers MHD has parsed (everything but the
 * body). On success *out is the caller's (cf_request_free). */
int cf_http_request_new(struct MHD_Connection *c, const char *method, const char *url,
                        struct cf_request **out, int *status, struct coffer_err *err);

/* The same from explicit parts (a request forwarded by a standby): url is
 * "/v1/...", query the raw text without '?', headers with any case. */
int cf_http_request_from_parts(const char *method, const char *url, const char *query,
                               const struct coffer_header *headers, size_t nheaders,
                               const char *remote, const uint8_t *body, size_t body_len,
                               struct cf_request **out, int *status,
                               struct coffer_err *err);

/* Fields per form body: the whole body is decoded before authentication. */
#define CF_HTTP_MAX_FORM_FIELDS 10000

/* An application/x-www-form-urlencoded body → a JSON object text (*json
 * the caller's, free with cf_free_secret_str); repeated keys are joined
 * with commas as Vault's parseFormRequest does. CF_EINVAL (bad encoding,
 * over CF_HTTP_MAX_FORM_FIELDS) or CF_ENOMEM with a message in err. */
int cf_http_form_to_json(const char *body, size_t len, char **json,
                         struct coffer_err *err);

/* Parses r->body into r->data: a JSON object, or form fields when the
 * Content-Type says application/x-www-form-urlencoded, within lim (the
 * listener's; NULL for a body a listener already checked, as a forwarded
 * one). An empty or blank body leaves data NULL. CF_EINVAL or CF_ENOMEM
 * with the client-facing message in err; both are answered 400. */
int cf_http_request_body(struct cf_request *r, const struct cf_json_limits *lim,
                         struct coffer_err *err);

#endif
