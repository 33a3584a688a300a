/* The node (see core.h): builds the layers, registers the backend types,
 * hands each layer the callbacks it needs, and runs the lifecycle under
 * the gate's state lock. */
#include "core.h"
#include "auth/auth.h"
#include "engines/engines.h"
#include "gate/forward.h"
#include "gate/gate.h"
#include "ha/ha.h"
#include "http/fwd_codec.h"
#include "router/mounts.h"
#include "router/registry.h"
#include "router/router.h"
#include "seal/barrier.h"
#include "seal/seal.h"
#include "seal/view.h"
#include "sys/sys.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/strerror.h"
#include "util/timeutil.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLUSTER_INFO_KEY "core/cluster/local/info"
#define MAX_TYPES 8
#define MAX_CLUSTER_LISTENERS 8

struct cf_core {
    const struct cf_config *cfg; /* borrowed */
    struct cf_logger log;
    struct cf_physical *phys; /* borrowed */
    const char *storage_type;
    struct cf_barrier *barrier;
    struct cf_seal *seal;
    struct cf_backend_type types[MAX_TYPES];
    struct cf_registry *registry;
    struct cf_sys *sys;
    struct cf_gate *gate;

    /* The unsealed state: built and torn down with the gate closed; read
     * by requests inside it. cluster_* are also set on a standby. */
    struct cf_view *sys_view;    /* "sys/" */
    struct cf_view *token_view;  /* "sys/token/" */
    struct cf_view *policy_view; /* "sys/policy/" */
    struct cf_token_store *tokens;
    struct cf_policy_store *policies;
    struct cf_mount_table *mounts;
    struct cf_router *router;
    char cluster_name[128];
    char cluster_id[37];

    pthread_mutex_t unseal_mu; /* serializes unseal/seal transitions */

    /* HA (NULL without an HA backend): the node is active only while
     * cf_ha_serving() says so; standbys keep the barrier unsealed to read
     * the leader's advertisement but build no active state. */
    struct cf_ha *ha;
    struct cf_forwarder *fwd; /* NULL: redirect only */
    char api_addr[512];
    char cluster_addr[512];
    char node_id[37];
    char hostname[256];
    const char *cluster_listen[MAX_CLUSTER_LISTENERS];
};

static const struct cf_fwd_codec CODEC = {
    cf_fwd_request_encode,  cf_fwd_request_release, cf_fwd_request_decode,
    cf_fwd_response_encode, cf_fwd_response_decode,
};

/* ---- what the gate is handed */

static int gate_is_local(void *arg, const struct cf_request *req)
{
    (void)arg;
    return cf_sys_is_local(req->path);
}

static void gate_local(void *arg, struct cf_request *req, struct cf_result *res)
{
    struct cf_core *c = arg;
    cf_sys_local(c->sys, req, res);
}

static const char *gate_standby_refusal(void *arg, const struct cf_request *req)
{
    (void)arg;
    return cf_sys_standby_refusal(req->path);
}

static void gate_route(void *arg, struct cf_request *req, struct cf_result *res)
{
    struct cf_core *c = arg;
    cf_router_handle(c->router, req, res);
}

static int gate_unsealed(void *arg)
{
    struct cf_core *c = arg;
    return !cf_barrier_sealed(c->barrier);
}

/* ---- what sys/ is handed */

static int node_initialize(void *arg, int shares, int threshold,
                           struct cf_seal_keys **keys, char **root_token,
                           struct coffer_err *err)
{
    return cf_core_initialize(arg, shares, threshold, NULL, keys, root_token, err);
}

static int node_unseal(void *arg, const char *key, int *unsealed, struct coffer_err *err)
{
    return cf_core_unseal(arg, key, unsealed, err);
}

static int node_seal(void *arg) { return cf_core_seal(arg); }

/* Without HA there is nothing to step down from: Vault answers 204. */
static int node_step_down(void *arg)
{
    struct cf_core *c = arg;
    if (c->ha && cf_ha_step_down(c->ha) == 0)
        cf_log(&c->log, CF_LOG_INFO, "core: stepped down from active duty");
    return 0;
}

static void node_cluster(void *arg, int active_only, char name[128], char id[37])
{
    struct cf_core *c = arg;
    name[0] = id[0] = '\0';
    cf_gate_hold(c->gate);
    if (!active_only || cf_gate_ready(c->gate)) {
        memcpy(name, c->cluster_name, sizeof c->cluster_name);
        memcpy(id, c->cluster_id, sizeof c->cluster_id);
    }
    cf_gate_release(c->gate);
}

static int node_peers(void *arg, int max_age_ms, struct cf_ha_peer **out, size_t *n)
{
    struct cf_core *c = arg;
    return c->fwd ? cf_forwarder_peers(c->fwd, max_age_ms, out, n) : CF_ENOTSUP;
}

/* ---- construction */

/* Every type this node can mount. The first three are its own mounts,
 * written into the first mount table. */
static int register_types(struct cf_core *c)
{
    const struct cf_backend_type T[] = {
        {.name = "system",
         .backend = &cf_sys_backend,
         .arg = c->sys,
         .flags = CF_TYPE_BUILTIN,
         .view_prefix = "sys/",
         .default_path = "sys/",
         .default_description =
             "system endpoints used for control, policy and debugging"},
        {.name = "cubbyhole",
         .backend = &cf_cubbyhole_backend,
         .flags = CF_TYPE_BUILTIN,
         .default_path = "cubbyhole/",
         .default_description = "per-token private secret storage"},
        {.name = "token",
         .backend = &cf_token_backend,
         .flags = CF_TYPE_BUILTIN,
         .default_path = "auth/token/",
         .default_description = "token based credentials"},
        {.name = "kv", .backend = &cf_kv_backend, .flags = CF_TYPE_KV_VERSION},
        {.name = "kv-v1",
         .type = "kv",
         .kv_version = 1,
         .backend = &cf_kv_backend,
         .flags = CF_TYPE_KV_VERSION},
        {.name = "kv-v2",
         .type = "kv",
         .kv_version = 2,
         .backend = &cf_kv_backend,
         .flags = CF_TYPE_KV_VERSION},
        {.name = "generic",
         .type = "kv",
         .kv_version = 1,
         .backend = &cf_kv_backend,
         .flags = CF_TYPE_KV_VERSION},
    };
    _Static_assert(sizeof T / sizeof T[0] <= MAX_TYPES, "raise MAX_TYPES");
    int rc = cf_registry_new(&c->registry);
    for (size_t i = 0; !rc && i < sizeof T / sizeof T[0]; i++) {
        c->types[i] = T[i];
        rc = cf_registry_add(c->registry, &c->types[i]);
    }
    return rc;
}

int cf_core_new(const struct cf_config *cfg, const struct cf_logger *log,
                struct cf_physical *phys, const char *storage_type, struct cf_core **out)
{
    struct cf_core *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    c->cfg = cfg;
    c->log = *log;
    c->phys = phys;
    c->storage_type = storage_type;
    pthread_mutex_init(&c->unseal_mu, NULL);
    int rc = cf_barrier_new(phys, &c->barrier);
    if (!rc)
        rc = cf_seal_new(phys, c->barrier, &c->seal);
    struct cf_sys_env se = {
        .cfg = cfg,
        .log = &c->log,
        .seal = c->seal,
        .barrier = c->barrier,
        .storage_type = storage_type,
        .node = {c, node_initialize, node_unseal, node_seal, node_step_down, node_cluster,
                 node_peers},
    };
    if (!rc)
        rc = cf_sys_new(&se, &c->sys);
    struct cf_gate_routes gr = {c, gate_is_local, gate_local, gate_route, gate_unsealed};
    if (!rc)
        rc = cf_gate_new(&gr, &c->log, &c->gate);
    if (!rc) {
        cf_gate_set_standby_refusal(c->gate, gate_standby_refusal);
        rc = register_types(c);
    }
    /* A node alone on its storage is its only writer: the read cache is
     * on from the start (an HA node turns it on while active only). The
     * in-memory store is its own cache. */
    if (!rc && !cfg->disable_cache && strcmp(storage_type, "inmem") &&
        !(rc = cf_physical_cache_init(
              phys, (size_t)(cfg->cache_size > 0 ? cfg->cache_size : 131072))))
        cf_physical_cache_enable(phys, 1);
    if (rc) {
        cf_core_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* Frees the unsealed state; the gate is closed (or no request can come). */
static void teardown(struct cf_core *c)
{
    cf_router_free(c->router);
    c->router = NULL;
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

/* The teardown order, written down once. Every thread is stopped before
 * what it calls into is freed, and nothing is stopped from a thread the
 * stop joins:
 *   0. (server.c) the HTTP listeners: no new request; their threads,
 *      possibly waiting for a lifecycle job, finish first;
 *   1. the gate's lifecycle thread (cf_gate_stop): a running seal or
 *      step-down finishes, queued ones are dropped; it calls into HA;
 *   2. the HA threads (cf_ha_stop): the locker stops the cluster listener
 *      (its workers run the gate) and deactivates; both call into the
 *      forwarder and the gate;
 *   3. the forwarder: its heartbeat reads HA, so it goes before HA;
 *   4. HA, then the unsealed state, the gate, sys, the registry, the seal
 *      and the barrier: no thread is left to read them;
 *   5. (server.c) the transport, HA and storage backends, then the plugins
 *      that hold their code. */
void cf_core_free(struct cf_core *c)
{
    if (!c)
        return;
    if (c->gate)
        cf_gate_stop(c->gate);
    if (c->ha)
        cf_ha_stop(c->ha);
    cf_forwarder_free(c->fwd);
    c->fwd = NULL;
    cf_ha_free(c->ha);
    teardown(c);
    cf_gate_free(c->gate);
    cf_sys_free(c->sys);
    cf_registry_free(c->registry);
    cf_seal_free(c->seal);
    cf_barrier_free(c->barrier);
    pthread_mutex_destroy(&c->unseal_mu);
    free(c);
}

struct cf_gate *cf_core_gate(struct cf_core *c) { return c->gate; }

/* ---- the unsealed state */

static int write_cluster_info(struct cf_core *c)
{
    if (cf_uuid(c->cluster_id))
        return CF_EIO;
    if (c->cfg->cluster_name && *c->cfg->cluster_name)
        snprintf(c->cluster_name, sizeof c->cluster_name, "%s", c->cfg->cluster_name);
    else
        snprintf(c->cluster_name, sizeof c->cluster_name, "vault-cluster-%.8s",
                 c->cluster_id);
    struct cf_json j;
    char *s;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "name", c->cluster_name);
    cf_json_kstr(&j, "id", c->cluster_id);
    cf_json_obj_close(&j);
    int rc = cf_json_finish(&j, &s);
    if (rc)
        return rc;
    rc = cf_barrier_put(c->barrier, CLUSTER_INFO_KEY, (const uint8_t *)s, strlen(s));
    free(s);
    return rc;
}

/* Reads or creates the cluster name and id (kept across restarts). The
 * gate is closed. */
static int cluster_info(struct cf_core *c)
{
    uint8_t *raw;
    size_t len;
    int rc = cf_barrier_get(c->barrier, CLUSTER_INFO_KEY, &raw, &len);
    if (rc == CF_ENOENT)
        return write_cluster_info(c);
    if (rc)
        return rc;
    yajl_val v = NULL;
    cf_json_parse((const char *)raw, len, &v, NULL);
    cf_free_secret(raw, len);
    const char *n = cf_json_get_str(v, "name"), *id = cf_json_get_str(v, "id");
    if (n && id) {
        snprintf(c->cluster_name, sizeof c->cluster_name, "%s", n);
        snprintf(c->cluster_id, sizeof c->cluster_id, "%s", id);
    }
    if (v)
        cf_json_free(v);
    return n && id ? 0 : CF_EIO;
}

/* Token revocation reaches every mount (the cubbyhole drops the token's
 * data). Runs with the token store locked. */
static void on_revoke(void *arg, const struct cf_token *t)
{
    struct cf_core *c = arg;
    if (c->mounts)
        cf_mounts_token_revoked(c->mounts, t);
}

static int open_stores(struct cf_core *c, struct coffer_err *err)
{
    int rc = cf_view_new(c->barrier, "sys/", &c->sys_view);
    if (!rc)
        rc = cf_view_new(c->barrier, "sys/token/", &c->token_view);
    if (!rc)
        rc = cf_view_new(c->barrier, "sys/policy/", &c->policy_view);
    if (!rc && (rc = cluster_info(c)))
        snprintf(err->msg, sizeof err->msg, "cannot read cluster info: %s",
                 cf_strerror(rc));
    if (!rc && (rc = cf_policy_store_new(c->policy_view, &c->policies)))
        snprintf(err->msg, sizeof err->msg, "cannot open the policy store: %s",
                 cf_strerror(rc));
    if (!rc && (rc = cf_token_store_new(c->token_view, &c->log, &c->tokens)))
        snprintf(err->msg, sizeof err->msg, "cannot open the token store: %s",
                 cf_strerror(rc));
    if (!rc)
        cf_token_store_on_revoke(c->tokens, on_revoke, c);
    return rc;
}

/* Builds the active state; the gate is closed. */
static int build_state(struct cf_core *c, struct coffer_err *err)
{
    int rc = open_stores(c, err);
    struct cf_backend_env env = {
        .tokens = c->tokens,
        .policies = c->policies,
        .log = &c->log,
        .default_lease_ttl = c->cfg->default_lease_ttl,
        .max_lease_ttl = c->cfg->max_lease_ttl,
    };
    if (!rc)
        rc = cf_mounts_load(c->registry, c->barrier, &env, &c->mounts, err);
    if (!rc)
        rc = cf_router_new(c->mounts, c->tokens, c->policies, &c->log, &c->router);
    return rc;
}

static int post_unseal(struct cf_core *c, struct coffer_err *err)
{
    cf_gate_close(c->gate);
    int rc = cf_gate_ready(c->gate) ? 0 : build_state(c, err);
    if (rc) {
        teardown(c);
        cf_barrier_seal(c->barrier);
    }
    cf_gate_reopen(c->gate, !rc);
    if (!rc)
        cf_log(&c->log, CF_LOG_DEBUG, "core: unsealed state built");
    else
        cf_log(&c->log, CF_LOG_ERROR, "core: post-unseal setup failed: %s", err->msg);
    return rc;
}

/* ---- the lifecycle */

int cf_core_seal(struct cf_core *c)
{
    pthread_mutex_lock(&c->unseal_mu);
    if (c->ha)
        cf_ha_stop(c->ha); /* leaves active mode and unlocks first */
    cf_gate_close(c->gate);
    teardown(c);
    int rc = cf_seal_seal(c->seal);
    cf_gate_reopen(c->gate, 0);
    pthread_mutex_unlock(&c->unseal_mu);
    cf_log(&c->log, CF_LOG_INFO, "core: vault is sealed");
    return rc;
}

/* An HA node builds nothing at unseal: its HA threads decide who is
 * active. It reads the cluster info for sys/health. */
static int unseal_ha(struct cf_core *c, struct coffer_err *err)
{
    cf_gate_close(c->gate);
    int rc = cluster_info(c);
    cf_gate_reopen(c->gate, cf_gate_ready(c->gate));
    if (!rc)
        rc = cf_ha_start(c->ha);
    if (rc) {
        snprintf(err->msg, sizeof err->msg, "cannot start HA: %s", cf_strerror(rc));
        cf_seal_seal(c->seal);
    } else {
        cf_log(&c->log, CF_LOG_INFO, "core: vault is unsealed; entering standby mode");
    }
    return rc;
}

int cf_core_unseal(struct cf_core *c, const char *key, int *unsealed,
                   struct coffer_err *err)
{
    pthread_mutex_lock(&c->unseal_mu);
    int rc = cf_seal_submit(c->seal, key, unsealed, err);
    if (!rc && *unsealed && c->ha) {
        rc = unseal_ha(c, err);
    } else if (!rc && *unsealed) {
        cf_gate_hold(c->gate);
        int ready = cf_gate_ready(c->gate);
        cf_gate_release(c->gate);
        if (!ready && !(rc = post_unseal(c, err)))
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
        rc = post_unseal(c, err);
    if (!rc) {
        cf_gate_hold(c->gate);
        rc = cf_token_create_root(c->tokens, root_token_id, &tok);
        cf_gate_release(c->gate);
        if (rc)
            snprintf(err->msg, sizeof err->msg, "cannot create the root token: %s",
                     cf_strerror(rc));
    }
    cf_gate_close(c->gate);
    teardown(c);
    cf_seal_seal(c->seal);
    cf_gate_reopen(c->gate, 0);
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

int cf_core_mount(struct cf_core *c, const char *path, const char *type, yajl_val options,
                  struct coffer_err *err)
{
    cf_gate_hold(c->gate);
    int rc = cf_gate_ready(c->gate)
        ? cf_mounts_enable(c->mounts, path, type, options, err)
        : CF_ESEALED;
    cf_gate_release(c->gate);
    return rc;
}

void cf_core_tidy(struct cf_core *c)
{
    cf_gate_hold(c->gate);
    if (cf_gate_ready(c->gate) && (!c->ha || cf_ha_serving(c->ha))) {
        size_t n = 0;
        if (cf_token_store_tidy(c->tokens, &n) == 0 && n)
            cf_log(&c->log, CF_LOG_INFO, "core: revoked %zu expired token(s)", n);
        int rotated = 0, rc = cf_barrier_housekeep(c->barrier, &rotated);
        if (rc)
            cf_log(&c->log, CF_LOG_WARN, "core: barrier housekeeping failed: %s",
                   cf_strerror(rc));
        else if (rotated)
            cf_log(&c->log, CF_LOG_INFO, "core: barrier key rotated automatically");
    }
    cf_gate_release(c->gate);
}

/* ---- HA: what the state machine is handed */

static int ha_activate(void *arg, struct coffer_err *err)
{
    struct cf_core *c = arg;
    cf_gate_close(c->gate);
    /* Build from storage afresh: the previous active may have changed it;
     * from here on this node is the only writer, so the cache (emptied)
     * may hold what it reads. */
    teardown(c);
    cf_physical_cache_enable(c->phys, 1);
    int rc = build_state(c, err);
    if (rc)
        cf_physical_cache_enable(c->phys, 0);
    if (rc)
        teardown(c);
    cf_gate_reopen(c->gate, !rc);
    if (!rc)
        cf_log(&c->log, CF_LOG_INFO, "core: entering active mode");
    return rc;
}

static void ha_deactivate(void *arg)
{
    struct cf_core *c = arg;
    /* Closing waits for every request still served as active. */
    cf_gate_close(c->gate);
    teardown(c);
    cf_physical_cache_enable(c->phys, 0);
    cf_gate_reopen(c->gate, 0);
    cf_log(&c->log, CF_LOG_INFO, "core: entering standby mode");
}

static void ha_cluster_start(void *arg, const char *cert, const char *key,
                             const char *name)
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

/* Standbys forward over tb; without it (or when it cannot start) they
 * redirect. */
static void enable_forwarding(struct cf_core *c, struct cf_transport_backend *tb)
{
    const struct cf_config *cfg = c->cfg;
    size_t n = 0;
    for (size_t i = 0; i < cfg->nlisteners && n < MAX_CLUSTER_LISTENERS; i++)
        if (cfg->listeners[i].cluster_address && *cfg->listeners[i].cluster_address)
            c->cluster_listen[n++] = cfg->listeners[i].cluster_address;
    long long dur = cfg->nlisteners ? cfg->listeners[0].max_request_duration : 0;
    struct cf_forwarder_cfg fc = {
        .node_id = c->node_id,
        .api_addr = c->api_addr,
        .cluster_addr = c->cluster_addr[0] ? c->cluster_addr : NULL,
        .hostname = c->hostname,
        .listen = c->cluster_listen,
        .nlisten = n,
        /* A day at most: the transport takes an int of milliseconds. */
        .request_timeout_ms = (int)((dur > 0 ? (dur < 86400 ? dur : 86400) : 90) * 1000),
        .handle = cf_gate_handle,
        .handle_arg = c->gate,
        .codec = &CODEC,
    };
    if (cf_forwarder_new(&fc, tb, c->ha, &c->log, &c->fwd))
        cf_log(
            &c->log, CF_LOG_WARN,
            "request forwarding off (standbys will redirect): cannot start the forwarder");
}

int cf_core_enable_ha(struct cf_core *c, struct cf_ha_backend *be,
                      struct cf_transport_backend *tb, const char *api_addr,
                      const char *cluster_addr)
{
    snprintf(c->api_addr, sizeof c->api_addr, "%s", api_addr);
    snprintf(c->cluster_addr, sizeof c->cluster_addr, "%s",
             cluster_addr ? cluster_addr : "");
    if (cf_uuid(c->node_id))
        return CF_EIO;
    if (gethostname(c->hostname, sizeof c->hostname - 1))
        snprintf(c->hostname, sizeof c->hostname, "localhost");
    struct cf_ha_cfg cfg = {
        .api_addr = c->api_addr,
        .cluster_addr = cluster_addr ? c->cluster_addr : NULL,
        .node_id = c->node_id,
        .hostname = c->hostname,
    };
    struct cf_ha_hooks hooks = {c, ha_activate, ha_deactivate, ha_cluster_start,
                                ha_cluster_stop};
    int rc = cf_ha_new(be, c->barrier, &cfg, &hooks, &c->log, &c->ha);
    if (rc)
        return rc;
    /* Other nodes write while this one is standby. */
    cf_physical_cache_enable(c->phys, 0);
    if (tb)
        enable_forwarding(c, tb);
    cf_gate_set_ha(c->gate, c->ha, c->fwd, c->node_id);
    cf_sys_set_ha(c->sys, c->ha, c->node_id, c->hostname);
    return 0;
}
