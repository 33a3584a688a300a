/* KV v2 metadata/<path>: read a key's metadata, set or merge-patch its
 * settings and custom_metadata, list the key tree, and delete a key with
 * every version. */
#include "engines/kv_internal.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CM_KEYS 64
#define MAX_CM_KEY_LEN 128
#define MAX_CM_VALUE_LEN 512
#define CM_PREFIX "custom_metadata validation failed"

static int printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* Vault's go-multierror text: "1 error occurred:\n\t* a\n\n". */
static int multierror(struct cf_result *res, struct cf_buf *items, int n)
{
    struct cf_buf b = {0};
    int rc = cf_buf_printf(&b, "%d error%s occurred:\n%s\n\n", n, n == 1 ? "" : "s",
                           items->data ? items->data : "");
    cf_buf_free(items);
    if (rc) {
        cf_buf_free(&b);
        return CF_ENOMEM;
    }
    cf_result_error(res, 400, "%s", b.data);
    cf_buf_free(&b);
    return 0;
}

int cf_kv2_parse_custom(yajl_val obj, int drop_nulls, struct cf_pair **out, size_t *n,
                        struct cf_result *res)
{
    *out = NULL;
    *n = 0;
    if (!obj || obj->type == yajl_t_null)
        return 0;
    if (obj->type != yajl_t_object) {
        cf_result_error(res, 400, CM_PREFIX ": expected a map of strings");
        return 1;
    }
    size_t len = obj->u.object.len;
    struct cf_pair *p = calloc(len ? len : 1, sizeof *p);
    size_t cnt = 0;
    if (!p)
        goto nomem;
    for (size_t i = 0; i < len; i++) {
        yajl_val v = obj->u.object.values[i];
        const char *s;
        if (v->type == yajl_t_null) {
            if (drop_nulls)
                continue;
            s = "";
        } else if (v->type == yajl_t_string) {
            s = v->u.string;
        } else if (v->type == yajl_t_number) {
            s = v->u.number.r;
        } else if (v->type == yajl_t_true || v->type == yajl_t_false) {
            s = v->type == yajl_t_true ? "1" : "0"; /* WeakDecode */
        } else {
            cf_pairs_free(p, cnt);
            cf_result_error(res, 400,
                            CM_PREFIX ": value for key \"%s\" "
                                      "must be a string",
                            obj->u.object.keys[i]);
            return 1;
        }
        p[cnt].key = strdup(obj->u.object.keys[i]);
        p[cnt].value = strdup(s);
        cnt++;
        if (!p[cnt - 1].key || !p[cnt - 1].value)
            goto nomem;
    }

    struct cf_buf items = {0};
    int nerr = 0, too_many = cnt > MAX_CM_KEYS;
    if (too_many) {
        nerr = 1;
        cf_buf_printf(&items,
                      "\t* " CM_PREFIX ": payload must contain at "
                      "most %d keys, provided %zu",
                      MAX_CM_KEYS, cnt);
    }
    for (size_t i = 0; !too_many && i < cnt; i++) {
        size_t kl = strlen(p[i].key), vl = strlen(p[i].value);
        if (!kl || kl > MAX_CM_KEY_LEN)
            cf_buf_printf(&items,
                          "%s\t* " CM_PREFIX ": length of key \"%s\" "
                          "is %zu but must be 0 < len(key) <= %d",
                          nerr++ ? "\n" : "", p[i].key, kl, MAX_CM_KEY_LEN);
        if (!vl || vl > MAX_CM_VALUE_LEN)
            cf_buf_printf(&items,
                          "%s\t* " CM_PREFIX ": length of value for "
                          "key \"%s\" is %zu but must be 0 < len(value) <= %d",
                          nerr++ ? "\n" : "", p[i].key, vl, MAX_CM_VALUE_LEN);
        if (!printable(p[i].key))
            cf_buf_printf(&items,
                          "%s\t* " CM_PREFIX ": key \"%s\" contains "
                          "unprintable characters",
                          nerr++ ? "\n" : "", p[i].key);
        if (!printable(p[i].value))
            cf_buf_printf(&items,
                          "%s\t* " CM_PREFIX ": value for key \"%s\" "
                          "contains unprintable characters",
                          nerr++ ? "\n" : "", p[i].key);
    }
    if (nerr) {
        cf_pairs_free(p, cnt);
        if (multierror(res, &items, nerr))
            return CF_ENOMEM;
        return 1;
    }
    *out = p;
    *n = cnt;
    return 0;
nomem:
    cf_pairs_free(p, cnt);
    return CF_ENOMEM;
}

static int meta_read(struct cf_mount *m, const char *path, struct cf_result *res)
{
    struct cf_kv2_meta *meta;
    int rc = cf_kv2_meta_load(m->view, path, &meta);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 404, NULL);
    if (rc)
        return rc;
    char dva[40];
    cf_duration_str(meta->dva, dva);
    struct cf_json j;
    if (cf_json_init(&j)) {
        cf_kv2_meta_free(meta);
        return CF_ENOMEM;
    }
    cf_json_obj_open(&j);
    cf_json_kbool(&j, "cas_required", meta->cas_required);
    cf_kv2_write_time(&j, "created_time", meta->created_ns);
    cf_json_kint(&j, "current_version", (long long)meta->current);
    cf_json_key(&j, "custom_metadata");
    cf_kv2_write_custom(&j, meta);
    cf_json_kstr(&j, "delete_version_after", dva);
    cf_json_kint(&j, "max_versions", meta->max_versions);
    cf_json_kint(&j, "oldest_version", (long long)meta->oldest);
    cf_kv2_write_time(&j, "updated_time", meta->updated_ns);
    cf_json_key(&j, "versions");
    cf_json_obj_open(&j);
    for (size_t i = 0; i < meta->nv; i++) {
        char num[24];
        snprintf(num, sizeof num, "%llu", meta->v[i].num);
        cf_json_key(&j, num);
        cf_json_obj_open(&j);
        cf_kv2_write_time(&j, "created_time", meta->v[i].created_ns);
        cf_kv2_write_time(&j, "deletion_time", meta->v[i].deletion_ns);
        cf_json_kbool(&j, "destroyed", meta->v[i].destroyed);
        cf_json_obj_close(&j);
    }
    cf_json_obj_close(&j);
    cf_json_obj_close(&j);
    cf_kv2_meta_free(meta);
    res->mount_type = "kv";
    return cf_json_finish(&j, &res->data);
}

/* The settings a write or patch carries, parsed before taking the lock. */
struct settings {
    yajl_val mv, cr, dv, cm; /* present (possibly null) when non-NULL */
    long long max_versions, dva;
    int cas_required;
    struct cf_pair *custom;
    size_t ncustom;
};

/* Returns 1 with res filled on bad input. */
static int parse_settings(struct cf_request *req, int patch, struct settings *st,
                          struct cf_result *res, int *rcp)
{
    memset(st, 0, sizeof *st);
    *rcp = 0;
    st->mv = cf_json_get(req->data, "max_versions");
    st->cr = cf_json_get(req->data, "cas_required");
    st->dv = cf_json_get(req->data, "delete_version_after");
    st->cm = cf_json_get(req->data, "custom_metadata");
    /* A merge patch's null resets a setting to its zero value. */
    if (st->mv && st->mv->type != yajl_t_null &&
        (cf_json_get_int(req->data, "max_versions", &st->max_versions) ||
         st->max_versions < 0)) {
        cf_result_error(res, 400,
                        "invalid max_versions: must be a "
                        "non-negative integer");
        return 1;
    }
    if (st->cr && st->cr->type != yajl_t_null &&
        cf_json_get_bool(req->data, "cas_required", &st->cas_required)) {
        cf_result_error(res, 400, "invalid cas_required: must be a boolean");
        return 1;
    }
    if (st->dv && st->dv->type != yajl_t_null &&
        cf_kv_parse_duration(st->dv, 0, &st->dva)) {
        cf_result_error(res, 400,
                        "invalid delete_version_after: must be a "
                        "non-negative duration of at most " CF_DURATION_MAX_TEXT);
        return 1;
    }
    if (st->cm) {
        int r = cf_kv2_parse_custom(st->cm, patch, &st->custom, &st->ncustom, res);
        if (r < 0)
            *rcp = r;
        if (r)
            return 1;
    }
    return 0;
}

/* PATCH semantics for custom_metadata: keys with null go, others are set. */
static int merge_custom(struct cf_kv2_meta *meta, yajl_val patch,
                        const struct settings *st)
{
    if (patch->type == yajl_t_null)
        return cf_kv2_meta_set_custom(meta, NULL, 0);
    size_t cap = meta->ncustom + st->ncustom, n = 0;
    struct cf_pair *p = calloc(cap ? cap : 1, sizeof *p);
    if (!p)
        return CF_ENOMEM;
    for (size_t i = 0; i < meta->ncustom; i++)
        if (!cf_json_get(patch, meta->custom[i].key))
            p[n++] = meta->custom[i];
    for (size_t i = 0; i < st->ncustom; i++)
        p[n++] = st->custom[i];
    /* set_custom copies, so p may borrow the strings. */
    int rc = cf_kv2_meta_set_custom(meta, p, n);
    free(p);
    return rc;
}

static int meta_write(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                      struct cf_request *req, struct cf_result *res, int patch)
{
    if (patch && cf_kv2_bad_patch_type(req, res))
        return 0;
    if (!*path)
        return cf_result_error(res, 400, "missing path");
    struct settings st;
    int rc;
    if (parse_settings(req, patch, &st, res, &rc))
        return rc;
    if (!patch && !st.mv && !st.cr && !st.dv && !st.cm)
        return 0;
    struct cf_kv2_config c;
    if ((rc = cf_kv2_config_get(m, s, &c)))
        goto done;
    if (st.cr && c.cas_required && !st.cas_required)
        cf_result_warn(res,
                       "\"cas_required\" set to false, but is mandated "
                       "by backend config. This value will be ignored.");

    pthread_rwlock_t *lk = cf_kv_lock(s, path);
    pthread_rwlock_wrlock(lk);
    struct cf_kv2_meta *meta = NULL;
    rc = cf_kv2_meta_load(m->view, path, &meta);
    if (rc == CF_ENOENT && patch) {
        rc = cf_result_error(res, 404, NULL);
    } else if (rc == CF_ENOENT) {
        rc = (meta = cf_kv2_meta_new()) ? 0 : CF_ENOMEM;
        if (meta)
            meta->created_ns = meta->updated_ns = cf_now_ns();
    }
    if (!rc && meta) {
        if (st.mv)
            meta->max_versions = st.max_versions;
        if (st.cr)
            meta->cas_required = st.cas_required;
        if (st.dv)
            meta->dva = st.dva;
        if (st.cm && patch)
            rc = merge_custom(meta, st.cm, &st);
        else if (st.cm)
            rc = cf_kv2_meta_set_custom(meta, st.custom, st.ncustom);
        if (!rc)
            rc = cf_kv2_meta_save(m->view, path, meta);
        if (!rc)
            cf_kv_known_add(s, path);
    }
    pthread_rwlock_unlock(lk);
    cf_kv2_meta_free(meta);
done:
    cf_pairs_free(st.custom, st.ncustom);
    return rc;
}

/* Every version's data, then the record: the key is gone for good. arg is
 * the mount state, whose known set must lose the key first. */
static int delete_all(struct cf_mount *m, const char *path, struct cf_kv2_meta *meta,
                      void *arg)
{
    int rc = 0;
    for (size_t i = 0; i < meta->nv && !rc; i++)
        rc = cf_kv2_delete_version(m->view, path, meta->v[i].num);
    if (rc)
        return rc;
    char *key = cf_kv2_meta_key(path);
    if (!key)
        return CF_ENOMEM;
    cf_kv_known_forget(arg, path);
    rc = cf_view_delete(m->view, key);
    free(key);
    return rc == CF_ENOENT ? 0 : rc;
}

static int meta_list(struct cf_mount *m, const char *path, struct cf_result *res)
{
    struct cf_buf b = {0};
    size_t l = strlen(path);
    if (cf_buf_puts(&b, "metadata/") || cf_buf_puts(&b, path) ||
        (l && path[l - 1] != '/' && cf_buf_puts(&b, "/"))) {
        cf_buf_free(&b);
        return CF_ENOMEM;
    }
    int rc = cf_kv_list(m->view, b.data, res);
    cf_buf_free(&b);
    return rc;
}

int cf_kv2_metadata(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                    struct cf_request *req, struct cf_result *res)
{
    switch (req->op) {
    case CF_OP_READ:
        return meta_read(m, path, res);
    case CF_OP_LIST:
        return meta_list(m, path, res);
    case CF_OP_CREATE:
    case CF_OP_UPDATE:
        return meta_write(m, s, path, req, res, 0);
    case CF_OP_PATCH:
        return meta_write(m, s, path, req, res, 1);
    case CF_OP_DELETE:
        return cf_kv2_edit_meta(m, s, path, delete_all, s);
    default:
        return cf_kv_unsupported_op(res);
    }
}
