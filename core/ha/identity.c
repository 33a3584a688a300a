/* Generates and loads the per-activation cluster identity (as Vault's
 * vault/cluster.go does): ECDSA P-521, self-signed CA, server+client auth,
 * valid from 30 s ago for 262980 h, signed with SHA-512. */
#include "ha/identity.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NAME_PREFIX "fw-"
#define MAX_NODE_ID (sizeof(((struct cf_cluster_identity *)0)->name) - sizeof NAME_PREFIX)
#define NOT_BEFORE_SKEW 30
#define LIFETIME_SECS (262980LL * 3600)
#define SERIAL_LEN 16

static int valid_node_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > MAX_NODE_ID)
        return 0;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

/* Copies a GnuTLS datum to a NUL-terminated malloc'd string; the datum is
 * zeroed (it may hold a key) and released either way. */
static int datum_to_str(gnutls_datum_t *d, char **out)
{
    char *s = malloc((size_t)d->size + 1);
    if (s) {
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
    }
    cf_zero(d->data, d->size);
    gnutls_free(d->data);
    d->data = NULL;
    d->size = 0;
    if (!s)
        return CF_ENOMEM;
    *out = s;
    return 0;
}

static int make_cert(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *name)
{
    unsigned char serial[SERIAL_LEN];
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial) < 0)
        return CF_EIO;
    /* Positive and of minimal DER length, like Go's rand.Int(2^128) mostly. */
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);

    unsigned char kid[64];
    size_t kid_len = sizeof kid;
    time_t now = time(NULL);
    if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - NOT_BEFORE_SKEW) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, (time_t)(now + LIFETIME_SECS)) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, name,
                                      (unsigned)strlen(name)) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(
            crt,
            GNUTLS_KEY_DIGITAL_SIGNATURE | GNUTLS_KEY_KEY_ENCIPHERMENT |
                GNUTLS_KEY_KEY_AGREEMENT | GNUTLS_KEY_KEY_CERT_SIGN) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(
            crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name), GNUTLS_FSAN_SET) < 0 ||
        gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, kid, &kid_len) < 0 ||
        gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len) < 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA512, 0) < 0)
        return CF_EIO;
    return 0;
}

int cf_identity_generate(const char *node_id, struct cf_cluster_identity **out)
{
    if (!valid_node_id(node_id) || !out)
        return CF_EINVAL;
    struct cf_cluster_identity *id = calloc(1, sizeof *id);
    if (!id)
        return CF_ENOMEM;
    memcpy(id->name, NAME_PREFIX, sizeof NAME_PREFIX - 1);
    memcpy(id->name + sizeof NAME_PREFIX - 1, node_id, strlen(node_id) + 1);

    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {NULL, 0};
    int rc = CF_EIO;
    if (gnutls_x509_privkey_init(&key) < 0) {
        key = NULL;
        goto out;
    }
    if (gnutls_x509_crt_init(&crt) < 0) {
        crt = NULL;
        goto out;
    }
    if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP521R1),
                                     0) < 0)
        goto out;
    if ((rc = make_cert(crt, key, id->name)) != 0)
        goto out;
    rc = CF_EIO;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    if ((rc = datum_to_str(&d, &id->cert_pem)) != 0)
        goto out;
    rc = CF_EIO;
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0)
        goto out;
    rc = datum_to_str(&d, &id->key_pem);
out:
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    if (rc) {
        cf_identity_free(id);
        return rc;
    }
    *out = id;
    return 0;
}

void cf_identity_free(struct cf_cluster_identity *id)
{
    if (!id)
        return;
    cf_free_secret_str(id->key_pem);
    free(id->cert_pem);
    free(id);
}

/* Parses both PEM texts and checks that they belong together. On success
 * the caller deinits *crt and *key. */
static int parse_pair(const char *cert_pem, const char *key_pem,
                      gnutls_x509_crt_t *crt_out, gnutls_x509_privkey_t *key_out)
{
    if (!cert_pem || !key_pem)
        return CF_EINVAL;
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_t key;
    if (gnutls_x509_crt_init(&crt) < 0)
        return CF_ENOMEM;
    if (gnutls_x509_privkey_init(&key) < 0) {
        gnutls_x509_crt_deinit(crt);
        return CF_ENOMEM;
    }
    gnutls_datum_t cd = {(unsigned char *)(uintptr_t)cert_pem,
                         (unsigned)strlen(cert_pem)};
    gnutls_datum_t kd = {(unsigned char *)(uintptr_t)key_pem, (unsigned)strlen(key_pem)};
    unsigned char cid[64], kid[64];
    size_t cid_len = sizeof cid, kid_len = sizeof kid;
    int rc = CF_EINVAL;
    if (gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_privkey_import(key, &kd, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cid, &cid_len) < 0 ||
        gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid, &kid_len) < 0)
        goto fail;
    /* The key id hashes the public key, so equal ids mean the same pair. */
    if (!cf_ct_equal(cid, cid_len, kid, kid_len))
        goto fail;
    *crt_out = crt;
    *key_out = key;
    return 0;
fail:
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

int cf_identity_verify_pair(const char *cert_pem, const char *key_pem)
{
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_t key;
    int rc = parse_pair(cert_pem, key_pem, &crt, &key);
    if (rc)
        return rc;
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return 0;
}

int cf_identity_load(const char *cert_pem, const char *key_pem,
                     gnutls_certificate_credentials_t *cred_out)
{
    if (!cred_out)
        return CF_EINVAL;
    gnutls_x509_crt_t crt;
    gnutls_x509_privkey_t key;
    int rc = parse_pair(cert_pem, key_pem, &crt, &key);
    if (rc)
        return rc;
    gnutls_certificate_credentials_t cred;
    rc = CF_ENOMEM;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        goto out;
    /* Both calls copy crt and key, so ours are released below either way. */
    if (gnutls_certificate_set_x509_key(cred, &crt, 1, key) < 0 ||
        gnutls_certificate_set_x509_trust(cred, &crt, 1) != 1) {
        gnutls_certificate_free_credentials(cred);
        rc = CF_EINVAL;
        goto out;
    }
    *cred_out = cred;
    rc = 0;
out:
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

int cf_identity_cert_name(const char *cert_pem, char name[64])
{
    if (!cert_pem)
        return CF_EINVAL;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return CF_ENOMEM;
    gnutls_datum_t cd = {(unsigned char *)(uintptr_t)cert_pem,
                         (unsigned)strlen(cert_pem)};
    char buf[64];
    size_t len = sizeof buf;
    int rc = CF_EINVAL;
    if (gnutls_x509_crt_import(crt, &cd, GNUTLS_X509_FMT_PEM) >= 0 &&
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf,
                                      &len) >= 0 &&
        len > 0 && len < sizeof buf && strlen(buf) == len) {
        memcpy(name, buf, len + 1);
        rc = 0;
    }
    gnutls_x509_crt_deinit(crt);
    return rc;
}
