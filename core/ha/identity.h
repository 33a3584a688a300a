/* The cluster identity of one activation: a fresh ECDSA P-521 key and a
 * self-signed CA certificate (server and client auth) that the active node
 * advertises so standbys can open mutually authenticated TLS to it. */
#ifndef CF_HA_IDENTITY_H
#define CF_HA_IDENTITY_H

#include <gnutls/gnutls.h>

/* name is "fw-<node_id>": the certificate's CN and its only DNS SAN, i.e.
 * the server name a standby verifies. key_pem is secret (SEC1 "EC PRIVATE
 * KEY" PEM); cert_pem is public. */
struct cf_cluster_identity {
    char *cert_pem;
    char *key_pem;
    char name[64];
};

/* node_id is borrowed: 1..60 characters of [A-Za-z0-9._-] (a UUID fits).
 * *out belongs to the caller, freed with cf_identity_free. CF_EINVAL on a bad
 * node_id, CF_EIO if GnuTLS fails, CF_ENOMEM. */
int cf_identity_generate(const char *node_id, struct cf_cluster_identity **out);
/* Zeroes the key before freeing it. NULL is fine. */
void cf_identity_free(struct cf_cluster_identity *id);

/* Inputs borrowed. 0 if key_pem is the private key of cert_pem; CF_EINVAL if
 * it is not or either text does not parse. */
int cf_identity_verify_pair(const char *cert_pem, const char *key_pem);

/* Inputs borrowed. Credentials that present cert+key and trust only cert as
 * CA (both ends of the cluster channel hold the same identity). *cred_out
 * belongs to the caller: gnutls_certificate_free_credentials. CF_EINVAL on
 * unparsable or mismatched PEM, CF_ENOMEM. */
int cf_identity_load(const char *cert_pem, const char *key_pem,
                     gnutls_certificate_credentials_t *cred_out);

/* cert_pem borrowed. Copies the certificate's CN ("fw-<node_id>") into name:
 * what a standby passes to gnutls_session_set_verify_cert / SNI. CF_EINVAL if
 * it does not parse or the CN is missing or longer than 63 bytes. */
int cf_identity_cert_name(const char *cert_pem, char name[64]);

#endif
