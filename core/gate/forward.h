/* Request forwarding between the nodes of an HA cluster, over the
 * transport plugin: the active node serves forwarded requests on its
 * cluster port(s) through the handler it was handed; a standby relays
 * client requests to the active node and sends it heartbeats (which feed
 * sys/ha-status). How requests and answers become frames is the codec's
 * business (the HTTP layer's), not the forwarder's. */
#ifndef CF_FORWARD_H
#define CF_FORWARD_H

#include <stdint.h>
#include <coffer/transport.h>
#include "ha/ha.h"
#include "request/request.h"

struct cf_forwarder;
struct cf_transport_backend;

/* Serves one forwarded request on the active node (the gate). */
typedef void (*cf_fwd_handler)(void *arg, struct cf_request *req, struct cf_result *res);

/* http/fwd_codec.h's functions, handed over by the composition root. */
struct cf_fwd_codec {
    int (*request_encode)(const struct cf_request *req, struct coffer_fwd_request *out);
    void (*request_release)(struct coffer_fwd_request *fr);
    int (*request_decode)(const struct coffer_fwd_request *fr, struct cf_request **out,
                          struct cf_result *res);
    void (*response_encode)(const struct cf_result *res, const char *request_id,
                            struct coffer_fwd_response *out);
    int (*response_decode)(const struct coffer_fwd_response *resp, struct cf_result *res);
};

/* Everything borrowed; it must outlive the forwarder. */
struct cf_forwarder_cfg {
    const char *node_id; /* advertised in heartbeats */
    const char *api_addr;
    const char *cluster_addr; /* may be NULL */
    const char *hostname;
    const char *const *listen; /* the listeners' cluster_address ("host:port") */
    size_t nlisten;
    int request_timeout_ms; /* one forwarded round trip */
    cf_fwd_handler handle;
    void *handle_arg;
    const struct cf_fwd_codec *codec;
};

/* cfg, tb, ha and log are borrowed and outlive the forwarder. */
int cf_forwarder_new(const struct cf_forwarder_cfg *cfg, struct cf_transport_backend *tb,
                     struct cf_ha *ha, const struct cf_logger *log,
                     struct cf_forwarder **out);
/* Stops heartbeats and listeners, hangs up, frees. NULL is fine. */
void cf_forwarder_free(struct cf_forwarder *f);

/* Active side: listen on every cluster address with this activation's
 * identity (borrowed), and stop. */
void cf_forwarder_cluster_start(struct cf_forwarder *f, const char *cert_pem,
                                const char *key_pem, const char *name);
void cf_forwarder_cluster_stop(struct cf_forwarder *f);

/* Standby side: relays req to the active node and fills res with its
 * answer. Non-zero when it could not (the caller answers 307). */
int cf_forwarder_send(struct cf_forwarder *f, const struct cf_request *req,
                      struct cf_result *res);

/* Copies of the peers heard from within max_age_ms (caller frees *out). */
int cf_forwarder_peers(struct cf_forwarder *f, int max_age_ms, struct cf_ha_peer **out,
                       size_t *n);
#endif
