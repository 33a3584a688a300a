/* KV v2's per-key metadata record: (de)serialization, the max_versions
 * window, the locked edit of an existing record, and the JSON shapes Vault
 * returns for a version's metadata. */
#include "engines/kv_internal.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MERGE_PATCH_TYPE "application/merge-patch+json"

struct cf_kv2_meta *cf_kv2_meta_new(void)
{
    return calloc(1, sizeof(struct cf_kv2_meta));
}

void cf_kv2_meta_free(struct cf_kv2_meta *m)
{
    if (!m)
        return;
    cf_pairs_free(m->custom, m->ncustom);
    free(m->v);
    free(m);
}

char *cf_kv2_meta_key(const char *path)
{
    struct cf_buf b = {0};
    if (cf_buf_puts(&b, "metadata/") || cf_buf_puts(&b, path)) {
        cf_buf_free(&b);
        return NULL;
    }
    return cf_buf_take(&b);
}

char *cf_kv2_version_key(const char *path, unsigned long long n)
{
    struct cf_buf b = {0};
    if (cf_buf_printf(&b, "versions/%s/%llu", path, n)) {
        cf_buf_free(&b);
        return NULL;
    }
    return cf_buf_take(&b);
}

int cf_kv2_delete_version(const struct cf_view *v, const char *path, unsigned long long n)
{
    char *key = cf_kv2_version_key(path, n);
    if (!key)
        return CF_ENOMEM;
    int rc = cf_view_delete(v, key);
    free(key);
    return rc == CF_ENOENT ? 0 : rc;
}

int64_t cf_kv2_deletion_time(const struct cf_kv2_config *c, const struct cf_kv2_meta *m,
                             int64_t now)
{
    if (c->dva < 0 || (!c->dva && !m->dva))
        return 0;
    long long d = m->dva;
    if (c->dva && (!d || c->dva < d))
        d = c->dva;
    return cf_time_add_secs(now, d);
}

int cf_kv2_edit_meta(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                     cf_kv2_edit_fn fn, void *arg)
{
    pthread_rwlock_t *lk = cf_kv_lock(s, path);
    pthread_rwlock_wrlock(lk);
    struct cf_kv2_meta *meta = NULL;
    int rc = cf_kv2_meta_load(m->view, path, &meta);
    if (rc == CF_ENOENT)
        rc = 0;
    else if (!rc)
        rc = fn(m, path, meta, arg);
    pthread_rwlock_unlock(lk);
    cf_kv2_meta_free(meta);
    return rc;
}

int cf_kv2_bad_patch_type(const struct cf_request *req, struct cf_result *res)
{
    const char *ct = req->content_type ? req->content_type : "";
    size_t l = strcspn(ct, ";");
    while (l && ct[l - 1] == ' ')
        l--;
    if (l == strlen(MERGE_PATCH_TYPE) && !strncasecmp(ct, MERGE_PATCH_TYPE, l))
        return 0;
    cf_result_error(res, 415, "PATCH requires Content-Type of %s, provided %.*s",
                    MERGE_PATCH_TYPE, (int)l, ct);
    return 1;
}

static long long get_ll(yajl_val o, const char *k)
{
    long long x = 0;
    if (cf_json_get_int(o, k, &x))
        return 0;
    return x;
}

static int parse_record(yajl_val r, struct cf_kv2_meta *m)
{
    if (!r || r->type != yajl_t_object)
        return CF_EIO;
    m->current = (unsigned long long)get_ll(r, "current_version");
    m->oldest = (unsigned long long)get_ll(r, "oldest_version");
    m->created_ns = get_ll(r, "created_time");
    m->updated_ns = get_ll(r, "updated_time");
    m->max_versions = get_ll(r, "max_versions");
    m->dva = get_ll(r, "delete_version_after");
    int b = 0;
    m->cas_required = !cf_json_get_bool(r, "cas_required", &b) && b;

    yajl_val c = cf_json_get(r, "custom_metadata");
    if (c && c->type == yajl_t_object && c->u.object.len) {
        m->custom = calloc(c->u.object.len, sizeof *m->custom);
        if (!m->custom)
            return CF_ENOMEM;
        for (size_t i = 0; i < c->u.object.len; i++) {
            yajl_val val = c->u.object.values[i];
            m->custom[i].key = strdup(c->u.object.keys[i]);
            m->custom[i].value = strdup(YAJL_IS_STRING(val) ? val->u.string : "");
            m->ncustom = i + 1;
            if (!m->custom[i].key || !m->custom[i].value)
                return CF_ENOMEM;
        }
    }

    yajl_val vs = cf_json_get(r, "versions");
    if (vs && vs->type == yajl_t_array && vs->u.array.len) {
        m->v = calloc(vs->u.array.len, sizeof *m->v);
        if (!m->v)
            return CF_ENOMEM;
        for (size_t i = 0; i < vs->u.array.len; i++) {
            yajl_val e = vs->u.array.values[i];
            struct cf_kv2_version *v = &m->v[m->nv++];
            v->num = (unsigned long long)get_ll(e, "v");
            v->created_ns = get_ll(e, "c");
            v->deletion_ns = get_ll(e, "d");
            b = 0;
            v->destroyed = !cf_json_get_bool(e, "x", &b) && b;
        }
    }
    return 0;
}

int cf_kv2_meta_load(const struct cf_view *v, const char *path, struct cf_kv2_meta **out)
{
    char *key = cf_kv2_meta_key(path);
    if (!key)
        return CF_ENOMEM;
    yajl_val r;
    int rc = cf_view_get_json(v, key, &r);
    free(key);
    if (rc)
        return rc;
    struct cf_kv2_meta *m = cf_kv2_meta_new();
    if (!m) {
        cf_json_free(r);
        return CF_ENOMEM;
    }
    rc = parse_record(r, m);
    cf_json_free(r);
    if (rc) {
        cf_kv2_meta_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int cf_kv2_meta_encode(const struct cf_kv2_meta *m, char **out)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kint(&j, "current_version", (long long)m->current);
    cf_json_kint(&j, "oldest_version", (long long)m->oldest);
    cf_json_kint(&j, "created_time", m->created_ns);
    cf_json_kint(&j, "updated_time", m->updated_ns);
    cf_json_kint(&j, "max_versions", m->max_versions);
    cf_json_kbool(&j, "cas_required", m->cas_required);
    cf_json_kint(&j, "delete_version_after", m->dva);
    cf_json_key(&j, "custom_metadata");
    cf_kv2_write_custom(&j, m);
    cf_json_key(&j, "versions");
    cf_json_arr_open(&j);
    for (size_t i = 0; i < m->nv; i++) {
        cf_json_obj_open(&j);
        cf_json_kint(&j, "v", (long long)m->v[i].num);
        cf_json_kint(&j, "c", m->v[i].created_ns);
        cf_json_kint(&j, "d", m->v[i].deletion_ns);
        cf_json_kbool(&j, "x", m->v[i].destroyed);
        cf_json_obj_close(&j);
    }
    cf_json_arr_close(&j);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, out);
}

int cf_kv2_meta_save(const struct cf_view *v, const char *path,
                     const struct cf_kv2_meta *m)
{
    char *text;
    int rc = cf_kv2_meta_encode(m, &text);
    if (rc)
        return rc;
    char *key = cf_kv2_meta_key(path);
    if (!key) {
        cf_free_secret_str(text);
        return CF_ENOMEM;
    }
    rc = cf_view_put_str(v, key, text);
    free(key);
    cf_free_secret_str(text);
    return rc;
}

struct cf_kv2_version *cf_kv2_meta_version(struct cf_kv2_meta *m, unsigned long long n)
{
    for (size_t i = 0; i < m->nv; i++)
        if (m->v[i].num == n)
            return &m->v[i];
    return NULL;
}

int cf_kv2_meta_add_version(struct cf_kv2_meta *m, int64_t created_ns,
                            int64_t deletion_ns, long long config_max,
                            unsigned long long *trim_upto, struct cf_kv2_version **out)
{
    struct cf_kv2_version *nv = realloc(m->v, (m->nv + 1) * sizeof *nv);
    if (!nv)
        return CF_ENOMEM;
    m->v = nv;
    m->current++;
    struct cf_kv2_version *v = &m->v[m->nv++];
    v->num = m->current;
    v->created_ns = created_ns;
    v->deletion_ns = deletion_ns;
    v->destroyed = 0;
    m->updated_ns = created_ns;
    if (!m->created_ns)
        m->created_ns = created_ns;

    /* Vault keeps max(key, mount) versions, 10 when both are unset, and
     * starts the window at oldest_version 0 (so it reads 0 until the first
     * trim). */
    unsigned long long max =
        (unsigned long long)(m->max_versions > config_max ? m->max_versions : config_max);
    if (!max)
        max = CF_KV_DEFAULT_MAX_VERSIONS;
    *trim_upto = 0;
    if (m->current - m->oldest >= max) {
        unsigned long long upto = m->current - max;
        size_t w = 0;
        for (size_t i = 0; i < m->nv; i++)
            if (m->v[i].num > upto)
                m->v[w++] = m->v[i];
        m->nv = w;
        m->oldest = upto + 1;
        *trim_upto = upto;
    }
    *out = cf_kv2_meta_version(m, m->current);
    return 0;
}

int cf_kv2_version_deleted(const struct cf_kv2_version *v, int64_t now_ns)
{
    return v->deletion_ns && v->deletion_ns < now_ns;
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const struct cf_pair *)a)->key, ((const struct cf_pair *)b)->key);
}

int cf_kv2_meta_set_custom(struct cf_kv2_meta *m, struct cf_pair *pairs, size_t n)
{
    struct cf_pair *c = NULL;
    if (n) {
        c = calloc(n, sizeof *c);
        if (!c)
            return CF_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            c[i].key = strdup(pairs[i].key);
            c[i].value = strdup(pairs[i].value);
            if (!c[i].key || !c[i].value) {
                cf_pairs_free(c, i + 1);
                return CF_ENOMEM;
            }
        }
        qsort(c, n, sizeof *c, cmp_pair);
    }
    cf_pairs_free(m->custom, m->ncustom);
    m->custom = c;
    m->ncustom = n;
    return 0;
}

void cf_kv2_write_time(struct cf_json *j, const char *key, int64_t ns)
{
    char t[40] = "";
    if (ns)
        cf_time_rfc3339nano(ns, t);
    cf_json_kstr(j, key, t);
}

void cf_kv2_write_custom(struct cf_json *j, const struct cf_kv2_meta *m)
{
    if (!m->ncustom) {
        cf_json_null(j);
        return;
    }
    cf_json_obj_open(j);
    for (size_t i = 0; i < m->ncustom; i++)
        cf_json_kstr(j, m->custom[i].key, m->custom[i].value);
    cf_json_obj_close(j);
}

void cf_kv2_write_version_meta(struct cf_json *j, const struct cf_kv2_meta *m,
                               const struct cf_kv2_version *v)
{
    cf_json_obj_open(j);
    cf_json_kint(j, "version", (long long)v->num);
    cf_kv2_write_time(j, "created_time", v->created_ns);
    cf_kv2_write_time(j, "deletion_time", v->deletion_ns);
    cf_json_kbool(j, "destroyed", v->destroyed);
    cf_json_key(j, "custom_metadata");
    cf_kv2_write_custom(j, m);
    cf_json_obj_close(j);
}
