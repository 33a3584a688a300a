/* GnuTLS and sockets for the tls plugin: credentials that present the
 * cluster identity and trust only it, mutually verified sessions (both
 * sides check the peer explicitly, ALPN coffer_fwd_v1), framed record I/O,
 * and TCP listen/connect with timeouts. Sends never raise SIGPIPE. */
#include "tls.h"
#include <gnutls/x509.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

uint64_t cf_tls_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void cf_tls_cred_free(struct tls_cred *c)
{
    if (!c)
        return;
    if (c->cred)
        gnutls_certificate_free_credentials(c->cred);
    if (c->prio)
        gnutls_priority_deinit(c->prio);
    free(c->cert_der.data);
    free(c->server_name);
    free(c);
}

/* The certificate's DER, to compare the peer's byte for byte. */
static int cert_der(const char *pem, gnutls_datum_t *out)
{
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return CF_ENOMEM;
    gnutls_datum_t in = {(unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem)};
    gnutls_datum_t d = {NULL, 0};
    int rc = CF_EINVAL;
    if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) >= 0 &&
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d) >= 0) {
        out->data = malloc(d.size);
        out->size = d.size;
        rc = out->data ? 0 : CF_ENOMEM;
        if (out->data)
            memcpy(out->data, d.data, d.size);
        gnutls_free(d.data);
    }
    gnutls_x509_crt_deinit(crt);
    return rc;
}

int cf_tls_cred_load(const struct coffer_tls_identity *id, struct tls_cred **out,
                     struct coffer_err *err)
{
    if (!id || !id->cert_pem || !id->key_pem || !id->server_name || !*id->server_name) {
        coffer_err_set(err,
                       "tls: the identity needs cert_pem, key_pem and "
                       "server_name");
        return CF_EINVAL;
    }
    struct tls_cred *c = calloc(1, sizeof *c);
    if (!c || !(c->server_name = strdup(id->server_name))) {
        free(c);
        coffer_err_set(err, "tls: out of memory");
        return CF_ENOMEM;
    }
    int rc = cert_der(id->cert_pem, &c->cert_der);
    if (rc) {
        cf_tls_cred_free(c);
        coffer_err_set(err,
                       "tls: the identity's certificate does not parse "
                       "as PEM");
        return rc;
    }
    if (gnutls_certificate_allocate_credentials(&c->cred) < 0) {
        c->cred = NULL;
        cf_tls_cred_free(c);
        coffer_err_set(err, "tls: out of memory");
        return CF_ENOMEM;
    }
    /* GnuTLS parses the key into its own structure; no copy of the PEM is
     * kept here, so there is nothing of ours to zero. */
    gnutls_datum_t cd = {(unsigned char *)(uintptr_t)id->cert_pem,
                         (unsigned)strlen(id->cert_pem)};
    gnutls_datum_t kd = {(unsigned char *)(uintptr_t)id->key_pem,
                         (unsigned)strlen(id->key_pem)};
    int g = gnutls_certificate_set_x509_key_mem2(c->cred, &cd, &kd, GNUTLS_X509_FMT_PEM,
                                                 NULL, 0);
    if (g < 0) {
        cf_tls_cred_free(c);
        coffer_err_set(err,
                       "tls: the identity's key does not match its "
                       "certificate or does not parse (%s)",
                       gnutls_strerror(g));
        return CF_EINVAL;
    }
    if ((g = gnutls_certificate_set_x509_trust_mem(c->cred, &cd, GNUTLS_X509_FMT_PEM)) !=
        1) {
        cf_tls_cred_free(c);
        coffer_err_set(err,
                       "tls: cannot trust the identity's certificate "
                       "(%s)",
                       g < 0 ? gnutls_strerror(g) : "not exactly one certificate");
        return CF_EINVAL;
    }
    if ((g = gnutls_priority_init(&c->prio, TLS_PRIORITY, NULL)) < 0) {
        c->prio = NULL;
        cf_tls_cred_free(c);
        coffer_err_set(err, "tls: priority string refused (%s)", gnutls_strerror(g));
        return CF_EIO;
    }
    *out = c;
    return 0;
}

static void set_why(char *why, size_t len, const char *what, int g)
{
    if (why && len)
        snprintf(why, len, "%s: %s", what, g ? gnutls_strerror(g) : "refused");
}

/* After the handshake: verify_peers2 (the client has also checked the
 * server name in the handshake), then the peer's certificate must be the
 * identity's own, and ALPN must have picked ours. */
static int verify_peer(const struct tls_cred *c, gnutls_session_t s, char *why,
                       size_t why_len)
{
    unsigned status = 0;
    int g = gnutls_certificate_verify_peers2(s, &status);
    if (g < 0 || status != 0) {
        if (why && why_len)
            snprintf(why, why_len,
                     "peer certificate not trusted (%s, status "
                     "0x%x)",
                     g < 0 ? gnutls_strerror(g) : "verify", status);
        return CF_EUNAVAIL;
    }
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
    if (!peers || n < 1 || peers[0].size != c->cert_der.size ||
        memcmp(peers[0].data, c->cert_der.data, c->cert_der.size)) {
        set_why(why, why_len, "peer certificate is not the cluster identity", 0);
        return CF_EUNAVAIL;
    }
    gnutls_datum_t proto = {NULL, 0};
    if (gnutls_alpn_get_selected_protocol(s, &proto) < 0 ||
        proto.size != strlen(TLS_ALPN) || memcmp(proto.data, TLS_ALPN, proto.size)) {
        set_why(why, why_len, "peer did not agree on ALPN " TLS_ALPN, 0);
        return CF_EUNAVAIL;
    }
    return 0;
}

int cf_tls_session_start(const struct tls_cred *c, int fd, int server,
                         gnutls_session_t *out, char *why, size_t why_len)
{
    gnutls_session_t s;
    /* GNUTLS_NO_SIGNAL: every send uses MSG_NOSIGNAL, so a peer gone away
     * is an error code and never a SIGPIPE for the host process. */
    unsigned flags = (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_SIGNAL;
    if (gnutls_init(&s, flags) < 0) {
        set_why(why, why_len, "gnutls_init", 0);
        return CF_ENOMEM;
    }
    const gnutls_datum_t alpn = {(unsigned char *)(uintptr_t)TLS_ALPN,
                                 (unsigned)strlen(TLS_ALPN)};
    int g;
    if ((g = gnutls_priority_set(s, c->prio)) < 0 ||
        (g = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->cred)) < 0 ||
        (g = gnutls_alpn_set_protocols(s, &alpn, 1, GNUTLS_ALPN_MANDATORY)) < 0)
        goto fail;
    if (server) {
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_cert(s, NULL, 0);
    } else {
        if ((g = gnutls_server_name_set(s, GNUTLS_NAME_DNS, c->server_name,
                                        strlen(c->server_name))) < 0)
            goto fail;
        gnutls_session_set_verify_cert(s, c->server_name, 0);
    }
    gnutls_transport_set_int(s, fd);
    *out = s;
    return 0;
fail:
    set_why(why, why_len, "TLS session setup failed", g);
    gnutls_deinit(s);
    return CF_EUNAVAIL;
}

int cf_tls_session_step(gnutls_session_t s, char *why, size_t why_len)
{
    int g = gnutls_handshake(s);
    if (g == 0)
        return 0;
    if (!gnutls_error_is_fatal(g))
        return 1;
    set_why(why, why_len, "TLS handshake failed", g);
    return CF_EUNAVAIL;
}

int cf_tls_session_finish(const struct tls_cred *c, gnutls_session_t s, int fd, char *why,
                          size_t why_len)
{
    int rc = verify_peer(c, s, why, why_len);
    if (rc) {
        gnutls_alert_send(s, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE);
        return rc;
    }
    struct timeval tv = {TLS_SEND_TIMEOUT_MS / 1000, (TLS_SEND_TIMEOUT_MS % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

int cf_tls_session_open(const struct tls_cred *c, int fd, int server, int timeout_ms,
                        gnutls_session_t *out, char *why, size_t why_len)
{
    gnutls_session_t s;
    int rc = cf_tls_session_start(c, fd, server, &s, why, why_len);
    if (rc)
        return rc;
    gnutls_handshake_set_timeout(
        s, timeout_ms > 0 ? (unsigned)timeout_ms : TLS_HANDSHAKE_MS);
    while ((rc = cf_tls_session_step(s, why, why_len)) == 1)
        ;
    if (!rc)
        rc = cf_tls_session_finish(c, s, fd, why, why_len);
    if (rc) {
        gnutls_deinit(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cf_tls_send_all(gnutls_session_t s, const void *p, size_t n)
{
    const uint8_t *at = p;
    while (n) {
        ssize_t r = gnutls_record_send(s, at, n);
        /* Sockets block, so AGAIN means the send timeout passed with the
         * peer not reading: the frame is lost either way. */
        if (r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r <= 0)
            return CF_EUNAVAIL;
        at += r;
        n -= (size_t)r;
    }
    return 0;
}

static int recv_exact(gnutls_session_t s, uint8_t *p, size_t n)
{
    while (n) {
        ssize_t r = gnutls_record_recv(s, p, n);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
            continue;
        if (r <= 0)
            return CF_EUNAVAIL;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int cf_tls_read_frame(gnutls_session_t s, uint8_t **frame, uint32_t *len)
{
    uint8_t head[4];
    int rc = recv_exact(s, head, 4);
    if (rc)
        return rc;
    uint32_t n = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 |
        (uint32_t)head[2] << 8 | head[3];
    if (n < FRAME_HEAD - 4 || n > TLS_MAX_FRAME)
        return CF_EINVAL;
    uint8_t *f = malloc(n);
    if (!f)
        return CF_ENOMEM;
    if ((rc = recv_exact(s, f, n))) {
        free(f);
        return rc;
    }
    *frame = f;
    *len = n;
    return 0;
}

/* "host:port", "[v6]:port" or ":port" into its parts. */
static int split_addr(const char *addr, char *host, size_t hl, char *port, size_t pl)
{
    if (!addr)
        return CF_EINVAL;
    const char *colon, *hs = addr, *he;
    if (*addr == '[') {
        he = strchr(addr, ']');
        if (!he || he[1] != ':')
            return CF_EINVAL;
        hs = addr + 1;
        colon = he + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return CF_EINVAL;
        he = colon;
    }
    size_t n = (size_t)(he - hs), pn = strlen(colon + 1);
    if (n >= hl || pn == 0 || pn >= pl)
        return CF_EINVAL;
    memcpy(host, hs, n);
    host[n] = '\0';
    memcpy(port, colon + 1, pn + 1);
    for (const char *c = port; *c; c++)
        if (*c < '0' || *c > '9')
            return CF_EINVAL;
    return atoi(port) <= 65535 ? 0 : CF_EINVAL;
}

int cf_tls_listen_socket(const char *addr, int *fd, struct coffer_err *err)
{
    char host[256], port[16];
    if (split_addr(addr, host, sizeof host, port, sizeof port)) {
        coffer_err_set(err,
                       "tls: cannot listen on \"%s\": expected "
                       "\"host:port\"",
                       addr ? addr : "");
        return CF_EINVAL;
    }
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
    if (g) {
        coffer_err_set(err, "tls: cannot listen on %s: %s", addr, gai_strerror(g));
        return CF_EINVAL;
    }
    int e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (s < 0) {
            e = errno;
            continue;
        }
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, a->ai_addr, a->ai_addrlen) == 0 && listen(s, 128) == 0) {
            freeaddrinfo(ai);
            *fd = s;
            return 0;
        }
        e = errno;
        close(s);
    }
    freeaddrinfo(ai);
    coffer_err_set(err, "tls: cannot listen on %s: %s", addr, strerror(e));
    return CF_EIO;
}

/* One non-blocking connect attempt bounded by deadline_us. */
static int connect_one(const struct addrinfo *a, uint64_t deadline_us, int *fd, int *e)
{
    int s = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   a->ai_protocol);
    if (s < 0) {
        *e = errno;
        return CF_EUNAVAIL;
    }
    if (connect(s, a->ai_addr, a->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            *e = errno;
            close(s);
            return CF_EUNAVAIL;
        }
        for (;;) {
            uint64_t now = cf_tls_mono_us();
            if (now >= deadline_us) {
                *e = ETIMEDOUT;
                close(s);
                return CF_ETIMEDOUT;
            }
            struct pollfd p = {s, POLLOUT, 0};
            int r = poll(&p, 1, (int)((deadline_us - now + 999) / 1000));
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0)
                continue;
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
                *e = r < 0 ? errno : soerr ? soerr : EIO;
                close(s);
                return CF_EUNAVAIL;
            }
            break;
        }
    }
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl & ~O_NONBLOCK);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *fd = s;
    return 0;
}

int cf_tls_connect(const char *addr, int timeout_ms, int *fd, struct coffer_err *err)
{
    char host[256], port[16];
    if (split_addr(addr, host, sizeof host, port, sizeof port) || !*host) {
        coffer_err_set(err, "tls: cannot dial \"%s\": expected \"host:port\"",
                       addr ? addr : "");
        return CF_EINVAL;
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g) {
        coffer_err_set(err, "tls: cannot resolve %s: %s", addr, gai_strerror(g));
        return CF_EUNAVAIL;
    }
    uint64_t deadline = cf_tls_mono_us() + (uint64_t)timeout_ms * 1000u;
    int rc = CF_EUNAVAIL, e = 0;
    for (struct addrinfo *a = ai; a; a = a->ai_next)
        if ((rc = connect_one(a, deadline, fd, &e)) != CF_EUNAVAIL)
            break;
    freeaddrinfo(ai);
    if (rc)
        coffer_err_set(err, "tls: cannot connect to %s: %s", addr, strerror(e));
    return rc;
}

void cf_tls_peer_name(int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss = {0}; /* ss_family stays AF_UNSPEC unless filled */
    socklen_t sl = sizeof ss;
    char h[INET6_ADDRSTRLEN];
    snprintf(buf, len, "?");
    if (getpeername(fd, (struct sockaddr *)&ss, &sl))
        return;
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        if (inet_ntop(AF_INET, &a->sin_addr, h, sizeof h))
            snprintf(buf, len, "%s:%u", h, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        if (inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h))
            snprintf(buf, len, "[%s]:%u", h, ntohs(a->sin6_port));
    }
}
