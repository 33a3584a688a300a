/* The HA state machine of one node: race for the lock, advertise on
 * winning, follow the leader otherwise, and stop serving as active before
 * anyone else can win. Driven by two threads (locker, follower). */
#ifndef CF_HA_H
#define CF_HA_H

#include <stdint.h>
#include <coffer/errors.h>
#include "util/log.h"

struct cf_ha;
struct cf_ha_backend;
struct cf_barrier;

/* How the core reacts to a role change. Called on an HA thread with no HA
 * lock held. activate builds the active state (0 or a CF_E* code and err);
 * deactivate tears it down and returns only when no request is still being
 * served as active. */
struct cf_ha_hooks {
    void *arg;
    int (*activate)(void *arg, struct coffer_err *err);
    void (*deactivate)(void *arg);
    /* Optional: open the cluster port with this activation's identity
     * (borrowed for the call) once active; close it first when leaving. */
    void (*cluster_start)(void *arg, const char *cert_pem, const char *key_pem,
                          const char *name);
    void (*cluster_stop)(void *arg);
};

struct cf_ha_cfg {
    const char *api_addr;     /* this node's, borrowed */
    const char *cluster_addr; /* this node's, borrowed, may be NULL */
    const char *node_id;      /* a UUID made at start */
    const char *hostname;
    int step_down_wait_ms; /* 0 → 10 s, as Vault */
    int lease_ms;          /* 0 → 1000: serve as active only this long
                                    after the lock was last confirmed */
};

/* All arguments borrowed; they must outlive the HA instance. */
int cf_ha_new(struct cf_ha_backend *be, struct cf_barrier *b, const struct cf_ha_cfg *cfg,
              const struct cf_ha_hooks *hooks, const struct cf_logger *log,
              struct cf_ha **out);
/* Starts the threads (after unseal). Idempotent. */
int cf_ha_start(struct cf_ha *h);
/* Stops them (before seal): deactivates and unlocks if active. Idempotent. */
void cf_ha_stop(struct cf_ha *h);
void cf_ha_free(struct cf_ha *h);

struct cf_ha_view {
    int running; /* threads started (node unsealed) */
    int active;  /* holds the lock, state built, lease fresh */
    int leader_known;
    char leader_api[256];
    char leader_cluster[256];
    int64_t active_since_ns; /* of the current leader, 0 if unknown */
    char leader_node_id[64];
    char leader_hostname[256];
};

/* A consistent copy of the node's HA view; cheap (one mutex). */
void cf_ha_view(struct cf_ha *h, struct cf_ha_view *out);
/* The current leader's cluster identity and address as advertised (copies,
 * caller frees each with cf_free_secret_str). *gen changes whenever the
 * leader does. CF_ENOENT when no leader is known. */
int cf_ha_leader_identity(struct cf_ha *h, unsigned *gen, char **cluster_addr,
                          char **cert_pem, char **key_pem, char **name);

/* A standby as the active node last heard from it (its heartbeat). */
struct cf_ha_peer {
    char node_id[64];
    char api_addr[256];
    char cluster_addr[256];
    char hostname[256];
    char version[32];
    int64_t last_echo_ns;
};

/* 1 when this node may serve a request as active right now. */
int cf_ha_serving(struct cf_ha *h);
/* 1 when it may without asking the lock service: active, and the lock
 * confirmed within the lease. Never blocks. */
int cf_ha_serving_now(struct cf_ha *h);
/* Gives up the lock (active only: CF_EINVAL otherwise) and waits
 * step_down_wait_ms before racing again. Returns once no longer active. */
int cf_ha_step_down(struct cf_ha *h);

#endif
