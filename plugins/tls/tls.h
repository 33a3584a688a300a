/* The tls transport plugin's inside: the frame codec (wire.c), GnuTLS
 * credentials, sessions and sockets (session.c), the serving side
 * (server.c) and the dialing side (client.c). Nothing here is global: every
 * object hangs off a struct tls_inst. */
#ifndef CF_PLUGIN_TLS_H
#define CF_PLUGIN_TLS_H

#include <coffer/plugin.h>
#include <gnutls/gnutls.h>
#include <stdatomic.h>
#include <stdint.h>

#define TLS_ALPN "coffer_fwd_v1"
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* Bodies up to the server's 32 MiB max_request_size plus headers fit. */
#define TLS_MAX_FRAME (64u << 20)
#define TLS_HANDSHAKE_MS 10000
/* The listening side's handshake bound: a cluster member on a sane network
 * completes in milliseconds, while each unauthenticated peer holds a
 * reader thread until it is done. */
#define TLS_ACCEPT_HANDSHAKE_MS 2000
/* A verified session's socket send timeout: a peer that stops reading
 * fails the frame (and the link) instead of holding the write mutex. */
#define TLS_SEND_TIMEOUT_MS 10000

#define FRAME_REQUEST 1
#define FRAME_RESPONSE 2
#define FRAME_PING 3
#define FRAME_PONG 4
/* u32 length | u8 type | u64 id */
#define FRAME_HEAD 13

struct tls_inst {
    const struct coffer_host *host;
    atomic_ullong client_handshakes; /* completed and verified, as dialer */
    atomic_ullong server_handshakes; /* completed and verified, as listener */
};

#define TLOG(in, lvl, ...) (in)->host->log((in)->host->ctx, (lvl), __VA_ARGS__)

/* ---- wire.c: growing output buffer and bounded reader ---- */

struct tls_wbuf {
    uint8_t *p;
    size_t len, cap;
    int oom; /* an append failed: the buffer is unusable */
};

struct tls_rbuf {
    const uint8_t *p;
    size_t len, off;
    int bad; /* a read went past the end or met a NUL */
};

/* Frees the buffer's memory; the struct itself is the caller's. */
void cf_tls_wbuf_free(struct tls_wbuf *b);
/* Starts a frame of type/id in b (empty); cf_tls_frame_end patches its
 * length, counting extra bytes the caller sends after b (a large body). */
void cf_tls_frame_begin(struct tls_wbuf *b, uint8_t type, uint64_t id);
void cf_tls_frame_end(struct tls_wbuf *b, size_t extra);
/* Rewrites the request id of a frame built by cf_tls_frame_begin. */
void cf_tls_frame_set_id(struct tls_wbuf *b, uint64_t id);

/* A REQUEST frame into b (empty). The body is copied into b when it is
 * small; else tail and tail_len say what to send after b. CF_EINVAL when a
 * field is too long for the format or the frame exceeds TLS_MAX_FRAME. */
int cf_tls_encode_request(const struct coffer_fwd_request *req, struct tls_wbuf *b,
                          const uint8_t **tail, size_t *tail_len);
/* A RESPONSE frame into b, same rules as cf_tls_encode_request. */
int cf_tls_encode_response(uint64_t id, const struct coffer_fwd_response *resp,
                           struct tls_wbuf *b, const uint8_t **tail, size_t *tail_len);
/* A PING (or PONG with the same payload) into b. */
int cf_tls_encode_ping(uint8_t type, uint64_t id, uint64_t mono_us, const uint8_t *info,
                       size_t info_len, struct tls_wbuf *b);

/* A decoded REQUEST: req's strings point into arena, its body into frame.
 * Owns all three; free with cf_tls_req_free. */
struct tls_req {
    struct coffer_fwd_request req;
    struct coffer_header *hdrs;
    char *arena;
    uint8_t *frame;
};
/* Takes frame (malloc'd, len bytes after the u32 length) on success and on
 * failure (freed). CF_EINVAL on a malformed payload. */
int cf_tls_decode_request(uint8_t *frame, size_t len, struct tls_req *out);
void cf_tls_req_free(struct tls_req *r);
/* payload (borrowed) into *out, memory from host->alloc (the dialing
 * side's response_free releases it). CF_EINVAL when malformed. */
int cf_tls_decode_response(const struct coffer_host *host, const uint8_t *payload,
                           size_t len, struct coffer_fwd_response *out);
/* Frees what a response holds with host->free and zeroes it. */
void cf_tls_response_clear(const struct coffer_host *host, struct coffer_fwd_response *r);
/* Splits a PING/PONG payload (borrowed): 0 or CF_EINVAL. *info points
 * into payload, not NUL-terminated. */
int cf_tls_decode_ping(const uint8_t *payload, size_t len, uint64_t *mono_us,
                       const uint8_t **info, uint32_t *info_len);

/* ---- session.c: credentials, sessions, sockets ---- */

/* One loaded identity: what every session of a listener or dial handle
 * shares. Never holds the key PEM (GnuTLS keeps its own parsed copy). */
struct tls_cred {
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    gnutls_datum_t cert_der; /* the only peer certificate accepted */
    char *server_name;
};

/* id borrowed; *out owned by the caller (cf_tls_cred_free). */
int cf_tls_cred_load(const struct coffer_tls_identity *id, struct tls_cred **out,
                     struct coffer_err *err);
void cf_tls_cred_free(struct tls_cred *c);

/* A session on fd (borrowed; the caller closes it after gnutls_deinit)
 * with the handshake done and the peer verified: the identity's
 * certificate byte for byte, ALPN coffer_fwd_v1. why gets the reason on
 * failure (CF_EUNAVAIL; CF_ENOMEM). */
int cf_tls_session_open(const struct tls_cred *c, int fd, int server, int timeout_ms,
                        gnutls_session_t *out, char *why, size_t why_len);
/* The same in three steps, for a handshake on a non-blocking fd driven by
 * poll: start makes the session (*out the caller's, gnutls_deinit;
 * CF_ENOMEM), step advances the handshake (0 done, 1 wants the fd again:
 * gnutls_record_get_direction says for what, CF_EUNAVAIL failed), finish
 * verifies the peer as above and sets the send timeout (CF_EUNAVAIL). */
int cf_tls_session_start(const struct tls_cred *c, int fd, int server,
                         gnutls_session_t *out, char *why, size_t why_len);
int cf_tls_session_step(gnutls_session_t s, char *why, size_t why_len);
int cf_tls_session_finish(const struct tls_cred *c, gnutls_session_t s, int fd, char *why,
                          size_t why_len);
/* 0, or CF_EUNAVAIL once the connection is broken. */
int cf_tls_send_all(gnutls_session_t s, const void *p, size_t n);
/* One frame: *frame (malloc'd, caller frees) holds *len bytes after the
 * length word (type, id, payload). CF_EUNAVAIL on EOF or a broken
 * connection, CF_EINVAL on a frame shorter than its head or longer than
 * TLS_MAX_FRAME. */
int cf_tls_read_frame(gnutls_session_t s, uint8_t **frame, uint32_t *len);

/* A bound, listening TCP socket for "host:port" ("[v6]:port"; empty host =
 * every address). *fd owned by the caller. */
int cf_tls_listen_socket(const char *addr, int *fd, struct coffer_err *err);
/* A connected TCP socket (blocking, TCP_NODELAY) within timeout_ms.
 * CF_EUNAVAIL when refused/unreachable, CF_ETIMEDOUT, CF_EINVAL. */
int cf_tls_connect(const char *addr, int timeout_ms, int *fd, struct coffer_err *err);
/* "ip:port" of fd's peer into buf ("?" if unknown). */
void cf_tls_peer_name(int fd, char *buf, size_t len);
uint64_t cf_tls_mono_us(void);

/* ---- server.c / client.c: the vtable members ---- */

int cf_tls_listen(void *inst, const char *addr, const struct coffer_tls_identity *id,
                  coffer_fwd_handler on_request, coffer_echo_handler on_echo, void *arg,
                  void **lsn, struct coffer_err *err);
void cf_tls_stop(void *lsn);
int cf_tls_dial(void *inst, const char *addr, const struct coffer_tls_identity *id,
                void **conn, struct coffer_err *err);
int cf_tls_roundtrip(void *conn, const struct coffer_fwd_request *req, int timeout_ms,
                     struct coffer_fwd_response *resp, struct coffer_err *err);
int cf_tls_echo(void *conn, const char *node_info, int timeout_ms, int64_t *rtt_us);
void cf_tls_hangup(void *conn);

#endif
