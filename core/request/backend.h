/* What a secrets engine or auth method offers the router. A backend sees
 * only its mount (and the mount's storage view); anything else it needs
 * (the token store for auth/token/) is put in its state when mounted. */
#ifndef CF_BACKEND_H
#define CF_BACKEND_H

#include <coffer/errors.h>
#include "request/request.h"
#include "seal/view.h"

struct cf_core;
struct cf_backend;

struct cf_mount {
    char *path;             /* "secret/" (auth mounts: "auth/token/") */
    char *type;             /* "kv", "cubbyhole", "token", "sys", ... */
    char *description;
    char *accessor;         /* "kv_1a2b3c4d" */
    char *uuid;
    int kv_version;         /* options.version for kv: 1 or 2 */
    long long default_lease_ttl;   /* seconds, 0 = system default */
    long long max_lease_ttl;
    int local;
    int seal_wrap;
    struct cf_view *view;   /* logical/<uuid>/ (auth: auth/<uuid>/) */
    const struct cf_backend *backend;
    void *state;            /* backend's own, from init */
};

struct cf_backend {
    const char *type;

    /* Optional. Called once when the mount is set up (enable or unseal). */
    int (*init)(struct cf_core *core, struct cf_mount *m, void **state,
                struct coffer_err *err);
    /* Optional. Frees state. */
    void (*cleanup)(void *state);
    /* Optional. Whether the target of a POST/PUT exists, to tell the create
     * capability from update (Vault's existence check). Absent = update. */
    int (*exists)(struct cf_core *core, struct cf_mount *m,
                  struct cf_request *req, int *exists);
    /* Serve req (req->rel is the path below the mount). Returns 0 with res
     * filled (possibly an error result), or a negative CF_E* code which the
     * router turns into a status (ENOENT 404, EINVAL 400, EDENIED 403,
     * ESEALED 503, else 500). */
    int (*handle)(struct cf_core *core, struct cf_mount *m,
                  struct cf_request *req, struct cf_result *res);

    /* Paths below the mount that need the sudo capability, and paths that
     * need no token at all. NULL-terminated; a trailing '*' is a prefix glob. */
    const char *const *sudo_paths;
    const char *const *unauth_paths;
};

#endif
