/* The gate (see gate.h): seal and HA checks, the standby's answer, the
 * shared section around the router, and the lifecycle thread that runs
 * the work left for after it. */
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

/* One piece of work left for after the shared section (res->after). A
 * waited job borrows the request thread's req and res; a detached one
 * (the request was answered first) owns a copy of what fn reads. */
struct life_job {
    int (*fn)(void *arg, struct cf_request *req, struct cf_result *res);
    void *arg;
    struct cf_request *req;
    struct cf_result *res;
    int rc;
    int done;                  /* under life_mu: fn returned, or was refused */
    int refused;               /* the gate stopped before fn ran */
    int detached;              /* the lifecycle thread frees the job */
    struct cf_request own_req; /* detached: path and op only */
    struct cf_result own_res;
    struct life_job *next;
};

struct cf_gate {
    struct cf_gate_routes routes;
    const struct cf_logger *log;
    pthread_rwlock_t state;
    int ready;                /* the active state is built; under state */
    struct cf_ha *ha;         /* NULL: not an HA node */
    struct cf_forwarder *fwd; /* NULL: redirect only */
    const char *node_id;
    const char *(*refusal)(void *arg, const struct cf_request *req);

    /* The lifecycle thread and its queue (see gate.h). */
    pthread_t life;
    pthread_mutex_t life_mu;
    pthread_cond_t life_cv; /* queued work, a job done, or stopping */
    struct life_job *head, *tail;
    int stopping; /* under life_mu: no job is taken any more */
    int joined;   /* the lifecycle thread is gone */
};

static void job_free(struct life_job *j)
{
    cf_result_free(&j->own_res);
    free(j->own_req.path);
    free(j);
}

static void *life_main(void *arg)
{
    struct cf_gate *g = arg;
    pthread_mutex_lock(&g->life_mu);
    for (;;) {
        while (!g->head && !g->stopping)
            pthread_cond_wait(&g->life_cv, &g->life_mu);
        if (g->stopping)
            break;
        struct life_job *j = g->head;
        g->head = j->next;
        if (!g->head)
            g->tail = NULL;
        pthread_mutex_unlock(&g->life_mu);
        j->rc = j->fn(j->arg, j->req, j->res);
        if (j->detached && j->rc)
            cf_log(g->log, CF_LOG_ERROR, "%s (answered before it ran) failed: %s",
                   j->req->path, cf_strerror(j->rc));
        pthread_mutex_lock(&g->life_mu);
        if (j->detached) {
            job_free(j);
        } else {
            j->done = 1;
            pthread_cond_broadcast(&g->life_cv);
        }
    }
    /* Stopping: what is still queued never runs. */
    while (g->head) {
        struct life_job *j = g->head;
        g->head = j->next;
        if (j->detached) {
            job_free(j);
        } else {
            j->refused = j->done = 1;
        }
    }
    g->tail = NULL;
    pthread_cond_broadcast(&g->life_cv);
    pthread_mutex_unlock(&g->life_mu);
    return NULL;
}

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
    pthread_mutex_init(&g->life_mu, NULL);
    pthread_cond_init(&g->life_cv, NULL);
    if (pthread_create(&g->life, NULL, life_main, g)) {
        pthread_cond_destroy(&g->life_cv);
        pthread_mutex_destroy(&g->life_mu);
        pthread_rwlock_destroy(&g->state);
        free(g);
        return CF_ENOMEM;
    }
    *out = g;
    return 0;
}

void cf_gate_stop(struct cf_gate *g)
{
    pthread_mutex_lock(&g->life_mu);
    g->stopping = 1;
    pthread_cond_broadcast(&g->life_cv);
    int joined = g->joined;
    g->joined = 1;
    pthread_mutex_unlock(&g->life_mu);
    if (!joined)
        pthread_join(g->life, NULL);
}

void cf_gate_free(struct cf_gate *g)
{
    if (!g)
        return;
    cf_gate_stop(g);
    pthread_cond_destroy(&g->life_cv);
    pthread_mutex_destroy(&g->life_mu);
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

void cf_gate_set_standby_refusal(struct cf_gate *g,
                                 const char *(*refusal)(void *arg,
                                                        const struct cf_request *req))
{
    g->refusal = refusal;
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
        cf_result_error(res, 500,
                        "local node not active but active cluster node not found");
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
    const char *refusal = g->refusal ? g->refusal(g->routes.arg, req) : NULL;
    if (refusal) {
        cf_result_error(res, 500, "%s", refusal);
        return;
    }
    const char *nofwd = cf_req_header(req, "x-vault-no-request-forwarding");
    if (g->fwd && !req->forwarded && !(nofwd && *nofwd) &&
        cf_forwarder_send(g->fwd, req, res) == 0)
        return;
    cf_result_free(res);
    redirect(g, req, res);
}

static int serving(const struct cf_gate *g) { return !g->ha || cf_ha_serving(g->ha); }

int cf_gate_inline_ok(void *gate, const struct cf_request *req)
{
    const struct cf_gate *g = gate;
    if (req->op != CF_OP_READ && req->op != CF_OP_LIST)
        return 0;
    return !g->ha || cf_ha_serving_now(g->ha);
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

/* Hands res->after to the lifecycle thread. A request from a listener
 * waits for it; one that came over the cluster port is answered first (its
 * thread is a cluster worker, which the operation may join), and the
 * operation's failure is only logged. */
static void run_after(struct cf_gate *g, struct cf_request *req, struct cf_result *res)
{
    struct life_job *j = calloc(1, sizeof *j);
    if (!j) {
        res->after = NULL;
        cf_result_error(res, 500, "internal error");
        return;
    }
    j->fn = res->after;
    j->arg = res->after_arg;
    res->after = NULL;
    j->detached = req->forwarded;
    if (j->detached) {
        j->own_req.op = req->op;
        j->own_req.forwarded = 1;
        memcpy(j->own_req.id, req->id, sizeof j->own_req.id);
        j->own_req.path = strdup(req->path);
        j->req = &j->own_req;
        j->res = &j->own_res;
        if (!j->own_req.path) {
            job_free(j);
            cf_result_error(res, 500, "internal error");
            return;
        }
    } else {
        j->req = req;
        j->res = res;
    }
    int detached = j->detached; /* once queued, a detached j is not ours */
    pthread_mutex_lock(&g->life_mu);
    int refused = g->stopping;
    if (!refused) {
        if (g->tail)
            g->tail->next = j;
        else
            g->head = j;
        g->tail = j;
        pthread_cond_broadcast(&g->life_cv);
        while (!detached && !j->done)
            pthread_cond_wait(&g->life_cv, &g->life_mu);
        if (!detached)
            refused = j->refused;
    }
    pthread_mutex_unlock(&g->life_mu);
    if (detached && !refused)
        // cppcheck-suppress memleak ; queued: the worker now owns and frees a detached j
        return;
    int rc = j->rc;
    job_free(j);
    if (refused) {
        cf_result_free(res);
        cf_result_error(res, 503, "Vault is shutting down");
    } else if (rc && cf_result_from_rc(res, rc)) {
        cf_log(g->log, CF_LOG_ERROR, "request to %s failed: %s", req->path,
               cf_strerror(rc));
    }
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
    if (res->after)
        run_after(g, req, res);
}
