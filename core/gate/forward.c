/* Request forwarding: one pooled connection to the active node (rebuilt
 * when the advertisement changes), heartbeats every 2 s, and the cluster
 * listeners of the active node that hand forwarded requests to the same
 * gate as direct ones. */
#include "gate/forward.h"
#include "plugin/transport_backend.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/version.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEARTBEAT_MS 2000
#define MAX_LISTENERS 8
#define MAX_PEERS 64

struct cf_forwarder {
    struct cf_forwarder_cfg cfg;
    struct cf_transport_backend *tb;
    struct cf_ha *ha;
    const struct cf_logger *log;

    /* The connection to the active node, for leader generation gen.
     * Senders hold conn_lock shared while they use conn. */
    pthread_rwlock_t conn_lock;
    void *conn;
    unsigned gen;

    pthread_mutex_t mu; /* listeners, peers, heartbeat state */
    pthread_cond_t cv;
    void *lsn[MAX_LISTENERS];
    size_t nlsn;
    struct cf_ha_peer peers[MAX_PEERS];
    size_t npeers;
    pthread_t hb;
    int hb_started;
    atomic_int stop;
};

static void *heartbeat_main(void *arg);

int cf_forwarder_new(const struct cf_forwarder_cfg *cfg, struct cf_transport_backend *tb,
                     struct cf_ha *ha, const struct cf_logger *log,
                     struct cf_forwarder **out)
{
    struct cf_forwarder *f = calloc(1, sizeof *f);
    if (!f)
        return CF_ENOMEM;
    f->cfg = *cfg;
    f->tb = tb;
    f->ha = ha;
    f->log = log;
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
    unsigned gen;
    char *addr = NULL, *cert = NULL, *key = NULL, *name = NULL;
    int rc = cf_ha_leader_identity(f->ha, &gen, &addr, &cert, &key, &name);
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
            cf_log(f->log, CF_LOG_WARN,
                   "forwarding: cannot dial the active node at %s: %s", addr,
                   err.msg[0] ? err.msg : "invalid cluster address");
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

int cf_forwarder_send(struct cf_forwarder *f, const struct cf_request *req,
                      struct cf_result *res)
{
    const struct cf_fwd_codec *codec = f->cfg.codec;
    void *conn;
    if (leader_conn(f, &conn))
        return CF_EUNAVAIL;
    struct coffer_fwd_request fr;
    struct coffer_fwd_response resp = {0};
    /* No longer than the client waits: a late answer would be dropped. */
    int timeout_ms = f->cfg.request_timeout_ms;
    uint64_t now = cf_mono_ms();
    if (req->deadline_ms) {
        uint64_t left = req->deadline_ms > now ? req->deadline_ms - now : 1;
        if (left < (uint64_t)timeout_ms)
            timeout_ms = (int)left;
    }
    int rc = codec->request_encode(req, &fr);
    if (!rc) {
        struct coffer_err err = {""};
        rc = cf_transport_roundtrip(f->tb, conn, &fr, timeout_ms, &resp, &err);
        if (rc)
            cf_log(f->log, CF_LOG_WARN, "forwarding %s %s failed: %s", req->method,
                   req->path, err.msg[0] ? err.msg : "transport error");
        codec->request_release(&fr);
    }
    pthread_rwlock_unlock(&f->conn_lock);
    if (rc)
        return rc;
    /* Relay status, headers and body exactly as the active node made them. */
    rc = codec->response_decode(&resp, res);
    cf_transport_response_free(f->tb, &resp);
    if (rc)
        cf_result_free(res);
    return rc;
}

/* Active side: one forwarded request through the handler (the gate), as a
 * direct one would go. */
static void on_request(void *arg, const struct coffer_fwd_request *fr,
                       struct coffer_fwd_response *out)
{
    struct cf_forwarder *f = arg;
    struct cf_request *req = NULL;
    struct cf_result res = {0};
    int rc = f->cfg.codec->request_decode(fr, &req, &res);
    if (!rc)
        f->cfg.handle(f->cfg.handle_arg, req, &res);
    else if (rc != CF_EINVAL)
        cf_result_error(&res, 500, "internal error");
    f->cfg.codec->response_encode(&res, req ? req->id : NULL, out);
    cf_result_free(&res);
    cf_request_free(req);
}

static void on_echo(void *arg, const char *node_info, const char *peer_addr)
{
    struct cf_forwarder *f = arg;
    (void)peer_addr;
    yajl_val v = NULL;
    cf_json_parse(node_info, strlen(node_info), &v, NULL);
    const char *id = cf_json_get_str(v, "node_id");
    if (!id || !*id) {
        if (v)
            cf_json_free(v);
        return;
    }
    pthread_mutex_lock(&f->mu);
    size_t i = 0;
    while (i < f->npeers && strcmp(f->peers[i].node_id, id))
        i++;
    if (i == f->npeers && f->npeers < MAX_PEERS)
        f->npeers++;
    if (i < f->npeers) {
        struct cf_ha_peer *p = &f->peers[i];
        snprintf(p->node_id, sizeof p->node_id, "%s", id);
#define COPY(field, key)                                                                 \
    snprintf(p->field, sizeof p->field, "%s",                                            \
             cf_json_get_str(v, key) ? cf_json_get_str(v, key) : "")
        COPY(api_addr, "api_addr");
        COPY(cluster_addr, "cluster_addr");
        COPY(hostname, "hostname");
        COPY(version, "version");
#undef COPY
        p->last_echo_ns = cf_now_ns();
    }
    pthread_mutex_unlock(&f->mu);
    cf_json_free(v);
}

void cf_forwarder_cluster_start(struct cf_forwarder *f, const char *cert_pem,
                                const char *key_pem, const char *name)
{
    struct coffer_tls_identity id = {cert_pem, key_pem, name};
    pthread_mutex_lock(&f->mu);
    f->npeers = 0;
    for (size_t i = 0; i < f->cfg.nlisten && f->nlsn < MAX_LISTENERS; i++) {
        const char *addr = f->cfg.listen[i];
        if (!addr || !*addr)
            continue;
        struct coffer_err err = {""};
        void *l = NULL;
        if (cf_transport_listen(f->tb, addr, &id, on_request, on_echo, f, &l, &err) ==
            0) {
            f->lsn[f->nlsn++] = l;
            cf_log(f->log, CF_LOG_INFO, "cluster listener on %s", addr);
        } else {
            cf_log(f->log, CF_LOG_ERROR, "cannot open the cluster listener on %s: %s",
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

int cf_forwarder_peers(struct cf_forwarder *f, int max_age_ms, struct cf_ha_peer **out,
                       size_t *n)
{
    pthread_mutex_lock(&f->mu);
    struct cf_ha_peer *p = calloc(f->npeers + 1, sizeof *p);
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

static char *node_info(const struct cf_forwarder_cfg *cfg)
{
    struct cf_json j;
    char *s = NULL;
    if (cf_json_init(&j))
        return NULL;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "node_id", cfg->node_id);
    cf_json_kstr(&j, "api_addr", cfg->api_addr ? cfg->api_addr : "");
    cf_json_kstr(&j, "cluster_addr", cfg->cluster_addr ? cfg->cluster_addr : "");
    cf_json_kstr(&j, "hostname", cfg->hostname);
    cf_json_kstr(&j, "version", COFFER_VERSION);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, &s) ? NULL : s;
}

/* A standby's heartbeat: tells the active node it is here (sys/ha-status)
 * and notices a dead active node within seconds. */
static void *heartbeat_main(void *arg)
{
    struct cf_forwarder *f = arg;
    while (!atomic_load(&f->stop)) {
        struct cf_ha_view v;
        cf_ha_view(f->ha, &v);
        void *conn;
        /* running: unsealed and racing; not serving: a standby. */
        if (v.running && !cf_ha_serving(f->ha) && leader_conn(f, &conn) == 0) {
            char *info = node_info(&f->cfg);
            int64_t rtt = 0;
            if (info)
                cf_transport_echo(f->tb, conn, info, 5000, &rtt);
            pthread_rwlock_unlock(&f->conn_lock);
            free(info);
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
