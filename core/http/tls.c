/* TLS set-up for the listener. MHD takes PEM texts and a priority string;
 * everything it would only complain about at handshake time is checked
 * here first so that start-up fails with a message naming the file. */
#include "http/tls.h"
#include "util/buf.h"
#include "util/secret.h"
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PEM (1 << 20)

static int read_file(const char *path, const char *key, const char *where, char **out,
                     struct coffer_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err->msg, sizeof err->msg, "listener %s: %s \"%s\": cannot read: %s",
                 where, key, path, strerror(errno));
        return CF_EIO;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? 0 : CF_ENOMEM;
    while (!rc) {
        if (len + 1 == cap) {
            char *nb = cap >= MAX_PEM ? NULL : malloc(cap * 2);
            if (!nb) {
                rc = cap >= MAX_PEM ? CF_ECONFIG : CF_ENOMEM;
                break;
            }
            memcpy(nb, buf, len);
            cf_free_secret(buf, cap); /* may be a private key */
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - 1 - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                rc = CF_EIO;
            break;
        }
    }
    int e = errno;
    fclose(f);
    if (rc) {
        if (buf)
            cf_free_secret(buf, cap);
        snprintf(err->msg, sizeof err->msg, "listener %s: %s \"%s\": %s", where, key,
                 path,
                 rc == CF_ECONFIG   ? "file larger than 1 MiB"
                     : rc == CF_EIO ? strerror(e)
                                    : "out of memory");
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    return 0;
}

static int check_certs(const char *pem, const char *key, const char *path,
                       const char *where, struct coffer_err *err)
{
    gnutls_x509_crt_t *list = NULL;
    unsigned n = 0;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    int g = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || n == 0) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: %s \"%s\": no valid PEM certificate: %s", where, key, path,
                 g < 0 ? gnutls_strerror(g) : "empty");
        return CF_ECONFIG;
    }
    for (unsigned i = 0; i < n; i++)
        gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
    return 0;
}

static int check_key(const char *pem, const char *path, const char *where,
                     struct coffer_err *err)
{
    gnutls_x509_privkey_t k;
    if (gnutls_x509_privkey_init(&k) < 0)
        return CF_ENOMEM;
    gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
    int g = gnutls_x509_privkey_import2(k, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_x509_privkey_deinit(k);
    if (g < 0) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: tls_key_file \"%s\": no valid PEM private key: %s", where,
                 path, gnutls_strerror(g));
        return CF_ECONFIG;
    }
    return 0;
}

static int check_pair(const struct cf_http_tls *t, const struct cf_listener_cfg *cfg,
                      const char *where, struct coffer_err *err)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return CF_ENOMEM;
    gnutls_datum_t c = {(unsigned char *)t->cert_pem, (unsigned)strlen(t->cert_pem)};
    gnutls_datum_t k = {(unsigned char *)t->key_pem, (unsigned)strlen(t->key_pem)};
    int g =
        gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (g < 0) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: tls_cert_file \"%s\" and tls_key_file \"%s\" do not "
                 "go together: %s",
                 where, cfg->tls_cert_file, cfg->tls_key_file, gnutls_strerror(g));
        return CF_ECONFIG;
    }
    return 0;
}

static int version_index(const char *v)
{
    static const char *const V[] = {"tls10", "tls11", "tls12", "tls13"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, V[i]))
            return i;
    return -1;
}

int cf_http_tls_priorities(const char *min, const char *max, char **out,
                           const char *where, struct coffer_err *err)
{
    static const char *const NAMES[] = {"+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
                                        "+VERS-TLS1.3"};
    int lo = version_index(min ? min : "tls12");
    int hi = version_index(max ? max : "tls13");
    if (lo < 0 || hi < 0) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: %s \"%s\": expected tls10, tls11, tls12 or tls13", where,
                 lo < 0 ? "tls_min_version" : "tls_max_version", lo < 0 ? min : max);
        return CF_ECONFIG;
    }
    if (lo > hi) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: tls_min_version \"%s\" is above tls_max_version \"%s\"",
                 where, min, max);
        return CF_ECONFIG;
    }
    struct cf_buf b = {0};
    int rc = cf_buf_puts(&b, "NORMAL:-VERS-ALL");
    for (int i = hi; i >= lo && !rc; i--)
        rc = cf_buf_printf(&b, ":%s", NAMES[i]);
    if (rc) {
        cf_buf_free(&b);
        return rc;
    }
    /* The local GnuTLS may lack a version (or policy may forbid it). */
    gnutls_priority_t p;
    const char *pos = NULL;
    int g = gnutls_priority_init(&p, b.data, &pos);
    if (g < 0) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: TLS versions %s..%s not supported by GnuTLS: %s", where,
                 min ? min : "tls12", max ? max : "tls13", gnutls_strerror(g));
        cf_buf_free(&b);
        return CF_ECONFIG;
    }
    gnutls_priority_deinit(p);
    *out = cf_buf_take(&b);
    return 0;
}

void cf_http_tls_free(struct cf_http_tls *t)
{
    if (!t)
        return;
    free(t->cert_pem);
    cf_free_secret_str(t->key_pem);
    free(t->ca_pem);
    free(t->priorities);
    free(t);
}

int cf_http_tls_load(const struct cf_listener_cfg *cfg, const char *where,
                     struct cf_http_tls **out, struct coffer_err *err)
{
    if (!cfg->tls_cert_file || !*cfg->tls_cert_file || !cfg->tls_key_file ||
        !*cfg->tls_key_file) {
        snprintf(
            err->msg, sizeof err->msg,
            "listener %s: TLS is on but %s is not set (set it, or tls_disable = true)",
            where,
            !cfg->tls_cert_file || !*cfg->tls_cert_file ? "tls_cert_file"
                                                        : "tls_key_file");
        return CF_ECONFIG;
    }
    if (cfg->tls_require_and_verify_client_cert &&
        (!cfg->tls_client_ca_file || cfg->tls_disable_client_certs)) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: tls_require_and_verify_client_cert needs "
                 "tls_client_ca_file (and client certificates enabled)",
                 where);
        return CF_ECONFIG;
    }
    struct cf_http_tls *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    int rc = read_file(cfg->tls_cert_file, "tls_cert_file", where, &t->cert_pem, err);
    if (!rc)
        rc = check_certs(t->cert_pem, "tls_cert_file", cfg->tls_cert_file, where, err);
    if (!rc)
        rc = read_file(cfg->tls_key_file, "tls_key_file", where, &t->key_pem, err);
    if (!rc)
        rc = check_key(t->key_pem, cfg->tls_key_file, where, err);
    if (!rc)
        rc = check_pair(t, cfg, where, err);
    if (!rc && cfg->tls_client_ca_file && *cfg->tls_client_ca_file &&
        !cfg->tls_disable_client_certs) {
        rc = read_file(cfg->tls_client_ca_file, "tls_client_ca_file", where, &t->ca_pem,
                       err);
        if (!rc)
            rc = check_certs(t->ca_pem, "tls_client_ca_file", cfg->tls_client_ca_file,
                             where, err);
    }
    if (!rc)
        rc = cf_http_tls_priorities(cfg->tls_min_version, cfg->tls_max_version,
                                    &t->priorities, where, err);
    if (rc) {
        if (rc == CF_ENOMEM && !err->msg[0])
            snprintf(err->msg, sizeof err->msg, "listener %s: out of memory", where);
        cf_http_tls_free(t);
        return rc;
    }
    t->verify_client = cfg->tls_require_and_verify_client_cert;
    *out = t;
    return 0;
}

int cf_http_tls_check_client(struct MHD_Connection *c, const char **msg)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t s = ci ? (gnutls_session_t)ci->tls_session : NULL;
    unsigned n = 0, status = 0;
    if (!s || gnutls_certificate_type_get(s) != GNUTLS_CRT_X509 ||
        !gnutls_certificate_get_peers(s, &n) || n == 0) {
        *msg = "client certificate required";
        return CF_EDENIED;
    }
    /* MHD_OPTION_HTTPS_MEM_TRUST only makes GnuTLS ask for a certificate;
     * a self-signed or foreign one still completes the handshake. */
    if (gnutls_certificate_verify_peers2(s, &status) < 0 || status != 0) {
        *msg = "client certificate not trusted";
        return CF_EDENIED;
    }
    return 0;
}
