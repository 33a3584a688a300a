/* The gate (see gate.h): seal and HA checks, the standby's answer, the
 * shared section around the router, and work left for after it. */
#include "gate/gate.h"
#include "gate/forward.h"
#include "ha/ha.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/log.h"
#include "util/strerror.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cf_gate {
    struct cf_gate_routes routes;
    const struct cf_logger *log;
    pthread_rwlock_t state;
    int ready;                 /* the active state is built; under state */
    struct cf_ha *ha;          /* NULL: not an HA node */
    struct cf_forwarder *fwd;  /* NULL: redirect only */
    const char *node_id;
};

int cf_gate_new(const struct cf_gate_routes *routes, const struct cf_logger *log,
                struct cf_gate **out)
{
    struct cf_gate *g = calloc(1, sizeof *g);
    if (!g)
        return CF_ENOMEM;
    if (pthread_rwlock_init(&g->state, NULL)) {
        free(g);
        return CF_ENOMEM;
    }
    g->routes = *routes;
    g->log = log;
    *out = g;
    return 0;
}

void cf_gate_free(struct cf_gate *g)
{
    if (!g)
        return;
    pthread_rwlock_destroy(&g->state);
    free(g);
}

void cf_gate_set_ha(struct cf_gate *g, struct cf_ha *ha, struct cf_forwarder *fwd,
                    const char *node_id)
{
    g->ha = ha;
    g->fwd = fwd;
    g->node_id = node_id;
}

void cf_gate_hold(struct cf_gate *g) { pthread_rwlock_rdlock(&g->state); }
void cf_gate_release(struct cf_gate *g) { pthread_rwlock_unlock(&g->state); }
int cf_gate_ready(const struct cf_gate *g) { return g->ready; }
void cf_gate_close(struct cf_gate *g) { pthread_rwlock_wrlock(&g->state); }

void cf_gate_reopen(struct cf_gate *g, int ready)
{
    g->ready = ready;
    pthread_rwlock_unlock(&g->state);
}

/* 307 to the active node's api_addr with the same path and query (307
 * keeps the method and body), or Vault's 500 when no other active node is
 * known. */
static void redirect(struct cf_gate *g, const struct cf_request *req,
                     struct cf_result *res)
{
    struct cf_ha_view v;
    cf_ha_view(g->ha, &v);
    if (!v.leader_known || !v.leader_api[0] ||
        (g->node_id && !strcmp(v.leader_node_id, g->node_id))) {
        cf_result_error(res, 500, "local node not active but active cluster node not found");
        return;
    }
    struct cf_buf loc = {0};
    size_t n = strlen(v.leader_api);
    while (n && v.leader_api[n - 1] == '/')
        n--;
    cf_buf_append(&loc, v.leader_api, n);
    cf_buf_puts(&loc, "/v1/");
    cf_url_path_encode(&loc, req->path);
    if (req->query_raw && *req->query_raw) {
        cf_buf_puts(&loc, "?");
        cf_buf_puts(&loc, req->query_raw);
    }
    if (loc.data && cf_result_header(res, "Location", loc.data) == 0)
        res->status = 307;
    else
        cf_result_error(res, 500, "internal error");
    cf_buf_free(&loc);
}

/* A standby's answer: the active node's own, forwarded over the cluster
 * port, unless the client asked not to or the request already came from
 * another node (never forward twice); any failure falls back to the
 * redirect, as Vault does. */
static void standby_answer(struct cf_gate *g, const struct cf_request *req,
                           struct cf_result *res)
{
    const char *nofwd = cf_req_header(req, "x-vault-no-request-forwarding");
    if (g->fwd && !req->forwarded && !(nofwd && *nofwd) &&
        cf_forwarder_send(g->fwd, req, res) == 0)
        return;
    cf_result_free(res);
    redirect(g, req, res);
}

static int serving(const struct cf_gate *g)
{
    return !g->ha || cf_ha_serving(g->ha);
}

/* Not the active node's business, or not yet: 503 sealed, or standby. */
static void elsewhere(struct cf_gate *g, const struct cf_request *req,
                      struct cf_result *res)
{
    if (g->ha)
        standby_answer(g, req, res);
    else
        cf_result_error(res, 503, "Vault is sealed");
}

void cf_gate_handle(void *gate, struct cf_request *req, struct cf_result *res)
{
    struct cf_gate *g = gate;
    const struct cf_gate_routes *r = &g->routes;
    if (r->is_local(r->arg, req)) {
        r->local(r->arg, req, res);
        return;
    }
    if (!r->unsealed(r->arg)) {
        cf_result_error(res, 503, "Vault is sealed");
        return;
    }
    if (!serving(g)) {
        standby_answer(g, req, res);
        return;
    }
    pthread_rwlock_rdlock(&g->state);
    /* Again under the lock: a deactivation or seal may have just run. */
    if (!g->ready || !serving(g)) {
        pthread_rwlock_unlock(&g->state);
        elsewhere(g, req, res);
        return;
    }
    r->route(r->arg, req, res);
    pthread_rwlock_unlock(&g->state);
    if (res->after) {
        int (*after)(void *, struct cf_request *, struct cf_result *) = res->after;
        res->after = NULL;
        int rc = after(res->after_arg, req, res);
        if (rc && cf_result_from_rc(res, rc))
            cf_log(g->log, CF_LOG_ERROR, "request to %s failed: %s", req->path,
                   cf_strerror(rc));
    }
}
