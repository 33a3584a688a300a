/* The contract between the router and a backend (a secrets engine, an
 * auth method, the system backend). A backend sees its mount and the
 * environment it was handed at init; it never learns about the layers
 * above it, and nothing below the router knows a backend by name. */
#ifndef CF_BACKEND_H
#define CF_BACKEND_H

#include <coffer/errors.h>
#include "request/request.h"

struct cf_backend;
struct cf_view;
struct cf_token_store;
struct cf_policy_store;
struct cf_mount_table;
struct cf_logger;

struct cf_mount {
    char *path; /* "secret/" (auth mounts: "auth/token/") */
    char *type; /* the registered type: "kv", "cubbyhole", "token", "system" ... */
    char *description;
    char *accessor; /* "kv_1a2b3c4d" */
    char *uuid;
    int kv_version; /* options.version for kv: 1 or 2; 0 = no version option */
    long long default_lease_ttl; /* seconds, 0 = system default */
    long long max_lease_ttl;
    int local;
    int seal_wrap;
    int permanent; /* a builtin type's: never unmounted, lives as long as the table */
    struct cf_view *view; /* logical/<uuid>/ (auth: auth/<uuid>/) */
    const struct cf_backend *backend;
    void *state; /* backend's own, from init */
};

/* What a backend is handed when its mount is set up. Everything borrowed:
 * valid until the mount is torn down (cleanup runs before any of it goes). */
struct cf_backend_env {
    struct cf_token_store *tokens;
    struct cf_policy_store *policies;
    struct cf_mount_table *mounts; /* the table the mount lives in */
    const struct cf_logger *log;
    long long default_lease_ttl; /* the system's, seconds */
    long long max_lease_ttl;
    void *type_arg; /* what the type was registered with */
};

/* How the router treats a path below the mount (cf_backend.path_flags). */
#define CF_PATH_UNAUTH 0x1u /* no token needed */
#define CF_PATH_SUDO 0x2u   /* needs the sudo capability */
#define CF_PATH_TOKEN_ONLY                                                               \
    0x4u /* a valid token, but no ACL check on the
                                      path itself (the handler checks its target) */

struct cf_backend {
    /* Optional. Called once when the mount is set up (enable or unseal). */
    int (*init)(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                struct coffer_err *err);
    /* Optional. Frees state. */
    void (*cleanup)(void *state);
    /* Optional. Whether the target of a POST/PUT exists, to tell the create
     * capability from update (Vault's existence check). Absent = update.
     * req->auth is already set (NULL on unauthenticated paths). */
    int (*exists)(struct cf_mount *m, struct cf_request *req, int *exists);
    /* Serve req (req->rel is the path below the mount). Returns 0 with res
     * filled (possibly an error result), or a negative CF_E* code which the
     * router turns into a status (ENOENT 404, EINVAL 400, EDENIED 403,
     * ESEALED 503, else 500). */
    int (*handle)(struct cf_mount *m, struct cf_request *req, struct cf_result *res);
    /* Optional. A token was revoked (explicitly, as a child, by expiry or
     * use count). Runs with the token store locked: must not call into it. */
    void (*on_token_revoked)(struct cf_mount *m, const struct cf_token *t);
    /* Optional. CF_PATH_* for rel; when absent the router reads the lists. */
    unsigned (*path_flags)(const struct cf_mount *m, const char *rel);

    /* Paths below the mount that need the sudo capability, and paths that
     * need no token at all. NULL-terminated; a trailing '*' is a prefix glob. */
    const char *const *sudo_paths;
    const char *const *unauth_paths;
    /* Static; set as the response's mount_type when the handler set none. */
    const char *mount_type;
};

#endif
