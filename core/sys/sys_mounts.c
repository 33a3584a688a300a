/* sys/mounts and sys/auth: list, enable, disable and tune mounts. */
#include "sys/sys_internal.h"
#include "auth/acl.h"
#include "auth/token_store.h"
#include "router/mounts.h"
#include "util/json.h"
#include "util/log.h"
#include <stdio.h>
#include <string.h>

static int list(const struct cf_sys_ctx *x, int auth, struct cf_result *res)
{
    struct cf_mount_table *t = x->be->mounts;
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = t->n; i-- > 0;) {
        const struct cf_mount *m = t->m[i];
        int is_auth = !strncmp(m->path, "auth/", 5);
        if (is_auth != auth)
            continue;
        cf_json_key(&j, auth ? m->path + 5 : m->path);
        cf_mount_describe(m, 0, &j);
    }
    pthread_rwlock_unlock(&t->lock);
    cf_json_obj_close(&j);
    res->inject = 1;
    return cf_json_finish(&j, &res->data);
}

static int read_one(const struct cf_sys_ctx *x, const char *path, int tune,
                    struct cf_result *res)
{
    struct cf_mount_table *t = x->be->mounts;
    char want[600];
    snprintf(want, sizeof want, "%.512s%s", path,
             path[strlen(path) - 1] == '/' ? "" : "/");
    int rc = CF_ENOENT;
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        const struct cf_mount *m = t->m[i];
        if (strcmp(m->path, want))
            continue;
        if (tune) {
            cf_json_obj_open(&j);
            cf_json_kint(&j, "default_lease_ttl",
                         m->default_lease_ttl ? m->default_lease_ttl
                                              : x->be->default_lease_ttl);
            cf_json_kint(&j, "max_lease_ttl",
                         m->max_lease_ttl ? m->max_lease_ttl : x->be->max_lease_ttl);
            cf_json_kbool(&j, "force_no_cache", 0);
            cf_json_kstr(&j, "description", m->description);
            if (m->kv_version) {
                cf_json_key(&j, "options");
                cf_json_obj_open(&j);
                cf_json_kstr(&j, "version", m->kv_version == 2 ? "2" : "1");
                cf_json_obj_close(&j);
            }
            cf_json_obj_close(&j);
        } else {
            cf_mount_describe(m, 0, &j);
        }
        rc = 0;
        break;
    }
    pthread_rwlock_unlock(&t->lock);
    if (rc) {
        cf_json_abort(&j);
        return cf_result_error(res, 400, "cannot fetch sysview for path \"%s\"", want);
    }
    res->inject = 1;
    return cf_json_finish(&j, &res->data);
}

static int errmap(int rc, const struct coffer_err *err, struct cf_result *res)
{
    if (rc == CF_EINVAL || rc == CF_EEXIST || rc == CF_ENOENT)
        return cf_result_error(res, 400, "%s", err->msg);
    return rc;
}

int cf_sys_mounts(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    struct cf_mount_table *t = x->be->mounts;
    const struct cf_logger *lg = x->sys->env.log;
    int auth = !strncmp(rel, "auth", 4);
    const char *p = rel + (auth ? 4 : 6);
    if (*p == '/')
        p++;
    if (!*p) {
        if (req->op != CF_OP_READ)
            return cf_result_error(res, 405, NULL);
        return list(x, auth, res);
    }
    char path[512];
    size_t n = strlen(p);
    int tune = n > 5 && !strcmp(p + n - 5, "/tune");
    snprintf(path, sizeof path, "%s%.*s", auth ? "auth/" : "", (int)(tune ? n - 5 : n),
             p);
    struct coffer_err err = {""};
    int rc;
    switch (req->op) {
    case CF_OP_READ:
        return read_one(x, path, tune, res);
    case CF_OP_CREATE:
    case CF_OP_UPDATE:
        if (tune)
            rc = cf_mounts_tune(t, path, req->data, &err);
        else
            rc = cf_mounts_enable(t, path, cf_json_get_str(req->data, "type"), req->data,
                                  &err);
        if (!rc)
            cf_log(lg, CF_LOG_INFO, "core: %s %s", tune ? "tuned" : "mounted", path);
        return errmap(rc, &err, res);
    case CF_OP_DELETE:
        if (tune)
            return cf_result_error(res, 405, NULL);
        rc = cf_mounts_disable(t, path, &err);
        if (rc == CF_ENOENT)
            return 0; /* Vault answers 204 for a path with nothing mounted */
        if (!rc)
            cf_log(lg, CF_LOG_INFO, "core: unmounted %s", path);
        return errmap(rc, &err, res);
    default:
        return cf_result_error(res, 405, NULL);
    }
}

/* sys/internal/ui/mounts/<path>: which mount serves a path, for clients
 * (the CLI's `kv` commands) whose token cannot read sys/mounts. Any token
 * with some capability on the path may ask, as in Vault. */
int cf_sys_ui_mount(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                    struct cf_result *res)
{
    struct cf_mount_table *t = x->be->mounts;
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    const char *path = rel + strlen("internal/ui/mounts/");
    struct cf_mount *m = cf_mounts_match(t, path);
    if (!m)
        return cf_result_error(res, 400, "no mount found for path \"%s\"", path);
    const struct cf_token *tok = req->auth;
    struct cf_acl *acl;
    int rc = cf_acl_new(x->be->policies, tok->policies, tok->npolicies, &acl);
    int reach = !rc && cf_acl_reaches(acl, m->path);
    cf_acl_free(acl);
    if (rc || !reach) {
        cf_mounts_release(t);
        return rc ? rc : cf_result_error(res, 403, "permission denied");
    }
    struct cf_json j;
    rc = cf_json_init(&j);
    if (!rc)
        cf_mount_describe(m, 1, &j);
    cf_mounts_release(t);
    if (rc)
        return rc;
    return cf_json_finish(&j, &res->data);
}
