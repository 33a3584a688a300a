/* sys/init, sys/seal-status, sys/unseal, sys/seal, sys/step-down,
 * sys/key-status, sys/rotate, sys/rotate/config. */
#include "sys/sys_internal.h"
#include "seal/barrier.h"
#include "seal/seal.h"
#include "util/log.h"
#include "util/encode.h"
#include "util/strerror.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The build time as RFC 3339, from the compiler's __DATE__ / __TIME__. */
static void build_date(char out[32])
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    const char *d = __DATE__; /* "Nov 22 2026" */
    char mon[4] = {d[0], d[1], d[2], 0};
    const char *m = strstr(months, mon);
    int mi = m ? (int)(m - months) / 3 + 1 : 1;
    snprintf(out, 32, "%.4s-%02d-%02dT%sZ", d + 7, mi, atoi(d + 4), __TIME__);
}

static int finish_raw(struct cf_json *j, struct cf_result *res)
{
    int rc = cf_json_finish(j, &res->raw);
    return rc;
}

int cf_sys_seal_status(const struct cf_sys_ctx *x, struct cf_request *req,
                       const char *rel, struct cf_result *res)
{
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    (void)rel;
    const struct cf_sys_env *e = &x->sys->env;
    struct cf_seal_status st;
    int rc = cf_seal_status(e->seal, &st);
    if (rc)
        return rc;
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "type", "shamir");
    cf_json_kbool(&j, "initialized", st.initialized);
    cf_json_kbool(&j, "sealed", st.sealed);
    cf_json_kint(&j, "t", st.t);
    cf_json_kint(&j, "n", st.n);
    cf_json_kint(&j, "progress", st.progress);
    cf_json_kstr(&j, "nonce", st.nonce);
    cf_json_kstr(&j, "version", COFFER_VERSION);
    char built[32];
    build_date(built);
    cf_json_kstr(&j, "build_date", built);
    cf_json_kbool(&j, "migration", 0);
    char name[128], id[37];
    e->node.cluster(e->node.arg, 1, name, id);
    if (id[0]) {
        cf_json_kstr(&j, "cluster_name", name);
        cf_json_kstr(&j, "cluster_id", id);
    }
    cf_json_kbool(&j, "recovery_seal", 0);
    cf_json_kstr(&j, "storage_type", e->storage_type);
    cf_json_obj_close(&j);
    return finish_raw(&j, res);
}

int cf_sys_init(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                struct cf_result *res)
{
    (void)rel;
    const struct cf_sys_env *e = &x->sys->env;
    if (req->op == CF_OP_READ) {
        struct cf_seal_status st;
        int rc = cf_seal_status(e->seal, &st);
        if (rc)
            return rc;
        struct cf_json j;
        if (cf_json_init(&j))
            return CF_ENOMEM;
        cf_json_obj_open(&j);
        cf_json_kbool(&j, "initialized", st.initialized);
        cf_json_obj_close(&j);
        return finish_raw(&j, res);
    }
    if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
        return cf_result_error(res, 405, NULL);
    long long shares = 0, threshold = 0;
    if (cf_json_get_int(req->data, "secret_shares", &shares) == CF_EINVAL ||
        cf_json_get_int(req->data, "secret_threshold", &threshold) == CF_EINVAL)
        return cf_result_error(res, 400,
                               "secret_shares and secret_threshold must be integers");
    if (cf_json_get(req->data, "pgp_keys") ||
        cf_json_get(req->data, "root_token_pgp_key")) {
        yajl_val pk = cf_json_get(req->data, "pgp_keys");
        const char *rk = cf_json_get_str(req->data, "root_token_pgp_key");
        if ((pk && pk->type == yajl_t_array && pk->u.array.len) || (rk && *rk))
            return cf_result_error(res, 400,
                                   "PGP-encrypted key shares are not supported");
    }
    if (shares > 255 || shares < 0 || threshold < 0 || threshold > 255)
        return cf_result_error(
            res, 400,
            "invalid seal configuration: shares and threshold must be between 1 and 255");
    struct cf_seal_keys *keys = NULL;
    char *root = NULL;
    struct coffer_err err = {""};
    int rc =
        e->node.initialize(e->node.arg, (int)shares, (int)threshold, &keys, &root, &err);
    if (rc == CF_EEXIST)
        return cf_result_error(res, 400, "Vault is already initialized");
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "%s",
                               err.msg[0] ? err.msg : "invalid seal configuration");
    if (rc) {
        cf_log(e->log, CF_LOG_ERROR, "init failed: %s",
               err.msg[0] ? err.msg : cf_strerror(rc));
        return cf_result_error(res, 500, "initialization failed: %s", cf_strerror(rc));
    }
    struct cf_json j;
    if (cf_json_init(&j)) {
        cf_seal_keys_free(keys);
        cf_free_secret_str(root);
        return CF_ENOMEM;
    }
    cf_json_obj_open(&j);
    for (int pass = 0; pass < 2; pass++) {
        cf_json_key(&j, pass ? "keys_base64" : "keys");
        cf_json_arr_open(&j);
        for (size_t i = 0; i < keys->n; i++) {
            char *s = NULL;
            if (pass ? cf_b64_encode(keys->keys[i], keys->len, &s)
                     : cf_hex_encode(keys->keys[i], keys->len, &s))
                j.err = CF_ENOMEM;
            cf_json_str(&j, s ? s : "");
            cf_free_secret_str(s);
        }
        cf_json_arr_close(&j);
    }
    cf_json_kstr(&j, "root_token", root);
    cf_json_obj_close(&j);
    cf_seal_keys_free(keys);
    cf_free_secret_str(root);
    cf_log(e->log, CF_LOG_INFO, "core: initialized with %lld shares, threshold %lld",
           shares, threshold);
    return finish_raw(&j, res);
}

int cf_sys_unseal(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    const struct cf_sys_env *e = &x->sys->env;
    if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
        return cf_result_error(res, 405, NULL);
    int reset = 0;
    if (cf_json_get_bool(req->data, "reset", &reset) == CF_EINVAL)
        return cf_result_error(res, 400, "'reset' must be a boolean");
    const char *key = cf_json_get_str(req->data, "key");
    struct cf_seal_status st;
    int rc = cf_seal_status(e->seal, &st);
    if (rc)
        return rc;
    if (!st.initialized)
        return cf_result_error(res, 400, "Vault is not initialized");
    if (reset) {
        if (!st.sealed)
            return cf_result_error(res, 400, "vault is unsealed");
        cf_seal_reset(e->seal);
        req->op = CF_OP_READ;
        return cf_sys_seal_status(x, req, rel, res);
    }
    if (!key || !*key)
        return cf_result_error(
            res, 400,
            "'key' must be specified in request body as JSON, or 'reset' set to true");
    int unsealed = 0;
    struct coffer_err err = {""};
    rc = e->node.unseal(e->node.arg, key, &unsealed, &err);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "%s", err.msg[0] ? err.msg : "invalid key");
    if (rc == CF_EDENIED)
        return cf_result_error(
            res, 400, "%s",
            err.msg[0] ? err.msg
                       : "Error unsealing: cipher: message authentication failed");
    if (rc) {
        cf_log(e->log, CF_LOG_ERROR, "unseal failed: %s",
               err.msg[0] ? err.msg : cf_strerror(rc));
        return cf_result_error(res, 500, "unseal failed: %s", cf_strerror(rc));
    }
    req->op = CF_OP_READ;
    return cf_sys_seal_status(x, req, rel, res);
}

int cf_sys_key_status(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                      struct cf_result *res)
{
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    unsigned term;
    int64_t installed;
    unsigned long long enc;
    (void)rel;
    int rc = cf_barrier_key_status(x->sys->env.barrier, &term, &installed, &enc);
    if (rc)
        return rc;
    char when[40];
    cf_time_rfc3339nano(installed, when);
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kint(&j, "term", term);
    cf_json_kstr(&j, "install_time", when);
    cf_json_kint(&j, "encryptions", (long long)enc);
    cf_json_obj_close(&j);
    res->inject = 1;
    return cf_json_finish(&j, &res->data);
}

int cf_sys_rotate(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
        return cf_result_error(res, 405, NULL);
    (void)rel;
    int rc = cf_barrier_rotate(x->sys->env.barrier);
    if (!rc)
        cf_log(x->sys->env.log, CF_LOG_INFO, "core: barrier key rotated");
    return rc;
}

/* Go's time.Duration String for whole seconds ("2160h0m0s", "0s"): what
 * Vault answers for the interval. */
static int rotate_config_read(const struct cf_sys_ctx *x, struct cf_result *res)
{
    struct cf_rotate_config cfg;
    int rc = cf_barrier_rotate_config(x->sys->env.barrier, &cfg);
    if (rc)
        return rc;
    char iv[40];
    cf_duration_str(cfg.interval_secs, iv);
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kint(&j, "max_operations", (long long)cfg.max_operations);
    cf_json_kstr(&j, "interval", iv);
    cf_json_kbool(&j, "enabled", cfg.enabled);
    cf_json_obj_close(&j);
    res->inject = 1;
    return cf_json_finish(&j, &res->data);
}

/* Fields left out keep their value, as in Vault. Bounds and texts are
 * Vault's: at least a million operations and at most the default, an
 * interval of none or at least a day. */
int cf_sys_rotate_config(const struct cf_sys_ctx *x, struct cf_request *req,
                         const char *rel, struct cf_result *res)
{
    (void)rel;
    if (req->op == CF_OP_READ)
        return rotate_config_read(x, res);
    if (req->op != CF_OP_UPDATE && req->op != CF_OP_CREATE)
        return cf_result_error(res, 405, NULL);
    struct cf_rotate_config cfg;
    int rc = cf_barrier_rotate_config(x->sys->env.barrier, &cfg);
    if (rc)
        return rc;
    long long ops;
    rc = cf_json_get_int(req->data, "max_operations", &ops);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "max_operations must be an integer");
    if (!rc) {
        if (ops < (long long)CF_ROTATE_MAX_OPS_MIN ||
            ops > (long long)CF_ROTATE_MAX_OPS_DEFAULT)
            return cf_result_error(res, 400,
                                   "max_operations must be in the range [%llu,%llu]",
                                   CF_ROTATE_MAX_OPS_MIN, CF_ROTATE_MAX_OPS_DEFAULT);
        cfg.max_operations = (unsigned long long)ops;
    }
    yajl_val iv = cf_json_get(req->data, "interval");
    if (iv) {
        long long secs = -1;
        if (YAJL_IS_STRING(iv) && !*iv->u.string)
            secs = 0;
        else if (YAJL_IS_STRING(iv)
                     ? cf_duration_parse(iv->u.string, &secs)
                     : cf_json_get_int(req->data, "interval", &secs) || secs < 0)
            return cf_result_error(res, 400,
                                   "interval must be a duration such as \"4320h\"");
        if (secs > 0 && secs < CF_ROTATE_INTERVAL_MIN)
            return cf_result_error(res, 400,
                                   "interval must be greater or equal to 24h0m0s");
        cfg.interval_secs = secs;
    }
    rc = cf_json_get_bool(req->data, "enabled", &cfg.enabled);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "enabled must be a boolean");
    rc = cf_barrier_set_rotate_config(x->sys->env.barrier, &cfg);
    if (!rc)
        cf_log(x->sys->env.log, CF_LOG_INFO,
               "core: barrier rotation config: max_operations %llu, interval %llds, %s",
               cfg.max_operations, cfg.interval_secs,
               cfg.enabled ? "enabled" : "disabled");
    return rc;
}

/* Both run after the request left the shared section (EXCLUSIVE routes):
 * sealing and stepping down take the node's state lock exclusively. */
int cf_sys_seal(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                struct cf_result *res)
{
    (void)req;
    (void)rel;
    (void)res;
    const struct cf_sys_node *n = &x->sys->env.node;
    return n->seal(n->arg);
}

int cf_sys_step_down(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                     struct cf_result *res)
{
    (void)req;
    (void)rel;
    (void)res;
    const struct cf_sys_node *n = &x->sys->env.node;
    return n->step_down(n->arg);
}
