/* TLS for the API listener: certificate files read and checked up front
 * (so a bad file is a clear start-up error, not a handshake failure later),
 * the version window as a GnuTLS priority string, and the client-certificate
 * check MHD does not do itself. Private to core/http. */
#ifndef CF_HTTP_TLS_H
#define CF_HTTP_TLS_H

#include <microhttpd.h>
#include <coffer/errors.h>
#include "config/config.h"

struct cf_http_tls {
    char *cert_pem;    /* NUL-terminated PEM texts, as MHD wants them */
    char *key_pem;     /* secret: zeroed on free */
    char *ca_pem;      /* NULL: no client certificates requested */
    char *priorities;  /* "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" */
    int verify_client; /* tls_require_and_verify_client_cert */
};

/* Reads and validates the TLS settings of cfg; where names the listener in
 * messages. *out is the caller's (cf_http_tls_free). CF_EIO when a file
 * cannot be read, CF_ECONFIG when one is invalid or settings conflict; err
 * names the key and file. */
int cf_http_tls_load(const struct cf_listener_cfg *cfg, const char *where,
                     struct cf_http_tls **out, struct coffer_err *err);
void cf_http_tls_free(struct cf_http_tls *t);

/* "tls12" + "tls13" → priority string (malloc'd). CF_ECONFIG with err. */
int cf_http_tls_priorities(const char *min, const char *max, char **out,
                           const char *where, struct coffer_err *err);

/* Verifies the client certificate of a TLS connection against the trusted
 * CAs. 0 when valid; CF_EDENIED with a client-facing *msg (static) when
 * absent or untrusted. */
int cf_http_tls_check_client(struct MHD_Connection *c, const char **msg);

#endif
