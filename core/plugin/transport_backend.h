/* The host side of one transport instance: the plugin's coffer_transport
 * vtable behind plain calls, with NOTSUP for a missing echo, error codes
 * normalized, and a free that closes the instance once no call is inside. */
#ifndef CF_TRANSPORT_BACKEND_H
#define CF_TRANSPORT_BACKEND_H

#include <coffer/transport.h>
#include <stdatomic.h>

struct cf_transport_backend;

/* Wraps an open instance (owned from now on: free closes it). cancelled is
 * the flag behind the instance's host->cancelled; free sets it. on_free(arg)
 * runs after close (it frees the host table). name is copied. */
int cf_transport_backend_new(const struct coffer_transport *vt, void *inst,
                             const char *name, atomic_int *cancelled,
                             void (*on_free)(void *), void *on_free_arg,
                             struct cf_transport_backend **out);

/* Listens on addr ("host:port") presenting id (borrowed: the plugin copies
 * it); on_request/on_echo(arg, ...) run on plugin threads, several at once.
 * *lsn belongs to the caller: cf_transport_stop it. On failure err says
 * why and *lsn is untouched. */
int cf_transport_listen(struct cf_transport_backend *b, const char *addr,
                        const struct coffer_tls_identity *id,
                        coffer_fwd_handler on_request, coffer_echo_handler on_echo,
                        void *arg, void **lsn, struct coffer_err *err);
/* Closes lsn's connections, waits for running handlers, frees lsn. No
 * handler runs after it returns. NULL is a no-op. */
void cf_transport_stop(struct cf_transport_backend *b, void *lsn);

/* A lazily connecting, reconnecting handle to addr presenting id
 * (borrowed for the call). *conn belongs to the caller:
 * cf_transport_hangup it. */
int cf_transport_dial(struct cf_transport_backend *b, const char *addr,
                      const struct coffer_tls_identity *id, void **conn,
                      struct coffer_err *err);
/* One request (borrowed), one response within timeout_ms; may be called
 * from many threads on one conn. On 0, *resp belongs to the caller:
 * cf_transport_response_free. CF_EUNAVAIL: the peer is unreachable or
 * refused us; CF_ETIMEDOUT: no answer in time (the request may have run). */
int cf_transport_roundtrip(struct cf_transport_backend *b, void *conn,
                           const struct coffer_fwd_request *req, int timeout_ms,
                           struct coffer_fwd_response *resp, struct coffer_err *err);
/* Heartbeat carrying node_info (borrowed JSON); *rtt_us on success.
 * CF_ENOTSUP when the plugin has no echo. */
int cf_transport_echo(struct cf_transport_backend *b, void *conn, const char *node_info,
                      int timeout_ms, int64_t *rtt_us);
/* Releases what a successful roundtrip put in resp and zeroes it. */
void cf_transport_response_free(struct cf_transport_backend *b,
                                struct coffer_fwd_response *resp);
/* Closes conn, failing its calls in flight with CF_EUNAVAIL; frees it.
 * NULL is a no-op. */
void cf_transport_hangup(struct cf_transport_backend *b, void *conn);

/* The plugin's name (borrowed, lives as long as b). */
const char *cf_transport_backend_name(const struct cf_transport_backend *b);
/* Sets the cancelled flag, waits for calls inside the plugin to return,
 * closes the instance. Every listener must be stopped and every conn hung
 * up first. b may be NULL. */
void cf_transport_backend_free(struct cf_transport_backend *b);

#endif
