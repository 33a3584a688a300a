/* Request forwarding: one pooled connection to the active node (rebuilt
 * when the advertisement changes), heartbeats every 2 s, and the cluster
 * listeners of the active node that run forwarded requests through the
 * same core path as direct ones. */
#include "gate/forward.h"
#include "core_internal.h"
#include "ha/ha.h"
#include "http/envelope.h"
#include "http/request_parse.h"
#include "plugin/transport_backend.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/version.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HEARTBEAT_MS 2000
#define MAX_LISTENERS 8
#define MAX_PEERS 64

struct cf_forwarder {
    struct cf_core *core;
    struct cf_transport_backend *tb;

    /* The connection to the active node, for leader generation gen.
     * Senders hold conn_lock shared while they use conn. */
    pthread_rwlock_t conn_lock;
    void *conn;
    unsigned gen;

    pthread_mutex_t mu;     /* listeners, peers, heartbeat state */
    pthread_cond_t cv;
    void *lsn[MAX_LISTENERS];
    size_t nlsn;
    struct cf_peer peers[MAX_PEERS];
    size_t npeers;
    int64_t last_echo_ns, last_rtt_us;
    pthread_t hb;
    int hb_started;
    atomic_int stop;
};

static void *heartbeat_main(void *arg);

int cf_forwarder_new(struct cf_core *c, struct cf_transport_backend *tb,
                     struct cf_forwarder **out)
{
    struct cf_forwarder *f = calloc(1, sizeof *f);
    if (!f)
        return CF_ENOMEM;
    f->core = c;
    f->tb = tb;
    pthread_rwlock_init(&f->conn_lock, NULL);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->hb, NULL, heartbeat_main, f) == 0)
        f->hb_started = 1;
    *out = f;
    return 0;
}

void cf_forwarder_free(struct cf_forwarder *f)
{
    if (!f)
        return;
    atomic_store(&f->stop, 1);
    pthread_mutex_lock(&f->mu);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    if (f->hb_started)
        pthread_join(f->hb, NULL);
    cf_forwarder_cluster_stop(f);
    if (f->conn)
        cf_transport_hangup(f->tb, f->conn);
    pthread_rwlock_destroy(&f->conn_lock);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

/* "https://host:port/" → "host:port" (malloc'd). */
static char *host_port(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/");
    return n ? strndup(p, n) : NULL;
}

/* Makes sure conn matches the current leader. Returns with conn_lock held
 * shared and *conn set, or non-zero (lock not held). */
static int leader_conn(struct cf_forwarder *f, void **conn)
{
    struct cf_core *c = f->core;
    unsigned gen;
    char *addr = NULL, *cert = NULL, *key = NULL, *name = NULL;
    int rc = cf_ha_leader_identity(c->ha, &gen, &addr, &cert, &key, &name);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&f->conn_lock);
    if (f->conn && f->gen == gen) {
        *conn = f->conn;
        goto done;
    }
    pthread_rwlock_unlock(&f->conn_lock);
    pthread_rwlock_wrlock(&f->conn_lock);
    if (!f->conn || f->gen != gen) {
        if (f->conn)
            cf_transport_hangup(f->tb, f->conn);
        f->conn = NULL;
        char *hp = host_port(addr);
        struct coffer_tls_identity id = {cert, key, name};
        struct coffer_err err = {""};
        rc = hp ? cf_transport_dial(f->tb, hp, &id, &f->conn, &err) : CF_EINVAL;
        if (rc)
            cf_log(&c->log, CF_LOG_WARN, "forwarding: cannot dial the active node at %s: %s",
                   addr, err.msg[0] ? err.msg : "invalid cluster address");
        else
            f->gen = gen;
        free(hp);
    }
    pthread_rwlock_unlock(&f->conn_lock);
    if (rc)
        goto out;
    pthread_rwlock_rdlock(&f->conn_lock);
    if (!f->conn) {
        pthread_rwlock_unlock(&f->conn_lock);
        rc = CF_EUNAVAIL;
        goto out;
    }
    *conn = f->conn;
done:
    rc = 0;
out:
    free(addr);
    cf_free_secret_str(cert);
    cf_free_secret_str(key);
    free(name);
    return rc;
}

/* Headers that describe the hop, not the answer: the local listener sets
 * its own. */
static int hop_header(const char *name)
{
    static const char *const H[] = {"content-type", "cache-control", "content-length",
                                    "connection", "date", "transfer-encoding", NULL};
    for (const char *const *h = H; *h; h++)
        if (!strcasecmp(name, *h))
            return 1;
    return 0;
}

int cf_forwarder_send(struct cf_forwarder *f, const struct cf_request *req,
                      struct cf_result *res)
{
    void *conn;
    if (leader_conn(f, &conn))
        return CF_EUNAVAIL;
    struct cf_buf url = {0};
    int rc = cf_buf_puts(&url, "/v1/") || cf_url_path_encode(&url, req->path) ? CF_ENOMEM : 0;
    struct coffer_header *hs = calloc(req->nheaders + 1, sizeof *hs);
    size_t nh = 0;
    if (!hs)
        rc = CF_ENOMEM;
    for (size_t i = 0; !rc && i < req->nheaders; i++)
        hs[nh++] = (struct coffer_header){req->headers[i].key, req->headers[i].value};
    if (!rc && req->token)
        hs[nh++] = (struct coffer_header){"x-vault-token", req->token};
    struct coffer_fwd_response resp = {0};
    if (!rc) {
        struct coffer_fwd_request fr = {
            .method = req->method, .path = url.data,
            .query = req->query_raw ? req->query_raw : "",
            .headers = hs, .nheaders = nh,
            .remote_addr = req->remote_addr ? req->remote_addr : "",
            .body = (const uint8_t *)req->body, .body_len = req->body_len,
        };
        struct coffer_err err = {""};
        long long dur = f->core->cfg->nlisteners ? f->core->cfg->listeners[0].max_request_duration : 90;
        rc = cf_transport_roundtrip(f->tb, conn, &fr, (int)(dur > 0 ? dur : 90) * 1000, &resp, &err);
        if (rc)
            cf_log(&f->core->log, CF_LOG_WARN, "forwarding %s %s failed: %s", req->method,
                   req->path, err.msg[0] ? err.msg : "transport error");
    }
    pthread_rwlock_unlock(&f->conn_lock);
    free(hs);
    cf_buf_free(&url);
    if (rc)
        return rc;
    /* Relay status, headers and body exactly as the active node made them. */
    res->status = resp.status;
    if (resp.body_len) {
        res->raw = malloc(resp.body_len + 1);
        if (res->raw) {
            memcpy(res->raw, resp.body, resp.body_len);
            res->raw[resp.body_len] = '\0';
        }
    }
    int lost = resp.body_len && !res->raw;
    for (size_t i = 0; i < resp.nheaders; i++)
        if (!hop_header(resp.headers[i].name))
            cf_result_header(res, resp.headers[i].name, resp.headers[i].value);
    cf_transport_response_free(f->tb, &resp);
    if (lost) {
        cf_result_free(res);
        return CF_ENOMEM;
    }
    return 0;
}

/* Active side: one forwarded request through the normal core path. */
static void on_request(void *arg, const struct coffer_fwd_request *fr,
                       struct coffer_fwd_response *out)
{
    struct cf_forwarder *f = arg;
    struct cf_request *req = NULL;
    struct cf_result res = {0};
    int status = 500;
    const char *msg = "internal error";
    int rc = cf_http_request_from_parts(fr->method, fr->path, fr->query, fr->headers,
                                        fr->nheaders, fr->remote_addr, fr->body,
                                        fr->body_len, &req, &status, &msg);
    char err[256];
    if (rc == CF_EINVAL) {
        if (msg)
            cf_result_error(&res, status, "%s", msg);
        else
            res.status = status;
    } else if (rc) {
        cf_result_error(&res, 500, "internal error");
    } else if (cf_http_request_body(req, err, sizeof err)) {
        cf_result_error(&res, 400, "%s", err);
    } else {
        req->forwarded = 1;
        cf_core_handle(f->core, req, &res);
    }
    char *body = NULL;
    size_t len = 0;
    if (cf_envelope_render(&res, req ? req->id : NULL, &status, &body, &len)) {
        static const char FAIL[] = "{\"errors\":[\"internal error: cannot render response\"]}";
        body = strdup(FAIL);
        len = body ? sizeof FAIL - 1 : 0;
        status = 500;
    }
    out->status = status;
    out->body = (uint8_t *)body;
    out->body_len = len;
    out->headers = calloc(res.nheaders + 2, sizeof *out->headers);
    size_t n = 0;
    if (out->headers) {
        if (body) {
            out->headers[n].name = strdup("content-type");
            out->headers[n++].value = strdup("application/json");
        }
        out->headers[n].name = strdup("cache-control");
        out->headers[n++].value = strdup("no-store");
        for (size_t i = 0; i < res.nheaders; i++) {
            out->headers[n].name = strdup(res.headers[i].key);
            out->headers[n++].value = strdup(res.headers[i].value);
        }
    }
    out->nheaders = n;
    cf_result_free(&res);
    cf_request_free(req);
}

static void on_echo(void *arg, const char *node_info, const char *peer_addr)
{
    struct cf_forwarder *f = arg;
    (void)peer_addr;
    char err[64];
    yajl_val v = cf_json_parse(node_info, strlen(node_info), err, sizeof err);
    const char *id = cf_json_get_str(v, "node_id");
    if (!id || !*id) {
        if (v)
            yajl_tree_free(v);
        return;
    }
    pthread_mutex_lock(&f->mu);
    size_t i = 0;
    while (i < f->npeers && strcmp(f->peers[i].node_id, id))
        i++;
    if (i == f->npeers && f->npeers < MAX_PEERS)
        f->npeers++;
    if (i < f->npeers) {
        struct cf_peer *p = &f->peers[i];
        snprintf(p->node_id, sizeof p->node_id, "%s", id);
#define COPY(field, key) snprintf(p->field, sizeof p->field, "%s", \
        cf_json_get_str(v, key) ? cf_json_get_str(v, key) : "")
        COPY(api_addr, "api_addr");
        COPY(cluster_addr, "cluster_addr");
        COPY(hostname, "hostname");
        COPY(version, "version");
#undef COPY
        p->last_echo_ns = cf_now_ns();
    }
    pthread_mutex_unlock(&f->mu);
    yajl_tree_free(v);
}

void cf_forwarder_cluster_start(struct cf_forwarder *f, const char *cert_pem,
                                const char *key_pem, const char *name)
{
    const struct cf_config *cfg = f->core->cfg;
    struct coffer_tls_identity id = {cert_pem, key_pem, name};
    pthread_mutex_lock(&f->mu);
    f->npeers = 0;
    for (size_t i = 0; i < cfg->nlisteners && f->nlsn < MAX_LISTENERS; i++) {
        const char *addr = cfg->listeners[i].cluster_address;
        if (!addr || !*addr)
            continue;
        struct coffer_err err = {""};
        void *l = NULL;
        if (cf_transport_listen(f->tb, addr, &id, on_request, on_echo, f, &l, &err) == 0) {
            f->lsn[f->nlsn++] = l;
            cf_log(&f->core->log, CF_LOG_INFO, "cluster listener on %s", addr);
        } else {
            cf_log(&f->core->log, CF_LOG_ERROR, "cannot open the cluster listener on %s: %s",
                   addr, err.msg);
        }
    }
    pthread_mutex_unlock(&f->mu);
}

void cf_forwarder_cluster_stop(struct cf_forwarder *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = f->nlsn;
    void *l[MAX_LISTENERS];
    memcpy(l, f->lsn, sizeof l);
    f->nlsn = 0;
    pthread_mutex_unlock(&f->mu);
    /* Stopping waits for running handlers, which may need mu: unlocked. */
    for (size_t i = 0; i < n; i++)
        cf_transport_stop(f->tb, l[i]);
}

int cf_forwarder_peers(struct cf_forwarder *f, int max_age_ms, struct cf_peer **out,
                       size_t *n)
{
    pthread_mutex_lock(&f->mu);
    struct cf_peer *p = calloc(f->npeers + 1, sizeof *p);
    size_t k = 0;
    int64_t now = cf_now_ns();
    for (size_t i = 0; p && i < f->npeers; i++)
        if (now - f->peers[i].last_echo_ns < (int64_t)max_age_ms * 1000000)
            p[k++] = f->peers[i];
    pthread_mutex_unlock(&f->mu);
    if (!p)
        return CF_ENOMEM;
    *out = p;
    *n = k;
    return 0;
}

void cf_forwarder_last_echo(struct cf_forwarder *f, int64_t *when_ns, int64_t *rtt_us)
{
    pthread_mutex_lock(&f->mu);
    *when_ns = f->last_echo_ns;
    *rtt_us = f->last_rtt_us;
    pthread_mutex_unlock(&f->mu);
}

static char *node_info(struct cf_core *c)
{
    struct cf_json j;
    char *s = NULL;
    char api[512];
    const struct cf_config *cfg = c->cfg;
    snprintf(api, sizeof api, "%s", cfg->api_addr ? cfg->api_addr : "");
    if (cf_json_init(&j))
        return NULL;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "node_id", c->node_id);
    cf_json_kstr(&j, "api_addr", c->api_addr[0] ? c->api_addr : api);
    cf_json_kstr(&j, "cluster_addr", cfg->cluster_addr ? cfg->cluster_addr : "");
    cf_json_kstr(&j, "hostname", c->hostname);
    cf_json_kstr(&j, "version", COFFER_VERSION);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, &s) ? NULL : s;
}

/* A standby's heartbeat: tells the active node it is here (sys/ha-status)
 * and notices a dead active node within seconds. */
static void *heartbeat_main(void *arg)
{
    struct cf_forwarder *f = arg;
    struct cf_core *c = f->core;
    while (!atomic_load(&f->stop)) {
        if (c->ha && cf_core_unsealed(c) && !cf_ha_serving(c->ha)) {
            void *conn;
            if (leader_conn(f, &conn) == 0) {
                char *info = node_info(c);
                int64_t rtt = 0;
                int rc = info ? cf_transport_echo(f->tb, conn, info, 5000, &rtt) : CF_ENOMEM;
                pthread_rwlock_unlock(&f->conn_lock);
                free(info);
                pthread_mutex_lock(&f->mu);
                if (!rc) {
                    f->last_echo_ns = cf_now_ns();
                    f->last_rtt_us = rtt;
                }
                pthread_mutex_unlock(&f->mu);
            }
        }
        pthread_mutex_lock(&f->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += HEARTBEAT_MS / 1000;
        if (!atomic_load(&f->stop))
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}
