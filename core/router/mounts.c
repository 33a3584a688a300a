/* Mount table: enable/disable/tune, longest-prefix lookup, persistence.
 * Which code serves a type comes from the registry it was handed. */
#include "router/mounts.h"
#include "seal/barrier.h"
#include "seal/view.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOUNTS_KEY "core/mounts"

static void mount_free(struct cf_mount *m)
{
    if (!m)
        return;
    if (m->backend && m->backend->cleanup && m->state)
        m->backend->cleanup(m->state);
    cf_view_free(m->view);
    free(m->path);
    free(m->type);
    free(m->description);
    free(m->accessor);
    free(m->uuid);
    free(m);
}

void cf_mounts_free(struct cf_mount_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        mount_free(t->m[i]);
    free(t->m);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

static int is_auth(const char *path) { return !strncmp(path, "auth/", 5); }

/* Builds the runtime side of a mount (view, backend state). */
static int mount_activate(struct cf_mount_table *t, struct cf_mount *m,
                          struct coffer_err *err)
{
    const struct cf_backend_type *r = cf_registry_find(t->registry, m->type);
    if (!r) {
        snprintf(err->msg, sizeof err->msg, "unknown backend type \"%s\"", m->type);
        return CF_EINVAL;
    }
    m->backend = r->backend;
    m->permanent = (r->flags & CF_TYPE_BUILTIN) != 0;
    char prefix[128];
    if (r->view_prefix)
        snprintf(prefix, sizeof prefix, "%s", r->view_prefix);
    else
        snprintf(prefix, sizeof prefix, "%s/%s/", is_auth(m->path) ? "auth" : "logical",
                 m->uuid);
    int rc = cf_view_new(t->barrier, prefix, &m->view);
    if (rc || !m->backend->init)
        return rc;
    struct cf_backend_env env = t->env;
    env.mounts = t;
    env.type_arg = r->arg;
    return m->backend->init(&env, m, &m->state, err);
}

static int cmp_len(const void *a, const void *b)
{
    const struct cf_mount *x = *(struct cf_mount *const *)a;
    const struct cf_mount *y = *(struct cf_mount *const *)b;
    size_t lx = strlen(x->path), ly = strlen(y->path);
    if (lx != ly)
        return lx > ly ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int table_add(struct cf_mount_table *t, struct cf_mount *m)
{
    struct cf_mount **nm = realloc(t->m, (t->n + 1) * sizeof *nm);
    if (!nm)
        return CF_ENOMEM;
    t->m = nm;
    t->m[t->n++] = m;
    qsort(t->m, t->n, sizeof *t->m, cmp_len);
    return 0;
}

static int save(struct cf_mount_table *t)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_arr_open(&j);
    for (size_t i = 0; i < t->n; i++) {
        const struct cf_mount *m = t->m[i];
        cf_json_obj_open(&j);
        cf_json_kstr(&j, "path", m->path);
        cf_json_kstr(&j, "type", m->type);
        cf_json_kstr(&j, "description", m->description ? m->description : "");
        cf_json_kstr(&j, "accessor", m->accessor);
        cf_json_kstr(&j, "uuid", m->uuid);
        cf_json_kint(&j, "version", m->kv_version);
        cf_json_kint(&j, "default_lease_ttl", m->default_lease_ttl);
        cf_json_kint(&j, "max_lease_ttl", m->max_lease_ttl);
        cf_json_kbool(&j, "local", m->local);
        cf_json_kbool(&j, "seal_wrap", m->seal_wrap);
        cf_json_obj_close(&j);
    }
    cf_json_arr_close(&j);
    char *s;
    int rc = cf_json_finish(&j, &s);
    if (rc)
        return rc;
    rc = cf_barrier_put(t->barrier, MOUNTS_KEY, (const uint8_t *)s, strlen(s));
    free(s);
    return rc;
}

static int new_mount(const char *path, const char *type, int version, const char *desc,
                     struct cf_mount **out)
{
    struct cf_mount *m = calloc(1, sizeof *m);
    if (!m)
        return CF_ENOMEM;
    char uuid[37], *rnd = NULL;
    if (cf_uuid(uuid) || cf_random_base62(8, &rnd)) {
        free(m);
        return CF_EIO;
    }
    m->path = strdup(path);
    m->type = strdup(type);
    m->description = strdup(desc ? desc : "");
    m->uuid = strdup(uuid);
    struct cf_buf acc = {0};
    cf_buf_printf(&acc, "%s_%s", type, rnd);
    free(rnd);
    m->accessor = cf_buf_take(&acc);
    m->kv_version = version;
    if (!m->path || !m->type || !m->description || !m->uuid || !m->accessor) {
        mount_free(m);
        return CF_ENOMEM;
    }
    *out = m;
    return 0;
}

static int load_entry(struct cf_mount_table *t, yajl_val e, struct coffer_err *err)
{
    const char *path = cf_json_get_str(e, "path"), *type = cf_json_get_str(e, "type");
    const char *uuid = cf_json_get_str(e, "uuid"), *acc = cf_json_get_str(e, "accessor");
    if (!path || !type || !uuid || !acc) {
        snprintf(err->msg, sizeof err->msg, "mount table entry is incomplete");
        return CF_EIO;
    }
    struct cf_mount *m = calloc(1, sizeof *m);
    if (!m)
        return CF_ENOMEM;
    long long v = 0;
    m->path = strdup(path);
    m->type = strdup(type);
    m->uuid = strdup(uuid);
    m->accessor = strdup(acc);
    m->description = strdup(
        cf_json_get_str(e, "description") ? cf_json_get_str(e, "description") : "");
    if (!cf_json_get_int(e, "version", &v))
        m->kv_version = (int)v;
    cf_json_get_int(e, "default_lease_ttl", &m->default_lease_ttl);
    cf_json_get_int(e, "max_lease_ttl", &m->max_lease_ttl);
    cf_json_get_bool(e, "local", &m->local);
    cf_json_get_bool(e, "seal_wrap", &m->seal_wrap);
    int rc = (!m->path || !m->type || !m->uuid || !m->accessor || !m->description)
        ? CF_ENOMEM
        : mount_activate(t, m, err);
    if (!rc)
        rc = table_add(t, m);
    if (rc)
        mount_free(m);
    return rc;
}

static int add_default(struct cf_mount_table *t, const char *path, const char *type,
                       const char *desc, struct coffer_err *err)
{
    struct cf_mount *m;
    int rc = new_mount(path, type, 0, desc, &m);
    if (rc)
        return rc;
    rc = mount_activate(t, m, err);
    if (!rc)
        rc = table_add(t, m);
    if (rc)
        mount_free(m);
    return rc;
}

/* The first table: every registered type that names a default path. */
static int add_defaults(struct cf_mount_table *t, struct coffer_err *err)
{
    const struct cf_backend_type *r;
    int rc = 0;
    for (size_t i = 0; !rc && (r = cf_registry_at(t->registry, i)); i++)
        if (r->default_path)
            rc = add_default(t, r->default_path, r->type ? r->type : r->name,
                             r->default_description, err);
    return rc ? rc : save(t);
}

static int load_saved(struct cf_mount_table *t, uint8_t *val, size_t len,
                      struct coffer_err *err)
{
    yajl_val arr = NULL;
    cf_json_parse((const char *)val, len, &arr, NULL);
    int rc = 0;
    if (!arr || arr->type != yajl_t_array) {
        snprintf(err->msg, sizeof err->msg, "mount table is corrupt");
        rc = CF_EIO;
    }
    for (size_t i = 0; !rc && i < arr->u.array.len; i++)
        rc = load_entry(t, arr->u.array.values[i], err);
    if (arr)
        cf_json_free(arr);
    return rc;
}

int cf_mounts_load(const struct cf_registry *reg, struct cf_barrier *b,
                   const struct cf_backend_env *env, struct cf_mount_table **out,
                   struct coffer_err *err)
{
    struct cf_mount_table *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    pthread_rwlock_init(&t->lock, NULL);
    t->barrier = b;
    t->registry = reg;
    t->env = *env;
    uint8_t *val;
    size_t len;
    int rc = cf_barrier_get(b, MOUNTS_KEY, &val, &len);
    if (rc == CF_ENOENT) {
        rc = add_defaults(t, err);
    } else if (!rc) {
        rc = load_saved(t, val, len, err);
        cf_free_secret(val, len);
    }
    if (rc) {
        cf_mounts_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* The mount path as stored, in *out with one trailing '/'. A leading '/'
 * or an empty segment is refused rather than stripped: the ACL judged the
 * request path as spelled, so "sys/mounts//secret" must not reach
 * "secret/" past a rule on sys/mounts/secret. */
static int normalize(const char *path, char **out, struct coffer_err *err)
{
    size_t n = strlen(path);
    if (n && path[n - 1] == '/')
        n--;
    if (!n) {
        snprintf(err->msg, sizeof err->msg, "path cannot be empty");
        return CF_EINVAL;
    }
    if (path[0] == '/' || path[n - 1] == '/' || memmem(path, n, "//", 2)) {
        coffer_err_set(err,
                       "mount path \"%s\" has an empty segment: write it "
                       "without a leading, doubled or second trailing '/'",
                       path);
        return CF_EINVAL;
    }
    char *p = malloc(n + 2);
    if (!p)
        return CF_ENOMEM;
    memcpy(p, path, n);
    p[n] = '/';
    p[n + 1] = '\0';
    *out = p;
    return 0;
}

static int reserved(const char *p)
{
    static const char *const R[] = {"sys/",  "cubbyhole/", "identity/",
                                    "auth/", "audit/",     NULL};
    for (const char *const *r = R; *r; r++)
        if (!strncmp(p, *r, strlen(*r)))
            return 1;
    return 0;
}

static int parse_ttl(yajl_val cfg, const char *key, long long *out,
                     struct coffer_err *err)
{
    yajl_val v = cf_json_get(cfg, key);
    if (!v || v->type == yajl_t_null)
        return 0;
    /* Held to CF_DURATION_MAX_SECS: the token store adds these to times. */
    if (YAJL_IS_INTEGER(v)) {
        long long x = YAJL_GET_INTEGER(v);
        if (x >= 0 && x <= CF_DURATION_MAX_SECS) {
            *out = x;
            return 0;
        }
    } else if (v->type == yajl_t_string) {
        if (!strcmp(v->u.string, "system") || !*v->u.string) {
            *out = 0;
            return 0;
        }
        if (cf_duration_parse(v->u.string, out) == 0)
            return 0;
    }
    snprintf(err->msg, sizeof err->msg,
             "invalid %s: expected a duration such as \"1h\", "
             "at most " CF_DURATION_MAX_TEXT,
             key);
    return CF_EINVAL;
}

int cf_mounts_enable(struct cf_mount_table *t, const char *path, const char *type,
                     yajl_val body, struct coffer_err *err)
{
    char *p;
    int nrc = normalize(path, &p, err);
    if (nrc)
        return nrc;
    int version = 1;
    const struct cf_backend_type *r = cf_registry_find(t->registry, type);
    if (!r || (r->flags & CF_TYPE_BUILTIN)) {
        snprintf(err->msg, sizeof err->msg, "plugin not found in the catalog: %s",
                 type ? type : "");
        free(p);
        return CF_EINVAL;
    }
    if (reserved(p)) {
        snprintf(err->msg, sizeof err->msg,
                 "cannot mount '%s' of type '%s': path is reserved", p, type);
        free(p);
        return CF_EINVAL;
    }
    if (r->kv_version)
        version = r->kv_version;
    yajl_val opts = cf_json_get(body, "options");
    const char *vs = cf_json_get_str(opts, "version");
    long long vi;
    if (vs || !cf_json_get_int(opts, "version", &vi)) {
        if (vs && !*vs)
            vi = 1;
        else if (vs)
            vi = atoll(vs);
        if (vi != 1 && vi != 2) {
            snprintf(err->msg, sizeof err->msg, "invalid kv version: must be 1 or 2");
            free(p);
            return CF_EINVAL;
        }
        version = (int)vi;
    }
    struct cf_mount *m;
    int rc = new_mount(p, r->type ? r->type : r->name,
                       (r->flags & CF_TYPE_KV_VERSION) ? version : 0,
                       cf_json_get_str(body, "description"), &m);
    if (rc) {
        free(p);
        return rc;
    }
    yajl_val cfg = cf_json_get(body, "config");
    rc = parse_ttl(cfg, "default_lease_ttl", &m->default_lease_ttl, err);
    if (!rc)
        rc = parse_ttl(cfg, "max_lease_ttl", &m->max_lease_ttl, err);
    cf_json_get_bool(body, "local", &m->local);
    cf_json_get_bool(body, "seal_wrap", &m->seal_wrap);
    pthread_rwlock_wrlock(&t->lock);
    for (size_t i = 0; !rc && i < t->n; i++) {
        const char *q = t->m[i]->path;
        if (!strncmp(q, p, strlen(q)) || !strncmp(p, q, strlen(p))) {
            snprintf(err->msg, sizeof err->msg, "path is already in use at %s", q);
            rc = CF_EEXIST;
        }
    }
    if (!rc)
        rc = mount_activate(t, m, err);
    if (!rc)
        rc = table_add(t, m);
    if (!rc) {
        rc = save(t);
        if (rc) {
            /* Keep memory and storage in step: undo the in-memory add. */
            for (size_t i = 0; i < t->n; i++)
                if (t->m[i] == m) {
                    memmove(&t->m[i], &t->m[i + 1], (t->n - i - 1) * sizeof *t->m);
                    t->n--;
                    break;
                }
            snprintf(err->msg, sizeof err->msg, "failed to persist the mount table");
        }
    }
    pthread_rwlock_unlock(&t->lock);
    if (rc)
        mount_free(m);
    free(p);
    return rc;
}

int cf_mounts_disable(struct cf_mount_table *t, const char *path, struct coffer_err *err)
{
    char *p;
    int nrc = normalize(path, &p, err);
    if (nrc)
        return nrc;
    if (reserved(p) && strncmp(p, "auth/", 5)) {
        snprintf(err->msg, sizeof err->msg, "cannot unmount '%s'", p);
        free(p);
        return CF_EINVAL;
    }
    int rc = CF_ENOENT;
    pthread_rwlock_wrlock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        struct cf_mount *m = t->m[i];
        if (strcmp(m->path, p))
            continue;
        const struct cf_backend_type *r = cf_registry_find(t->registry, m->type);
        if (r && (r->flags & CF_TYPE_BUILTIN)) {
            snprintf(err->msg, sizeof err->msg, "cannot unmount '%s'", p);
            rc = CF_EINVAL;
            break;
        }
        /* The table first, as Vault does: a failed save leaves the mount
         * as it was, data included. Data whose clearing fails afterwards
         * is unreachable (a new mount gets a new view prefix). */
        memmove(&t->m[i], &t->m[i + 1], (t->n - i - 1) * sizeof *t->m);
        t->n--;
        rc = save(t);
        if (rc) {
            memmove(&t->m[i + 1], &t->m[i], (t->n - i) * sizeof *t->m);
            t->m[i] = m;
            t->n++;
            break;
        }
        cf_view_clear(m->view, "");
        mount_free(m);
        break;
    }
    pthread_rwlock_unlock(&t->lock);
    if (rc == CF_ENOENT)
        snprintf(err->msg, sizeof err->msg, "no mount at '%s'", p);
    free(p);
    return rc;
}

int cf_mounts_tune(struct cf_mount_table *t, const char *path, yajl_val body,
                   struct coffer_err *err)
{
    char *p;
    int nrc = normalize(path, &p, err);
    if (nrc)
        return nrc;
    int rc = CF_ENOENT;
    pthread_rwlock_wrlock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        struct cf_mount *m = t->m[i];
        if (strcmp(m->path, p))
            continue;
        long long d = m->default_lease_ttl, x = m->max_lease_ttl;
        rc = parse_ttl(body, "default_lease_ttl", &d, err);
        if (!rc)
            rc = parse_ttl(body, "max_lease_ttl", &x, err);
        const char *desc = cf_json_get_str(body, "description");
        if (!rc && desc) {
            char *nd = strdup(desc);
            if (!nd) {
                rc = CF_ENOMEM;
            } else {
                free(m->description);
                m->description = nd;
            }
        }
        if (!rc) {
            m->default_lease_ttl = d;
            m->max_lease_ttl = x;
            rc = save(t);
        }
        break;
    }
    pthread_rwlock_unlock(&t->lock);
    if (rc == CF_ENOENT)
        snprintf(err->msg, sizeof err->msg, "no mount at '%s'", p);
    free(p);
    return rc;
}

struct cf_mount *cf_mounts_match(struct cf_mount_table *t, const char *path)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t pl = strlen(path);
    for (size_t i = 0; i < t->n; i++) {
        const char *mp = t->m[i]->path;
        size_t ml = strlen(mp);
        /* "secret" alone matches the mount "secret/" too. */
        if (!strncmp(path, mp, ml) || (pl == ml - 1 && !strncmp(path, mp, pl)))
            return t->m[i];
    }
    pthread_rwlock_unlock(&t->lock);
    return NULL;
}

void cf_mounts_release(struct cf_mount_table *t) { pthread_rwlock_unlock(&t->lock); }

void cf_mount_describe(const struct cf_mount *m, int with_path, struct cf_json *j)
{
    cf_json_obj_open(j);
    if (with_path)
        cf_json_kstr(j, "path", m->path);
    cf_json_kstr(j, "type", m->type);
    cf_json_kstr(j, "description", m->description);
    cf_json_kstr(j, "accessor", m->accessor);
    cf_json_kstr(j, "uuid", m->uuid);
    cf_json_key(j, "config");
    cf_json_obj_open(j);
    cf_json_kint(j, "default_lease_ttl", m->default_lease_ttl);
    cf_json_kint(j, "max_lease_ttl", m->max_lease_ttl);
    cf_json_kbool(j, "force_no_cache", 0);
    cf_json_obj_close(j);
    cf_json_key(j, "options");
    if (m->kv_version) {
        cf_json_obj_open(j);
        cf_json_kstr(j, "version", m->kv_version == 2 ? "2" : "1");
        cf_json_obj_close(j);
    } else {
        cf_json_null(j);
    }
    cf_json_kbool(j, "local", m->local);
    cf_json_kbool(j, "seal_wrap", m->seal_wrap);
    cf_json_kbool(j, "external_entropy_access", 0);
    cf_json_kstr(j, "plugin_version", "");
    cf_json_kstr(j, "running_plugin_version", "");
    cf_json_kstr(j, "running_sha256", "");
    cf_json_obj_close(j);
}

void cf_mounts_token_revoked(struct cf_mount_table *t, const struct cf_token *tok)
{
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < t->n; i++)
        if (t->m[i]->backend->on_token_revoked)
            t->m[i]->backend->on_token_revoked(t->m[i], tok);
    pthread_rwlock_unlock(&t->lock);
}
