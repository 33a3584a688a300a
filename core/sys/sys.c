/* The sys/ route table and the backend around it. Every sys path is one
 * row: its pattern, how the layers above treat it, and its handler. */
#include "sys/sys_internal.h"
#include "util/log.h"
#include "util/strerror.h"
#include <stdlib.h>
#include <string.h>

/* How a route is served. */
#define LOCAL 0x01u       /* any node, any state, no token, outside the state lock */
#define SUDO 0x02u        /* needs the sudo capability (Vault's root-protected paths) */
#define TOKEN_ONLY 0x04u  /* a valid token; the handler checks the target path */
#define EXCLUSIVE 0x08u   /* runs after the request leaves the shared state section */
#define ACTIVE_HERE 0x10u /* a standby refuses it (ON_STANDBY), never forwards it */

struct route {
    const char *pattern; /* exact, or a trailing '*' for a prefix */
    unsigned flags;
    cf_sys_fn fn; /* NULL: a path Vault has and Coffer does not serve yet */
};

/* What a standby answers an ACTIVE_HERE route with (Vault's text; seal is
 * the only such route). */
#define ON_STANDBY "vault cannot seal when in standby mode; please restart instead"

static const struct route ROUTES[] = {
    {"init", LOCAL, cf_sys_init},
    {"seal-status", LOCAL, cf_sys_seal_status},
    {"unseal", LOCAL, cf_sys_unseal},
    {"health", LOCAL, cf_sys_health},
    {"leader", LOCAL, cf_sys_leader},
    {"seal", SUDO | EXCLUSIVE | ACTIVE_HERE, cf_sys_seal},
    {"step-down", SUDO | EXCLUSIVE, cf_sys_step_down},
    {"key-status", 0, cf_sys_key_status},
    {"rotate", SUDO, cf_sys_rotate},
    {"rotate/config", SUDO, cf_sys_rotate_config},
    {"ha-status", 0, cf_sys_ha_status},
    {"mounts", 0, cf_sys_mounts},
    {"mounts/*", 0, cf_sys_mounts},
    {"auth", 0, cf_sys_mounts},
    {"auth/*", SUDO, cf_sys_mounts},
    {"policy", 0, cf_sys_policies},
    {"policy/*", 0, cf_sys_policies},
    {"policies", 0, cf_sys_policies},
    {"policies/*", 0, cf_sys_policies},
    {"internal/ui/mounts/*", TOKEN_ONLY, cf_sys_ui_mount},
    {"capabilities", 0, cf_sys_capabilities},
    {"capabilities-self", 0, cf_sys_capabilities},
    {"capabilities-accessor", 0, cf_sys_capabilities},
    {"audit", SUDO, NULL},
    {"audit/*", SUDO, NULL},
    {"raw", SUDO, NULL},
    {"raw/*", SUDO, NULL},
    {"remount", SUDO, NULL},
    {"leases/lookup/*", SUDO, NULL},
    {"leases/revoke-prefix/*", SUDO, NULL},
    {"leases/revoke-force/*", SUDO, NULL},
};

static const struct route *find(const char *rel)
{
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const char *p = ROUTES[i].pattern;
        size_t n = strlen(p);
        if (p[n - 1] == '*' ? !strncmp(rel, p, n - 1) : !strcmp(rel, p))
            return &ROUTES[i];
    }
    return NULL;
}

static const char *below_sys(const char *path)
{
    return !strncmp(path, "sys/", 4) ? path + 4 : NULL;
}

int cf_sys_new(const struct cf_sys_env *env, struct cf_sys **out)
{
    struct cf_sys *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->env = *env;
    *out = s;
    return 0;
}

void cf_sys_free(struct cf_sys *s) { free(s); }

void cf_sys_set_ha(struct cf_sys *s, struct cf_ha *ha, const char *node_id,
                   const char *hostname)
{
    s->ha = ha;
    s->node_id = node_id;
    s->hostname = hostname;
}

static int run(const struct route *r, const struct cf_sys_ctx *x, struct cf_request *req,
               const char *rel, struct cf_result *res)
{
    if (!r || !r->fn)
        return cf_result_error(res, 404, "unsupported path");
    return r->fn(x, req, rel, res);
}

int cf_sys_is_local(const char *path)
{
    const char *rel = below_sys(path);
    const struct route *r = rel ? find(rel) : NULL;
    return r && (r->flags & LOCAL);
}

const char *cf_sys_standby_refusal(const char *path)
{
    const char *rel = below_sys(path);
    const struct route *r = rel ? find(rel) : NULL;
    return r && (r->flags & ACTIVE_HERE) ? ON_STANDBY : NULL;
}

void cf_sys_local(struct cf_sys *s, struct cf_request *req, struct cf_result *res)
{
    const char *rel = below_sys(req->path);
    const struct route *r = rel ? find(rel) : NULL;
    struct cf_sys_ctx x = {s, NULL};
    /* Only LOCAL routes run without a mount environment. */
    int rc = run(r && (r->flags & LOCAL) ? r : NULL, &x, req, rel, res);
    if (rc && cf_result_from_rc(res, rc))
        cf_log(s->env.log, CF_LOG_ERROR, "request to %s failed: %s", req->path,
               cf_strerror(rc));
}

/* The sys/ mount: its state is the instance plus the mount's environment. */
struct sys_mount {
    struct cf_sys_ctx x;
    struct cf_backend_env env;
};

static int sys_init(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                    struct coffer_err *err)
{
    (void)m;
    (void)err;
    struct sys_mount *sm = calloc(1, sizeof *sm);
    if (!sm)
        return CF_ENOMEM;
    sm->env = *env;
    sm->x = (struct cf_sys_ctx){env->type_arg, &sm->env};
    *state = sm;
    return 0;
}

static void sys_cleanup(void *state) { free(state); }

static unsigned sys_path_flags(const struct cf_mount *m, const char *rel)
{
    (void)m;
    const struct route *r = find(rel);
    unsigned f = r ? r->flags : 0;
    return (f & LOCAL ? CF_PATH_UNAUTH : 0) | (f & SUDO ? CF_PATH_SUDO : 0) |
        (f & TOKEN_ONLY ? CF_PATH_TOKEN_ONLY : 0);
}

/* An EXCLUSIVE route, once the gate has left the shared section: the
 * mount may be gone by now, so only the instance is at hand. */
static int after_exclusive(void *arg, struct cf_request *req, struct cf_result *res)
{
    const char *rel = below_sys(req->path);
    struct cf_sys_ctx x = {arg, NULL};
    return run(rel ? find(rel) : NULL, &x, req, rel, res);
}

static int sys_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    struct sys_mount *sm = m->state;
    const char *rel = req->rel ? req->rel : "";
    const struct route *r = find(rel);
    if (r && (r->flags & EXCLUSIVE) && r->fn) {
        if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
            return cf_result_error(res, 405, NULL);
        res->after = after_exclusive;
        res->after_arg = sm->x.sys;
        return 0;
    }
    return run(r, &sm->x, req, rel, res);
}

const struct cf_backend cf_sys_backend = {
    .init = sys_init,
    .cleanup = sys_cleanup,
    .handle = sys_handle,
    .path_flags = sys_path_flags,
};
