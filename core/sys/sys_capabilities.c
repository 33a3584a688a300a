/* sys/capabilities(-self|-accessor): what a token may do on given paths. */
#include "sys/sys_internal.h"
#include "auth/acl.h"
#include "auth/token_store.h"
#include "util/json.h"
#include <stdlib.h>
#include <string.h>

static void caps_json(const struct cf_acl *acl, const char *path, struct cf_json *j)
{
    static const struct {
        unsigned bit;
        const char *name;
    } N[] = {{CF_CAP_CREATE, "create"}, {CF_CAP_DELETE, "delete"}, {CF_CAP_LIST, "list"},
             {CF_CAP_PATCH, "patch"},   {CF_CAP_READ, "read"},     {CF_CAP_SUDO, "sudo"},
             {CF_CAP_UPDATE, "update"}};
    cf_json_arr_open(j);
    if (cf_acl_is_root(acl)) {
        cf_json_str(j, "root");
    } else {
        unsigned caps = cf_acl_capabilities(acl, path);
        if (!caps || (caps & CF_CAP_DENY))
            cf_json_str(j, "deny");
        else
            for (size_t i = 0; i < sizeof N / sizeof N[0]; i++)
                if (caps & N[i].bit)
                    cf_json_str(j, N[i].name);
    }
    cf_json_arr_close(j);
}

int cf_sys_capabilities(const struct cf_sys_ctx *x, struct cf_request *req,
                        const char *rel, struct cf_result *res)
{
    if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
        return cf_result_error(res, 405, NULL);
    char **paths = NULL;
    size_t np = 0;
    if (cf_json_get_strv(req->data, "paths", &paths, &np) &&
        cf_json_get_strv(req->data, "path", &paths, &np))
        return cf_result_error(res, 400, "missing paths");
    struct cf_token *other = NULL;
    const struct cf_token *tok = req->auth;
    int rc = 0;
    if (!strcmp(rel, "capabilities")) {
        const char *t = cf_json_get_str(req->data, "token");
        rc = t ? cf_token_lookup(x->be->tokens, t, &other) : CF_EINVAL;
        tok = other;
    } else if (!strcmp(rel, "capabilities-accessor")) {
        const char *a = cf_json_get_str(req->data, "accessor");
        rc = a ? cf_token_lookup_accessor(x->be->tokens, a, &other) : CF_EINVAL;
        tok = other;
    }
    if (rc) {
        cf_strv_free(paths, np);
        return cf_result_error(res, 400,
                               rc == CF_EINVAL ? "missing token" : "invalid token");
    }
    struct cf_acl *acl;
    rc = cf_acl_new(x->be->policies, tok->policies, tok->npolicies, &acl);
    if (rc) {
        cf_strv_free(paths, np);
        cf_token_free(other);
        return rc;
    }
    struct cf_json j;
    if (cf_json_init(&j)) {
        rc = CF_ENOMEM;
    } else {
        cf_json_obj_open(&j);
        for (size_t i = 0; i < np; i++) {
            cf_json_key(&j, paths[i]);
            caps_json(acl, paths[i], &j);
        }
        if (np) {
            cf_json_key(&j, "capabilities");
            caps_json(acl, paths[0], &j);
        }
        cf_json_obj_close(&j);
        res->inject = 1;
        rc = cf_json_finish(&j, &res->data);
    }
    cf_acl_free(acl);
    cf_strv_free(paths, np);
    cf_token_free(other);
    return rc;
}
