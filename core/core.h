/* The node: the composition root. It owns one instance of every layer
 * (barrier, seal, gate, sys; once unsealed and active: token and policy
 * stores, mount table, router; with HA: the state machine and the
 * forwarder), wires each to the next with the callbacks it is handed, and
 * runs the lifecycle sealed → unsealed (standby | active) → sealed. One
 * instance per server; tests may run several in one process. */
#ifndef CF_CORE_H
#define CF_CORE_H

#include <yajl/yajl_tree.h>
#include <coffer/errors.h>
#include "config/config.h"
#include "util/log.h"

struct cf_core;
struct cf_gate;
struct cf_physical;
struct cf_ha_backend;
struct cf_transport_backend;
struct cf_seal_keys;

/* Creates the node over an open physical store; cfg, log and phys are
 * borrowed and outlive it. Sealed. */
int cf_core_new(const struct cf_config *cfg, const struct cf_logger *log,
                struct cf_physical *phys, const char *storage_type, struct cf_core **out);
void cf_core_free(struct cf_core *c);

/* Where requests enter: hand it with cf_gate_handle to the listeners. */
struct cf_gate *cf_core_gate(struct cf_core *c);

/* Turns on HA over an open backend; standbys forward over tb (NULL:
 * redirect only). Both borrowed, outliving the node; api_addr and
 * cluster_addr are copied. Call once, before unsealing. */
int cf_core_enable_ha(struct cf_core *c, struct cf_ha_backend *be,
                      struct cf_transport_backend *tb, const char *api_addr,
                      const char *cluster_addr);

/* Initializes with shares/threshold (root_token_id NULL: random); fills
 * the keys and the root token (caller frees both with their free
 * functions). Leaves the node sealed. */
int cf_core_initialize(struct cf_core *c, int shares, int threshold,
                       const char *root_token_id, struct cf_seal_keys **keys,
                       char **root_token, struct coffer_err *err);
/* Submits one key share; *unsealed set when the threshold was met and the
 * node is up (active, or a standby racing for the lock). */
int cf_core_unseal(struct cf_core *c, const char *key, int *unsealed,
                   struct coffer_err *err);
/* Leaves active duty, tears the unsealed state down and seals. */
int cf_core_seal(struct cf_core *c);

/* Mounts type at path on the active node (dev mode's secret/); options as
 * a sys/mounts body. CF_ESEALED when the node is not active. */
int cf_core_mount(struct cf_core *c, const char *path, const char *type, yajl_val options,
                  struct coffer_err *err);

/* Housekeeping on the active node: revokes expired tokens. */
void cf_core_tidy(struct cf_core *c);

#endif
