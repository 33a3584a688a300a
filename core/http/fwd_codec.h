/* The HTTP layer's codec for request forwarding: cf_request / cf_result
 * to and from the transport plugin's coffer_fwd_request / _response. The
 * forwarder (gate/) is handed these; it never parses or renders itself. */
#ifndef CF_HTTP_FWD_CODEC_H
#define CF_HTTP_FWD_CODEC_H

#include <coffer/transport.h>
#include "request/request.h"

/* Standby side. The request as it goes to the active node: path
 * re-encoded, headers plus the token as X-Vault-Token. *out borrows req's
 * strings and owns its path and header array: release it with
 * cf_fwd_request_release once sent. */
int cf_fwd_request_encode(const struct cf_request *req, struct coffer_fwd_request *out);
void cf_fwd_request_release(struct coffer_fwd_request *fr);

/* Active side. Parses fr as the listener parses a request (route, method,
 * query, headers, body). 0 and *out (cf_request_free); CF_EINVAL with res
 * filled when the client got it wrong; CF_ENOMEM. */
int cf_fwd_request_decode(const struct coffer_fwd_request *fr, struct cf_request **out,
                          struct cf_result *res);
/* Renders res (borrowed) as the listener would: status, JSON body and its
 * headers, all allocated in *out for the transport plugin to send. Never
 * fails: a result that cannot be rendered becomes a 500. */
void cf_fwd_response_encode(const struct cf_result *res, const char *request_id,
                            struct coffer_fwd_response *out);

/* Standby side. Relays the active node's status, body and headers (not
 * those describing the hop: the local listener sets its own) into res. */
int cf_fwd_response_decode(const struct coffer_fwd_response *resp, struct cf_result *res);

#endif
