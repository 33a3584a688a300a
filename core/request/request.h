/* The request a listener hands down and the result that comes back up.
 * The listener fills cf_request from HTTP; backends fill cf_result;
 * http/envelope.c turns a cf_result into Vault's JSON envelope. */
#ifndef CF_REQUEST_H
#define CF_REQUEST_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

enum cf_op {
    CF_OP_READ = 1,
    CF_OP_LIST,
    CF_OP_CREATE, /* POST/PUT on a key the backend says does not exist */
    CF_OP_UPDATE, /* POST/PUT otherwise */
    CF_OP_PATCH,
    CF_OP_DELETE
};

struct cf_pair {
    char *key;
    char *value;
};

struct cf_token; /* auth/token_store.h */

struct cf_request {
    enum cf_op op;
    char *method;          /* "GET", "LIST", ... as received */
    char *path;            /* after "/v1/", no leading '/', percent-decoded */
    char *query_raw;       /* raw query string without '?', or NULL */
    struct cf_pair *query; /* decoded query parameters */
    size_t nquery;
    struct cf_pair *headers; /* names lower-cased */
    size_t nheaders;
    char *token; /* X-Vault-Token or Bearer; NULL if none. Secret. */
    char *body;  /* raw body, NUL-terminated, or NULL */
    size_t body_len;
    yajl_val data; /* parsed body object (or NULL) */
    char *content_type;
    char *remote_addr;
    char id[37];   /* request id (UUID) */
    int forwarded; /* came in over the cluster port */
    /* cf_mono_ms() past which the client no longer waits for the answer
     * (the listener's max_request_duration); 0 = none. Work that waits
     * (forwarding, retries) stops there. */
    unsigned long long deadline_ms;

    /* Filled by the router for the backend call and cleared when it
     * returns; borrowed, not freed with the request. */
    const char *mount_path;      /* e.g. "secret/" */
    const char *rel;             /* path below the mount, e.g. "data/app" */
    const struct cf_token *auth; /* NULL for unauthenticated endpoints */
};

/* Frees an array of n pairs and their strings (values zeroed first: they
 * may be secrets). NULL is fine. */
void cf_pairs_free(struct cf_pair *p, size_t n);
/* Frees everything the request owns (the token is zeroed first). */
void cf_request_free(struct cf_request *r);
/* Decoded query parameter or NULL (borrowed). */
const char *cf_req_query(const struct cf_request *r, const char *name);
/* Header value by lower-case name, or NULL (borrowed). */
const char *cf_req_header(const struct cf_request *r, const char *name);
/* A parameter from the body, else from the query string (GET params become
 * data as in Vault): string form, borrowed, NULL if absent. */
const char *cf_req_param_str(const struct cf_request *r, const char *name);
/* Integer parameter (body number or numeric string, or query string).
 * CF_ENOENT absent, CF_EINVAL not an integer. */
int cf_req_param_int(const struct cf_request *r, const char *name, long long *out);
int cf_req_param_bool(const struct cf_request *r, const char *name, int *out);

#define CF_RESULT_MAX_MSGS 8
#define CF_RESULT_MAX_HEADERS 4

struct cf_result {
    int status; /* 0: 200 when there is a body, else 204 */
    char *data; /* serialized JSON for "data", owned, or NULL */
    char *auth; /* serialized JSON for "auth", owned, or NULL */
    char *raw;  /* whole body without envelope (sys/health,
                              seal-status, init ...), owned, or NULL */
    char *lease_id;
    long long lease_duration;
    int renewable;
    int inject;             /* repeat data's keys at the top level */
    const char *mount_type; /* static string, e.g. "kv"; NULL omits */
    char *warnings[CF_RESULT_MAX_MSGS];
    size_t nwarnings;
    char *errors[CF_RESULT_MAX_MSGS];
    size_t nerrors; /* >0: error response {"errors":[...]} */
    struct cf_pair headers[CF_RESULT_MAX_HEADERS];
    size_t nheaders;
    /* Work that needs the node's state lock exclusively (sys/seal,
     * sys/step-down): a handler that has done its checks sets it, and the
     * gate runs it once the request has left the shared section, with req
     * still live (its mount fields cleared). A non-zero code becomes the
     * status as a handler's would. */
    int (*after)(void *arg, struct cf_request *req, struct cf_result *res);
    void *after_arg;
};

/* Error response: status + one message (printf-style). Returns 0 so a
 * handler can `return cf_result_error(...)`. status 404 with no message
 * gives Vault's {"errors":[]}: pass fmt NULL. */
int cf_result_error(struct cf_result *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cf_result_warn(struct cf_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cf_result_header(struct cf_result *r, const char *name, const char *value);
/* Replaces r with the answer for a handler's CF_E* code: ENOENT 404,
 * EINVAL 400, EDENIED 403, ESEALED 503, EEXIST 400, else 500. Returns 1
 * for a 500 (the caller logs what failed: the client is told only
 * "internal error"), else 0. */
int cf_result_from_rc(struct cf_result *r, int rc);
void cf_result_free(struct cf_result *r);

#endif
