/* Request forwarding between the nodes of an HA cluster, over the
 * transport plugin: the active node serves forwarded requests on its
 * cluster port(s); a standby relays client requests to the active node and
 * sends it heartbeats (which feed sys/ha-status). */
#ifndef CF_FORWARD_H
#define CF_FORWARD_H

#include <stdint.h>
#include "request/request.h"

struct cf_core;
struct cf_forwarder;
struct cf_transport_backend;

/* core and tb are borrowed and outlive the forwarder. */
int cf_forwarder_new(struct cf_core *c, struct cf_transport_backend *tb,
                     struct cf_forwarder **out);
/* Stops heartbeats and listeners, hangs up, frees. NULL is fine. */
void cf_forwarder_free(struct cf_forwarder *f);

/* Active side: listen on every listener's cluster_address with this
 * activation's identity (borrowed), and stop. */
void cf_forwarder_cluster_start(struct cf_forwarder *f, const char *cert_pem,
                                const char *key_pem, const char *name);
void cf_forwarder_cluster_stop(struct cf_forwarder *f);

/* Standby side: relays req to the active node and fills res with its
 * answer. Non-zero when it could not (the caller answers 307). */
int cf_forwarder_send(struct cf_forwarder *f, const struct cf_request *req,
                      struct cf_result *res);

/* A standby that sent a heartbeat recently, as the active node saw it. */
struct cf_peer {
    char node_id[64];
    char api_addr[256];
    char cluster_addr[256];
    char hostname[256];
    char version[32];
    int64_t last_echo_ns;
};

/* Copies of the peers heard from within max_age_ms (caller frees *out). */
int cf_forwarder_peers(struct cf_forwarder *f, int max_age_ms,
                       struct cf_peer **out, size_t *n);
/* Standby: when the last heartbeat reached the active (0 = never) and its
 * round trip. */
void cf_forwarder_last_echo(struct cf_forwarder *f, int64_t *when_ns, int64_t *rtt_us);

#endif
