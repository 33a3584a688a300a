/* What the kv engine's two versions (and cubbyhole) share: the per-mount
 * state with its lock stripes, the list answer, Vault's framework errors
 * and duration parsing/printing. Called by kv1/kv2, calls nothing of them. */
#include "engines/kv_internal.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (i < CF_KV_NLOCKS || pthread_mutex_init(&s->cfg_mu, NULL)) {
        while (i-- > 0)
            pthread_rwlock_destroy(&s->locks[i]);
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
    free(s);
}

pthread_rwlock_t *cf_kv_lock(struct cf_kv_state *s, const char *key)
{
    /* FNV-1a: any stable spread will do. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &s->locks[h % CF_KV_NLOCKS];
}

int cf_kv_list(const struct cf_view *v, const char *prefix,
               struct cf_result *res)
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
        if (x < 0 && !allow_negative)
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

void cf_kv_duration_str(long long secs, char out[40])
{
    if (!secs) {
        snprintf(out, 40, "0s");
        return;
    }
    const char *sign = secs < 0 ? "-" : "";
    unsigned long long a = secs < 0 ? 0ULL - (unsigned long long)secs
                                    : (unsigned long long)secs;
    unsigned long long h = a / 3600, mi = (a % 3600) / 60, s = a % 60;
    if (h)
        snprintf(out, 40, "%s%lluh%llum%llus", sign, h, mi, s);
    else if (mi)
        snprintf(out, 40, "%s%llum%llus", sign, mi, s);
    else
        snprintf(out, 40, "%s%llus", sign, s);
}
