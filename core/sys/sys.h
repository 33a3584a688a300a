/* The system backend (sys/...): seal lifecycle, health, HA status, mounts,
 * policies, capabilities. One long-lived instance per node, created while
 * sealed; it reaches the node's lifecycle only through the callbacks it is
 * handed, and the unsealed state (mounts, tokens, policies) only through
 * the backend environment of its sys/ mount. */
#ifndef CF_SYS_H
#define CF_SYS_H

#include <stddef.h>
#include "request/backend.h"

struct cf_sys;
struct cf_ha;
struct cf_ha_peer;
struct cf_seal;
struct cf_seal_keys;
struct cf_barrier;
struct cf_config;
struct cf_policy_store;

/* The node's lifecycle (core.c). Called on request threads. */
struct cf_sys_node {
    void *arg;
    /* Shares/threshold as in sys/init; fills keys and the root token. */
    int (*initialize)(void *arg, int shares, int threshold, struct cf_seal_keys **keys,
                      char **root_token, struct coffer_err *err);
    int (*unseal)(void *arg, const char *key, int *unsealed, struct coffer_err *err);
    /* Take the node's state lock exclusively: never called from inside
     * the shared section (the routes are EXCLUSIVE). */
    int (*seal)(void *arg);
    int (*step_down)(void *arg);
    /* Cluster name and id ("" when unknown); active_only: only once the
     * active state is built (seal-status), else whenever known (health). */
    void (*cluster)(void *arg, int active_only, char name[128], char id[37]);
    /* Optional: the standbys heard from within max_age_ms (free *out). */
    int (*peers)(void *arg, int max_age_ms, struct cf_ha_peer **out, size_t *n);
};

/* Everything borrowed; it must outlive the instance. */
struct cf_sys_env {
    const struct cf_config *cfg;
    const struct cf_logger *log;
    struct cf_seal *seal;
    struct cf_barrier *barrier;
    const char *storage_type;
    struct cf_sys_node node;
};

int cf_sys_new(const struct cf_sys_env *env, struct cf_sys **out);
/* NULL is fine. */
void cf_sys_free(struct cf_sys *s);
/* On an HA node: its state machine and identity (borrowed). */
void cf_sys_set_ha(struct cf_sys *s, struct cf_ha *ha, const char *node_id,
                   const char *hostname);

/* Mounted at sys/ with the cf_sys as its type_arg. */
extern const struct cf_backend cf_sys_backend;

/* Whether path (a whole request path) is one that every node answers in
 * any state, without a token: sys/init, seal-status, unseal, health,
 * leader. The gate serves those through cf_sys_local. */
int cf_sys_is_local(const char *path);
void cf_sys_local(struct cf_sys *s, struct cf_request *req, struct cf_result *res);
/* Vault's error for a path a standby must answer itself (sys/seal), or
 * NULL: forward it. */
const char *cf_sys_standby_refusal(const char *path);

/* sys/policy, sys/policy/<name>, sys/policies/acl, sys/policies/acl/<name>
 * (rel = the path after "sys/"). Returns 0 with res filled (including
 * error results), or CF_ENOENT when rel is none of these. */
int cf_sys_policy_handle(struct cf_policy_store *ps, struct cf_request *req,
                         const char *rel, struct cf_result *res);

#endif
