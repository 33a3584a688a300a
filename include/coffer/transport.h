/* The transport vtable: how a standby forwards client requests to the
 * active node over the cluster port, and how the active node serves them.
 *
 * Security: both ends present the advertised cluster identity (one ECDSA
 * certificate and key, written by the active node into the barrier) and
 * trust only that certificate. A peer without it is refused.
 *
 * Frame format (so another transport can be written from this header; all
 * integers big-endian, strings are length-prefixed bytes, no NUL):
 *   frame    := u32 length-of-rest | u8 type | u64 request id | payload
 *   type 1 REQUEST  payload := str method | str path | str query |
 *                              u16 nheaders | (str name | str value)* |
 *                              str remote_addr | u32 body_len | body
 *   type 2 RESPONSE payload := u16 status | u16 nheaders |
 *                              (str name | str value)* | u32 body_len | body
 *   type 3 PING     payload := u64 sender's monotonic time in µs |
 *                              str node info (JSON, may be empty)
 *   type 4 PONG     payload := the PING's payload echoed
 *   str      := u32 length | bytes
 * Request ids are chosen by the dialing side and unique per connection;
 * responses may come back in any order (many requests in flight on one
 * connection). A frame longer than the receiver's limit closes the
 * connection.
 *
 * Threading: every call may come from any host thread. roundtrip() may be
 * called concurrently on one connection. Handlers run on plugin threads,
 * several at once. */
#ifndef COFFER_TRANSPORT_H
#define COFFER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "host.h"

struct coffer_header {
    const char *name; /* lower case */
    const char *value;
};

/* A forwarded request; every pointer borrowed for the call. */
struct coffer_fwd_request {
    const char *method;
    const char *path;  /* "/v1/secret/data/x", percent-encoded as received */
    const char *query; /* raw, without '?', "" if none */
    const struct coffer_header *headers;
    size_t nheaders;
    const char *remote_addr; /* the original client's "ip:port" */
    const uint8_t *body;
    size_t body_len;
};

/* A response. On the dialing side it is filled by the plugin with memory
 * from host->alloc and released with response_free(). On the serving side
 * the host's handler fills it with host->alloc memory and the plugin frees
 * it (host->free on each string, array and the body) after sending. */
struct coffer_fwd_response {
    int status;
    struct coffer_header *headers; /* names and values allocated */
    size_t nheaders;
    uint8_t *body;
    size_t body_len;
};

/* The identity both ends present and the only one they trust. */
struct coffer_tls_identity {
    const char *cert_pem;
    const char *key_pem;     /* secret: the plugin zeroes its copies */
    const char *server_name; /* the certificate's DNS name, for SNI/verify */
};

/* Serving side: called once per forwarded request. Must fill resp (status
 * and, if any, headers/body). May block; runs on a plugin thread. */
typedef void (*coffer_fwd_handler)(void *arg, const struct coffer_fwd_request *req,
                                   struct coffer_fwd_response *resp);
/* Serving side: a PING arrived with this node info (borrowed, JSON text). */
typedef void (*coffer_echo_handler)(void *arg, const char *node_info,
                                    const char *peer_addr);

struct coffer_transport {
    size_t struct_size;

    int (*open)(const struct coffer_host *host, void **inst, struct coffer_err *err);
    void (*close)(void *inst); /* every listener stopped, every conn hung up first */

    /* Listens on addr ("host:port") with the identity (borrowed for the
     * call: the plugin copies it). *lsn is owned by the caller: stop() it. */
    int (*listen)(void *inst, const char *addr, const struct coffer_tls_identity *id,
                  coffer_fwd_handler on_request, coffer_echo_handler on_echo, void *arg,
                  void **lsn, struct coffer_err *err);
    /* Stops accepting, lets handlers already running finish and send their
     * answers, then closes every connection (queued requests fail with
     * CF_EUNAVAIL on the dialing side) and frees lsn. No handler runs after
     * it returns. */
    void (*stop)(void *lsn);

    /* A connection handle to addr: may connect lazily and reconnect; pools
     * persistent TLS sessions. *conn owned by the caller: hangup() it. */
    int (*dial)(void *inst, const char *addr, const struct coffer_tls_identity *id,
                void **conn, struct coffer_err *err);
    /* One request, one response, within timeout_ms. CF_EUNAVAIL when the
     * peer cannot be reached or refused us, CF_ETIMEDOUT on timeout (the
     * request may or may not have run). */
    int (*roundtrip)(void *conn, const struct coffer_fwd_request *req, int timeout_ms,
                     struct coffer_fwd_response *resp, struct coffer_err *err);
    /* Heartbeat: sends node_info (borrowed JSON), waits for the echo.
     * *rtt_us on success. */
    int (*echo)(void *conn, const char *node_info, int timeout_ms, int64_t *rtt_us);
    void (*response_free)(void *inst, struct coffer_fwd_response *resp);
    void (*hangup)(void *conn);
    /* -- ABI 1.2 ends here; later members are appended below. -- */
};

#endif
