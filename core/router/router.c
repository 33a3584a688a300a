/* token → mount → ACL → backend. The router knows backends only through
 * their vtable and the flags they give their paths. */
#include "router/router.h"
#include "auth/acl.h"
#include "auth/acl_cache.h"
#include "auth/token_store.h"
#include "util/log.h"
#include "util/strerror.h"
#include <stdlib.h>
#include <string.h>

struct cf_router {
    struct cf_mount_table *mounts;
    struct cf_token_store *tokens;
    struct cf_policy_store *policies;
    struct cf_acl_cache *acls;
    const struct cf_logger *log;
};

int cf_router_new(struct cf_mount_table *mounts, struct cf_token_store *tokens,
                  struct cf_policy_store *policies, const struct cf_logger *log,
                  struct cf_router **out)
{
    struct cf_router *r = calloc(1, sizeof *r);
    if (!r)
        return CF_ENOMEM;
    *r = (struct cf_router){mounts, tokens, policies, NULL, log};
    if (cf_acl_cache_new(&r->acls)) {
        free(r);
        return CF_ENOMEM;
    }
    *out = r;
    return 0;
}

void cf_router_free(struct cf_router *r)
{
    if (!r)
        return;
    cf_acl_cache_free(r->acls);
    free(r);
}

static void fail(const struct cf_router *r, int rc, const char *path,
                 struct cf_result *res)
{
    if (cf_result_from_rc(res, rc))
        cf_log(r->log, CF_LOG_ERROR, "request to %s failed: %s", path, cf_strerror(rc));
}

/* Whether rel matches a backend's special-path list (trailing '*' = prefix). */
static int path_in(const char *const *list, const char *rel)
{
    for (; list && *list; list++) {
        size_t n = strlen(*list);
        if (n && (*list)[n - 1] == '*') {
            if (!strncmp(rel, *list, n - 1))
                return 1;
        } else if (!strcmp(rel, *list)) {
            return 1;
        }
    }
    return 0;
}

static unsigned path_flags(const struct cf_mount *m, const char *rel)
{
    const struct cf_backend *be = m->backend;
    if (be->path_flags)
        return be->path_flags(m, rel);
    return (path_in(be->unauth_paths, rel) ? CF_PATH_UNAUTH : 0) |
        (path_in(be->sudo_paths, rel) ? CF_PATH_SUDO : 0);
}

/* The caller's token: 0 and *tok (cf_token_free), or non-zero with res
 * filled (403 for a missing, unknown or expired token). */
static int lookup_token(struct cf_router *r, struct cf_request *req,
                        struct cf_token **tok, struct cf_result *res)
{
    int rc = req->token && *req->token ? cf_token_lookup(r->tokens, req->token, tok)
                                       : CF_ENOENT;
    if (rc == CF_ENOENT)
        return cf_result_error(res, 403, "permission denied"), CF_EDENIED;
    if (rc)
        fail(r, rc, req->path, res);
    return rc;
}

/* The ACL of tok for req (its op is final by now), then one use of the
 * token. 0 when allowed; otherwise res is filled. */
static int check_acl(struct cf_router *r, struct cf_request *req, int needs_sudo,
                     struct cf_token *tok, struct cf_result *res)
{
    struct cf_acl *acl;
    int rc = cf_acl_cache_get(r->acls, r->policies, tok->policies, tok->npolicies, &acl);
    if (rc) {
        fail(r, rc, req->path, res);
        return rc;
    }
    int ok = cf_acl_allowed_request(acl, req, needs_sudo);
    cf_acl_free(acl);
    if (!ok)
        return cf_result_error(res, 403, "permission denied"), CF_EDENIED;
    rc = cf_token_use(r->tokens, tok);
    if (rc)
        fail(r, rc, req->path, res);
    return rc;
}

/* Vault's existence check: a POST/PUT on what does not exist needs the
 * create capability, not update. */
static int existence(struct cf_mount *m, struct cf_request *req)
{
    if (req->op != CF_OP_UPDATE || !m->backend->exists)
        return 0;
    int ex = 1;
    int rc = m->backend->exists(m, req, &ex);
    if (!rc && !ex)
        req->op = CF_OP_CREATE;
    return rc;
}

/* Everything after the mount is known; the mount table is read-locked. */
static void serve(struct cf_router *r, struct cf_mount *m, struct cf_request *req,
                  struct cf_result *res)
{
    size_t ml = strlen(m->path);
    req->mount_path = m->path;
    req->rel = strlen(req->path) >= ml ? req->path + ml : "";
    unsigned flags = path_flags(m, req->rel);
    struct cf_token *tok = NULL;
    /* The token comes first: the cubbyhole's existence check needs it. */
    if (!(flags & CF_PATH_UNAUTH) && lookup_token(r, req, &tok, res))
        return;
    req->auth = tok;
    int rc = existence(m, req);
    if (rc) {
        fail(r, rc, req->path, res);
    } else if (!tok || (flags & CF_PATH_TOKEN_ONLY) ||
               !check_acl(r, req, (flags & CF_PATH_SUDO) != 0, tok, res)) {
        rc = m->backend->handle(m, req, res);
        if (rc)
            fail(r, rc, req->path, res);
        else if (!res->mount_type && res->nerrors == 0)
            res->mount_type = m->backend->mount_type;
    }
    req->auth = NULL;
    cf_token_free(tok);
}

void cf_router_handle(struct cf_router *r, struct cf_request *req, struct cf_result *res)
{
    struct cf_mount *m = cf_mounts_match(r->mounts, req->path);
    if (!m) {
        cf_result_error(res, 404, "no handler for route \"%s\". route entry not found.",
                        req->path);
        return;
    }
    /* A mount that can be unmounted is kept alive by the table's read lock
     * for the call. A permanent one lives as long as the table (and the
     * table as long as the gate's shared section), so the call runs
     * unlocked: sys/mounts takes the table's write lock. */
    int permanent = m->permanent;
    if (permanent)
        cf_mounts_release(r->mounts);
    serve(r, m, req, res);
    req->mount_path = NULL;
    req->rel = NULL;
    if (!permanent)
        cf_mounts_release(r->mounts);
}
