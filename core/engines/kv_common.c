/* What the kv engine's two versions (and cubbyhole) share: the per-mount
 * state with its lock stripes, the list answer, Vault's framework errors
 * and duration parsing/printing. Called by kv1/kv2, calls nothing of them. */
#include "engines/kv_internal.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cf_kv_known {
    struct cf_kv_known *next;
    char path[];
};

int cf_kv_state_new(struct cf_kv_state **out, struct coffer_err *err)
{
    struct cf_kv_state *s = calloc(1, sizeof *s);
    if (!s) {
        if (err)
            snprintf(err->msg, sizeof err->msg, "kv: out of memory");
        return CF_ENOMEM;
    }
    int i = 0;
    for (; i < CF_KV_NLOCKS; i++)
        if (pthread_rwlock_init(&s->locks[i], NULL))
            break;
    int mu = 0; /* mutexes set up so far */
    if (i == CF_KV_NLOCKS && !pthread_mutex_init(&s->cfg_mu, NULL)) {
        mu = 1;
        if (!pthread_mutex_init(&s->known_mu, NULL))
            mu = 2;
    }
    if (mu < 2) {
        while (i-- > 0)
            pthread_rwlock_destroy(&s->locks[i]);
        if (mu)
            pthread_mutex_destroy(&s->cfg_mu);
        free(s);
        if (err)
            snprintf(err->msg, sizeof err->msg, "kv: cannot create locks");
        return CF_ENOMEM;
    }
    *out = s;
    return 0;
}

void cf_kv_state_free(struct cf_kv_state *s)
{
    if (!s)
        return;
    for (int i = 0; i < CF_KV_NLOCKS; i++)
        pthread_rwlock_destroy(&s->locks[i]);
    pthread_mutex_destroy(&s->cfg_mu);
    pthread_mutex_destroy(&s->known_mu);
    for (size_t b = 0; b < CF_KV_KNOWN_BUCKETS; b++)
        while (s->known[b]) {
            struct cf_kv_known *k = s->known[b];
            s->known[b] = k->next;
            free(k);
        }
    free(s);
}

/* FNV-1a: any stable spread will do. */
static uint32_t spread(const char *key)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

pthread_rwlock_t *cf_kv_lock(struct cf_kv_state *s, const char *key)
{
    return &s->locks[spread(key) % CF_KV_NLOCKS];
}

/* The link pointing at path's entry, or at the bucket's terminating NULL.
 * Called with known_mu held. */
static struct cf_kv_known **known_find(struct cf_kv_state *s, const char *path)
{
    struct cf_kv_known **k = &s->known[spread(path) % CF_KV_KNOWN_BUCKETS];
    while (*k && strcmp((*k)->path, path))
        k = &(*k)->next;
    return k;
}

int cf_kv_known_has(struct cf_kv_state *s, const char *path)
{
    pthread_mutex_lock(&s->known_mu);
    int has = *known_find(s, path) != NULL;
    pthread_mutex_unlock(&s->known_mu);
    return has;
}

void cf_kv_known_add(struct cf_kv_state *s, const char *path)
{
    size_t l = strlen(path) + 1;
    pthread_mutex_lock(&s->known_mu);
    struct cf_kv_known **k = known_find(s, path);
    if (!*k && s->nknown < CF_KV_KNOWN_MAX && (*k = malloc(sizeof **k + l))) {
        (*k)->next = NULL;
        memcpy((*k)->path, path, l);
        s->nknown++;
    }
    pthread_mutex_unlock(&s->known_mu);
}

void cf_kv_known_forget(struct cf_kv_state *s, const char *path)
{
    pthread_mutex_lock(&s->known_mu);
    struct cf_kv_known **k = known_find(s, path);
    struct cf_kv_known *gone = *k;
    if (gone) {
        *k = gone->next;
        s->nknown--;
    }
    pthread_mutex_unlock(&s->known_mu);
    free(gone);
}

int cf_kv_list(const struct cf_view *v, const char *prefix, struct cf_result *res)
{
    char **keys = NULL;
    size_t n = 0;
    int rc = cf_view_list(v, prefix, &keys, &n);
    if (rc == CF_ENOENT) {
        keys = NULL;
        n = 0;
    } else if (rc) {
        return rc;
    }
    if (!n) {
        cf_strv_free(keys, n);
        return cf_result_error(res, 404, NULL);
    }
    struct cf_json j;
    if (cf_json_init(&j)) {
        cf_strv_free(keys, n);
        return CF_ENOMEM;
    }
    cf_json_obj_open(&j);
    cf_json_key(&j, "keys");
    cf_json_arr_open(&j);
    for (size_t i = 0; i < n; i++)
        cf_json_str(&j, keys[i]);
    cf_json_arr_close(&j);
    cf_json_obj_close(&j);
    cf_strv_free(keys, n);
    return cf_json_finish(&j, &res->data);
}

int cf_kv_unsupported_op(struct cf_result *res)
{
    return cf_result_error(res, 405, "unsupported operation");
}

int cf_kv_unsupported_path(struct cf_result *res)
{
    return cf_result_error(res, 404, "unsupported path");
}

int cf_kv_parse_duration(yajl_val v, int allow_negative, long long *secs)
{
    if (!v)
        return CF_EINVAL;
    if (YAJL_IS_INTEGER(v)) {
        long long x = YAJL_GET_INTEGER(v);
        /* the same bound cf_duration_parse holds strings to */
        if ((x < 0 && !allow_negative) || x > CF_DURATION_MAX_SECS ||
            x < -CF_DURATION_MAX_SECS)
            return CF_EINVAL;
        *secs = x;
        return 0;
    }
    if (v->type != yajl_t_string)
        return CF_EINVAL;
    const char *s = v->u.string;
    int neg = 0;
    if (*s == '-') {
        if (!allow_negative)
            return CF_EINVAL;
        neg = 1;
        s++;
    }
    long long x;
    if (cf_duration_parse(s, &x))
        return CF_EINVAL;
    *secs = neg ? -x : x;
    return 0;
}
