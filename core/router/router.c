/* One request through the layers: seal gate → token → mount → ACL →
 * backend. Data flows down only; results come back in cf_result. */
#include "core_internal.h"
#include "auth/auth.h"
#include "ha/ha.h"
#include "gate/forward.h"
#include "util/buf.h"
#include "util/encode.h"
#include "sys/sys.h"
#include "util/strerror.h"
#include "util/secret.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CUBBY_HEADER "x-coffer-cubbyhole-id"

static void map_rc(int rc, struct cf_result *res, const struct cf_logger *log,
                   const char *path)
{
    cf_result_free(res);
    switch (rc) {
    case CF_ENOENT:
        cf_result_error(res, 404, NULL);
        break;
    case CF_EINVAL:
        cf_result_error(res, 400, "invalid request");
        break;
    case CF_EDENIED:
        cf_result_error(res, 403, "permission denied");
        break;
    case CF_ESEALED:
        cf_result_error(res, 503, "Vault is sealed");
        break;
    case CF_EEXIST:
        cf_result_error(res, 400, "already exists");
        break;
    default:
        cf_log(log, CF_LOG_ERROR, "request to %s failed: %s", path, cf_strerror(rc));
        cf_result_error(res, 500, "internal error");
    }
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

/* Drops any client-sent copy of a header the router sets itself, then sets it. */
static int set_internal_header(struct cf_request *req, const char *name,
                               const char *value)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (!strcmp(req->headers[i].key, name)) {
            char *v = strdup(value);
            if (!v)
                return CF_ENOMEM;
            free(req->headers[i].value);
            req->headers[i].value = v;
            return 0;
        }
    struct cf_pair *h = realloc(req->headers, (req->nheaders + 1) * sizeof *h);
    if (!h)
        return CF_ENOMEM;
    req->headers = h;
    h[req->nheaders].key = strdup(name);
    h[req->nheaders].value = strdup(value);
    if (!h[req->nheaders].key || !h[req->nheaders].value) {
        free(h[req->nheaders].key);
        free(h[req->nheaders].value);
        return CF_ENOMEM;
    }
    req->nheaders++;
    return 0;
}

static void strip_internal_headers(struct cf_request *req)
{
    for (size_t i = 0; i < req->nheaders;) {
        if (!strncmp(req->headers[i].key, "x-coffer-", 9)) {
            free(req->headers[i].key);
            free(req->headers[i].value);
            memmove(&req->headers[i], &req->headers[i + 1],
                    (req->nheaders - i - 1) * sizeof *req->headers);
            req->nheaders--;
        } else {
            i++;
        }
    }
}

/* Looks up the caller's token. Returns 0, or fills res (403 for a missing,
 * unknown or expired token). *tok is freed with cf_token_free. */
static int lookup_token(struct cf_core *c, struct cf_request *req,
                        struct cf_token **tok, struct cf_result *res)
{
    if (!req->token || !*req->token)
        return cf_result_error(res, 403, "permission denied"), CF_EDENIED;
    int rc = cf_token_lookup(c->tokens, req->token, tok);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 403, "permission denied"), CF_EDENIED;
    if (rc)
        map_rc(rc, res, &c->log, req->path);
    return rc;
}

/* Checks the ACL of tok for req (its op is final by now) and counts one
 * use of the token. Returns 0 when allowed; otherwise fills res. */
static int check_acl(struct cf_core *c, struct cf_request *req, int needs_sudo,
                     struct cf_token *tok, struct cf_result *res)
{
    struct cf_acl *acl;
    int rc = cf_acl_new(c->policies, tok->policies, tok->npolicies, &acl);
    if (rc) {
        map_rc(rc, res, &c->log, req->path);
        return rc;
    }
    int ok = cf_acl_allowed(acl, req->path, req->op, needs_sudo);
    cf_acl_free(acl);
    if (!ok)
        return cf_result_error(res, 403, "permission denied"), CF_EDENIED;
    req->auth = tok;
    rc = cf_token_use(c->tokens, tok);
    if (rc)
        map_rc(rc, res, &c->log, req->path);
    return rc;
}

static int authorize(struct cf_core *c, struct cf_request *req, int needs_sudo,
                     struct cf_token **tok, struct cf_result *res)
{
    int rc = lookup_token(c, req, tok, res);
    return rc ? rc : check_acl(c, req, needs_sudo, *tok, res);
}

static void handle_sys(struct cf_core *c, struct cf_request *req,
                       const char *rel, struct cf_result *res)
{
    struct cf_token *tok = NULL;
    if (req->op == CF_OP_CREATE)
        req->op = CF_OP_UPDATE;
    int rc0 = cf_sys_token_only(rel) ? lookup_token(c, req, &tok, res)
                                     : authorize(c, req, cf_sys_needs_sudo(rel), &tok, res);
    if (rc0 == 0) {
        req->auth = tok;
        int rc = cf_sys_handle(c, req, rel, res);
        if (rc)
            map_rc(rc, res, &c->log, req->path);
    }
    cf_token_free(tok);
}

static void handle_mount(struct cf_core *c, struct cf_request *req,
                         struct cf_result *res)
{
    struct cf_mount *m = cf_mounts_match(c->mounts, req->path);
    if (!m) {
        cf_result_error(res, 404, "no handler for route \"%s\". route entry not found.",
                        req->path);
        return;
    }
    size_t ml = strlen(m->path);
    req->mount_path = m->path;
    req->rel = strlen(req->path) >= ml ? req->path + ml : "";
    const struct cf_backend *be = m->backend;
    int unauth = path_in(be->unauth_paths, req->rel);
    struct cf_token *tok = NULL;
    int rc = 0;
    /* The token comes first: the cubbyhole's existence check needs its id. */
    if (!unauth && lookup_token(c, req, &tok, res)) {
        cf_mounts_release(c->mounts);
        return;
    }
    if (tok && tok->cubbyhole_id && !strcmp(m->type, "cubbyhole"))
        rc = set_internal_header(req, CUBBY_HEADER, tok->cubbyhole_id);
    if (!rc && req->op == CF_OP_UPDATE && be->exists) {
        int ex = 1;
        rc = be->exists(c, m, req, &ex);
        if (!rc && !ex)
            req->op = CF_OP_CREATE;
    }
    if (!rc && !unauth &&
        check_acl(c, req, path_in(be->sudo_paths, req->rel), tok, res)) {
        cf_mounts_release(c->mounts);
        cf_token_free(tok);
        return;
    }
    if (!rc)
        rc = be->handle(c, m, req, res);
    if (rc)
        map_rc(rc, res, &c->log, req->path);
    if (!res->mount_type && res->nerrors == 0)
        res->mount_type = !strcmp(m->type, "kv") ? "kv" : NULL;
    cf_mounts_release(c->mounts);
    cf_token_free(tok);
}

/* A standby's answer: the active node's own answer, forwarded over the
 * cluster port; else 307 to the active node's api_addr with the same path
 * and query (307 keeps the method and body), or Vault's 500 when no active
 * node is known. */
static void standby_answer(struct cf_core *c, const struct cf_request *req,
                           struct cf_result *res)
{
    /* Forward unless the client asked not to, or the request already came
     * from another node (never forward twice); any failure falls back to
     * the redirect, as Vault does. */
    const char *nofwd = cf_req_header(req, "x-vault-no-request-forwarding");
    if (c->fwd && !req->forwarded && !(nofwd && *nofwd) &&
        cf_forwarder_send(c->fwd, req, res) == 0)
        return;
    cf_result_free(res);
    struct cf_ha_view v;
    cf_ha_view(c->ha, &v);
    if (!v.leader_known || !v.leader_api[0] || !strcmp(v.leader_node_id, c->node_id)) {
        cf_result_error(res, 500, "local node not active but active cluster node not found");
        return;
    }
    struct cf_buf loc = {0};
    size_t n = strlen(v.leader_api);
    while (n && v.leader_api[n - 1] == '/')
        n--;
    cf_buf_append(&loc, v.leader_api, n);
    cf_buf_puts(&loc, "/v1/");
    cf_url_path_encode(&loc, req->path);
    if (req->query_raw && *req->query_raw) {
        cf_buf_puts(&loc, "?");
        cf_buf_puts(&loc, req->query_raw);
    }
    if (loc.data && cf_result_header(res, "Location", loc.data) == 0)
        res->status = 307;
    else
        cf_result_error(res, 500, "internal error");
    cf_buf_free(&loc);
}

/* sys/seal needs the state lock exclusively, so it runs outside the
 * shared section once the token and sudo have been checked. */
static int wants(const struct cf_request *req, const char *path)
{
    return !strcmp(req->path, path) &&
           (req->op == CF_OP_UPDATE || req->op == CF_OP_CREATE);
}

void cf_core_handle(struct cf_core *c, struct cf_request *req,
                    struct cf_result *res)
{
    strip_internal_headers(req);
    const char *rel = !strncmp(req->path, "sys/", 4) ? req->path + 4 : NULL;
    if (rel && cf_sys_is_unauth(rel)) {
        int rc = cf_sys_unauth_handle(c, req, rel, res);
        if (rc)
            map_rc(rc, res, &c->log, req->path);
        return;
    }
    if (!cf_core_unsealed(c)) {
        cf_result_error(res, 503, "Vault is sealed");
        return;
    }
    if (c->ha && !cf_ha_serving(c->ha)) {
        standby_answer(c, req, res);
        return;
    }
    pthread_rwlock_rdlock(&c->state);
    /* Re-check under the lock: a deactivation may have just run. */
    if (!c->ready || (c->ha && !cf_ha_serving(c->ha))) {
        pthread_rwlock_unlock(&c->state);
        if (c->ha)
            standby_answer(c, req, res);
        else
            cf_result_error(res, 503, "Vault is sealed");
        return;
    }
    int seal = 0, step_down = 0;
    if (rel && (wants(req, "sys/seal") || wants(req, "sys/step-down"))) {
        struct cf_token *tok = NULL;
        req->op = CF_OP_UPDATE;
        int ok = authorize(c, req, 1, &tok, res) == 0;
        cf_token_free(tok);
        req->auth = NULL;
        if (ok && !strcmp(rel, "seal"))
            seal = 1;
        else if (ok)
            step_down = 1;
    } else if (rel) {
        handle_sys(c, req, rel, res);
    } else {
        handle_mount(c, req, res);
    }
    req->auth = NULL;   /* the token it pointed to is freed */
    pthread_rwlock_unlock(&c->state);
    if (seal) {
        int rc = cf_core_seal(c);
        if (rc)
            map_rc(rc, res, &c->log, req->path);
    }
    if (step_down) {
        /* Without HA there is nothing to step down from: Vault answers 204. */
        if (c->ha && cf_ha_step_down(c->ha) == 0)
            cf_log(&c->log, CF_LOG_INFO, "core: stepped down from active duty");
    }
}
