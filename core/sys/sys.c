/* Dispatch of sys/ paths to the file that serves each. */
#include "sys/sys.h"
#include "core_internal.h"
#include "auth/auth.h"
#include <string.h>

static const char *const UNAUTH[] = {"init", "seal-status", "unseal", "health",
                                     "leader", NULL};

/* Vault's root-protected sys paths (a trailing '*' is a prefix). */
static const char *const SUDO[] = {"seal", "step-down", "rotate", "auth/*",
                                   "audit", "audit/*", "raw", "raw/*",
                                   "remount", "leases/lookup/*",
                                   "leases/revoke-prefix/*",
                                   "leases/revoke-force/*", NULL};

static int match(const char *const *list, const char *rel)
{
    for (; *list; list++) {
        size_t n = strlen(*list);
        if ((*list)[n - 1] == '*' ? !strncmp(rel, *list, n - 1) : !strcmp(rel, *list))
            return 1;
    }
    return 0;
}

int cf_sys_is_unauth(const char *rel) { return match(UNAUTH, rel); }
int cf_sys_token_only(const char *rel) { return !strncmp(rel, "internal/ui/mounts/", 19); }
int cf_sys_needs_sudo(const char *rel) { return match(SUDO, rel); }

int cf_sys_unauth_handle(struct cf_core *c, struct cf_request *req,
                         const char *rel, struct cf_result *res)
{
    if (!strcmp(rel, "init"))
        return cf_sys_init(c, req, res);
    if (!strcmp(rel, "seal-status"))
        return cf_sys_seal_status(c, req, res);
    if (!strcmp(rel, "unseal"))
        return cf_sys_unseal(c, req, res);
    if (!strcmp(rel, "health"))
        return cf_sys_health(c, req, res);
    return cf_sys_leader(c, req, res);
}

static int prefixed(const char *rel, const char *p)
{
    size_t n = strlen(p);
    return !strncmp(rel, p, n) && (rel[n] == '\0' || rel[n] == '/');
}

int cf_sys_handle(struct cf_core *c, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    if (!strcmp(rel, "key-status"))
        return cf_sys_key_status(c, req, res);
    if (!strcmp(rel, "rotate"))
        return cf_sys_rotate(c, req, res);
    if (!strcmp(rel, "ha-status"))
        return cf_sys_ha_status(c, req, res);
    if (prefixed(rel, "mounts") || prefixed(rel, "auth"))
        return cf_sys_mounts(c, req, rel, res);
    if (prefixed(rel, "policy") || prefixed(rel, "policies"))
        return cf_sys_policy_handle(c->policies, req, rel, res);
    if (cf_sys_token_only(rel))
        return cf_sys_ui_mount(c, req, rel, res);
    if (!strcmp(rel, "capabilities-self") || !strcmp(rel, "capabilities") ||
        !strcmp(rel, "capabilities-accessor"))
        return cf_sys_capabilities(c, req, rel, res);
    return cf_result_error(res, 404, "unsupported path");
}

/* The sys/ mount entry exists for listings; requests never reach it
 * because the router serves sys/ before the mount table. */
static int sys_handle(struct cf_core *c, struct cf_mount *m,
                      struct cf_request *req, struct cf_result *res)
{
    (void)m;
    return cf_sys_handle(c, req, req->rel, res);
}

const struct cf_backend cf_sys_backend = {
    .type = "system",
    .handle = sys_handle,
};
