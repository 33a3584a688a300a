/* Core lifecycle: sealed → unsealed (mounts, tokens, policies built) → sealed. */
#include "core_internal.h"
#include "auth/auth.h"
#include "ha/ha.h"
#include "gate/forward.h"
#include "engines/engines.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/strerror.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLUSTER_INFO_KEY "core/cluster/local/info"

int cf_core_new(const struct cf_config *cfg, const struct cf_logger *log,
                struct cf_physical *phys, const char *storage_type,
                struct cf_core **out)
{
    struct cf_core *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    c->cfg = cfg;
    c->log = *log;
    c->phys = phys;
    c->storage_type = storage_type;
    pthread_rwlock_init(&c->state, NULL);
    pthread_mutex_init(&c->unseal_mu, NULL);
    int rc = cf_barrier_new(phys, &c->barrier);
    if (!rc)
        rc = cf_seal_new(phys, c->barrier, &c->seal);
    if (rc) {
        cf_core_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Frees the unsealed state; the caller holds the state lock exclusively. */
static void teardown(struct cf_core *c)
{
    c->ready = 0;
    cf_mounts_free(c->mounts);
    c->mounts = NULL;
    cf_token_store_free(c->tokens);
    c->tokens = NULL;
    cf_policy_store_free(c->policies);
    c->policies = NULL;
    cf_view_free(c->sys_view);
    cf_view_free(c->token_view);
    cf_view_free(c->policy_view);
    c->sys_view = c->token_view = c->policy_view = NULL;
}

void cf_core_free(struct cf_core *c)
{
    if (!c)
        return;
    cf_ha_free(c->ha);
    cf_forwarder_free(c->fwd);
    teardown(c);
    cf_seal_free(c->seal);
    cf_barrier_free(c->barrier);
    pthread_rwlock_destroy(&c->state);
    pthread_mutex_destroy(&c->unseal_mu);
    free(c);
}

/* Reads or creates the cluster name and id (kept across restarts). */
static int cluster_info(struct cf_core *c)
{
    yajl_val v;
    uint8_t *raw;
    size_t len;
    int rc = cf_barrier_get(c->barrier, CLUSTER_INFO_KEY, &raw, &len);
    if (!rc) {
        char err[64];
        v = cf_json_parse((const char *)raw, len, err, sizeof err);
        cf_free_secret(raw, len);
        const char *n = cf_json_get_str(v, "name"), *id = cf_json_get_str(v, "id");
        if (n && id) {
            snprintf(c->cluster_name, sizeof c->cluster_name, "%s", n);
            snprintf(c->cluster_id, sizeof c->cluster_id, "%s", id);
        }
        if (v)
            yajl_tree_free(v);
        return n && id ? 0 : CF_EIO;
    }
    if (rc != CF_ENOENT)
        return rc;
    if (cf_uuid(c->cluster_id))
        return CF_EIO;
    if (c->cfg->cluster_name && *c->cfg->cluster_name)
        snprintf(c->cluster_name, sizeof c->cluster_name, "%s", c->cfg->cluster_name);
    else
        snprintf(c->cluster_name, sizeof c->cluster_name, "vault-cluster-%.8s", c->cluster_id);
    struct cf_json j;
    char *s;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "name", c->cluster_name);
    cf_json_kstr(&j, "id", c->cluster_id);
    cf_json_obj_close(&j);
    if ((rc = cf_json_finish(&j, &s)))
        return rc;
    rc = cf_barrier_put(c->barrier, CLUSTER_INFO_KEY, (const uint8_t *)s, strlen(s));
    free(s);
    return rc;
}

/* Token revocation destroys the token's cubbyhole. */
static void on_revoke(void *arg, const struct cf_token *t)
{
    struct cf_core *c = arg;
    if (!c->mounts || !t->cubbyhole_id)
        return;
    struct cf_mount *m = cf_mounts_match(c->mounts, "cubbyhole/");
    if (!m)
        return;
    cf_cubbyhole_destroy(m, t->cubbyhole_id);
    cf_mounts_release(c->mounts);
}

int cf_core_token_mount_state(struct cf_core *c, struct cf_mount *m, void **state)
{
    long long def = m->default_lease_ttl ? m->default_lease_ttl : c->cfg->default_lease_ttl;
    long long max = m->max_lease_ttl ? m->max_lease_ttl : c->cfg->max_lease_ttl;
    return cf_token_backend_state(c->tokens, c->policies, def, max, state);
}

static int build_state(struct cf_core *c, struct coffer_err *err)
{
    int rc = cf_view_new(c->barrier, "sys/", &c->sys_view);
    if (!rc)
        rc = cf_view_new(c->barrier, "sys/token/", &c->token_view);
    if (!rc)
        rc = cf_view_new(c->barrier, "sys/policy/", &c->policy_view);
    if (!rc && (rc = cluster_info(c)))
        snprintf(err->msg, sizeof err->msg, "cannot read cluster info: %s", cf_strerror(rc));
    if (!rc && (rc = cf_policy_store_new(c->policy_view, &c->policies)))
        snprintf(err->msg, sizeof err->msg, "cannot open the policy store: %s", cf_strerror(rc));
    if (!rc && (rc = cf_token_store_new(c->token_view, &c->log, &c->tokens)))
        snprintf(err->msg, sizeof err->msg, "cannot open the token store: %s", cf_strerror(rc));
    if (!rc)
        cf_token_store_on_revoke(c->tokens, on_revoke, c);
    if (!rc)
        rc = cf_mounts_load(c, c->barrier, &c->mounts, err);
    if (!rc) {
        c->unsealed_at_ns = cf_now_ns();
        c->ready = 1;
    }
    return rc;
}

int cf_core_post_unseal(struct cf_core *c, struct coffer_err *err)
{
    pthread_rwlock_wrlock(&c->state);
    int rc = c->ready ? 0 : build_state(c, err);
    if (rc) {
        teardown(c);
        cf_barrier_seal(c->barrier);
    }
    pthread_rwlock_unlock(&c->state);
    if (!rc)
        cf_log(&c->log, CF_LOG_DEBUG, "core: unsealed state built");
    else
        cf_log(&c->log, CF_LOG_ERROR, "core: post-unseal setup failed: %s", err->msg);
    return rc;
}

int cf_core_seal(struct cf_core *c)
{
    pthread_mutex_lock(&c->unseal_mu);
    if (c->ha)
        cf_ha_stop(c->ha);   /* leaves active mode and unlocks first */
    pthread_rwlock_wrlock(&c->state);
    teardown(c);
    int rc = cf_seal_seal(c->seal);
    pthread_rwlock_unlock(&c->state);
    pthread_mutex_unlock(&c->unseal_mu);
    cf_log(&c->log, CF_LOG_INFO, "core: vault is sealed");
    return rc;
}

int cf_core_unseal(struct cf_core *c, const char *key, int *unsealed,
                   struct coffer_err *err)
{
    pthread_mutex_lock(&c->unseal_mu);
    int rc = cf_seal_submit(c->seal, key, unsealed, err);
    if (!rc && *unsealed && c->ha) {
        /* A standby builds nothing; the HA threads decide who is active. */
        pthread_rwlock_wrlock(&c->state);
        rc = cluster_info(c);
        pthread_rwlock_unlock(&c->state);
        if (!rc)
            rc = cf_ha_start(c->ha);
        if (rc) {
            snprintf(err->msg, sizeof err->msg, "cannot start HA: %s", cf_strerror(rc));
            cf_seal_seal(c->seal);
        } else {
            cf_log(&c->log, CF_LOG_INFO, "core: vault is unsealed; entering standby mode");
        }
    } else if (!rc && *unsealed && !c->ready) {
        rc = cf_core_post_unseal(c, err);
        if (!rc)
            cf_log(&c->log, CF_LOG_INFO, "core: vault is unsealed");
    }
    if (rc && unsealed)
        *unsealed = 0;
    pthread_mutex_unlock(&c->unseal_mu);
    return rc;
}

int cf_core_initialize(struct cf_core *c, int shares, int threshold,
                       const char *root_token_id, struct cf_seal_keys **keys,
                       char **root_token, struct coffer_err *err)
{
    pthread_mutex_lock(&c->unseal_mu);
    struct cf_seal_keys *k = NULL;
    char *tok = NULL;
    int rc = cf_seal_initialize(c->seal, shares, threshold, &k, err);
    if (rc) {
        /* Nothing was written: above all, a running node stays unsealed. */
        pthread_mutex_unlock(&c->unseal_mu);
        return rc;
    }
    /* Unseal once with the new shares to write the first mount table and the
     * root token, then seal again: the operator unseals for real. */
    for (size_t i = 0; !rc && i < (size_t)threshold; i++) {
        char *hex;
        int done = 0;
        rc = cf_hex_encode(k->keys[i], k->len, &hex);
        if (!rc) {
            rc = cf_seal_submit(c->seal, hex, &done, err);
            cf_free_secret_str(hex);
        }
    }
    if (!rc)
        rc = cf_core_post_unseal(c, err);
    if (!rc) {
        pthread_rwlock_rdlock(&c->state);
        rc = cf_token_create_root(c->tokens, root_token_id, &tok);
        pthread_rwlock_unlock(&c->state);
        if (rc)
            snprintf(err->msg, sizeof err->msg, "cannot create the root token: %s", cf_strerror(rc));
    }
    pthread_rwlock_wrlock(&c->state);
    teardown(c);
    cf_seal_seal(c->seal);
    pthread_rwlock_unlock(&c->state);
    pthread_mutex_unlock(&c->unseal_mu);
    if (rc) {
        cf_seal_keys_free(k);
        cf_free_secret_str(tok);
        return rc;
    }
    *keys = k;
    *root_token = tok;
    return 0;
}

int cf_core_unsealed(struct cf_core *c)
{
    return !cf_barrier_sealed(c->barrier);
}

static int ha_activate(void *arg, struct coffer_err *err)
{
    struct cf_core *c = arg;
    pthread_rwlock_wrlock(&c->state);
    /* Build from storage afresh: the previous active may have changed it. */
    teardown(c);
    int rc = build_state(c, err);
    if (rc)
        teardown(c);
    pthread_rwlock_unlock(&c->state);
    if (!rc)
        cf_log(&c->log, CF_LOG_INFO, "core: entering active mode");
    return rc;
}

static void ha_deactivate(void *arg)
{
    struct cf_core *c = arg;
    /* The write lock waits for every request still served as active. */
    pthread_rwlock_wrlock(&c->state);
    teardown(c);
    pthread_rwlock_unlock(&c->state);
    cf_log(&c->log, CF_LOG_INFO, "core: entering standby mode");
}

static void ha_cluster_start(void *arg, const char *cert, const char *key, const char *name)
{
    struct cf_core *c = arg;
    if (c->fwd)
        cf_forwarder_cluster_start(c->fwd, cert, key, name);
}

static void ha_cluster_stop(void *arg)
{
    struct cf_core *c = arg;
    if (c->fwd)
        cf_forwarder_cluster_stop(c->fwd);
}

int cf_core_enable_forwarding(struct cf_core *c, struct cf_transport_backend *tb)
{
    return cf_forwarder_new(c, tb, &c->fwd);
}

int cf_core_enable_ha(struct cf_core *c, struct cf_ha_backend *be,
                      const char *api_addr, const char *cluster_addr)
{
    snprintf(c->api_addr, sizeof c->api_addr, "%s", api_addr);
    if (cf_uuid(c->node_id))
        return CF_EIO;
    if (gethostname(c->hostname, sizeof c->hostname - 1))
        snprintf(c->hostname, sizeof c->hostname, "localhost");
    struct cf_ha_cfg cfg = {
        .api_addr = api_addr,
        .cluster_addr = cluster_addr,
        .node_id = c->node_id,
        .hostname = c->hostname,
    };
    struct cf_ha_hooks hooks = {c, ha_activate, ha_deactivate, ha_cluster_start,
                                ha_cluster_stop};
    return cf_ha_new(be, c->barrier, &cfg, &hooks, &c->log, &c->ha);
}

void cf_core_tidy(struct cf_core *c)
{
    pthread_rwlock_rdlock(&c->state);
    if (c->ready && (!c->ha || cf_ha_serving(c->ha))) {
        size_t n = 0;
        if (cf_token_store_tidy(c->tokens, &n) == 0 && n)
            cf_log(&c->log, CF_LOG_INFO, "core: revoked %zu expired token(s)", n);
    }
    pthread_rwlock_unlock(&c->state);
}
