/* The "kv" backend's vtable: dispatches to KV v1 (pass-through) or KV v2
 * (versioned) by the mount's version. What both versions share is in
 * kv_common.c. */
#include "engines/engines.h"
#include "engines/kv_internal.h"
#include <coffer/errors.h>

static int kv_init(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                   struct coffer_err *err)
{
    (void)env;
    (void)m;
    struct cf_kv_state *s;
    int rc = cf_kv_state_new(&s, err);
    if (!rc)
        *state = s;
    return rc;
}

static void kv_cleanup(void *state) { cf_kv_state_free(state); }

static int kv_exists(struct cf_mount *m, struct cf_request *req, int *exists)
{
    if (m->kv_version == 2)
        return cf_kv2_exists(m, req, exists);
    return cf_kv1_exists(m->view, "", req->rel ? req->rel : "", exists);
}

static int kv_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    if (m->kv_version == 2) {
        if (!m->state)
            return CF_EINVAL; /* init was not called */
        return cf_kv2_handle(m, m->state, req, res);
    }
    struct cf_kv_passthrough o = {
        .prefix = "",
        .lease = 1,
        .default_ttl =
            m->default_lease_ttl > 0 ? m->default_lease_ttl : CF_KV_SYSTEM_DEFAULT_TTL,
        .mount_type = "kv",
    };
    return cf_kv1_serve(m->view, &o, req, res);
}

const struct cf_backend cf_kv_backend = {
    .init = kv_init,
    .cleanup = kv_cleanup,
    .exists = kv_exists,
    .handle = kv_handle,
    .mount_type = "kv",
};
