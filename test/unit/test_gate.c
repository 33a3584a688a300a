/* The gate without HA, over fake routes: local paths in any state, the
 * sealed and not-ready answers, the shared section around route(), work
 * left for after it, and the state lock's hold/close semantics.
 * The HA paths (standby forwarding, 307 to the leader, "not active" 500)
 * need a real HA backend and leader election: the integration tests cover
 * them, not this suite. */
#include "gate/gate.h"
#include "util/log.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct fx {
    struct cf_gate *g;
    struct cf_logger log;
    int unsealed;
    int local_calls, route_calls, after_calls;
    int after_rc;
    int ready_in_route;
    int req_live_in_after;
};

static int fake_is_local(void *arg, const struct cf_request *req)
{
    (void)arg;
    return !strcmp(req->path, "sys/health");
}

static void fake_local(void *arg, struct cf_request *req, struct cf_result *res)
{
    struct fx *f = arg;
    (void)req;
    f->local_calls++;
    res->status = 299;
}

/* After the shared section: a transition must be possible from here (as
 * sys/seal's is) and req still readable. */
static int fake_after(void *arg, struct cf_request *req, struct cf_result *res)
{
    struct fx *f = arg;
    f->after_calls++;
    f->req_live_in_after = req->path && !strcmp(req->path, "sys/seal");
    cf_gate_close(f->g);
    cf_gate_reopen(f->g, 1);
    res->status = 204;
    return f->after_rc;
}

static void fake_route(void *arg, struct cf_request *req, struct cf_result *res)
{
    struct fx *f = arg;
    f->route_calls++;
    f->ready_in_route = cf_gate_ready(f->g);
    if (!strcmp(req->path, "sys/seal")) {
        res->after = fake_after;
        res->after_arg = f;
        return;
    }
    res->data = strdup("{\"routed\":true}");
}

static int fake_unsealed(void *arg)
{
    struct fx *f = arg;
    return f->unsealed;
}

static void fx_open(struct fx *f)
{
    memset(f, 0, sizeof *f);
    f->log.level = -1;
    struct cf_gate_routes r = {f, fake_is_local, fake_local, fake_route, fake_unsealed};
    CF_ASSERT_INT_EQ(cf_gate_new(&r, &f->log, &f->g), 0);
    CU_ASSERT_FATAL(f->g != NULL);
}

static void fx_close(struct fx *f) { cf_gate_free(f->g); }

/* Serves one request for path; res is reset first. Returns the status. */
static int serve(struct fx *f, const char *path, struct cf_result *res)
{
    struct cf_request req = {.op = CF_OP_READ, .path = (char *)path};
    cf_result_free(res);
    memset(res, 0, sizeof *res);
    cf_gate_handle(f->g, &req, res);
    return res->status ? res->status : res->data ? 200 : 204;
}

static const char *errmsg(const struct cf_result *res)
{
    return res->nerrors ? res->errors[0] : "";
}

/* A lifecycle transition that leaves the active state built or not. */
static void transition(struct fx *f, int ready)
{
    cf_gate_close(f->g);
    cf_gate_reopen(f->g, ready);
}

/* A routed path gets the sealed answer and route() is not called. */
static void expect_sealed(struct fx *f)
{
    struct cf_result res = {0};
    int before = f->route_calls;
    CF_ASSERT_INT_EQ(serve(f, "secret/x", &res), 503);
    CF_ASSERT_STR_EQ(errmsg(&res), "Vault is sealed");
    CF_ASSERT_INT_EQ(f->route_calls, before);
    cf_result_free(&res);
}

static void test_local_in_any_state(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(serve(&f, "sys/health", &res), 299);
    f.unsealed = 1;
    CF_ASSERT_INT_EQ(serve(&f, "sys/health", &res), 299);
    transition(&f, 1);
    CF_ASSERT_INT_EQ(serve(&f, "sys/health", &res), 299);
    CF_ASSERT_INT_EQ(f.local_calls, 3);
    CF_ASSERT_INT_EQ(f.route_calls, 0);
    cf_result_free(&res);
    fx_close(&f);
}

/* Local paths are served outside the state lock: even a closed gate
 * answers them. */
struct closer {
    struct fx *f;
    struct cf_result res;
    int status;
};

static void *serve_local(void *arg)
{
    struct closer *c = arg;
    c->status = serve(c->f, "sys/health", &c->res);
    return NULL;
}

static void test_local_outside_state_lock(void)
{
    struct fx f;
    fx_open(&f);
    cf_gate_close(f.g);
    struct closer c = {.f = &f};
    pthread_t th;
    CF_ASSERT_INT_EQ(pthread_create(&th, NULL, serve_local, &c), 0);
    CF_ASSERT_INT_EQ(pthread_join(th, NULL), 0);
    CF_ASSERT_INT_EQ(c.status, 299);
    cf_gate_reopen(f.g, 0);
    cf_result_free(&c.res);
    fx_close(&f);
}

static void test_sealed_503(void)
{
    struct fx f;
    fx_open(&f);
    expect_sealed(&f);
    /* Ready state does not matter once the barrier is sealed. */
    transition(&f, 1);
    expect_sealed(&f);
    fx_close(&f);
}

static void test_unsealed_not_ready_503(void)
{
    struct fx f;
    fx_open(&f);
    f.unsealed = 1;
    /* A new gate is not ready. */
    expect_sealed(&f);
    transition(&f, 0);
    expect_sealed(&f);
    CF_ASSERT_INT_EQ(f.route_calls, 0);
    fx_close(&f);
}

static void test_ready_routes(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.unsealed = 1;
    transition(&f, 1);
    CF_ASSERT_INT_EQ(serve(&f, "secret/x", &res), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"routed\":true}");
    CF_ASSERT_INT_EQ(f.route_calls, 1);
    CF_ASSERT_INT_EQ(f.ready_in_route, 1);
    /* Back to not ready (a seal or a failed build): no more routing. */
    transition(&f, 0);
    expect_sealed(&f);
    CF_ASSERT_INT_EQ(f.route_calls, 1);
    cf_result_free(&res);
    fx_close(&f);
}

/* after() takes the state lock exclusively: if the gate still held it
 * shared, close would deadlock, and main's alarm ends the run. */
static void test_after_runs_outside_shared_section(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.unsealed = 1;
    transition(&f, 1);
    CF_ASSERT_INT_EQ(serve(&f, "sys/seal", &res), 204);
    CF_ASSERT_INT_EQ(f.after_calls, 1);
    CF_ASSERT_INT_EQ(f.req_live_in_after, 1);
    CF_ASSERT_INT_EQ(res.after == NULL, 1);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    /* The gate is usable afterwards (the lock was left unlocked). */
    CF_ASSERT_INT_EQ(serve(&f, "secret/x", &res), 200);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_after_code_becomes_status(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.unsealed = 1;
    transition(&f, 1);
    f.after_rc = CF_EINVAL;
    CF_ASSERT_INT_EQ(serve(&f, "sys/seal", &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "invalid request");
    f.after_rc = CF_EIO;
    CF_ASSERT_INT_EQ(serve(&f, "sys/seal", &res), 500);
    CF_ASSERT_STR_EQ(errmsg(&res), "internal error");
    CF_ASSERT_INT_EQ(f.after_calls, 2);
    cf_result_free(&res);
    fx_close(&f);
}

/* close must wait for a holder. */
struct waiter {
    struct cf_gate *g;
    int closed;
    pthread_mutex_t mu;
};

static void *close_gate(void *arg)
{
    struct waiter *w = arg;
    cf_gate_close(w->g);
    pthread_mutex_lock(&w->mu);
    w->closed = 1;
    pthread_mutex_unlock(&w->mu);
    cf_gate_reopen(w->g, 1);
    return NULL;
}

static int closed(struct waiter *w)
{
    pthread_mutex_lock(&w->mu);
    int c = w->closed;
    pthread_mutex_unlock(&w->mu);
    return c;
}

static void test_hold_ready_release(void)
{
    struct fx f;
    fx_open(&f);
    cf_gate_hold(f.g);
    CF_ASSERT_INT_EQ(cf_gate_ready(f.g), 0);
    /* Shared: a second holder gets in. */
    cf_gate_hold(f.g);
    cf_gate_release(f.g);
    cf_gate_release(f.g);
    transition(&f, 1);
    cf_gate_hold(f.g);
    CF_ASSERT_INT_EQ(cf_gate_ready(f.g), 1);

    struct waiter w = {.g = f.g};
    pthread_mutex_init(&w.mu, NULL);
    pthread_t th;
    CF_ASSERT_INT_EQ(pthread_create(&th, NULL, close_gate, &w), 0);
    usleep(100 * 1000);
    CF_ASSERT_INT_EQ(closed(&w), 0);
    cf_gate_release(f.g);
    CF_ASSERT_INT_EQ(pthread_join(th, NULL), 0);
    CF_ASSERT_INT_EQ(closed(&w), 1);
    pthread_mutex_destroy(&w.mu);
    cf_gate_hold(f.g);
    CF_ASSERT_INT_EQ(cf_gate_ready(f.g), 1);
    cf_gate_release(f.g);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"local in any state", test_local_in_any_state},
        {"local outside state lock", test_local_outside_state_lock},
        {"sealed 503", test_sealed_503},
        {"unsealed not ready 503", test_unsealed_not_ready_503},
        {"ready routes", test_ready_routes},
        {"after runs outside shared section", test_after_runs_outside_shared_section},
        {"after code becomes status", test_after_code_becomes_status},
        {"hold ready release", test_hold_ready_release},
        {NULL, NULL},
    };
    /* A deadlock (after() inside the shared section, a local path under
     * the lock) ends the run with SIGALRM, a failure, instead of hanging. */
    alarm(60);
    return cf_test_run("gate", cases);
}
