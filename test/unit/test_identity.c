/* Tests for core/ha/identity.c: the certificate's fields as GnuTLS reads
 * them, pair checks, and mutual TLS over a socketpair with the credentials
 * cf_identity_load builds (and rejection of a foreign identity). */
#include "ha/identity.h"
#include "cf_test.h"
#include <coffer/errors.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NODE "6f1c2e4a-9b1d-4c3e-8f2a-0123456789ab"
#define LIFETIME (262980LL * 3600)

static gnutls_x509_crt_t parse_crt(const char *pem)
{
    gnutls_x509_crt_t crt;
    gnutls_x509_crt_init(&crt);
    gnutls_datum_t d = {(unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem)};
    if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0) {
        gnutls_x509_crt_deinit(crt);
        return NULL;
    }
    return crt;
}

static struct cf_cluster_identity *gen(const char *node)
{
    struct cf_cluster_identity *id = NULL;
    CF_ASSERT_INT_EQ(cf_identity_generate(node, &id), 0);
    return id;
}

static void test_certificate_fields(void)
{
    time_t before = time(NULL);
    struct cf_cluster_identity *id = gen(NODE);
    time_t after = time(NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    CF_ASSERT_STR_EQ(id->name, "fw-" NODE);
    CF_ASSERT_CONTAINS(id->cert_pem, "-----BEGIN CERTIFICATE-----");
    CF_ASSERT_CONTAINS(id->key_pem, "-----BEGIN EC PRIVATE KEY-----");

    gnutls_x509_crt_t crt = parse_crt(id->cert_pem);
    CU_ASSERT_PTR_NOT_NULL_FATAL(crt);
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_version(crt), 3);
    unsigned bits = 0;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_pk_algorithm(crt, &bits), GNUTLS_PK_ECDSA);
    gnutls_ecc_curve_t curve = 0;
    gnutls_datum_t x = {0}, y = {0};
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y), 0);
    CF_ASSERT_INT_EQ(curve, GNUTLS_ECC_CURVE_SECP521R1);
    gnutls_free(x.data);
    gnutls_free(y.data);
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_signature_algorithm(crt),
                     GNUTLS_SIGN_ECDSA_SHA512);

    char buf[256];
    size_t len = sizeof buf;
    CF_ASSERT_INT_EQ(
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len),
        0);
    CF_ASSERT_STR_EQ(buf, "fw-" NODE);
    /* Exactly one SAN, the DNS name. */
    len = sizeof buf;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_subject_alt_name(crt, 0, buf, &len, NULL),
                     GNUTLS_SAN_DNSNAME);
    CF_ASSERT_STR_EQ(buf, "fw-" NODE);
    len = sizeof buf;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_subject_alt_name(crt, 1, buf, &len, NULL),
                     GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
    CF_ASSERT_INT_EQ(gnutls_x509_crt_check_hostname(crt, "fw-" NODE), 1);

    unsigned crit = 0;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_basic_constraints(crt, &crit, NULL, NULL), 1);
    unsigned ku = 0;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_key_usage(crt, &ku, &crit), 0);
    CF_ASSERT_INT_EQ(ku,
                     GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT |
                         GNUTLS_KEY_KEY_AGREEMENT | GNUTLS_KEY_KEY_CERT_SIGN);
    int server = 0, client = 0, n = 0;
    for (unsigned i = 0;; i++) {
        len = sizeof buf;
        if (gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, &len, NULL) < 0)
            break;
        n++;
        server |= strcmp(buf, GNUTLS_KP_TLS_WWW_SERVER) == 0;
        client |= strcmp(buf, GNUTLS_KP_TLS_WWW_CLIENT) == 0;
    }
    CF_ASSERT_INT_EQ(n, 2);
    CF_ASSERT_INT_EQ(server, 1);
    CF_ASSERT_INT_EQ(client, 1);

    unsigned char serial[64];
    len = sizeof serial;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_get_serial(crt, serial, &len), 0);
    CF_ASSERT_INT_EQ(len, 16);

    time_t nb = gnutls_x509_crt_get_activation_time(crt);
    time_t na = gnutls_x509_crt_get_expiration_time(crt);
    CU_ASSERT(nb >= before - 30 && nb <= after - 30);
    CF_ASSERT_INT_EQ((long long)(na - nb), LIFETIME + 30);

    /* Self-signed: verifies against itself as the only CA. */
    unsigned status = 99;
    CF_ASSERT_INT_EQ(gnutls_x509_crt_verify(crt, &crt, 1, 0, &status), 0);
    CF_ASSERT_INT_EQ(status, 0);
    gnutls_x509_crt_deinit(crt);
    cf_identity_free(id);
}

static void test_generations_differ(void)
{
    struct cf_cluster_identity *a = gen(NODE), *b = gen(NODE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CF_ASSERT_STR_EQ(a->name, b->name);
    CU_ASSERT(strcmp(a->cert_pem, b->cert_pem) != 0);
    CU_ASSERT(strcmp(a->key_pem, b->key_pem) != 0);
    gnutls_x509_crt_t ca = parse_crt(a->cert_pem), cb = parse_crt(b->cert_pem);
    unsigned char sa[32], sb[32];
    size_t la = sizeof sa, lb = sizeof sb;
    gnutls_x509_crt_get_serial(ca, sa, &la);
    gnutls_x509_crt_get_serial(cb, sb, &lb);
    CU_ASSERT(la != lb || memcmp(sa, sb, la) != 0);
    /* Each is a separate CA: b does not verify under a. */
    unsigned status = 0;
    gnutls_x509_crt_verify(cb, &ca, 1, 0, &status);
    CU_ASSERT(status != 0);
    gnutls_x509_crt_deinit(ca);
    gnutls_x509_crt_deinit(cb);
    cf_identity_free(a);
    cf_identity_free(b);
}

static void test_bad_node_ids(void)
{
    struct cf_cluster_identity *id = (void *)&id; /* must stay untouched */
    char long_id[62];
    memset(long_id, 'a', 61);
    long_id[61] = '\0';
    CF_ASSERT_INT_EQ(cf_identity_generate(NULL, &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate("", &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate(long_id, &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate("a b", &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate("a/b", &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate("a\nb", &id), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_generate(NODE, NULL), CF_EINVAL);
    CU_ASSERT(id == (void *)&id);
    /* 60 characters is the longest that fits "fw-" + id in name[64]. */
    long_id[60] = '\0';
    struct cf_cluster_identity *ok = gen(long_id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
    CF_ASSERT_INT_EQ(strlen(ok->name), 63);
    cf_identity_free(ok);
    cf_identity_free(NULL);
}

static void test_verify_pair(void)
{
    struct cf_cluster_identity *a = gen("a"), *b = gen("b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(a->cert_pem, a->key_pem), 0);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(b->cert_pem, b->key_pem), 0);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(a->cert_pem, b->key_pem), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(b->cert_pem, a->key_pem), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair("garbage", a->key_pem), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(a->cert_pem, "garbage"), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(a->key_pem, a->cert_pem), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(NULL, a->key_pem), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(a->cert_pem, NULL), CF_EINVAL);
    /* A truncated certificate does not parse. */
    char *cut = strndup(a->cert_pem, strlen(a->cert_pem) / 2);
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(cut, a->key_pem), CF_EINVAL);
    free(cut);
    cf_identity_free(a);
    cf_identity_free(b);
}

static void test_load_and_name(void)
{
    struct cf_cluster_identity *a = gen("a"), *b = gen("b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    gnutls_certificate_credentials_t cred = NULL;
    CF_ASSERT_INT_EQ(cf_identity_load(a->cert_pem, a->key_pem, &cred), 0);
    CU_ASSERT_PTR_NOT_NULL(cred);
    if (cred)
        gnutls_certificate_free_credentials(cred);
    cred = NULL;
    CF_ASSERT_INT_EQ(cf_identity_load(a->cert_pem, b->key_pem, &cred), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_load("x", a->key_pem, &cred), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_load(a->cert_pem, a->key_pem, NULL), CF_EINVAL);
    CU_ASSERT_PTR_NULL(cred);

    char name[64] = "";
    CF_ASSERT_INT_EQ(cf_identity_cert_name(b->cert_pem, name), 0);
    CF_ASSERT_STR_EQ(name, "fw-b");
    CF_ASSERT_INT_EQ(cf_identity_cert_name("nope", name), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_identity_cert_name(NULL, name), CF_EINVAL);
    cf_identity_free(a);
    cf_identity_free(b);
}

/* ---- mutual TLS over a socketpair ---- */

struct side {
    gnutls_certificate_credentials_t cred;
    const char *name;     /* client: the server name it verifies */
    const char *priority; /* NULL: GnuTLS defaults (TLS 1.3) */
    int fd;
    int hs_rc, io_rc;
    unsigned peer_status; /* verify status of the peer's certificate */
    int peer_certs;       /* certificates the peer presented */
};

static void run_side(struct side *s, int server)
{
    gnutls_session_t ses;
    gnutls_init(&ses, server ? GNUTLS_SERVER : GNUTLS_CLIENT);
    if (s->priority)
        gnutls_priority_set_direct(ses, s->priority, NULL);
    else
        gnutls_set_default_priority(ses);
    gnutls_credentials_set(ses, GNUTLS_CRD_CERTIFICATE, s->cred);
    if (server) {
        gnutls_certificate_server_set_request(ses, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_cert(ses, NULL, 0);
    } else {
        gnutls_server_name_set(ses, GNUTLS_NAME_DNS, s->name, strlen(s->name));
        gnutls_session_set_verify_cert(ses, s->name, 0);
    }
    gnutls_transport_set_int(ses, s->fd);
    gnutls_handshake_set_timeout(ses, 5000);
    int rc;
    do
        rc = gnutls_handshake(ses);
    while (rc < 0 && !gnutls_error_is_fatal(rc));
    s->hs_rc = rc;
    s->io_rc = -1;
    if (rc == 0) {
        unsigned n = 0;
        gnutls_certificate_get_peers(ses, &n);
        s->peer_certs = (int)n;
        gnutls_certificate_verify_peers2(ses, &s->peer_status);
        char buf[8] = "";
        /* The client speaks first: in TLS 1.3 its first read is where a
         * server's rejection of its certificate shows up. */
        if (server) {
            ssize_t r = gnutls_record_recv(ses, buf, 4);
            if (r == 4 && memcmp(buf, "ping", 4) == 0 &&
                gnutls_record_send(ses, "pong", 4) == 4)
                s->io_rc = 0;
        } else if (gnutls_record_send(ses, "ping", 4) == 4) {
            ssize_t r = gnutls_record_recv(ses, buf, 4);
            if (r == 4 && memcmp(buf, "pong", 4) == 0)
                s->io_rc = 0;
        }
    }
    /* A failed side closes its end so that the blocked peer wakes up. */
    if (s->hs_rc || s->io_rc)
        shutdown(s->fd, SHUT_RDWR);
    else
        gnutls_bye(ses, GNUTLS_SHUT_WR);
    gnutls_deinit(ses);
}

static void *server_main(void *arg)
{
    run_side(arg, 1);
    return NULL;
}

static void handshake(struct side *srv, struct side *cli)
{
    int sv[2];
    CF_ASSERT_INT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct timeval tv = {10, 0}; /* a broken test fails, not hangs */
    for (int i = 0; i < 2; i++) {
        setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(sv[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    srv->fd = sv[0];
    cli->fd = sv[1];
    pthread_t th;
    CF_ASSERT_INT_EQ(pthread_create(&th, NULL, server_main, srv), 0);
    run_side(cli, 0);
    pthread_join(th, NULL);
    close(sv[0]);
    close(sv[1]);
}

static gnutls_certificate_credentials_t load(const struct cf_cluster_identity *id)
{
    gnutls_certificate_credentials_t c = NULL;
    CF_ASSERT_INT_EQ(cf_identity_load(id->cert_pem, id->key_pem, &c), 0);
    return c;
}

static void mutual_ok(const char *priority)
{
    struct cf_cluster_identity *a = gen(NODE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    gnutls_certificate_credentials_t cs = load(a), cc = load(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cc);
    struct side srv = {.cred = cs, .priority = priority};
    struct side cli = {.cred = cc, .name = a->name, .priority = priority};
    handshake(&srv, &cli);
    CF_ASSERT_INT_EQ(srv.hs_rc, 0);
    CF_ASSERT_INT_EQ(cli.hs_rc, 0);
    CF_ASSERT_INT_EQ(srv.io_rc, 0);
    CF_ASSERT_INT_EQ(cli.io_rc, 0);
    CF_ASSERT_INT_EQ(srv.peer_certs, 1); /* the client did present its cert */
    CF_ASSERT_INT_EQ(cli.peer_certs, 1);
    CF_ASSERT_INT_EQ(srv.peer_status, 0);
    CF_ASSERT_INT_EQ(cli.peer_status, 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
}

static void test_mtls_tls13(void) { mutual_ok(NULL); }
static void test_mtls_tls12(void) { mutual_ok("NORMAL:-VERS-ALL:+VERS-TLS1.2"); }

/* The client verifies a name the certificate does not carry. */
static void test_mtls_wrong_name(void)
{
    struct cf_cluster_identity *a = gen(NODE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    gnutls_certificate_credentials_t cs = load(a), cc = load(a);
    struct side srv = {.cred = cs}, cli = {.cred = cc, .name = "fw-other"};
    handshake(&srv, &cli);
    CU_ASSERT(cli.hs_rc < 0);
    CU_ASSERT(srv.hs_rc < 0 || srv.io_rc < 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
}

/* A client with its own, different identity: it trusts neither the server's
 * certificate nor does the server trust its. */
static void test_mtls_foreign_client(void)
{
    struct cf_cluster_identity *a = gen("a"), *b = gen("b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    gnutls_certificate_credentials_t cs = load(a), cc = load(b);
    struct side srv = {.cred = cs}, cli = {.cred = cc, .name = a->name};
    handshake(&srv, &cli);
    CU_ASSERT(cli.hs_rc < 0);
    CU_ASSERT(srv.hs_rc < 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
    cf_identity_free(b);
}

/* Credentials that present one identity and trust another. */
static gnutls_certificate_credentials_t mixed(const struct cf_cluster_identity *present,
                                              const struct cf_cluster_identity *trust)
{
    gnutls_certificate_credentials_t c;
    gnutls_certificate_allocate_credentials(&c);
    gnutls_datum_t cd = {(unsigned char *)present->cert_pem,
                         (unsigned)strlen(present->cert_pem)};
    gnutls_datum_t kd = {(unsigned char *)present->key_pem,
                         (unsigned)strlen(present->key_pem)};
    gnutls_datum_t td = {(unsigned char *)trust->cert_pem,
                         (unsigned)strlen(trust->cert_pem)};
    CU_ASSERT(gnutls_certificate_set_x509_key_mem(c, &cd, &kd, GNUTLS_X509_FMT_PEM) >= 0);
    CF_ASSERT_INT_EQ(gnutls_certificate_set_x509_trust_mem(c, &td, GNUTLS_X509_FMT_PEM),
                     1);
    return c;
}

/* The client trusts the server but presents a foreign certificate: only the
 * server can reject it. In TLS 1.3 the client's handshake may already have
 * succeeded, so the rejection shows on its first read. */
static void server_rejects_client(const char *priority)
{
    struct cf_cluster_identity *a = gen("a"), *b = gen("b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    gnutls_certificate_credentials_t cs = load(a), cc = mixed(b, a);
    struct side srv = {.cred = cs, .priority = priority};
    struct side cli = {.cred = cc, .name = a->name, .priority = priority};
    handshake(&srv, &cli);
    CU_ASSERT(srv.hs_rc < 0);
    CU_ASSERT(cli.hs_rc < 0 || cli.io_rc < 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
    cf_identity_free(b);
}

/* A client that trusts the server but has no certificate at all: the server
 * requires one. */
static void test_mtls_client_without_cert(void)
{
    struct cf_cluster_identity *a = gen("a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    gnutls_certificate_credentials_t cs = load(a), cc;
    gnutls_certificate_allocate_credentials(&cc);
    gnutls_datum_t td = {(unsigned char *)a->cert_pem, (unsigned)strlen(a->cert_pem)};
    CF_ASSERT_INT_EQ(gnutls_certificate_set_x509_trust_mem(cc, &td, GNUTLS_X509_FMT_PEM),
                     1);
    struct side srv = {.cred = cs}, cli = {.cred = cc, .name = a->name};
    handshake(&srv, &cli);
    CU_ASSERT(srv.hs_rc < 0);
    CU_ASSERT(cli.hs_rc < 0 || cli.io_rc < 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
}

static void test_mtls_server_rejects_client_tls13(void) { server_rejects_client(NULL); }
static void test_mtls_server_rejects_client_tls12(void)
{
    server_rejects_client("NORMAL:-VERS-ALL:+VERS-TLS1.2");
}

/* The server presents a foreign certificate to a client holding the real
 * identity: the client refuses during its handshake. */
static void test_mtls_client_rejects_server(void)
{
    struct cf_cluster_identity *a = gen("a"), *b = gen("a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    /* Same name "fw-a", different key: only the trust anchor tells them apart. */
    gnutls_certificate_credentials_t cs = mixed(b, a), cc = load(a);
    struct side srv = {.cred = cs}, cli = {.cred = cc, .name = a->name};
    handshake(&srv, &cli);
    CU_ASSERT(cli.hs_rc < 0);
    CU_ASSERT(srv.hs_rc < 0 || srv.io_rc < 0);
    gnutls_certificate_free_credentials(cs);
    gnutls_certificate_free_credentials(cc);
    cf_identity_free(a);
    cf_identity_free(b);
}

static void test_generation_time(void)
{
    enum { N = 10 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++) {
        struct cf_cluster_identity *id = gen(NODE);
        CU_ASSERT_PTR_NOT_NULL(id);
        cf_identity_free(id);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / N;
    printf("\n    identity generation: %.2f ms each (mean of %d) ", ms, N);
    CU_ASSERT(ms < 1000);
}

int main(void)
{
    /* A rejecting side shuts its socket down; the other's next write must
     * fail with EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    static const struct cf_test_case cases[] = {
        {"certificate fields", test_certificate_fields},
        {"two generations differ", test_generations_differ},
        {"bad node ids", test_bad_node_ids},
        {"verify pair", test_verify_pair},
        {"load and cert name", test_load_and_name},
        {"mTLS TLS 1.3 same identity", test_mtls_tls13},
        {"mTLS TLS 1.2 same identity", test_mtls_tls12},
        {"mTLS wrong server name", test_mtls_wrong_name},
        {"mTLS foreign client identity", test_mtls_foreign_client},
        {"mTLS client without cert", test_mtls_client_without_cert},
        {"mTLS server rejects client cert 1.3", test_mtls_server_rejects_client_tls13},
        {"mTLS server rejects client cert 1.2", test_mtls_server_rejects_client_tls12},
        {"mTLS client rejects server cert", test_mtls_client_rejects_server},
        {"generation time", test_generation_time},
        {NULL, NULL},
    };
    return cf_test_run("identity", cases);
}
