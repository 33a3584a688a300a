/* The transport conformance kit: runs any plugin's transport vtable through
 * the tests Coffer's bundled tls plugin passes — byte-exact round trips,
 * large bodies, 64 calls in flight on one connection, heartbeats, refusal
 * of foreign and missing client certificates, stop mid-flight, timeouts,
 * persistent connections, the wire format of coffer/transport.h spoken
 * by a hand-written GnuTLS client, and the hostile-peer bounds: a flood of
 * silent TCP connections costs at most 64 threads, leaves a cluster member
 * served and is closed within 5 s; a verified peer that stops reading
 * cannot hold the server's writer (stop() returns within 20 s). Only the coffer/ SDK headers are used;
 * identities are made here with GnuTLS.
 *
 *   transport_conformance PLUGIN.so [key=value ...]
 *
 * Handshakes are counted from the plugin's debug lines containing
 * "client handshake with" / "server handshake with" (the bundled plugin
 * logs one per completed handshake). */
#include "kit_host.h"
#include <CUnit/Basic.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define BIG (20u << 20)
#define NCONC 64

struct ident {
    char *cert, *key;
    char name[64];
    struct coffer_tls_identity id;
};

struct kit {
    struct cf_kit_args args;
    void *dl;
    const struct coffer_plugin *desc;
    const struct coffer_transport *vt;
    struct ident a, b; /* the cluster identity, and a stranger */
};

/* CUnit tests take no argument; this is the one pointer they share. */
static struct kit *K;

/* ---- one plugin instance and its host, counting handshakes ---- */

struct inst {
    struct cf_kit_host h; /* first: on_line gets back to the inst */
    atomic_int client_hs, server_hs;
    void *p;
};

static void count_handshakes(struct cf_kit_host *h, int level, const char *line)
{
    struct inst *i = (struct inst *)h;
    if (strstr(line, "client handshake with"))
        atomic_fetch_add(&i->client_hs, 1);
    if (strstr(line, "server handshake with"))
        atomic_fetch_add(&i->server_hs, 1);
}

static struct inst *inst_open(void)
{
    struct inst *i = calloc(1, sizeof *i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(i);
    if (cf_kit_host_init(&i->h, &K->args, K->desc->name))
        CU_FAIL_FATAL("out of memory");
    /* Refusals are logged as warnings and expected here: quiet unless
     * asked. */
    i->h.loud = CF_LOG_ERROR;
    i->h.on_line = count_handshakes;
    i->p = cf_kit_open(&i->h, K->vt->open);
    return i;
}

static void inst_close(struct inst *i)
{
    K->vt->close(i->p);
    cf_kit_host_fini(&i->h);
    free(i);
}

/* ---- identities, made the way the server makes them ---- */

static int make_ident(struct ident *id, const char *name)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t d;
    unsigned char serial[16];
    if (gnutls_x509_privkey_init(&key) < 0 || gnutls_x509_crt_init(&crt) < 0)
        return -1;
    snprintf(id->name, sizeof id->name, "%s", name);
    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
    time_t now = time(NULL);
    int bad = gnutls_x509_privkey_generate(
                  key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP521R1),
                  0) < 0 ||
        gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 30) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + 86400) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
                                      (unsigned)strlen(name)) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(
            crt, GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_CERT_SIGN) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(
            crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name), GNUTLS_FSAN_SET) < 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA512, 0) < 0;
    if (!bad && gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) >= 0) {
        id->cert = strndup((char *)d.data, d.size);
        gnutls_free(d.data);
    }
    if (!bad && gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) >= 0) {
        id->key = strndup((char *)d.data, d.size);
        memset(d.data, 0, d.size);
        gnutls_free(d.data);
    }
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    id->id = (struct coffer_tls_identity){id->cert, id->key, id->name};
    return id->cert && id->key ? 0 : -1;
}

static void free_ident(struct ident *id)
{
    if (id->key)
        memset(id->key, 0, strlen(id->key));
    free(id->key);
    free(id->cert);
}

/* A port nothing listens on right now (bind to 0, read it, close). */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

/* ---- the serving side the tests talk to ---- */

struct seen { /* a deep copy of the last request */
    char *method, *path, *query, *remote;
    size_t nh;
    char *hn[16], *hv[16];
    uint8_t *body;
    size_t body_len;
};

struct srv {
    struct inst *i;
    void *lsn;
    int port;
    char addr[64];
    pthread_mutex_t mu;
    atomic_int calls;
    struct seen last;
    char *echo_info, *echo_peer;
};

static char *dupn(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void seen_clear(struct seen *s)
{
    free(s->method);
    free(s->path);
    free(s->query);
    free(s->remote);
    for (size_t i = 0; i < s->nh; i++) {
        free(s->hn[i]);
        free(s->hv[i]);
    }
    free(s->body);
    memset(s, 0, sizeof *s);
}

static void set_body(struct coffer_fwd_response *r, const void *p, size_t n)
{
    r->body = n ? malloc(n) : NULL;
    if (n)
        memcpy(r->body, p, n);
    r->body_len = n;
}

static void add_header(struct coffer_fwd_response *r, const char *n, const char *v)
{
    r->headers = realloc(r->headers, (r->nheaders + 1) * sizeof *r->headers);
    r->headers[r->nheaders].name = dupn(n, strlen(n));
    r->headers[r->nheaders].value = dupn(v, strlen(v));
    r->nheaders++;
}

static const uint8_t RESP_BODY[] = "{\"errors\":[]}\0after-a-NUL\n";

/* Paths: /id/N (N = 0 sleeps 500 ms), /sleep/MS, /big (echoes the body),
 * anything else: recorded, answered with 404 and RESP_BODY. */
static void handler(void *arg, const struct coffer_fwd_request *req,
                    struct coffer_fwd_response *resp)
{
    struct srv *s = arg;
    atomic_fetch_add(&s->calls, 1);
    if (!strncmp(req->path, "/id/", 4)) {
        int n = atoi(req->path + 4);
        if (n == 0)
            cf_kit_msleep(500);
        char b[64];
        snprintf(b, sizeof b, "answer-%d", n);
        resp->status = 200;
        add_header(resp, "x-id", req->path + 4);
        set_body(resp, b, strlen(b));
        return;
    }
    if (!strncmp(req->path, "/sleep/", 7)) {
        cf_kit_msleep(atoi(req->path + 7));
        resp->status = 204;
        return;
    }
    if (!strcmp(req->path, "/big")) {
        resp->status = 200;
        set_body(resp, req->body, req->body_len);
        return;
    }
    pthread_mutex_lock(&s->mu);
    seen_clear(&s->last);
    struct seen *w = &s->last;
    w->method = dupn(req->method, strlen(req->method));
    w->path = dupn(req->path, strlen(req->path));
    w->query = dupn(req->query, strlen(req->query));
    w->remote = dupn(req->remote_addr, strlen(req->remote_addr));
    for (size_t i = 0; i < req->nheaders && i < 16; i++) {
        w->hn[i] = dupn(req->headers[i].name, strlen(req->headers[i].name));
        w->hv[i] = dupn(req->headers[i].value, strlen(req->headers[i].value));
    }
    w->nh = req->nheaders;
    w->body = (uint8_t *)dupn(req->body, req->body_len);
    w->body_len = req->body_len;
    pthread_mutex_unlock(&s->mu);
    resp->status = 404;
    add_header(resp, "content-type", "application/json");
    add_header(resp, "x-vault-index", "");
    add_header(resp, "cache-control", "no-store");
    set_body(resp, RESP_BODY, sizeof RESP_BODY);
}

static void on_echo(void *arg, const char *info, const char *peer)
{
    struct srv *s = arg;
    pthread_mutex_lock(&s->mu);
    free(s->echo_info);
    free(s->echo_peer);
    s->echo_info = strdup(info);
    s->echo_peer = strdup(peer);
    pthread_mutex_unlock(&s->mu);
}

static int srv_listen(struct srv *s)
{
    struct coffer_err err = {{0}};
    int rc =
        K->vt->listen(s->i->p, s->addr, &K->a.id, handler, on_echo, s, &s->lsn, &err);
    if (rc)
        fprintf(stderr, "listen %s failed (%d): %s\n", s->addr, rc, err.msg);
    return rc;
}

static struct srv *srv_start(void)
{
    struct srv *s = calloc(1, sizeof *s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    pthread_mutex_init(&s->mu, NULL);
    s->i = inst_open();
    s->port = free_port();
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->port);
    CU_ASSERT_EQUAL_FATAL(srv_listen(s), 0);
    return s;
}

static void srv_free(struct srv *s)
{
    if (s->lsn)
        K->vt->stop(s->lsn);
    inst_close(s->i);
    seen_clear(&s->last);
    free(s->echo_info);
    free(s->echo_peer);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static void *dial(struct inst *i, const char *addr, const struct ident *id)
{
    void *c = NULL;
    struct coffer_err err = {{0}};
    int rc = K->vt->dial(i->p, addr, &id->id, &c, &err);
    if (rc)
        fprintf(stderr, "dial failed (%d): %s\n", rc, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return c;
}

static int get(struct inst *i, void *c, const char *path, int timeout_ms,
               struct coffer_fwd_response *resp)
{
    struct coffer_fwd_request req = {"GET", path, "", NULL, 0, "127.0.0.1:1", NULL, 0};
    struct coffer_err err = {{0}};
    memset(resp, 0, sizeof *resp);
    return K->vt->roundtrip(c, &req, timeout_ms, resp, &err);
}

static int body_is(const struct coffer_fwd_response *r, const char *want)
{
    return r->body_len == strlen(want) && !memcmp(r->body, want, r->body_len);
}

/* ---- tests ---- */

static void test_roundtrip(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    static const uint8_t body[] = {'a', 0, 'b', 0, 0, 'c', 0xff, 0};
    const struct coffer_header hs[] = {
        {"x-vault-token", "s.abcdef"},
        {"content-type", "application/json"},
        {"x-empty", ""},
        {"x-vault-index", "v1:abc=="},
    };
    struct coffer_fwd_request req = {
        "PUT",
        "/v1/secret/data/a%2Fb c",
        "version=2&x=%20&flag",
        hs,
        4,
        "10.1.2.3:51234",
        body,
        sizeof body,
    };
    struct coffer_fwd_response r = {0};
    struct coffer_err err = {{0}};
    int rc = K->vt->roundtrip(c, &req, 5000, &r, &err);
    if (rc)
        fprintf(stderr, "roundtrip: %s\n", err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(r.status, 404);
    CU_ASSERT_EQUAL_FATAL(r.nheaders, 3);
    CU_ASSERT_STRING_EQUAL(r.headers[0].name, "content-type");
    CU_ASSERT_STRING_EQUAL(r.headers[0].value, "application/json");
    CU_ASSERT_STRING_EQUAL(r.headers[1].name, "x-vault-index");
    CU_ASSERT_STRING_EQUAL(r.headers[1].value, "");
    CU_ASSERT_STRING_EQUAL(r.headers[2].value, "no-store");
    CU_ASSERT_EQUAL(r.body_len, sizeof RESP_BODY);
    CU_ASSERT(r.body && !memcmp(r.body, RESP_BODY, sizeof RESP_BODY));
    K->vt->response_free(ci->p, &r);
    pthread_mutex_lock(&s->mu);
    struct seen *w = &s->last;
    CU_ASSERT_STRING_EQUAL(w->method, "PUT");
    CU_ASSERT_STRING_EQUAL(w->path, "/v1/secret/data/a%2Fb c");
    CU_ASSERT_STRING_EQUAL(w->query, "version=2&x=%20&flag");
    CU_ASSERT_STRING_EQUAL(w->remote, "10.1.2.3:51234");
    CU_ASSERT_EQUAL_FATAL(w->nh, 4);
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_STRING_EQUAL(w->hn[i], hs[i].name);
        CU_ASSERT_STRING_EQUAL(w->hv[i], hs[i].value);
    }
    CU_ASSERT_EQUAL(w->body_len, sizeof body);
    CU_ASSERT(!memcmp(w->body, body, sizeof body));
    pthread_mutex_unlock(&s->mu);
    /* Empty everything: no headers, no body, no query. */
    struct coffer_fwd_request e = {"LIST", "/v1/x", "", NULL, 0, "", NULL, 0};
    CU_ASSERT_EQUAL_FATAL(K->vt->roundtrip(c, &e, 5000, &r, &err), 0);
    CU_ASSERT_EQUAL(r.status, 404);
    pthread_mutex_lock(&s->mu);
    CU_ASSERT_STRING_EQUAL(w->method, "LIST");
    CU_ASSERT_EQUAL(w->nh, 0);
    CU_ASSERT_EQUAL(w->body_len, 0);
    CU_ASSERT_STRING_EQUAL(w->query, "");
    CU_ASSERT_STRING_EQUAL(w->remote, "");
    pthread_mutex_unlock(&s->mu);
    K->vt->response_free(ci->p, &r);
    /* A request the format cannot carry is refused before it is sent. */
    struct coffer_fwd_request nopath = {"GET", NULL, "", NULL, 0, "", NULL, 0};
    int before = atomic_load(&s->calls);
    CU_ASSERT_EQUAL(K->vt->roundtrip(c, &nopath, 5000, &r, &err), CF_EINVAL);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), before);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

static void test_big_body(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    uint8_t *big = malloc(BIG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (uint8_t)((i * 2654435761u) >> 13);
    struct coffer_fwd_request req = {"POST", "/big", "", NULL, 0, "", big, BIG};
    struct coffer_fwd_response r = {0};
    struct coffer_err err = {{0}};
    uint64_t t0 = cf_kit_mono_us();
    CU_ASSERT_EQUAL_FATAL(K->vt->roundtrip(c, &req, 30000, &r, &err), 0);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(r.body_len, BIG);
    CU_ASSERT(r.body && !memcmp(r.body, big, BIG));
    fprintf(stderr, "(20 MiB each way: %.0f ms) ", (cf_kit_mono_us() - t0) / 1000.0);
    K->vt->response_free(ci->p, &r);
    /* Still usable afterwards, on the same connection. */
    CU_ASSERT_EQUAL(get(ci, c, "/id/7", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-7"));
    K->vt->response_free(ci->p, &r);
    CU_ASSERT_EQUAL(atomic_load(&ci->client_hs), 1);
    free(big);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

struct conc {
    struct inst *ci;
    void *c;
    int n, rc, ok;
    uint64_t start, took_us;
    pthread_barrier_t *bar;
};

static void *conc_main(void *arg)
{
    struct conc *x = arg;
    char path[32];
    snprintf(path, sizeof path, "/id/%d", x->n);
    pthread_barrier_wait(x->bar);
    uint64_t t0 = cf_kit_mono_us();
    struct coffer_fwd_response r;
    x->rc = get(x->ci, x->c, path, 10000, &r);
    x->took_us = cf_kit_mono_us() - t0;
    char want[32];
    snprintf(want, sizeof want, "answer-%d", x->n);
    x->ok = !x->rc && r.status == 200 && body_is(&r, want) && r.nheaders == 1 &&
        !strcmp(r.headers[0].value, path + 4);
    if (!x->rc)
        K->vt->response_free(x->ci->p, &r);
    return NULL;
}

static void test_concurrent(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    struct coffer_fwd_response r;
    CU_ASSERT_EQUAL_FATAL(get(ci, c, "/id/1000", 5000, &r), 0); /* connect */
    K->vt->response_free(ci->p, &r);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, NCONC);
    struct conc x[NCONC];
    pthread_t th[NCONC];
    for (int i = 0; i < NCONC; i++) {
        x[i] = (struct conc){ci, c, i, 1, 0, 0, 0, &bar};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, conc_main, &x[i]), 0);
    }
    uint64_t slowest_other = 0;
    int ok = 0;
    for (int i = 0; i < NCONC; i++) {
        pthread_join(th[i], NULL);
        ok += x[i].ok;
        if (i && x[i].took_us > slowest_other)
            slowest_other = x[i].took_us;
    }
    pthread_barrier_destroy(&bar);
    CU_ASSERT_EQUAL(ok, NCONC);
    CU_ASSERT(x[0].took_us >= 500000);
    /* The 500 ms handler held none of the others back. */
    if (slowest_other >= 400000)
        fprintf(stderr, "(slowest fast call %llu µs) ",
                (unsigned long long)slowest_other);
    CU_ASSERT(slowest_other < 400000);
    CU_ASSERT_EQUAL(atomic_load(&ci->client_hs), 1);
    CU_ASSERT_EQUAL(atomic_load(&s->i->server_hs), 1);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

static void test_echo(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    if (!K->vt->echo) {
        fprintf(stderr, "(no echo member: skipped) ");
    } else {
        int64_t rtt = -1;
        const char *info = "{\"node_id\":\"n2\",\"api_addr\":\"https://n2:8200\"}";
        CU_ASSERT_EQUAL(K->vt->echo(c, info, 5000, &rtt), 0);
        CU_ASSERT(rtt > 0 && rtt < 5000000);
        CU_ASSERT_EQUAL(K->vt->echo(c, "", 5000, &rtt), 0);
        CU_ASSERT_EQUAL(K->vt->echo(c, info, 5000, &rtt), 0);
        pthread_mutex_lock(&s->mu);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s->echo_info);
        CU_ASSERT_STRING_EQUAL(s->echo_info, info);
        CU_ASSERT(!strncmp(s->echo_peer, "127.0.0.1:", 10));
        pthread_mutex_unlock(&s->mu);
        CU_ASSERT_EQUAL(atomic_load(&s->calls), 0); /* no request ran */
        fprintf(stderr, "(echo rtt %lld µs) ", (long long)rtt);
    }
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

static void test_foreign_identity(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->b);
    struct coffer_fwd_response r;
    uint64_t t0 = cf_kit_mono_us();
    CU_ASSERT_EQUAL(get(ci, c, "/id/1", 5000, &r), CF_EUNAVAIL);
    CU_ASSERT_EQUAL(get(ci, c, "/id/2", 5000, &r), CF_EUNAVAIL);
    CU_ASSERT(cf_kit_mono_us() - t0 < 3000000);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), 0);
    CU_ASSERT_EQUAL(atomic_load(&s->i->server_hs), 0);
    K->vt->hangup(c);
    /* The stranger's server refuses the cluster identity just the same. */
    struct inst *si = inst_open();
    void *lsn = NULL;
    struct coffer_err err = {{0}};
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    CU_ASSERT_EQUAL_FATAL(
        K->vt->listen(si->p, addr, &K->b.id, handler, NULL, s, &lsn, &err), 0);
    c = dial(ci, addr, &K->a);
    CU_ASSERT_EQUAL(get(ci, c, "/id/1", 5000, &r), CF_EUNAVAIL);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), 0);
    K->vt->hangup(c);
    K->vt->stop(lsn);
    inst_close(si);
    inst_close(ci);
    srv_free(s);
}

/* ---- a hand-written client, to speak the documented wire format ---- */

struct raw {
    int fd;
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
};

/* present: the cert the client shows (NULL: none); trust: what it trusts. */
static int raw_open(struct raw *r, int port, const struct ident *present,
                    const struct ident *trust)
{
    memset(r, 0, sizeof *r);
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(r->fd, (struct sockaddr *)&a, sizeof a))
        return -1;
    /* A plugin that wrongly keeps the connection must fail the test, not
     * hang it. */
    struct timeval tv = {3, 0};
    setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    gnutls_certificate_allocate_credentials(&r->cred);
    gnutls_datum_t t = {(unsigned char *)trust->cert, (unsigned)strlen(trust->cert)};
    gnutls_certificate_set_x509_trust_mem(r->cred, &t, GNUTLS_X509_FMT_PEM);
    if (present) {
        gnutls_datum_t c = {(unsigned char *)present->cert,
                            (unsigned)strlen(present->cert)};
        gnutls_datum_t k = {(unsigned char *)present->key,
                            (unsigned)strlen(present->key)};
        gnutls_certificate_set_x509_key_mem(r->cred, &c, &k, GNUTLS_X509_FMT_PEM);
    }
    gnutls_init(&r->s, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
    gnutls_priority_set_direct(r->s, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL);
    gnutls_credentials_set(r->s, GNUTLS_CRD_CERTIFICATE, r->cred);
    gnutls_datum_t alpn = {(unsigned char *)"coffer_fwd_v1", 13};
    gnutls_alpn_set_protocols(r->s, &alpn, 1, 0);
    gnutls_server_name_set(r->s, GNUTLS_NAME_DNS, trust->name, strlen(trust->name));
    gnutls_session_set_verify_cert(r->s, trust->name, 0);
    gnutls_transport_set_int(r->s, r->fd);
    gnutls_handshake_set_timeout(r->s, 5000);
    int g;
    do
        g = gnutls_handshake(r->s);
    while (g < 0 && !gnutls_error_is_fatal(g));
    return g < 0 ? -1 : 0;
}

static void raw_close(struct raw *r)
{
    if (r->s)
        gnutls_deinit(r->s);
    if (r->cred)
        gnutls_certificate_free_credentials(r->cred);
    close(r->fd);
}

static int raw_send(struct raw *r, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = gnutls_record_send(r->s, p, n);
        if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Up to n bytes; returns how many before EOF, error or 3 s of silence. */
static size_t raw_recv(struct raw *r, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t g = gnutls_record_recv(r->s, p + got, n - got);
        if (g == GNUTLS_E_INTERRUPTED)
            continue;
        if (g <= 0)
            break;
        got += (size_t)g;
    }
    return got;
}

static void test_no_client_cert(void)
{
    struct srv *s = srv_start();
    /* No certificate at all; then the stranger's (GnuTLS does not even
     * send a cert the server's CA list does not name — refused either
     * way). The refusal may show in the handshake or, in TLS 1.3, only at
     * the first read. */
    const struct ident *present[] = {NULL, &K->b};
    for (int i = 0; i < 2; i++) {
        struct raw r;
        if (raw_open(&r, s->port, present[i], &K->a) == 0) {
            static const uint8_t ping[] = {0, 0, 0, 21, 3, 0, 0, 0, 0, 0, 0, 0, 1,
                                           0, 0, 0, 0,  0, 0, 0, 9, 0, 0, 0, 0};
            raw_send(&r, ping, sizeof ping);
            uint8_t buf[64];
            CU_ASSERT_EQUAL(raw_recv(&r, buf, sizeof buf), 0);
        }
        raw_close(&r);
    }
    cf_kit_msleep(100);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), 0);
    CU_ASSERT_EQUAL(atomic_load(&s->i->server_hs), 0);
    srv_free(s);
}

static void be(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t unbe(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static size_t put_str(uint8_t *p, const char *s, size_t n)
{
    be(p, n, 4);
    memcpy(p + 4, s, n);
    return 4 + n;
}

/* The frame format exactly as coffer/transport.h documents it. */
static void test_wire_format(void)
{
    struct srv *s = srv_start();
    struct raw r;
    CU_ASSERT_EQUAL_FATAL(raw_open(&r, s->port, &K->a, &K->a), 0);
    uint8_t f[512];
    size_t n = 4;
    f[n++] = 1; /* REQUEST */
    be(f + n, 0x0102030405060708ull, 8);
    n += 8;
    n += put_str(f + n, "POST", 4);
    n += put_str(f + n, "/v1/raw", 7);
    n += put_str(f + n, "q=1", 3);
    be(f + n, 1, 2);
    n += 2;
    n += put_str(f + n, "x-a", 3);
    n += put_str(f + n, "b", 1);
    n += put_str(f + n, "1.2.3.4:5", 9);
    be(f + n, 3, 4);
    n += 4;
    memcpy(f + n, "\0z\0", 3);
    n += 3;
    be(f, n - 4, 4);
    CU_ASSERT_EQUAL_FATAL(raw_send(&r, f, n), 0);
    uint8_t head[13];
    CU_ASSERT_EQUAL_FATAL(raw_recv(&r, head, 13), 13);
    size_t len = (size_t)unbe(head, 4);
    CU_ASSERT_EQUAL(head[4], 2); /* RESPONSE */
    CU_ASSERT_EQUAL(unbe(head + 5, 8), 0x0102030405060708ull);
    CU_ASSERT_FATAL(len >= 9 && len < 4096);
    uint8_t *p = malloc(len - 9);
    CU_ASSERT_EQUAL_FATAL(raw_recv(&r, p, len - 9), len - 9);
    CU_ASSERT_EQUAL(unbe(p, 2), 404);
    CU_ASSERT_EQUAL(unbe(p + 2, 2), 3);
    size_t o = 4;
    for (int i = 0; i < 3; i++) {
        o += 4 + unbe(p + o, 4);
        o += 4 + unbe(p + o, 4);
    }
    CU_ASSERT_EQUAL(unbe(p + o, 4), sizeof RESP_BODY);
    CU_ASSERT_EQUAL(o + 4 + sizeof RESP_BODY, len - 9);
    CU_ASSERT(!memcmp(p + o + 4, RESP_BODY, sizeof RESP_BODY));
    free(p);
    pthread_mutex_lock(&s->mu);
    CU_ASSERT_STRING_EQUAL(s->last.path, "/v1/raw");
    CU_ASSERT_STRING_EQUAL(s->last.query, "q=1");
    CU_ASSERT_STRING_EQUAL(s->last.remote, "1.2.3.4:5");
    CU_ASSERT_EQUAL(s->last.nh, 1);
    CU_ASSERT(s->last.body_len == 3 && !memcmp(s->last.body, "\0z\0", 3));
    pthread_mutex_unlock(&s->mu);
    /* PING comes back as PONG with the same id and payload. */
    n = 4;
    f[n++] = 3;
    be(f + n, 77, 8);
    n += 8;
    be(f + n, 123456789, 8);
    n += 8;
    n += put_str(f + n, "{\"n\":1}", 7);
    be(f, n - 4, 4);
    CU_ASSERT_EQUAL_FATAL(raw_send(&r, f, n), 0);
    uint8_t back[64];
    CU_ASSERT_EQUAL_FATAL(raw_recv(&r, back, n), n);
    CU_ASSERT_EQUAL(back[4], 4);
    CU_ASSERT(!memcmp(back, f, 4) && !memcmp(back + 5, f + 5, n - 5));
    /* A frame over the limit closes the connection; no handler runs. */
    int before = atomic_load(&s->calls);
    be(f, 0x7fffffffu, 4);
    f[4] = 1;
    raw_send(&r, f, 13);
    CU_ASSERT_EQUAL(raw_recv(&r, back, sizeof back), 0);
    raw_close(&r);
    /* A string with a NUL inside is malformed: closed, not run. */
    CU_ASSERT_EQUAL_FATAL(raw_open(&r, s->port, &K->a, &K->a), 0);
    n = 4;
    f[n++] = 1;
    be(f + n, 1, 8);
    n += 8;
    n += put_str(f + n, "GET", 3);
    n += put_str(f + n, "/a\0b", 4);
    n += put_str(f + n, "", 0);
    be(f + n, 0, 2);
    n += 2;
    n += put_str(f + n, "", 0);
    be(f + n, 0, 4);
    n += 4;
    be(f, n - 4, 4);
    raw_send(&r, f, n);
    CU_ASSERT_EQUAL(raw_recv(&r, back, sizeof back), 0);
    raw_close(&r);
    CU_ASSERT_EQUAL(atomic_load(&s->calls), before);
    srv_free(s);
}

struct bg {
    struct inst *ci;
    void *c;
    const char *path;
    int rc;
    uint64_t done_at;
};

static void *bg_main(void *arg)
{
    struct bg *b = arg;
    struct coffer_fwd_response r;
    b->rc = get(b->ci, b->c, b->path, 10000, &r);
    b->done_at = cf_kit_mono_us();
    if (!b->rc)
        K->vt->response_free(b->ci->p, &r);
    return NULL;
}

static void *stop_main(void *arg)
{
    struct srv *s = arg;
    K->vt->stop(s->lsn);
    return NULL;
}

static void test_stop_midflight(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    struct bg b[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (struct bg){ci, c, "/sleep/1500", 1, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, bg_main, &b[i]), 0);
    }
    cf_kit_msleep(200);
    uint64_t t0 = cf_kit_mono_us();
    pthread_t st;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&st, NULL, stop_main, s), 0);
    /* Handlers already running finish and answer (a forwarded step-down
     * must get its 204); anything else fails. Nobody waits past that. */
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT(b[i].rc == 0 || b[i].rc == CF_EUNAVAIL);
        CU_ASSERT(b[i].done_at - t0 < 2500000);
    }
    pthread_join(st, NULL);
    s->lsn = NULL;
    /* Nobody listens: fails fast. */
    struct coffer_fwd_response r;
    t0 = cf_kit_mono_us();
    CU_ASSERT_EQUAL(get(ci, c, "/id/1", 5000, &r), CF_EUNAVAIL);
    CU_ASSERT(cf_kit_mono_us() - t0 < 1000000);
    /* Back again on the same port: the same handle reconnects. */
    CU_ASSERT_EQUAL_FATAL(srv_listen(s), 0);
    CU_ASSERT_EQUAL(get(ci, c, "/id/3", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-3"));
    K->vt->response_free(ci->p, &r);
    void *c2 = dial(ci, s->addr, &K->a);
    CU_ASSERT_EQUAL(get(ci, c2, "/id/4", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-4"));
    K->vt->response_free(ci->p, &r);
    K->vt->hangup(c2);
    /* hangup with calls in flight fails them at once. */
    struct bg h = {ci, c, "/sleep/1500", 1, 0};
    pthread_t ht;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&ht, NULL, bg_main, &h), 0);
    cf_kit_msleep(200);
    t0 = cf_kit_mono_us();
    K->vt->hangup(c);
    pthread_join(ht, NULL);
    CU_ASSERT_EQUAL(h.rc, CF_EUNAVAIL);
    CU_ASSERT(h.done_at - t0 < 1000000);
    inst_close(ci);
    srv_free(s);
}

static void test_timeout(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    struct coffer_fwd_response r;
    CU_ASSERT_EQUAL(get(ci, c, "/id/5", 5000, &r), 0);
    K->vt->response_free(ci->p, &r);
    uint64_t t0 = cf_kit_mono_us();
    CU_ASSERT_EQUAL(get(ci, c, "/sleep/800", 200, &r), CF_ETIMEDOUT);
    uint64_t dt = cf_kit_mono_us() - t0;
    CU_ASSERT(dt >= 190000 && dt < 700000);
    /* The late answer is dropped; the connection stays good. */
    CU_ASSERT_EQUAL(get(ci, c, "/id/6", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-6"));
    K->vt->response_free(ci->p, &r);
    cf_kit_msleep(800);
    CU_ASSERT_EQUAL(get(ci, c, "/id/8", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-8"));
    K->vt->response_free(ci->p, &r);
    CU_ASSERT_EQUAL(atomic_load(&ci->client_hs), 1);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_persistent(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    static uint64_t lat[1000];
    int ok = 0;
    for (int i = 0; i < 1000; i++) {
        struct coffer_fwd_response r;
        uint64_t t0 = cf_kit_mono_us();
        int rc = get(ci, c, "/id/9", 5000, &r);
        lat[i] = cf_kit_mono_us() - t0;
        if (!rc) {
            ok += body_is(&r, "answer-9");
            K->vt->response_free(ci->p, &r);
        }
    }
    CU_ASSERT_EQUAL(ok, 1000);
    qsort(lat, 1000, sizeof lat[0], cmp_u64);
    fprintf(stderr,
            "(1000 sequential: p50 %llu µs, p99 %llu µs; client "
            "handshakes %d, server handshakes %d) ",
            (unsigned long long)lat[499], (unsigned long long)lat[989],
            atomic_load(&ci->client_hs), atomic_load(&s->i->server_hs));
    CU_ASSERT_EQUAL(atomic_load(&ci->client_hs), 1);
    CU_ASSERT_EQUAL(atomic_load(&s->i->server_hs), 1);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

static int thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            n = atoi(line + 8);
    if (f)
        fclose(f);
    return n;
}

#define NFLOOD 200

/* Silent TCP connections from 127.0.0.2 to 127.0.0.9 (nothing sent, no
 * handshake): an unverified peer costs no thread (at most 8 more in all,
 * whatever the plugin caps), a member from 127.0.0.1 is still served, and
 * the server drops the silent ones after its handshake timeout. */
static void test_silent_flood(void)
{
    struct srv *s = srv_start();
    struct inst *ci = inst_open();
    void *c = dial(ci, s->addr, &K->a);
    struct coffer_fwd_response r;
    CU_ASSERT_EQUAL(get(ci, c, "/id/1", 5000, &r), 0);
    K->vt->response_free(ci->p, &r);
    int before = thread_count();
    static int fds[NFLOOD];
    int opened = 0;
    for (int i = 0; i < NFLOOD; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000002 + (uint32_t)(i % 8));
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)s->port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fds[i] >= 0 && bind(fds[i], (struct sockaddr *)&src, sizeof src) == 0 &&
            connect(fds[i], (struct sockaddr *)&a, sizeof a) == 0)
            opened++;
    }
    CU_ASSERT_EQUAL(opened, NFLOOD);
    cf_kit_msleep(300);
    int during = thread_count();
    fprintf(stderr, "(threads %d before %d silent peers, %d during) ", before, NFLOOD,
            during);
    CU_ASSERT(during - before <= 8);
    /* A new link from a member while the flood holds. */
    void *c2 = dial(ci, s->addr, &K->a);
    CU_ASSERT_EQUAL(get(ci, c2, "/id/2", 5000, &r), 0);
    CU_ASSERT(body_is(&r, "answer-2"));
    K->vt->response_free(ci->p, &r);
    K->vt->hangup(c2);
    /* Every silent one is closed by the server within 5 s. */
    uint64_t until = cf_kit_mono_us() + 5000000u;
    int closed = 0;
    for (int i = 0; i < NFLOOD; i++) {
        struct timeval tv = {0, 200000};
        char b;
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ssize_t n;
        while ((n = recv(fds[i], &b, 1, 0)) < 0 && (errno == EAGAIN || errno == EINTR) &&
               cf_kit_mono_us() < until)
            ;
        closed += n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
        close(fds[i]);
    }
    CU_ASSERT_EQUAL(closed, NFLOOD);
    CU_ASSERT_EQUAL(get(ci, c, "/id/3", 5000, &r), 0);
    K->vt->response_free(ci->p, &r);
    K->vt->hangup(c);
    inst_close(ci);
    srv_free(s);
}

/* A verified peer asks for big answers and never reads them: the server's
 * send gives up, so stop() (which joins every worker) still returns. */
static void test_peer_stops_reading(void)
{
    struct srv *s = srv_start();
    struct raw r;
    CU_ASSERT_EQUAL_FATAL(raw_open(&r, s->port, &K->a, &K->a), 0);
    enum { N = 8u << 20 };
    uint8_t *f = calloc(1, 13 + 64 + N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    /* REQUEST as in test_wire_format: method, path, query, no headers,
     * remote address, body */
    size_t at = 13;
    at += put_str(f + at, "POST", 4);
    at += put_str(f + at, "/big", 4);
    at += put_str(f + at, "", 0);
    be(f + at, 0, 2);
    at += 2;
    at += put_str(f + at, "127.0.0.1:1", 11);
    be(f + at, N, 4);
    at += 4 + N;
    be(f, at - 4, 4);
    f[4] = 1;
    int sent = 0;
    for (uint64_t id = 1; id <= 3; id++) {
        be(f + 5, id, 8);
        sent += raw_send(&r, f, at) == 0;
    }
    CU_ASSERT_EQUAL(sent, 3);
    free(f);
    cf_kit_msleep(500);
    uint64_t t0 = cf_kit_mono_us();
    K->vt->stop(s->lsn);
    s->lsn = NULL;
    uint64_t dt = cf_kit_mono_us() - t0;
    fprintf(stderr, "(stop with an unread peer: %llu ms) ",
            (unsigned long long)(dt / 1000));
    CU_ASSERT(dt < 20000000u);
    raw_close(&r);
    srv_free(s);
}

static void test_bad_args(void)
{
    struct inst *i = inst_open();
    struct coffer_err err = {{0}};
    void *x = (void *)0x1;
    CU_ASSERT_EQUAL(
        K->vt->listen(i->p, "no-port", &K->a.id, handler, NULL, NULL, &x, &err),
        CF_EINVAL);
    CU_ASSERT_PTR_EQUAL(x, (void *)0x1);
    struct coffer_tls_identity half = {K->a.cert, NULL, K->a.name};
    CU_ASSERT_EQUAL(
        K->vt->listen(i->p, "127.0.0.1:0", &half, handler, NULL, NULL, &x, &err),
        CF_EINVAL);
    CU_ASSERT_EQUAL(K->vt->dial(i->p, "127.0.0.1:1", &half, &x, &err), CF_EINVAL);
    /* A key that is not the certificate's. */
    struct coffer_tls_identity mixed = {K->a.cert, K->b.key, K->a.name};
    CU_ASSERT_EQUAL(K->vt->dial(i->p, "127.0.0.1:1", &mixed, &x, &err), CF_EINVAL);
    CU_ASSERT_PTR_EQUAL(x, (void *)0x1);
    /* A port already taken. */
    struct srv *s = srv_start();
    void *l2 = NULL;
    CU_ASSERT_NOT_EQUAL(
        K->vt->listen(i->p, s->addr, &K->a.id, handler, NULL, NULL, &l2, &err), 0);
    CU_ASSERT_PTR_NULL(l2);
    srv_free(s);
    /* Nothing listening: refused at once. */
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
    void *c = dial(i, addr, &K->a);
    struct coffer_fwd_response r;
    uint64_t t0 = cf_kit_mono_us();
    CU_ASSERT_EQUAL(get(i, c, "/id/1", 5000, &r), CF_EUNAVAIL);
    CU_ASSERT(cf_kit_mono_us() - t0 < 1000000);
    K->vt->hangup(c);
    K->vt->hangup(NULL);
    K->vt->stop(NULL);
    inst_close(i);
}

int main(int argc, char **argv)
{
    static struct kit kit;
    int rc = cf_kit_parse_args(&kit.args, argc, argv, NULL);
    if (rc)
        return rc;
    K = &kit;
    if (cf_kit_load(&kit.args, 2, &kit.dl, &kit.desc))
        return 1;
    kit.vt = kit.desc->transport;
    if (!kit.vt || kit.vt->struct_size < sizeof(struct coffer_transport)) {
        fprintf(stderr, "%s: offers no complete transport vtable\n", kit.args.so);
        return 1;
    }
    if (make_ident(&kit.a, "fw-conformance-a") ||
        make_ident(&kit.b, "fw-conformance-b")) {
        fprintf(stderr, "cannot make test identities with GnuTLS\n");
        return 1;
    }
    static const struct cf_kit_test tests[] = {
        {"round trip is byte-exact", test_roundtrip},
        {"wire format as documented", test_wire_format},
        {"20 MiB body each way", test_big_body},
        {"64 concurrent calls, one slow", test_concurrent},
        {"echo and on_echo", test_echo},
        {"foreign identity refused", test_foreign_identity},
        {"client without the certificate refused", test_no_client_cert},
        {"stop mid-flight, redial, hangup", test_stop_midflight},
        {"timeout", test_timeout},
        {"1000 calls, one handshake", test_persistent},
        {"bad arguments", test_bad_args},
        {"silent TCP flood: bounded threads, members served", test_silent_flood},
        {"a peer that stops reading does not hold the writer", test_peer_stops_reading},
    };
    rc = cf_kit_run("transport", kit.desc->name, tests, sizeof tests / sizeof tests[0]);
    free_ident(&kit.a);
    free_ident(&kit.b);
    dlclose(kit.dl);
    return rc;
}
