/* KV v2: routes a request below the mount to its path handler, and serves
 * the small paths itself: config, delete, undelete and destroy. */
#include "engines/kv_internal.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *after(const char *rel, const char *prefix)
{
    size_t l = strlen(prefix);
    return strncmp(rel, prefix, l) ? NULL : rel + l;
}

static int config_load(const struct cf_view *v, struct cf_kv2_config *c)
{
    memset(c, 0, sizeof *c);
    yajl_val r;
    int rc = cf_view_get_json(v, "config", &r);
    if (rc == CF_ENOENT)
        return 0;
    if (rc)
        return rc;
    long long x;
    int b;
    if (!cf_json_get_int(r, "max_versions", &x))
        c->max_versions = x;
    if (!cf_json_get_bool(r, "cas_required", &b))
        c->cas_required = b;
    if (!cf_json_get_int(r, "delete_version_after", &x))
        c->dva = x;
    cf_json_free(r);
    return 0;
}

/* Called with cfg_mu held. */
static int config_cached(struct cf_mount *m, struct cf_kv_state *s,
                         struct cf_kv2_config *c)
{
    if (!s->cfg_loaded) {
        int rc = config_load(m->view, c);
        if (rc)
            return rc;
        s->cfg = *c;
        s->cfg_loaded = 1;
    }
    *c = s->cfg;
    return 0;
}

int cf_kv2_config_get(struct cf_mount *m, struct cf_kv_state *s, struct cf_kv2_config *c)
{
    pthread_mutex_lock(&s->cfg_mu);
    int rc = config_cached(m, s, c);
    pthread_mutex_unlock(&s->cfg_mu);
    return rc;
}

static int config_read(struct cf_mount *m, struct cf_kv_state *s, struct cf_result *res)
{
    struct cf_kv2_config c;
    int rc = cf_kv2_config_get(m, s, &c);
    if (rc)
        return rc;
    char d[40];
    cf_duration_str(c.dva, d);
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kint(&j, "max_versions", c.max_versions);
    cf_json_kbool(&j, "cas_required", c.cas_required);
    cf_json_kstr(&j, "delete_version_after", d);
    cf_json_obj_close(&j);
    res->mount_type = "kv";
    return cf_json_finish(&j, &res->data);
}

static int config_write(struct cf_mount *m, struct cf_kv_state *s, struct cf_request *req,
                        struct cf_result *res)
{
    yajl_val mv = cf_json_get(req->data, "max_versions");
    yajl_val cr = cf_json_get(req->data, "cas_required");
    yajl_val dv = cf_json_get(req->data, "delete_version_after");
    long long max = 0, dva = 0;
    int cas = 0;
    if (mv && (cf_json_get_int(req->data, "max_versions", &max) || max < 0))
        return cf_result_error(res, 400,
                               "invalid max_versions: must be a "
                               "non-negative integer");
    if (cr && cf_json_get_bool(req->data, "cas_required", &cas))
        return cf_result_error(res, 400,
                               "invalid cas_required: must be a "
                               "boolean");
    if (dv && cf_kv_parse_duration(dv, 1, &dva))
        return cf_result_error(res, 400,
                               "invalid delete_version_after: "
                               "must be a duration of at most " CF_DURATION_MAX_TEXT);
    if (!mv && !cr && !dv)
        return 0;

    pthread_mutex_lock(&s->cfg_mu);
    struct cf_kv2_config c;
    int rc = config_cached(m, s, &c);
    if (!rc) {
        if (mv)
            c.max_versions = max;
        if (cr)
            c.cas_required = cas;
        if (dv)
            c.dva = dva < 0 ? -1 : dva; /* any negative disables */
        struct cf_json j;
        if (cf_json_init(&j)) {
            rc = CF_ENOMEM;
        } else {
            cf_json_obj_open(&j);
            cf_json_kint(&j, "max_versions", c.max_versions);
            cf_json_kbool(&j, "cas_required", c.cas_required);
            cf_json_kint(&j, "delete_version_after", c.dva);
            cf_json_obj_close(&j);
            char *text;
            rc = cf_json_finish(&j, &text);
            if (!rc) {
                rc = cf_view_put_str(m->view, "config", text);
                free(text);
            }
        }
        /* After a failed put the stored config is unknown: read it again. */
        if (!rc)
            s->cfg = c;
        else
            s->cfg_loaded = 0;
    }
    pthread_mutex_unlock(&s->cfg_mu);
    return rc;
}

/* A decimal at s; 0 with *end past it, CF_EINVAL when there is none or it
 * is beyond long long (strtoll's clamp would name another version). */
static int version_num(const char *s, char **end, long long *out)
{
    errno = 0;
    *out = strtoll(s, end, 10);
    return *end == s || errno == ERANGE ? CF_EINVAL : 0;
}

/* TypeCommaIntSlice: [1,2], ["1","2"], "1,2" or 3. */
static int parse_versions(yajl_val v, long long **out, size_t *n)
{
    long long *r = NULL;
    size_t cnt = 0;
    *out = NULL;
    *n = 0;
    if (!v || v->type == yajl_t_null)
        return 0;
    if (YAJL_IS_INTEGER(v)) {
        if (!(r = malloc(sizeof *r)))
            return CF_ENOMEM;
        r[0] = YAJL_GET_INTEGER(v);
        *out = r;
        *n = 1;
        return 0;
    }
    if (v->type == yajl_t_array) {
        r = calloc(v->u.array.len ? v->u.array.len : 1, sizeof *r);
        if (!r)
            return CF_ENOMEM;
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val e = v->u.array.values[i];
            char *end;
            if (YAJL_IS_INTEGER(e)) {
                r[cnt++] = YAJL_GET_INTEGER(e);
            } else if (YAJL_IS_STRING(e) && !version_num(e->u.string, &end, &r[cnt]) &&
                       !*end) {
                cnt++;
            } else {
                free(r);
                return CF_EINVAL;
            }
        }
        *out = r;
        *n = cnt;
        return 0;
    }
    if (v->type != yajl_t_string)
        return CF_EINVAL;
    /* "1, 2,3": at most one number per comma-separated field. */
    const char *q = v->u.string;
    size_t fields = 1;
    for (const char *c = q; *c; c++)
        fields += *c == ',';
    if (!(r = calloc(fields, sizeof *r)))
        return CF_ENOMEM;
    while (*q) {
        while (*q == ' ' || *q == ',')
            q++;
        if (!*q)
            break;
        char *end;
        if (version_num(q, &end, &r[cnt])) {
            free(r);
            return CF_EINVAL;
        }
        cnt++;
        q = end;
        while (*q == ' ')
            q++;
        if (*q && *q != ',') {
            free(r);
            return CF_EINVAL;
        }
    }
    *out = r;
    *n = cnt;
    return 0;
}

enum vop { VOP_DELETE, VOP_UNDELETE, VOP_DESTROY };

struct vop_args {
    enum vop op;
    const long long *vers;
    size_t nv;
    const struct cf_kv2_config *c; /* for undelete's new deletion time */
};

static int apply_versions(struct cf_mount *m, const char *path, struct cf_kv2_meta *meta,
                          void *arg)
{
    const struct vop_args *a = arg;
    int64_t now = cf_now_ns();
    for (size_t i = 0; i < a->nv; i++) {
        struct cf_kv2_version *v = a->vers[i] > 0
            ? cf_kv2_meta_version(meta, (unsigned long long)a->vers[i])
            : NULL;
        if (!v || v->destroyed)
            continue;
        switch (a->op) {
        case VOP_DELETE:
            if (!cf_kv2_version_deleted(v, now))
                v->deletion_ns = now;
            break;
        case VOP_UNDELETE:
            v->deletion_ns = cf_kv2_deletion_time(a->c, meta, now);
            break;
        case VOP_DESTROY:
            v->destroyed = 1;
            break;
        }
    }
    /* Metadata first, so a crash between the two leaves a version marked
     * destroyed whose data lingers rather than live metadata without data. */
    int rc = cf_kv2_meta_save(m->view, path, meta);
    for (size_t i = 0; !rc && a->op == VOP_DESTROY && i < a->nv; i++)
        if (a->vers[i] > 0)
            rc = cf_kv2_delete_version(m->view, path, (unsigned long long)a->vers[i]);
    return rc;
}

static int versions_op(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                       enum vop op, struct cf_request *req, struct cf_result *res)
{
    if (req->op != CF_OP_CREATE && req->op != CF_OP_UPDATE)
        return cf_kv_unsupported_op(res);
    long long *vers;
    size_t nv;
    int rc = parse_versions(cf_json_get(req->data, "versions"), &vers, &nv);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400,
                               "error converting input for field "
                               "\"versions\": expected a list of integers");
    if (rc)
        return rc;
    if (!nv) {
        free(vers);
        return cf_result_error(res, 400,
                               op == VOP_DESTROY ? "no version number provided"
                                                 : "No version number provided");
    }
    struct cf_kv2_config c = {0};
    if (op == VOP_UNDELETE && (rc = cf_kv2_config_get(m, s, &c))) {
        free(vers);
        return rc;
    }
    struct vop_args a = {op, vers, nv, &c};
    rc = cf_kv2_edit_meta(m, s, path, apply_versions, &a);
    free(vers);
    return rc;
}

int cf_kv2_handle(struct cf_mount *m, struct cf_kv_state *s, struct cf_request *req,
                  struct cf_result *res)
{
    const char *rel = req->rel ? req->rel : "";
    const char *p;

    if (!strcmp(rel, "config")) {
        if (req->op == CF_OP_READ)
            return config_read(m, s, res);
        if (req->op == CF_OP_CREATE || req->op == CF_OP_UPDATE)
            return config_write(m, s, req, res);
        return cf_kv_unsupported_op(res);
    }
    if ((p = after(rel, "data/")) && *p && p[strlen(p) - 1] != '/')
        return cf_kv2_data(m, s, p, req, res);
    if ((p = after(rel, "metadata/")))
        return cf_kv2_metadata(m, s, p, req, res);
    if (!strcmp(rel, "metadata") && req->op == CF_OP_LIST)
        return cf_kv2_metadata(m, s, "", req, res);
    if ((p = after(rel, "subkeys/")))
        return cf_kv2_subkeys(m, s, p, req, res);
    if ((p = after(rel, "delete/")))
        return versions_op(m, s, p, VOP_DELETE, req, res);
    if ((p = after(rel, "undelete/")))
        return versions_op(m, s, p, VOP_UNDELETE, req, res);
    if ((p = after(rel, "destroy/")))
        return versions_op(m, s, p, VOP_DESTROY, req, res);
    return cf_kv_unsupported_path(res);
}

/* Whether path has a (decodable) metadata record. */
static int record_exists(const struct cf_view *v, const char *path, int *exists)
{
    struct cf_kv2_meta *meta;
    int rc = cf_kv2_meta_load(v, path, &meta);
    if (rc == CF_ENOENT) {
        *exists = 0;
        return 0;
    }
    if (rc)
        return rc;
    cf_kv2_meta_free(meta);
    *exists = 1;
    return 0;
}

int cf_kv2_exists(struct cf_mount *m, struct cf_request *req, int *exists)
{
    const char *rel = req->rel ? req->rel : "";
    const char *p = after(rel, "data/");
    if (!p)
        p = after(rel, "metadata/");
    if (!p) {
        *exists = 1;
        return 0;
    }
    /* As Vault: the key exists once it has a metadata record. */
    struct cf_kv_state *s = m->state;
    if (!s)
        return record_exists(m->view, p, exists);
    if (cf_kv_known_has(s, p)) {
        *exists = 1;
        return 0;
    }
    /* The read lock keeps a delete (which forgets the key under the write
     * lock) from landing between the read and the add. */
    pthread_rwlock_t *lk = cf_kv_lock(s, p);
    pthread_rwlock_rdlock(lk);
    int rc = record_exists(m->view, p, exists);
    if (!rc && *exists)
        cf_kv_known_add(s, p);
    pthread_rwlock_unlock(lk);
    return rc;
}
