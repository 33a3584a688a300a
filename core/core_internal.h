/* The core instance. Only the files of core/ and core/sys/ see its fields;
 * backends get what they need through their mount state. */
#ifndef CF_CORE_INTERNAL_H
#define CF_CORE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "core.h"
#include "seal/barrier.h"
#include "router/mounts.h"
#include "plugin/physical.h"
#include "seal/seal.h"

struct cf_core {
    const struct cf_config *cfg;        /* borrowed */
    struct cf_logger log;
    struct cf_physical *phys;           /* borrowed */
    struct cf_barrier *barrier;
    struct cf_seal *seal;
    const char *storage_type;

    /* Held shared by every request past the seal gate and exclusively while
     * the unsealed state below is built or torn down. */
    pthread_rwlock_t state;
    int ready;                          /* unsealed state built */
    struct cf_view *sys_view;           /* "sys/" */
    struct cf_view *token_view;         /* "sys/token/" */
    struct cf_view *policy_view;        /* "sys/policy/" */
    struct cf_token_store *tokens;
    struct cf_policy_store *policies;
    struct cf_mount_table *mounts;
    char cluster_name[128];
    char cluster_id[37];
    int64_t unsealed_at_ns;

    pthread_mutex_t unseal_mu;          /* serializes unseal/seal transitions */

    /* HA (NULL without an HA backend): the node is active only while
     * cf_ha_serving() says so; standbys keep the barrier unsealed to read
     * the leader's advertisement but build no active state. */
    struct cf_ha *ha;
    struct cf_forwarder *fwd;           /* NULL: redirect only */
    char api_addr[512];
    char node_id[37];
    char hostname[256];
    int dev;                            /* dev mode: no sudo shortcuts, just labels */
};

/* Creates the core over an open physical store (borrowed). Sealed. */
int cf_core_new(const struct cf_config *cfg, const struct cf_logger *log,
                struct cf_physical *phys, const char *storage_type,
                struct cf_core **out);
void cf_core_free(struct cf_core *c);

/* Builds the unsealed state (mounts, tokens, policies) after the barrier
 * was unsealed. Takes the state lock exclusively. */
int cf_core_post_unseal(struct cf_core *c, struct coffer_err *err);
/* Tears it down and seals the barrier. */
int cf_core_seal(struct cf_core *c);
/* Initializes with shares/threshold; fills the keys and the root token
 * (caller frees both with their free functions). Leaves the core sealed. */
int cf_core_initialize(struct cf_core *c, int shares, int threshold,
                       const char *root_token_id, struct cf_seal_keys **keys,
                       char **root_token, struct coffer_err *err);
/* Unseals with one key share; *unsealed set when the threshold was met and
 * the unsealed state is up. */
int cf_core_unseal(struct cf_core *c, const char *key, int *unsealed,
                   struct coffer_err *err);

/* Turns on HA over an open backend (borrowed; must outlive the core).
 * api_addr/cluster_addr are this node's (borrowed). Call before unsealing. */
struct cf_ha_backend;
int cf_core_enable_ha(struct cf_core *c, struct cf_ha_backend *be,
                      const char *api_addr, const char *cluster_addr);
/* Standbys forward requests over tb (borrowed; must outlive the core).
 * Call before cf_core_enable_ha. */
struct cf_transport_backend;
int cf_core_enable_forwarding(struct cf_core *c, struct cf_transport_backend *tb);

/* Housekeeping on the active node: revokes expired tokens. */
void cf_core_tidy(struct cf_core *c);

/* Whether the barrier is unsealed (a standby is unsealed but not ready). */
int cf_core_unsealed(struct cf_core *c);

/* State for the auth/token/ mount (called by the mount table). */
int cf_core_token_mount_state(struct cf_core *c, struct cf_mount *m, void **state);

#endif
