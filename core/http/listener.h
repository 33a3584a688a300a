/* The API listener: libmicrohttpd (+ GnuTLS) serving /v1/... A few epoll
 * threads hold every connection; handlers run on a worker pool, so one may
 * block on storage I/O without holding up other clients. The per-address
 * cap, the body budget and Vault's header/read/write/idle deadlines and
 * max_request_duration from struct cf_listener_cfg bound what a client can
 * hold. */
#ifndef CF_HTTP_LISTENER_H
#define CF_HTTP_LISTENER_H

#include <stdint.h>
#include <coffer/errors.h>
#include "request/request.h"
#include "config/config.h"
#include "util/log.h"

struct cf_http_listener;

/* Called on a worker thread (or, where inline_ok said so, on an epoll
 * thread), concurrently with other requests; may block on a worker.
 * req is borrowed (freed after the call); the handler fills res (zeroed
 * before the call) and the listener frees it after sending. */
typedef void (*cf_http_handler)(void *arg, struct cf_request *req, struct cf_result *res);

/* 1 when req (borrowed) may be handled on the epoll thread that read it:
 * a read that does not wait on the network. Called on that thread; must
 * not block. */
typedef int (*cf_http_inline_fn)(void *arg, const struct cf_request *req);

/* Binds cfg->address and starts serving; h and inline_ok (NULL: every
 * request goes to a worker) get arg. cfg and log are borrowed (log must
 * outlive the listener; NULL: no logging). *out is the caller's
 * (cf_http_listener_stop). On failure err says what to change, e.g.
 * "listener 127.0.0.1:8200: cannot bind: Address already in use" (CF_EIO) or
 * a bad TLS file (CF_EIO unreadable, CF_ECONFIG invalid). */
int cf_http_listener_start(const struct cf_listener_cfg *cfg, cf_http_handler h,
                           cf_http_inline_fn inline_ok, void *arg,
                           const struct cf_logger *log, struct cf_http_listener **out,
                           struct coffer_err *err);

/* The bound port (the real one when cfg->address asked for port 0). */
uint16_t cf_http_listener_port(const struct cf_http_listener *l);

/* Stops accepting, waits for in-flight requests to finish, frees l. */
void cf_http_listener_stop(struct cf_http_listener *l);

#endif
