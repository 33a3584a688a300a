/* Prefix-scoped access to the barrier. */
#include "seal/view.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

int cf_view_new(struct cf_barrier *b, const char *prefix, struct cf_view **out)
{
    struct cf_view *v = calloc(1, sizeof *v);
    if (!v || !(v->prefix = strdup(prefix))) {
        free(v);
        return CF_ENOMEM;
    }
    v->barrier = b;
    *out = v;
    return 0;
}

void cf_view_free(struct cf_view *v)
{
    if (!v)
        return;
    free(v->prefix);
    free(v);
}

static char *full_key(const struct cf_view *v, const char *key)
{
    struct cf_buf b = {0};
    if (cf_buf_puts(&b, v->prefix) || cf_buf_puts(&b, key)) {
        cf_buf_free(&b);
        return NULL;
    }
    return cf_buf_take(&b);
}

int cf_view_get(const struct cf_view *v, const char *key, uint8_t **val, size_t *len)
{
    char *k = full_key(v, key);
    if (!k)
        return CF_ENOMEM;
    int rc = cf_barrier_get(v->barrier, k, val, len);
    free(k);
    return rc;
}

int cf_view_put(const struct cf_view *v, const char *key, const void *val, size_t len)
{
    char *k = full_key(v, key);
    if (!k)
        return CF_ENOMEM;
    int rc = cf_barrier_put(v->barrier, k, val, len);
    free(k);
    return rc;
}

int cf_view_delete(const struct cf_view *v, const char *key)
{
    char *k = full_key(v, key);
    if (!k)
        return CF_ENOMEM;
    int rc = cf_barrier_delete(v->barrier, k);
    free(k);
    return rc;
}

int cf_view_list(const struct cf_view *v, const char *prefix, char ***keys, size_t *n)
{
    char *k = full_key(v, prefix);
    if (!k)
        return CF_ENOMEM;
    int rc = cf_barrier_list(v->barrier, k, keys, n);
    free(k);
    return rc;
}

int cf_view_clear(const struct cf_view *v, const char *prefix)
{
    char **keys;
    size_t n;
    int rc = cf_view_list(v, prefix, &keys, &n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        struct cf_buf b = {0};
        if (cf_buf_puts(&b, prefix) || cf_buf_puts(&b, keys[i])) {
            cf_buf_free(&b);
            rc = CF_ENOMEM;
            break;
        }
        size_t l = strlen(keys[i]);
        if (l && keys[i][l - 1] == '/')
            rc = cf_view_clear(v, b.data);
        else
            rc = cf_view_delete(v, b.data);
        cf_buf_free(&b);
    }
    cf_strv_free(keys, n);
    return rc;
}

int cf_view_get_json(const struct cf_view *v, const char *key, yajl_val *out)
{
    uint8_t *val;
    size_t len;
    int rc = cf_view_get(v, key, &val, &len);
    if (rc)
        return rc;
    rc = cf_json_parse((const char *)val, len, out, NULL);
    cf_free_secret(val, len);
    return rc ? CF_EIO : 0;
}

int cf_view_put_str(const struct cf_view *v, const char *key, const char *s)
{
    return cf_view_put(v, key, s, strlen(s));
}

int cf_view_txn(const struct cf_view *v, const struct coffer_txn_op *ops, size_t n)
{
    struct coffer_txn_op *full = calloc(n ? n : 1, sizeof *full);
    if (!full)
        return CF_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        full[i] = ops[i];
        full[i].key = NULL;
        char *k = full_key(v, ops[i].key);
        if (!k)
            rc = CF_ENOMEM;
        full[i].key = k;
    }
    if (!rc)
        rc = cf_barrier_txn(v->barrier, full, n);
    for (size_t i = 0; i < n; i++)
        free((char *)full[i].key);
    free(full);
    return rc;
}
