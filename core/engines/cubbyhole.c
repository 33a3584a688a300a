/* The "cubbyhole" backend: a KV v1-like store private to each token. The
 * caller's token (req->auth, set by the router) names its cubbyhole; the
 * data lives under "<cubbyhole id>/" in the mount view and dies with the
 * token. */
#include "engines/engines.h"
#include "engines/kv_internal.h"
#include "auth/token_store.h"
#include "util/buf.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

/* "<id>/" for a usable id, else NULL (*rc says why). */
static char *id_prefix(const char *id, int *rc)
{
    *rc = CF_EINVAL;
    if (!id || !*id || strchr(id, '/'))
        return NULL;
    struct cf_buf b = {0};
    if (cf_buf_puts(&b, id) || cf_buf_puts(&b, "/")) {
        cf_buf_free(&b);
        *rc = CF_ENOMEM;
        return NULL;
    }
    *rc = 0;
    return cf_buf_take(&b);
}

static const char *caller_id(const struct cf_request *req)
{
    return req->auth ? req->auth->cubbyhole_id : NULL;
}

static int cubby_exists(struct cf_mount *m, struct cf_request *req, int *exists)
{
    int rc;
    char *prefix = id_prefix(caller_id(req), &rc);
    if (!prefix) {
        /* handle() will refuse the request; call it an update. */
        *exists = 1;
        return rc == CF_ENOMEM ? rc : 0;
    }
    rc = cf_kv1_exists(m->view, prefix, req->rel ? req->rel : "", exists);
    free(prefix);
    return rc;
}

static int cubby_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    int rc;
    char *prefix = id_prefix(caller_id(req), &rc);
    if (!prefix) {
        if (rc == CF_ENOMEM)
            return rc;
        return cf_result_error(res, 400,
                               "cubbyhole operations are only "
                               "supported by tokens");
    }
    struct cf_kv_passthrough o = {
        .prefix = prefix,
        .lease = 0,
        .default_ttl = 0,
        .mount_type = "cubbyhole",
    };
    rc = cf_kv1_serve(m->view, &o, req, res);
    free(prefix);
    return rc;
}

/* The token's data goes with it. Nothing to report to: a failure leaves
 * data no token can reach (a new token gets a new cubbyhole id). */
static void cubby_revoked(struct cf_mount *m, const struct cf_token *t)
{
    int rc;
    char *prefix = id_prefix(t->cubbyhole_id, &rc);
    if (!prefix)
        return;
    cf_view_clear(m->view, prefix);
    free(prefix);
}

const struct cf_backend cf_cubbyhole_backend = {
    .exists = cubby_exists,
    .handle = cubby_handle,
    .on_token_revoked = cubby_revoked,
};
