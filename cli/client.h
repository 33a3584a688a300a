/* The CLI's HTTP client: Vault's environment (VAULT_ADDR, VAULT_TOKEN or
 * ~/.vault-token, VAULT_CACERT, VAULT_CAPATH, VAULT_SKIP_VERIFY,
 * VAULT_CLIENT_TIMEOUT), libcurl requests with X-Vault-Token and
 * X-Vault-Request, 307 redirects followed with method and body kept, and
 * Vault's "Error making API request." text. */
#ifndef CF_CLI_CLIENT_H
#define CF_CLI_CLIENT_H

#include <stdio.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>
#include <coffer/errors.h>

struct cf_client {
    char *addr;  /* "https://127.0.0.1:8200", no trailing slash */
    char *token; /* secret; NULL when none was found */
    char *cacert;
    char *capath;
    int skip_verify;
    long timeout_s;
    void *curl; /* CURL *, made on first use */
};

/* Overrides from flags; NULL/-1 means "take the environment". */
struct cf_client_opts {
    const char *address;
    const char *cacert;
    const char *capath;
    int skip_verify; /* -1 unset, 0, 1 */
};

/* Fills c from opts then the environment. 0, CF_EINVAL (message in err,
 * e.g. a bad VAULT_CLIENT_TIMEOUT) or CF_ENOMEM; nothing allocated on
 * failure. Free with cf_client_free. */
int cf_client_init(struct cf_client *c, const struct cf_client_opts *opts,
                   struct coffer_err *err);
void cf_client_free(struct cf_client *c);

/* A response. url/method name the last request sent (after redirects). */
struct cf_resp {
    long status; /* 0 when no response came back */
    char *body;  /* malloc'd, NUL-terminated, may be empty */
    size_t len;
    yajl_val json; /* parsed body, NULL if empty or not JSON */
    char method[16];
    char url[2048];
    char err[2560]; /* transport failure text when status == 0 */
};

/* Sends METHOD /v1/<path>[?query] with an optional body (Content-Type
 * ctype, default application/json). Returns 0 when any HTTP response
 * arrived (check r->status), CF_EUNAVAIL on a transport failure, CF_EINVAL
 * on a redirect loop or downgrade (r->err says which). r is always
 * initialised; free it with cf_resp_free. */
int cf_client_do(struct cf_client *c, const char *method, const char *path,
                 const char *query, const char *body, const char *ctype,
                 struct cf_resp *r);
/* Body bytes are zeroed: responses may hold tokens or keys. */
void cf_resp_free(struct cf_resp *r);

/* The "data" object of a response, or the top level for the sys routes
 * that answer without an envelope. NULL if the body is not an object. */
yajl_val cf_resp_data(const struct cf_resp *r);

/* Prints Vault's error for a failed call: "<what>: Error making API
 * request.\n\nURL: PUT ...\nCode: 403. Errors:\n\n* permission denied"
 * or, without a response, "<what>: Put \"URL\": <reason>". */
void cf_client_print_error(FILE *err, const char *what, const struct cf_resp *r);

/* Percent-encodes s for a query value (malloc'd, caller frees). */
char *cf_url_escape(const char *s);

#endif
