/* The gate: where every request enters the node, from a listener or from
 * a standby over the cluster port. In order: the paths any node answers in
 * any state (sys/init, seal-status, unseal, health, leader); sealed → 503;
 * standby → forwarded to the active node, or 307 to it; otherwise into the
 * router with the node's state held shared, and last any work the handler
 * left for after (sys/seal, sys/step-down), outside it.
 *
 * The gate also holds that state lock: lifecycle transitions (unseal,
 * activate, seal) close the gate, which waits for the requests inside.
 *
 * Work left for after (res->after: seal, step-down) runs on the gate's
 * own lifecycle thread, one job at a time, never on the request's thread:
 * sealing stops HA, whose locker stops the cluster listener, which joins
 * its workers; run on a worker it would join itself (the F2 deadlock).
 * What must stay true: no thread that a lifecycle operation may join
 * waits for one. A listener's request thread waits for its job and
 * answers with the job's result (listeners are stopped only by the main
 * thread, which runs no job); a request that came over the cluster port
 * is answered first, its job runs after, and a failure is only logged. */
#ifndef CF_GATE_H
#define CF_GATE_H

#include "request/request.h"

struct cf_gate;
struct cf_ha;
struct cf_forwarder;
struct cf_logger;

/* What the gate is handed by the composition root. Called on request
 * threads, concurrently. */
struct cf_gate_routes {
    void *arg;
    /* 1 when req is served on any node in any state, without a token and
     * outside the state lock: local() answers it. */
    int (*is_local)(void *arg, const struct cf_request *req);
    void (*local)(void *arg, struct cf_request *req, struct cf_result *res);
    /* The router; runs with the state held shared on a node that serves as
     * active and whose active state is built. */
    void (*route)(void *arg, struct cf_request *req, struct cf_result *res);
    /* 1 while the barrier is unsealed. */
    int (*unsealed)(void *arg);
};

/* routes and log are copied / borrowed (log must outlive the gate). */
int cf_gate_new(const struct cf_gate_routes *routes, const struct cf_logger *log,
                struct cf_gate **out);
/* Stops the lifecycle thread: the job it runs finishes, queued ones never
 * run (their requests get 503), later ones are refused. Waits for it, so
 * call it from a thread no job waits on (the main thread), before tearing
 * down what jobs call into (HA, the forwarder). Idempotent. */
void cf_gate_stop(struct cf_gate *g);
/* Stops it first. NULL is fine. */
void cf_gate_free(struct cf_gate *g);

/* HA: a node that does not serve as active answers through fwd (NULL:
 * redirect only) or with a 307 to the leader, never to itself (node_id).
 * All borrowed; call before the first request. */
void cf_gate_set_ha(struct cf_gate *g, struct cf_ha *ha, struct cf_forwarder *fwd,
                    const char *node_id);

/* Optional, before the first request: refusal(routes->arg, req) gives the
 * error a standby answers req with itself (status 500) instead of
 * forwarding it, or NULL to forward (sys/seal: "vault cannot seal when in
 * standby mode; please restart instead"). */
void cf_gate_set_standby_refusal(struct cf_gate *g,
                                 const char *(*refusal)(void *arg,
                                                        const struct cf_request *req));

/* Serves one request into res (zeroed by the caller). Never fails. The
 * signature of a listener's and the forwarder's handler: gate is the
 * struct cf_gate. */
void cf_gate_handle(void *gate, struct cf_request *req, struct cf_result *res);
/* cf_http_inline_fn: 1 for a read (GET, LIST) that this node answers
 * itself without asking the lock service first, a non-HA node or an
 * active one within its lease; such a request never waits on the network
 * before storage, so the listener may run it on its epoll thread. */
int cf_gate_inline_ok(void *gate, const struct cf_request *req);

/* The state lock. hold/release: shared, for readers of the unsealed
 * state outside a request (tidy, dev setup); ready says whether that state
 * is built, valid while held. close/reopen: exclusive, for transitions;
 * reopen sets ready. */
void cf_gate_hold(struct cf_gate *g);
void cf_gate_release(struct cf_gate *g);
int cf_gate_ready(const struct cf_gate *g);
void cf_gate_close(struct cf_gate *g);
void cf_gate_reopen(struct cf_gate *g, int ready);

#endif
