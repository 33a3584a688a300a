/* The MHD daemon behind the API. A few epoll threads (MHD's thread pool)
 * read and write every connection, so an idle keep-alive connection costs a
 * socket and MHD's buffers, not a thread; a complete request is suspended
 * and handed to a worker pool, because handlers block on storage fsyncs
 * and forwarding, and resumed with its answer. Per-request state lives in
 * *con_cls, and the response is always queued on the body-complete call,
 * never the first one, or MHD 0.9.75 turns keep-alive off. The only early
 * reply is a 413 for a declared Content-Length over the limit, which
 * closes on purpose.
 * MHD's own timeout only measures silence, so a watchdog thread holds each
 * connection's phase and shuts the socket of one that overstays it: that is
 * what bounds a client trickling one byte a second. The same thread answers
 * for a handler that outlives max_request_duration (the worker's late
 * answer is dropped). */
#include "http/listener.h"
#include "http/envelope.h"
#include "http/request_parse.h"
#include "http/tls.h"
#include "util/pool.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <arpa/inet.h>
#include <pthread.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_BODY (32LL << 20)
#define DEFAULT_TIMEOUT 90
/* Room for Coffer's scale target of 10,000 idle keep-alive connections;
 * lowered to what RLIMIT_NOFILE allows. */
#define CONNECTION_LIMIT 10240
#define FD_RESERVE 128 /* storage, plugins, logs */
#define WATCH_TICK_MS 250
#define LOG_EVERY_US (10u * 1000000u) /* one cap/deadline line per 10 s */
#define MSG_TOO_LARGE "http: request body too large"
/* How much of an oversized chunked body is skipped to reply 413 before the
 * connection is dropped instead. */
#define DISCARD_MAX (4u << 20)
/* Handlers at once: they wait on fsyncs and forwarding far more than they
 * compute, so well past the core count; threads start on demand. */
#define HANDLER_THREADS 128
#define HANDLER_IDLE_MS 30000
/* Bodies being read or handled, in all: default when the configuration
 * does not say, and never below one max_request_size. */
#define DEFAULT_BODY_BUDGET (256LL << 20)
#define MSG_BUSY "http: too many request bodies in flight on this listener; retry"
#define EXPIRED_AT_ONCE 64 /* handlers the watchdog answers per tick */
/* MHD's per-connection buffer (headers, body chunks, reply headers). MHD
 * zeroes it between requests, so every idle keep-alive connection keeps
 * all of it resident: 16 KiB (MHD's default is 32) holds any request line
 * and headers a Vault client sends, with the 10,000-connection target at
 * about 170 MB. Larger headers get 431. */
#define CONN_MEMORY (16u << 10)

/* Where a connection is in its request cycle; each phase has its deadline. */
enum conn_phase { PH_HEADERS, PH_BODY, PH_HANDLER, PH_WRITE, PH_IDLE };

/* A request on a worker: shared by the worker and the suspended
 * connection, freed by whichever lets go last. state and refs are under
 * l->mu; the rest belongs to the worker until the state leaves J_RUNNING,
 * then to the connection. */
enum job_state { J_RUNNING, J_DONE, J_EXPIRED };
struct handler_job {
    struct cf_http_listener *l;
    struct MHD_Connection *c;
    struct cf_request *req; /* freed by the worker when done */
    size_t held;            /* body bytes counted in l->body_held */
    struct cf_result res;   /* the handler's; headers are sent from it */
    int status;             /* rendered answer */
    char *body;
    size_t len;
    int plain; /* rendering failed: send status + body only */
    enum job_state state;
    int refs;
};

/* Per connection, from MHD_CONNECTION_NOTIFY_STARTED to _CLOSED: the
 * watchdog's view and the TLS client-certificate verdict (checked once).
 * MHD closes fd only after _CLOSED, so under l->mu fd is still ours to
 * shut down. */
struct conn_state {
    int checked;
    int denied;
    const char *msg;
    struct conn_state *prev, *next; /* l->conns, under l->mu */
    int fd;                         /* -1: not watched */
    enum conn_phase phase;
    uint64_t since_us; /* start of phase */
    int cut;           /* shut down by the watchdog */
    uint64_t req_us;   /* start of the request (its headers) */
    struct MHD_Connection *c;
    struct handler_job *job; /* suspended on a worker, or NULL */
    char peer[64];
};

/* Lines that an attacker can cause at will come at most once per period,
 * with a count of the ones held back. */
struct ratelog {
    uint64_t last_us;
    unsigned held;
};

struct cf_http_listener {
    struct MHD_Daemon *d;
    cf_http_handler h;
    cf_http_inline_fn inline_ok; /* NULL: every request on a worker */
    void *arg;
    const struct cf_logger *log;
    size_t max_body;
    uint16_t port;
    struct cf_http_tls *tls; /* NULL: plain HTTP */
    char *where;             /* the configured address, for messages */
    unsigned timeout;        /* max_request_duration, s: also stop's grace */
    pthread_mutex_t mu;      /* guards inflight and stopping */
    pthread_cond_t idle;     /* signalled when inflight drops to 0 */
    unsigned inflight;       /* requests between first call and completion */
    int stopping;            /* replies say Connection: close */
    /* deadlines in µs, 0 = none (see struct cf_listener_cfg) */
    uint64_t header_us, read_us, write_us, idle_us, duration_us;
    unsigned per_address, conn_limit;
    struct conn_state *conns; /* under mu */
    pthread_t watchdog;
    int watching;                              /* the thread runs */
    int quit;                                  /* under mu: the watchdog should return */
    pthread_cond_t wake;                       /* signals quit */
    struct ratelog cap_log, cut_log, busy_log; /* under mu */
    struct cf_pool *pool;                      /* handler threads */
    size_t body_budget;                        /* bytes of bodies held at once, in all */
    size_t body_held;                          /* under mu */
    struct cf_json_limits json_limits;         /* for bodies */
};

/* One per request, in *con_cls, from the first handler call to
 * MHD_OPTION_NOTIFY_COMPLETED. */
struct req_state {
    struct cf_request *req; /* NULL once handled or when err_status set */
    int err_status;         /* decided early; answered when the body is in */
    const char *err_msg;    /* static or in err; NULL for {"errors":[]} */
    struct coffer_err err;  /* the request parser's refusal */
    char *body;
    size_t len, cap;             /* cap is what counts against the budget */
    unsigned long long received; /* counts discarded bytes too */
    struct handler_job *job;     /* handed to a worker; NULL before and after */
    int status;                  /* sent, for the log line */
    uint64_t t0_us;
    char method[16];
    char *url; /* raw path without the query, for the log */
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Caller holds the lock guarding rl. *held: lines skipped since the last. */
static int ratelog_due(struct ratelog *rl, unsigned *held)
{
    uint64_t now = now_us();
    if (rl->last_us && now - rl->last_us < LOG_EVERY_US) {
        rl->held++;
        return 0;
    }
    *held = rl->held;
    rl->held = 0;
    rl->last_us = now;
    return 1;
}

static struct conn_state *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void set_phase(struct cf_http_listener *l, struct MHD_Connection *c,
                      enum conn_phase ph)
{
    struct conn_state *cs = conn_of(c);
    if (!cs)
        return;
    pthread_mutex_lock(&l->mu);
    cs->phase = ph;
    cs->since_us = now_us();
    pthread_mutex_unlock(&l->mu);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct cf_http_listener *l = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    /* MHD says the same for the global and the per-address cap. */
    if (!strncmp(line, "Server reached connection limit", 31)) {
        unsigned held;
        pthread_mutex_lock(&l->mu);
        int say = ratelog_due(&l->cap_log, &held);
        pthread_mutex_unlock(&l->mu);
        if (say)
            cf_log(l->log, CF_LOG_WARN,
                   "listener %s: refused a connection: %u from "
                   "one address (max_connections_per_address) or %u in all are open; "
                   "%u more refused since the last such line",
                   l->where, l->per_address, l->conn_limit, held);
        return;
    }
    /* Handshake failures from scanners are routine: debug, not warn. */
    cf_log(l->log, CF_LOG_DEBUG, "http: %s: %s", l->where, line);
}

static void free_body_cb(void *p) { cf_free_secret_str(p); }

/* Queues status + body (taken over; NULL for none) with Vault's headers. */
static enum MHD_Result send_reply(struct cf_http_listener *l, struct MHD_Connection *c,
                                  struct req_state *st, int status, char *body,
                                  size_t len, const struct cf_result *res,
                                  int close_after)
{
    pthread_mutex_lock(&l->mu);
    close_after |= l->stopping; /* let keep-alive clients go */
    pthread_mutex_unlock(&l->mu);
    set_phase(l, c, PH_WRITE);
    struct MHD_Response *r;
    if (body) {
        r = MHD_create_response_from_buffer_with_free_callback(len, body, free_body_cb);
        if (!r)
            cf_free_secret_str(body);
    } else {
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    if (body)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (size_t i = 0; res && i < res->nheaders; i++)
        MHD_add_response_header(r, res->headers[i].key, res->headers[i].value);
    if (close_after)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    st->status = status;
    return ok;
}

static enum MHD_Result send_result(struct cf_http_listener *l, struct MHD_Connection *c,
                                   struct req_state *st, const struct cf_result *res,
                                   const char *id, int close_after)
{
    int status;
    char *body = NULL;
    size_t len = 0;
    if (cf_envelope_render_or_fail(res, id, &status, &body, &len)) {
        if (!body)
            return MHD_NO;
        res = NULL;
    }
    return send_reply(l, c, st, status, body, len, res, close_after);
}

static enum MHD_Result send_error(struct cf_http_listener *l, struct MHD_Connection *c,
                                  struct req_state *st, int status, const char *msg,
                                  int close_after)
{
    struct cf_result res = {0};
    if (msg)
        cf_result_error(&res, status, "%s", msg);
    else
        res.status = status;
    enum MHD_Result ok = send_result(l, c, st, &res, NULL, close_after);
    cf_result_free(&res);
    return ok;
}

/* Counts n more body bytes against the listener's budget; 0 when they fit. */
static int budget_take(struct cf_http_listener *l, size_t n)
{
    pthread_mutex_lock(&l->mu);
    int ok = l->body_held + n <= l->body_budget;
    if (ok)
        l->body_held += n;
    pthread_mutex_unlock(&l->mu);
    return ok ? 0 : CF_EUNAVAIL;
}

static void budget_give(struct cf_http_listener *l, size_t n)
{
    if (!n)
        return;
    pthread_mutex_lock(&l->mu);
    l->body_held -= n;
    pthread_mutex_unlock(&l->mu);
}

/* CF_EUNAVAIL when the listener's body budget is spent. */
static int body_append(struct cf_http_listener *l, struct req_state *st, const char *p,
                       size_t n)
{
    if (st->len + n + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n + 1)
            cap *= 2;
        if (budget_take(l, cap - st->cap))
            return CF_EUNAVAIL;
        char *nb = malloc(cap);
        if (!nb) {
            budget_give(l, cap - st->cap);
            return CF_ENOMEM;
        }
        if (st->body) {
            memcpy(nb, st->body, st->len);
            cf_free_secret(st->body, st->cap); /* bodies carry secrets */
        }
        st->body = nb;
        st->cap = cap;
    }
    memcpy(st->body + st->len, p, n);
    st->len += n;
    st->body[st->len] = '\0';
    return 0;
}

/* Forgets what was read of the body (the request will be refused). */
static void body_drop(struct cf_http_listener *l, struct req_state *st)
{
    if (st->body)
        cf_free_secret(st->body, st->cap);
    budget_give(l, st->cap);
    st->body = NULL;
    st->len = st->cap = 0;
}

static void check_client_cert(struct MHD_Connection *c, struct req_state *st)
{
    struct conn_state *cs = conn_of(c);
    if (!cs) {
        st->err_status = 403;
        st->err_msg = "client certificate required";
        return;
    }
    if (!cs->checked) {
        cs->denied = cf_http_tls_check_client(c, &cs->msg) != 0;
        cs->checked = 1;
    }
    if (cs->denied) {
        st->err_status = 403;
        st->err_msg = cs->msg;
    }
}

/* First call: headers only. Decide everything that does not need the body;
 * an error found here is answered after the body has been read (keeping the
 * connection alive), except a declared Content-Length over the limit. */
static enum MHD_Result begin(struct cf_http_listener *l, struct MHD_Connection *c,
                             const char *url, const char *method, void **con_cls)
{
    struct req_state *st = calloc(1, sizeof *st);
    if (!st)
        return MHD_NO;
    st->t0_us = now_us();
    snprintf(st->method, sizeof st->method, "%s", method);
    st->url = strdup(url);
    *con_cls = st;
    /* one section: the count, the phase, where max_request_duration starts */
    struct conn_state *cs = conn_of(c);
    pthread_mutex_lock(&l->mu);
    l->inflight++;
    if (cs) {
        cs->phase = PH_BODY;
        cs->since_us = cs->req_us = st->t0_us;
    }
    pthread_mutex_unlock(&l->mu);
    if (!st->url)
        return MHD_NO;

    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno == ERANGE || (end != cl && n > l->max_body)) {
            st->err_status = 413; /* should MHD call again, send nothing more */
            return send_error(l, c, st, 413, MSG_TOO_LARGE, 1);
        }
    }
    if (l->tls && l->tls->verify_client) {
        check_client_cert(c, st);
        if (st->err_status)
            return MHD_YES;
    }
    int rc = cf_http_request_new(c, method, url, &st->req, &st->err_status, &st->err);
    if (rc == CF_ENOMEM)
        return MHD_NO;
    if (rc)
        st->err_msg = st->err.msg[0] ? st->err.msg : NULL;
    return MHD_YES;
}

static void job_put(struct handler_job *j)
{
    struct cf_http_listener *l = j->l;
    pthread_mutex_lock(&l->mu);
    int last = --j->refs == 0;
    pthread_mutex_unlock(&l->mu);
    if (!last)
        return;
    cf_request_free(j->req);
    budget_give(l, j->held);
    cf_result_free(&j->res);
    cf_free_secret_str(j->body);
    free(j);
}

/* The body's JSON, the handler and the rendering; the request is freed
 * (and its body bytes given back) as soon as the answer exists. */
static void job_handle(struct handler_job *j)
{
    struct cf_http_listener *l = j->l;
    struct coffer_err err = {""};
    if (cf_http_request_body(j->req, &l->json_limits, &err))
        cf_result_error(&j->res, 400, "%s", err.msg);
    else
        l->h(l->arg, j->req, &j->res);
    if (cf_envelope_render_or_fail(&j->res, j->req->id, &j->status, &j->body, &j->len))
        j->plain = 1; /* body NULL too: out of memory, the connection drops */
    cf_request_free(j->req);
    j->req = NULL;
    budget_give(l, j->held);
    j->held = 0;
}

/* On a worker, for a request that may block (a write, a forwarded call). */
static void run_job(void *arg)
{
    struct handler_job *j = arg;
    struct cf_http_listener *l = j->l;
    job_handle(j);
    struct MHD_Connection *c = j->c;
    pthread_mutex_lock(&l->mu);
    int resume = j->state == J_RUNNING;
    if (resume)
        j->state = J_DONE;
    pthread_mutex_unlock(&l->mu);
    /* Suspended until this call, so the connection is still there; once
     * it runs, j may be consumed, hence c read before. */
    if (resume)
        MHD_resume_connection(c);
    job_put(j);
}

static enum MHD_Result answer(struct cf_http_listener *l, struct MHD_Connection *c,
                              struct req_state *st);

static enum MHD_Result finish(struct cf_http_listener *l, struct MHD_Connection *c,
                              struct req_state *st)
{
    if (st->err_status == 413 && st->status)
        return MHD_YES; /* answered on the first call */
    if (st->err_status)
        return send_error(l, c, st, st->err_status, st->err_msg,
                          st->err_status == 413 || st->err_status == 503);
    struct cf_request *req = st->req;
    if (!req)
        return MHD_NO;
    struct handler_job *j = calloc(1, sizeof *j);
    if (!j)
        return MHD_NO;
    set_phase(l, c, PH_HANDLER);
    st->req = NULL;
    req->body = st->body;
    req->body_len = st->len;
    if (l->duration_us)
        req->deadline_ms = (st->t0_us + l->duration_us) / 1000u;
    j->l = l;
    j->c = c;
    j->req = req;
    j->held = st->cap;
    j->refs = 2; /* the worker's and the connection's */
    j->state = J_RUNNING;
    st->body = NULL;
    st->len = st->cap = 0;
    st->job = j;
    if (l->inline_ok && l->inline_ok(l->arg, req)) {
        /* A read the handler owner expects to be quick: on this epoll
         * thread, without the two thread switches a worker costs (half of
         * a read's CPU at 64 clients). The watchdog can only shut such a
         * request's socket at max_request_duration, not answer it. */
        j->refs = 1;
        job_handle(j);
        j->state = J_DONE;
        return answer(l, c, st);
    }
    MHD_suspend_connection(c);
    if (cf_pool_submit(l->pool, run_job, j)) {
        /* No worker: answer now, through the same resumed path. */
        j->refs = 1;
        cf_result_error(&j->res, 503, "server busy or shutting down; retry");
        if (cf_envelope_render_or_fail(&j->res, req->id, &j->status, &j->body, &j->len))
            j->plain = 1;
        j->state = J_DONE;
        MHD_resume_connection(c);
        return MHD_YES;
    }
    /* Only now may the watchdog resume it: it is suspended. */
    struct conn_state *cs = conn_of(c);
    pthread_mutex_lock(&l->mu);
    if (cs)
        cs->job = j;
    pthread_mutex_unlock(&l->mu);
    return MHD_YES;
}

/* Called again once the worker (or the watchdog) resumed the connection. */
static enum MHD_Result answer(struct cf_http_listener *l, struct MHD_Connection *c,
                              struct req_state *st)
{
    struct handler_job *j = st->job;
    struct conn_state *cs = conn_of(c);
    pthread_mutex_lock(&l->mu);
    enum job_state state = j->state;
    if (cs)
        cs->job = NULL;
    pthread_mutex_unlock(&l->mu);
    st->job = NULL;
    enum MHD_Result ok;
    if (state == J_DONE && j->plain && !j->body) {
        ok = MHD_NO; /* could not even render the failure */
    } else if (state == J_DONE) {
        char *body = j->body; /* NULL for a 204 */
        j->body = NULL;
        ok = send_reply(l, c, st, j->status, body, j->len, j->plain ? NULL : &j->res, 0);
    } else {
        char msg[96];
        snprintf(msg, sizeof msg, "request took longer than max_request_duration (%us)",
                 l->timeout);
        ok = send_error(l, c, st, 503, msg, 1);
    }
    job_put(j);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct cf_http_listener *l = cls;
    struct req_state *st = *con_cls;
    if (!st)
        return begin(l, c, url, method, con_cls);
    if (st->job)
        return answer(l, c, st);
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        st->received += n;
        if (st->received > l->max_body) {
            /* A chunked body outgrew the limit. MHD 0.9.75 cannot queue a
             * reply mid-body, so drop what we hold, skip a bounded tail to
             * still answer 413 at the end, and cut a longer stream off. */
            if (st->err_status != 413) {
                st->err_status = 413;
                st->err_msg = MSG_TOO_LARGE;
                cf_request_free(st->req);
                st->req = NULL;
                body_drop(l, st);
            }
            return st->received - l->max_body > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (st->err_status)
            return st->err_status == 503 && st->received > DISCARD_MAX ? MHD_NO : MHD_YES;
        int rc = body_append(l, st, upload_data, n);
        if (rc == CF_EUNAVAIL) {
            /* Every body in flight together is over the budget: this one
             * is refused (503, closed), the others go on. */
            st->err_status = 503;
            st->err_msg = MSG_BUSY;
            cf_request_free(st->req);
            st->req = NULL;
            body_drop(l, st);
            unsigned held;
            pthread_mutex_lock(&l->mu);
            int say = ratelog_due(&l->busy_log, &held);
            pthread_mutex_unlock(&l->mu);
            if (say)
                cf_log(l->log, CF_LOG_WARN,
                       "listener %s: refused a request body: %zu "
                       "bytes of bodies are in flight (max_request_bytes_in_flight); "
                       "%u more refused since the last such line",
                       l->where, l->body_budget, held);
            return st->received > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        return rc ? MHD_NO : MHD_YES;
    }
    return finish(l, c, st);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct cf_http_listener *l = cls;
    struct req_state *st = *con_cls;
    set_phase(l, c, PH_IDLE);
    if (!st)
        return;
    *con_cls = NULL;
    uint64_t us = now_us() - st->t0_us;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        cf_log(l->log, CF_LOG_DEBUG, "http: %s %s %d %lluus", st->method,
               st->url ? st->url : "?", st->status, (unsigned long long)us);
    else
        cf_log(l->log, CF_LOG_DEBUG, "http: %s %s aborted (%d) after %lluus", st->method,
               st->url ? st->url : "?", (int)toe, (unsigned long long)us);
    if (st->job) {
        /* Closed while on a worker (the daemon stopping): the worker must
         * not resume a connection that is gone. */
        struct conn_state *cs = conn_of(c);
        pthread_mutex_lock(&l->mu);
        if (st->job->state == J_RUNNING)
            st->job->state = J_EXPIRED;
        if (cs)
            cs->job = NULL;
        pthread_mutex_unlock(&l->mu);
        job_put(st->job);
    }
    cf_request_free(st->req);
    body_drop(l, st);
    free(st->url);
    free(st);
    pthread_mutex_lock(&l->mu);
    if (--l->inflight == 0)
        pthread_cond_broadcast(&l->idle);
    pthread_mutex_unlock(&l->mu);
}

static void peer_name(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    snprintf(out, n, "?");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct cf_http_listener *l = cls;
    struct conn_state *cs = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        if (!(cs = calloc(1, sizeof *cs)))
            return; /* unwatched; conn_of() callers cope with NULL */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cs->fd = ci ? (int)ci->connect_fd : -1;
        cs->c = c;
        peer_name(c, cs->peer, sizeof cs->peer);
        cs->phase = PH_HEADERS;
        cs->since_us = now_us();
        pthread_mutex_lock(&l->mu);
        cs->next = l->conns;
        if (l->conns)
            l->conns->prev = cs;
        l->conns = cs;
        pthread_mutex_unlock(&l->mu);
        *socket_context = cs;
        return;
    }
    if (!cs)
        return;
    pthread_mutex_lock(&l->mu);
    if (cs->prev)
        cs->prev->next = cs->next;
    else
        l->conns = cs->next;
    if (cs->next)
        cs->next->prev = cs->prev;
    pthread_mutex_unlock(&l->mu);
    free(cs);
    *socket_context = NULL;
}

/* The header deadline; as in Go's net/http, http_read_timeout stands in
 * when http_read_header_timeout is 0. */
static uint64_t header_limit(const struct cf_http_listener *l)
{
    return l->header_us ? l->header_us : l->read_us;
}

/* What the phase may last (0 = forever) and the option that says so. A
 * keep-alive connection's next request cannot be seen until its headers are
 * in, so the idle phase allows idle + header time. max_request_duration
 * runs from the request's first byte, over the body and the handler. */
static uint64_t phase_limit(const struct cf_http_listener *l, enum conn_phase ph,
                            const char **what)
{
    switch (ph) {
    case PH_HEADERS:
        *what = l->header_us ? "http_read_header_timeout" : "http_read_timeout";
        return header_limit(l);
    case PH_BODY:
        *what = "http_read_timeout";
        return l->read_us;
    case PH_WRITE:
        *what = "http_write_timeout";
        return l->write_us;
    case PH_IDLE:
        *what = "http_idle_timeout";
        return l->idle_us && header_limit(l) ? l->idle_us + header_limit(l) : 0;
    case PH_HANDLER:
        break;
    }
    *what = "";
    return 0;
}

static void log_cut(struct cf_http_listener *l, const struct conn_state *cs,
                    const char *what, uint64_t lim, const char *done)
{
    unsigned held;
    if (ratelog_due(&l->cut_log, &held))
        cf_log(l->log, CF_LOG_WARN,
               "listener %s: %s from %s: over %s (%llus); "
               "%u more since the last such line",
               l->where, done, cs->peer, what, (unsigned long long)(lim / 1000000u),
               held);
}

/* Caller holds l->mu. Shutting the socket wakes the connection's epoll
 * thread, which then sees end-of-file and closes the connection its usual
 * way. A request past max_request_duration on a worker is answered from
 * here instead: its connection is put in *late (at most EXPIRED_AT_ONCE)
 * for the caller to resume once the lock is released. */
static size_t watch_once(struct cf_http_listener *l, struct MHD_Connection **late)
{
    uint64_t now = now_us();
    size_t nlate = 0;
    for (struct conn_state *cs = l->conns; cs; cs = cs->next) {
        if (cs->cut || cs->fd < 0)
            continue;
        int in_request = cs->phase == PH_BODY || cs->phase == PH_HANDLER;
        if (in_request && l->duration_us && now - cs->req_us > l->duration_us) {
            if (cs->phase == PH_HANDLER && !cs->job) {
                /* inline on its epoll thread (or between handing and
                 * publishing the job): only the socket can be cut */
                if (now - cs->req_us > l->duration_us) {
                    cs->cut = 1;
                    shutdown(cs->fd, SHUT_RDWR);
                    log_cut(l, cs, "max_request_duration", l->duration_us,
                            "closed a connection");
                }
                continue;
            }
            if (cs->phase == PH_HANDLER) {
                if (cs->job->state != J_RUNNING || nlate == EXPIRED_AT_ONCE)
                    continue;
                cs->job->state = J_EXPIRED;
                cs->job = NULL;
                late[nlate++] = cs->c;
                log_cut(l, cs, "max_request_duration", l->duration_us,
                        "answered 503 for a request");
                continue;
            }
            cs->cut = 1;
            shutdown(cs->fd, SHUT_RDWR);
            log_cut(l, cs, "max_request_duration", l->duration_us, "closed a connection");
            continue;
        }
        const char *what;
        uint64_t lim = phase_limit(l, cs->phase, &what);
        if (!lim || now - cs->since_us <= lim)
            continue;
        cs->cut = 1;
        shutdown(cs->fd, SHUT_RDWR);
        log_cut(l, cs, what, lim, "closed a connection");
    }
    return nlate;
}

static void *watchdog_main(void *arg)
{
    struct cf_http_listener *l = arg;
    pthread_mutex_lock(&l->mu);
    while (!l->quit) {
        struct timespec until;
        cf_deadline_in(CLOCK_MONOTONIC, WATCH_TICK_MS, &until);
        pthread_cond_timedwait(&l->wake, &l->mu, &until);
        if (l->quit)
            break;
        struct MHD_Connection *late[EXPIRED_AT_ONCE];
        size_t n = watch_once(l, late);
        if (!n)
            continue;
        /* Suspended and marked expired under the lock, so neither the
         * worker nor MHD can free them before these calls. */
        pthread_mutex_unlock(&l->mu);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(late[i]);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

static void watchdog_stop(struct cf_http_listener *l)
{
    if (!l->watching)
        return;
    pthread_mutex_lock(&l->mu);
    l->quit = 1;
    pthread_cond_signal(&l->wake);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->watchdog, NULL);
    l->watching = 0;
}

/* MHD's epoll threads: they only move bytes and parse headers, so two
 * are enough on a small machine and four on any. */
static unsigned io_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 4 ? 4 : 2;
}

/* The global cap, within what the process may open; raises the soft
 * RLIMIT_NOFILE towards the hard one first, as a server must. */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 1024;
    rlim_t want = CONNECTION_LIMIT + FD_RESERVE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur =
            rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl))
            rl.rlim_cur = old;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return CONNECTION_LIMIT;
    return rl.rlim_cur > 2 * FD_RESERVE ? (unsigned)(rl.rlim_cur - FD_RESERVE) : 64;
}

static uint64_t secs_us(long long s) { return s > 0 ? (uint64_t)s * 1000000u : 0; }

/* "127.0.0.1:8200", "[::1]:8200", ":8200" (all IPv4 interfaces), "host" (8200). */
static int split_address(const char *addr, char *host, size_t hlen, char *port,
                         size_t plen)
{
    const char *colon, *h = addr;
    size_t n;
    if (*addr == '[') {
        const char *close = strchr(addr, ']');
        if (!close || (close[1] && close[1] != ':'))
            return CF_ECONFIG;
        h = addr + 1;
        n = (size_t)(close - h);
        colon = close[1] ? close + 1 : NULL;
    } else {
        colon = strrchr(addr, ':');
        if (colon && strchr(addr, ':') != colon)
            return CF_ECONFIG; /* bare IPv6 needs brackets */
        n = colon ? (size_t)(colon - addr) : strlen(addr);
    }
    if (n >= hlen)
        return CF_ECONFIG;
    memcpy(host, h, n);
    host[n] = '\0';
    if (!n)
        snprintf(host, hlen, "0.0.0.0");
    const char *p = colon ? colon + 1 : "8200";
    if (!*p || strlen(p) >= plen || strspn(p, "0123456789") != strlen(p) ||
        atol(p) > 65535)
        return CF_ECONFIG;
    snprintf(port, plen, "%s", p);
    return 0;
}

static int open_socket(const char *where, int *fd_out, int *family, uint16_t *port_out,
                       struct coffer_err *err)
{
    char host[256], port[8];
    if (split_address(where, host, sizeof host, port, sizeof port)) {
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: address must be host:port, e.g. 127.0.0.1:8200 "
                 "or [::1]:8200",
                 where);
        return CF_ECONFIG;
    }
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g) {
        snprintf(err->msg, sizeof err->msg, "listener %s: cannot resolve \"%s\": %s",
                 where, host, gai_strerror(g));
        return CF_ECONFIG;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    int one = 1, rc = 0;
    const char *what = "cannot bind";
    if (fd < 0) {
        what = "cannot create socket";
        rc = CF_EIO;
    } else {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen))
            rc = CF_EIO;
        else if (listen(fd, SOMAXCONN)) {
            what = "cannot listen";
            rc = CF_EIO;
        }
    }
    if (rc) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg, "listener %s: %s: %s", where, what,
                 strerror(e));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return rc;
    }
    *family = ai->ai_family;
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss); /* whole, for the analyzer: read as sockaddr_in */
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
        int e = errno;
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: cannot read the bound address: %s", where, strerror(e));
        close(fd);
        return CF_EIO;
    }
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    return 0;
}

static void listener_free(struct cf_http_listener *l)
{
    watchdog_stop(l);
    cf_pool_free(l->pool);
    pthread_cond_destroy(&l->wake);
    pthread_cond_destroy(&l->idle);
    pthread_mutex_destroy(&l->mu);
    cf_http_tls_free(l->tls);
    free(l->where);
    free(l);
}

int cf_http_listener_start(const struct cf_listener_cfg *cfg, cf_http_handler h,
                           cf_http_inline_fn inline_ok, void *arg,
                           const struct cf_logger *log, struct cf_http_listener **out,
                           struct coffer_err *err)
{
    err->msg[0] = '\0';
    struct cf_http_listener *l = calloc(1, sizeof *l);
    const char *addr = cfg->address && *cfg->address ? cfg->address : "127.0.0.1:8200";
    if (!l || !(l->where = strdup(addr))) {
        free(l);
        snprintf(err->msg, sizeof err->msg, "listener %s: out of memory", addr);
        return CF_ENOMEM;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->idle, &ca);
    pthread_cond_init(&l->wake, &ca);
    pthread_condattr_destroy(&ca);
    l->h = h;
    l->inline_ok = inline_ok;
    l->arg = arg;
    l->log = log;
    l->max_body =
        (size_t)(cfg->max_request_size > 0 ? cfg->max_request_size : DEFAULT_MAX_BODY);
    unsigned timeout = cfg->max_request_duration > 0 ? (unsigned)cfg->max_request_duration
                                                     : DEFAULT_TIMEOUT;
    l->timeout = timeout;
    l->duration_us = secs_us(timeout);
    l->header_us = secs_us(cfg->http_read_header_timeout);
    l->read_us = secs_us(cfg->http_read_timeout);
    l->write_us = secs_us(cfg->http_write_timeout);
    l->idle_us = secs_us(cfg->http_idle_timeout);
    l->per_address = cfg->max_connections_per_address > 0 &&
            cfg->max_connections_per_address < UINT32_MAX
        ? (unsigned)cfg->max_connections_per_address
        : 0;
    l->conn_limit = connection_limit();
    long long budget = cfg->max_request_bytes_in_flight > 0
        ? cfg->max_request_bytes_in_flight
        : DEFAULT_BODY_BUDGET;
    if (budget < (long long)l->max_body)
        budget = (long long)l->max_body;
    l->body_budget = (size_t)budget;
    /* 0 = Vault's default; config.c refused what is past the ceilings. */
    l->json_limits = cf_json_request_limits;
    if (cfg->max_json_depth > 0)
        l->json_limits.depth = (size_t)cfg->max_json_depth;
    if (cfg->max_json_string_value_length > 0)
        l->json_limits.string_len = (size_t)cfg->max_json_string_value_length;
    if (cfg->max_json_object_entry_count > 0)
        l->json_limits.object_entries = (size_t)cfg->max_json_object_entry_count;
    if (cfg->max_json_array_element_count > 0)
        l->json_limits.array_elements = (size_t)cfg->max_json_array_element_count;
    /* MHD's own timeout measures silence; the idle limit is the one that
     * must hold between requests, the watchdog covers the rest. */
    unsigned idle_s = cfg->http_idle_timeout > 0 && cfg->http_idle_timeout < UINT32_MAX
        ? (unsigned)cfg->http_idle_timeout
        : 0;
    int rc;
    if (!cfg->tls_disable && (rc = cf_http_tls_load(cfg, l->where, &l->tls, err))) {
        listener_free(l);
        return rc;
    }
    if (cf_pool_new(HANDLER_THREADS, HANDLER_IDLE_MS, &l->pool)) {
        snprintf(err->msg, sizeof err->msg, "listener %s: out of memory", l->where);
        listener_free(l);
        return CF_ENOMEM;
    }
    int fd, family;
    if ((rc = open_socket(l->where, &fd, &family, &l->port, err))) {
        listener_free(l);
        return rc;
    }

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
        MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_opts[6] = {{MHD_OPTION_END, 0, NULL}};
    if (l->tls) {
        int i = 0;
        flags |= MHD_USE_TLS;
        tls_opts[i++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, l->tls->cert_pem};
        tls_opts[i++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, l->tls->key_pem};
        tls_opts[i++] =
            (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, l->tls->priorities};
        if (l->tls->ca_pem)
            tls_opts[i++] =
                (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, l->tls->ca_pem};
        tls_opts[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    l->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, l,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_THREAD_POOL_SIZE,
        io_threads(), MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_CONNECTION_LIMIT, l->conn_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        l->per_address, MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        on_connection, l, MHD_OPTION_UNESCAPE_CALLBACK, cf_http_unescape_none, NULL,
        MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
    if (!l->d) {
        close(fd);
        snprintf(err->msg, sizeof err->msg,
                 "listener %s: cannot start the HTTP server (libmicrohttpd refused "
                 "the settings; see the debug log)",
                 l->where);
        listener_free(l);
        return CF_EIO;
    }
    if (pthread_create(&l->watchdog, NULL, watchdog_main, l) == 0) {
        l->watching = 1;
    } else {
        MHD_stop_daemon(l->d);
        snprintf(err->msg, sizeof err->msg, "listener %s: cannot start a thread",
                 l->where);
        listener_free(l);
        return CF_ENOMEM;
    }
    cf_log(log, CF_LOG_INFO, "listener %s: serving %s on port %u", l->where,
           l->tls ? "https" : "http", (unsigned)l->port);
    *out = l;
    return 0;
}

uint16_t cf_http_listener_port(const struct cf_http_listener *l) { return l->port; }

void cf_http_listener_stop(struct cf_http_listener *l)
{
    if (!l)
        return;
    /* Stop accepting, let requests already in (handlers, bodies arriving)
     * finish and be answered, bounded by the request timeout; then
     * MHD_stop_daemon shuts the idle keep-alive connections and joins every
     * connection thread, so no handler runs once l is gone. */
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    pthread_mutex_unlock(&l->mu);
    MHD_socket fd = MHD_quiesce_daemon(l->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* quiesced: ours to close now */
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += l->timeout;
    pthread_mutex_lock(&l->mu);
    while (l->inflight > 0 && pthread_cond_timedwait(&l->idle, &l->mu, &until) == 0)
        ;
    pthread_mutex_unlock(&l->mu);
    /* MHD must not stop with a connection suspended: every handler ends
     * (and resumes its connection) first. */
    cf_pool_drain(l->pool);
    MHD_stop_daemon(l->d);
    listener_free(l); /* the watchdog last: it cut trickles during the grace */
}
