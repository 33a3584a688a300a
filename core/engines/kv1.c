/* KV v1: the pass-through store. A write stores the request body object as
 * the secret; a read returns it with the mount's lease duration (or the
 * secret's own "ttl"/"lease"). Cubbyhole reuses it with a per-token prefix. */
#include "engines/kv_internal.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

static char *join(const char *a, const char *b, const char *c)
{
    struct cf_buf buf = {0};
    if (cf_buf_puts(&buf, a) || cf_buf_puts(&buf, b) || cf_buf_puts(&buf, c)) {
        cf_buf_free(&buf);
        return NULL;
    }
    if (!buf.data)
        return strdup("");
    return cf_buf_take(&buf);
}

int cf_kv1_exists(const struct cf_view *v, const char *prefix, const char *rel,
                  int *exists)
{
    char *key = join(prefix, rel, "");
    if (!key)
        return CF_ENOMEM;
    uint8_t *val;
    size_t len;
    int rc = cf_view_get(v, key, &val, &len);
    free(key);
    if (rc == CF_ENOENT) {
        *exists = 0;
        return 0;
    }
    if (rc)
        return rc;
    cf_free_secret(val, len);
    *exists = 1;
    return 0;
}

/* The secret's "ttl" (or "lease") as Vault's ParseDurationSecond reads it;
 * an unparsable value keeps the default, as in Vault. */
static long long secret_ttl(yajl_val secret, long long dflt)
{
    yajl_val t = cf_json_get(secret, "ttl");
    if (!t)
        t = cf_json_get(secret, "lease");
    long long secs;
    if (t && !cf_kv_parse_duration(t, 0, &secs))
        return secs;
    return dflt;
}

static int do_read(const struct cf_view *v, const struct cf_kv_passthrough *o,
                   const char *key, struct cf_result *res)
{
    uint8_t *val;
    size_t len;
    int rc = cf_view_get(v, key, &val, &len);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 404, NULL);
    if (rc)
        return rc;
    yajl_val secret = NULL;
    cf_json_parse((const char *)val, len, &secret, NULL);
    if (!secret || secret->type != yajl_t_object) {
        if (secret)
            cf_json_free(secret);
        cf_free_secret(val, len);
        return CF_EIO;
    }
    char *text = malloc(len + 1);
    if (!text) {
        cf_json_free(secret);
        cf_free_secret(val, len);
        return CF_ENOMEM;
    }
    memcpy(text, val, len);
    text[len] = '\0';
    cf_free_secret(val, len);
    res->data = text;
    res->mount_type = o->mount_type;
    if (o->lease)
        res->lease_duration = secret_ttl(secret, o->default_ttl);
    cf_json_free(secret);
    return 0;
}

static int do_write(const struct cf_view *v, const char *key, struct cf_request *req,
                    struct cf_result *res)
{
    yajl_val d = req->data;
    if (!d || d->type != yajl_t_object || !d->u.object.len)
        return cf_result_error(res, 400, "missing data fields");
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_value(&j, d);
    char *text;
    int rc = cf_json_finish(&j, &text);
    if (rc)
        return rc;
    rc = cf_view_put_str(v, key, text);
    cf_free_secret_str(text);
    return rc;
}

int cf_kv1_serve(const struct cf_view *v, const struct cf_kv_passthrough *o,
                 struct cf_request *req, struct cf_result *res)
{
    const char *rel = req->rel ? req->rel : "";
    int rc;
    char *key;

    switch (req->op) {
    case CF_OP_LIST: {
        size_t l = strlen(rel);
        key = join(o->prefix, rel, l && rel[l - 1] != '/' ? "/" : "");
        if (!key)
            return CF_ENOMEM;
        rc = cf_kv_list(v, key, res);
        free(key);
        return rc;
    }
    case CF_OP_READ:
        if (!*rel)
            return cf_result_error(res, 404, NULL);
        if (!(key = join(o->prefix, rel, "")))
            return CF_ENOMEM;
        rc = do_read(v, o, key, res);
        free(key);
        return rc;
    case CF_OP_CREATE:
    case CF_OP_UPDATE:
        if (!*rel)
            return cf_result_error(res, 400, "missing path");
        if (!(key = join(o->prefix, rel, "")))
            return CF_ENOMEM;
        rc = do_write(v, key, req, res);
        free(key);
        return rc;
    case CF_OP_DELETE:
        if (!*rel)
            return 0;
        if (!(key = join(o->prefix, rel, "")))
            return CF_ENOMEM;
        rc = cf_view_delete(v, key);
        free(key);
        return rc == CF_ENOENT ? 0 : rc;
    default:
        return cf_kv_unsupported_op(res);
    }
}
