/* KV v2 data/<path> (read a version, write a new one, merge-patch the
 * latest, soft-delete the latest) and subkeys/<path>. Every change to a
 * key's metadata happens under the key's stripe lock. */
#include "engines/kv_internal.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBKEYS_DEPTH 100

/* The `version` parameter: 0 (latest) when absent or not positive. */
static int version_param(struct cf_request *req, unsigned long long *out,
                         struct cf_result *res)
{
    long long v = 0;
    int rc = cf_req_param_int(req, "version", &v);
    if (rc == CF_EINVAL) {
        cf_result_error(res, 400,
                        "error converting input for field "
                        "\"version\": expected an integer");
        return 1;
    }
    *out = v > 0 ? (unsigned long long)v : 0;
    return 0;
}

/* Loads version n's data object (parsed). */
static int load_data(struct cf_mount *m, const char *path, unsigned long long n,
                     yajl_val *out)
{
    char *key = cf_kv2_version_key(path, n);
    if (!key)
        return CF_ENOMEM;
    int rc = cf_view_get_json(m->view, key, out);
    free(key);
    return rc;
}

/* 404 that still carries the version's metadata, as Vault answers for a
 * deleted or destroyed version. */
static int gone(struct cf_result *res, const struct cf_kv2_meta *meta,
                const struct cf_kv2_version *v, const char *datakey)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_key(&j, datakey);
    cf_json_null(&j);
    cf_json_key(&j, "metadata");
    cf_kv2_write_version_meta(&j, meta, v);
    cf_json_obj_close(&j);
    res->status = 404;
    res->mount_type = "kv";
    return cf_json_finish(&j, &res->data);
}

/* Values replaced by null, nested objects kept down to max_depth. */
static void write_subkeys(struct cf_json *j, yajl_val obj, int depth, int max_depth)
{
    cf_json_obj_open(j);
    for (size_t i = 0; i < obj->u.object.len; i++) {
        yajl_val v = obj->u.object.values[i];
        cf_json_key(j, obj->u.object.keys[i]);
        if (v->type == yajl_t_object && v->u.object.len && depth + 1 <= max_depth)
            write_subkeys(j, v, depth + 1, max_depth);
        else
            cf_json_null(j);
    }
    cf_json_obj_close(j);
}

/* Shared by read and subkeys: resolves the version and answers 404s. On
 * success *data holds the version's object (caller frees). Returns 1 when
 * res is already the answer. */
static int resolve(struct cf_mount *m, const char *path, unsigned long long want,
                   const char *datakey, struct cf_kv2_meta **metap,
                   struct cf_kv2_version **vp, yajl_val *data, struct cf_result *res,
                   int *rcp)
{
    *rcp = cf_kv2_meta_load(m->view, path, metap);
    if (*rcp == CF_ENOENT) {
        *rcp = cf_result_error(res, 404, NULL);
        return 1;
    }
    if (*rcp)
        return 1;
    struct cf_kv2_meta *meta = *metap;
    unsigned long long n = want ? want : meta->current;
    struct cf_kv2_version *v = cf_kv2_meta_version(meta, n);
    if (!v) {
        *rcp = cf_result_error(res, 404, NULL);
        return 1;
    }
    if (cf_kv2_version_deleted(v, cf_now_ns()) || v->destroyed) {
        *rcp = gone(res, meta, v, datakey);
        return 1;
    }
    *rcp = load_data(m, path, n, data);
    if (*rcp == CF_ENOENT) {
        *rcp = cf_result_error(res, 500, "could not find version data");
        return 1;
    }
    if (*rcp)
        return 1;
    *vp = v;
    return 0;
}

static int data_read(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                     struct cf_request *req, struct cf_result *res, int subkeys)
{
    unsigned long long want;
    if (version_param(req, &want, res))
        return 0;
    long long depth = 0;
    if (subkeys) {
        int r = cf_req_param_int(req, "depth", &depth);
        if (r == CF_EINVAL || depth < 0)
            return cf_result_error(res, 400,
                                   "depth must be a non-negative "
                                   "integer");
    }
    const char *datakey = subkeys ? "subkeys" : "data";
    pthread_rwlock_t *lk = cf_kv_lock(s, path);
    pthread_rwlock_rdlock(lk);
    struct cf_kv2_meta *meta = NULL;
    struct cf_kv2_version *v = NULL;
    yajl_val data = NULL;
    int rc;
    if (resolve(m, path, want, datakey, &meta, &v, &data, res, &rc))
        goto out;
    struct cf_json j;
    if ((rc = cf_json_init(&j)))
        goto out;
    cf_json_obj_open(&j);
    cf_json_key(&j, datakey);
    if (!subkeys)
        cf_json_value(&j, data);
    else if (data->type == yajl_t_object)
        write_subkeys(&j, data, 1,
                      depth && depth < MAX_SUBKEYS_DEPTH ? (int)depth
                                                         : MAX_SUBKEYS_DEPTH);
    else
        cf_json_null(&j);
    cf_json_key(&j, "metadata");
    cf_kv2_write_version_meta(&j, meta, v);
    cf_json_obj_close(&j);
    rc = cf_json_finish(&j, &res->data);
    res->mount_type = "kv";
out:
    pthread_rwlock_unlock(lk);
    if (data)
        cf_json_free(data);
    cf_kv2_meta_free(meta);
    return rc;
}

/* Vault's validateCheckAndSetOption. Returns 1 with res filled on refusal. */
static int check_cas(yajl_val options, const struct cf_kv2_config *c,
                     const struct cf_kv2_meta *meta, struct cf_result *res)
{
    yajl_val cas = cf_json_get(options, "cas");
    if (cas) {
        long long want = 0;
        if (cas->type == yajl_t_true || cas->type == yajl_t_false) {
            want = cas->type == yajl_t_true;
        } else if (cas->type != yajl_t_null && cf_json_get_int(options, "cas", &want)) {
            cf_result_error(res, 400, "error parsing check-and-set parameter");
            return 1;
        }
        if (want < 0 || (unsigned long long)want != meta->current) {
            cf_result_error(res, 400,
                            "check-and-set parameter did not match "
                            "the current version");
            return 1;
        }
        return 0;
    }
    if (c->cas_required || meta->cas_required) {
        cf_result_error(res, 400,
                        "check-and-set parameter required for this "
                        "call");
        return 1;
    }
    return 0;
}

/* RFC 7396: the merge of patch into target, written to j. */
static void write_merged(struct cf_json *j, yajl_val target, yajl_val patch)
{
    if (!patch || patch->type != yajl_t_object) {
        cf_json_value(j, patch);
        return;
    }
    int tobj = target && target->type == yajl_t_object;
    cf_json_obj_open(j);
    if (tobj) {
        for (size_t i = 0; i < target->u.object.len; i++) {
            const char *k = target->u.object.keys[i];
            yajl_val pv = cf_json_get(patch, k);
            if (pv && pv->type == yajl_t_null)
                continue;
            cf_json_key(j, k);
            if (pv)
                write_merged(j, target->u.object.values[i], pv);
            else
                cf_json_value(j, target->u.object.values[i]);
        }
    }
    for (size_t i = 0; i < patch->u.object.len; i++) {
        const char *k = patch->u.object.keys[i];
        yajl_val pv = patch->u.object.values[i];
        if (pv->type == yajl_t_null || (tobj && cf_json_get(target, k)))
            continue;
        cf_json_key(j, k);
        write_merged(j, NULL, pv);
    }
    cf_json_obj_close(j);
}

/* Stores text as version current+1 and updates meta; fills the write
 * response. Called with the key's lock held. */
static int add_version(struct cf_mount *m, const char *path, struct cf_kv2_meta *meta,
                       const struct cf_kv2_config *c, const char *text,
                       struct cf_result *res)
{
    int64_t now = cf_now_ns();
    int64_t del = cf_kv2_deletion_time(c, meta, now);
    char *key = cf_kv2_version_key(path, meta->current + 1);
    char *mkey = cf_kv2_meta_key(path);
    unsigned long long old_oldest = meta->oldest, trim;
    struct cf_kv2_version *v;
    char *mtext = NULL;
    int rc = key && mkey ? 0 : CF_ENOMEM;
    if (!rc)
        rc = cf_kv2_meta_add_version(meta, now, del, c->max_versions, &trim, &v);
    if (!rc)
        rc = cf_kv2_meta_encode(meta, &mtext);
    if (!rc) {
        /* One storage transaction, so one sync; where the store has no
         * transactions the data still lands before the metadata naming it. */
        const struct coffer_txn_op ops[2] = {
            {CF_TXN_PUT, key, (const uint8_t *)text, strlen(text)},
            {CF_TXN_PUT, mkey, (const uint8_t *)mtext, strlen(mtext)},
        };
        rc = cf_view_txn(m->view, ops, 2);
    }
    free(key);
    free(mkey);
    cf_free_secret_str(mtext);
    if (rc)
        return rc;
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_kv2_write_version_meta(&j, meta, v);
    if ((rc = cf_json_finish(&j, &res->data)))
        return rc;
    res->mount_type = "kv";
    /* Old data goes after the metadata no longer names it; a failure only
     * leaves unreachable data behind, so it is a warning as in Vault. */
    for (unsigned long long i = old_oldest ? old_oldest : 1; trim && i <= trim; i++) {
        if (cf_kv2_delete_version(m->view, path, i)) {
            cf_result_warn(res,
                           "error occurred when cleaning up old "
                           "versions, these will be cleaned up on next write");
            break;
        }
    }
    return 0;
}

static int data_write(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                      struct cf_request *req, struct cf_result *res, int patch)
{
    if (patch && cf_kv2_bad_patch_type(req, res))
        return 0;
    yajl_val d = cf_json_get(req->data, "data");
    if (!d || d->type == yajl_t_null)
        return cf_result_error(res, 400, "no data provided");
    if (d->type != yajl_t_object)
        return cf_result_error(res, 400,
                               "error converting input for field "
                               "\"data\": expected a JSON object");
    yajl_val options = cf_json_get(req->data, "options");
    if (options && options->type != yajl_t_object && options->type != yajl_t_null)
        return cf_result_error(res, 400,
                               "error converting input for field "
                               "\"options\": expected a JSON object");
    struct cf_kv2_config c;
    int rc = cf_kv2_config_get(m, s, &c);
    if (rc)
        return rc;

    pthread_rwlock_t *lk = cf_kv_lock(s, path);
    pthread_rwlock_wrlock(lk);
    struct cf_kv2_meta *meta = NULL;
    yajl_val cur = NULL;
    char *text = NULL;
    rc = cf_kv2_meta_load(m->view, path, &meta);
    if (rc == CF_ENOENT) {
        if (patch) {
            rc = cf_result_error(res, 404, NULL);
            goto out;
        }
        rc = (meta = cf_kv2_meta_new()) ? 0 : CF_ENOMEM;
    }
    if (rc)
        goto out;
    if (check_cas(options, &c, meta, res))
        goto out;

    struct cf_json j;
    if (patch) {
        struct cf_kv2_version *v = cf_kv2_meta_version(meta, meta->current);
        if (!v) {
            rc = cf_result_error(res, 404, NULL);
            goto out;
        }
        if (cf_kv2_version_deleted(v, cf_now_ns()) || v->destroyed) {
            /* Vault's PATCH 404 carries the bare version metadata. */
            if ((rc = cf_json_init(&j)))
                goto out;
            cf_kv2_write_version_meta(&j, meta, v);
            if (!(rc = cf_json_finish(&j, &res->data)))
                res->status = 404;
            goto out;
        }
        rc = load_data(m, path, meta->current, &cur);
        if (rc == CF_ENOENT)
            rc = cf_result_error(res, 500, "could not find version data");
        if (rc || res->status)
            goto out;
    }
    if ((rc = cf_json_init(&j)))
        goto out;
    if (patch)
        write_merged(&j, cur, d);
    else
        cf_json_value(&j, d);
    if ((rc = cf_json_finish(&j, &text)))
        goto out;
    if (!(rc = add_version(m, path, meta, &c, text, res)))
        cf_kv_known_add(s, path);
out:
    pthread_rwlock_unlock(lk);
    if (cur)
        cf_json_free(cur);
    cf_free_secret_str(text);
    cf_kv2_meta_free(meta);
    return rc;
}

/* Soft-deletes the latest version unless it is already gone. */
static int delete_latest(struct cf_mount *m, const char *path, struct cf_kv2_meta *meta,
                         void *arg)
{
    (void)arg;
    struct cf_kv2_version *v = cf_kv2_meta_version(meta, meta->current);
    int64_t now = cf_now_ns();
    if (!v || v->destroyed || cf_kv2_version_deleted(v, now))
        return 0;
    v->deletion_ns = now;
    return cf_kv2_meta_save(m->view, path, meta);
}

int cf_kv2_data(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                struct cf_request *req, struct cf_result *res)
{
    switch (req->op) {
    case CF_OP_READ:
        return data_read(m, s, path, req, res, 0);
    case CF_OP_CREATE:
    case CF_OP_UPDATE:
        return data_write(m, s, path, req, res, 0);
    case CF_OP_PATCH:
        return data_write(m, s, path, req, res, 1);
    case CF_OP_DELETE:
        return cf_kv2_edit_meta(m, s, path, delete_latest, NULL);
    default:
        return cf_kv_unsupported_op(res);
    }
}

int cf_kv2_subkeys(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                   struct cf_request *req, struct cf_result *res)
{
    if (req->op != CF_OP_READ)
        return cf_kv_unsupported_op(res);
    return data_read(m, s, path, req, res, 1);
}
