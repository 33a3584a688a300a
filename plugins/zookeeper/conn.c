/* The zookeeper plugin's connection: config keys, the session (created,
 * watched, replaced after expiry, closed when its last user is done), the
 * one watcher every call registers, and ZooKeeper codes as CF_E* codes. */
#include "zk.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ZK_NOMEM (-1000) /* our own code beside ZooKeeper's */

/* libzookeeper's lines carry no context pointer, so they cannot reach the
 * instance's host log; the plugin logs state changes itself and the
 * library's own lines are shown only on request. */
static void zk_lib_log(const char *message)
{
    if (getenv("COFFER_ZK_TRACE"))
        fprintf(stderr, "libzookeeper: %s\n", message);
}

static uint64_t now_ms(const struct zk *z) { return z->host->monotonic_ms(); }

static void auth_done(int rc, const void *data)
{
    (void)rc;
    (void)data;
}

/* A new session (not yet connected) with the instance's reference. */
static struct zk_session *session_new(struct zk *z)
{
    struct zk_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->z = z;
    s->refs = 1;
    s->epoch = ++z->epochs;
    s->disconnected_at = now_ms(z);
    s->zh =
        zookeeper_init2(z->hosts, cf_zk_watcher, z->session_ms, NULL, s, 0, zk_lib_log);
    if (!s->zh) {
        free(s);
        return NULL;
    }
    if (z->auth_scheme &&
        zoo_add_auth(s->zh, z->auth_scheme, z->auth_cred, (int)strlen(z->auth_cred),
                     auth_done, NULL) != ZOK) {
        zookeeper_close(s->zh);
        free(s);
        return NULL;
    }
    return s;
}

/* Drops one reference; the last one closes the handle. Not under mu: the
 * close joins the client's threads, which may be waiting for mu. */
void cf_zk_release(struct zk *z, struct zk_session *s)
{
    pthread_mutex_lock(&z->mu);
    int last = --s->refs == 0;
    pthread_mutex_unlock(&z->mu);
    if (!last)
        return;
    zookeeper_close(s->zh);
    free(s);
}

void cf_zk_doom(struct zk *z, struct zk_session *s)
{
    pthread_mutex_lock(&z->mu);
    if (!s->expired)
        z->host->log(z->host->ctx, CF_LOG_WARN,
                     "giving up on session 0x%llx; "
                     "a new one will be opened",
                     (unsigned long long)zoo_client_id(s->zh)->client_id);
    s->expired = 1;
    s->connected = 0;
    s->gen++;
    pthread_cond_broadcast(&z->cv);
    pthread_mutex_unlock(&z->mu);
}

void cf_zk_wait_event(struct zk *z, struct zk_session *s, uint64_t gen, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (s->gen == gen && pthread_cond_timedwait(&z->cv, &z->mu, &ts) != ETIMEDOUT)
        ;
}

struct zk_session *cf_zk_acquire(struct zk *z, const struct coffer_cancel *cancel,
                                 int *rc)
{
    uint64_t deadline = now_ms(z) + (uint64_t)z->request_ms;
    struct zk_session *old = NULL;
    pthread_mutex_lock(&z->mu);
    for (;;) {
        struct zk_session *s = z->sess;
        if (s->expired && !z->closing) {
            struct zk_session *n = session_new(z);
            if (n) {
                z->sess = n;
                if (--s->refs == 0)
                    old = s; /* closed below, outside mu */
                s = n;
            }
        }
        if (s->connected && !s->expired) {
            s->refs++;
            pthread_mutex_unlock(&z->mu);
            if (old) {
                zookeeper_close(old->zh);
                free(old);
            }
            return s;
        }
        int why = 0;
        if (z->closing || z->host->cancelled(z->host->ctx) ||
            (cancel && cancel->cancelled(cancel->arg)))
            why = CF_ECANCELED;
        else if (now_ms(z) >= deadline)
            why = CF_EUNAVAIL;
        if (why) {
            pthread_mutex_unlock(&z->mu);
            if (old) {
                zookeeper_close(old->zh);
                free(old);
            }
            *rc = why;
            return NULL;
        }
        cf_zk_wait_event(z, s, s->gen, 100);
    }
}

void cf_zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    struct zk_session *s = ctx;
    struct zk *z = s->z;
    pthread_mutex_lock(&z->mu);
    if (type == ZOO_SESSION_EVENT) {
        if (state == ZOO_CONNECTED_STATE) {
            if (!s->connected && !s->expired)
                z->host->log(z->host->ctx, CF_LOG_DEBUG,
                             "connected to %s "
                             "(session 0x%llx, timeout %d ms)",
                             z->hosts, (unsigned long long)zoo_client_id(zh)->client_id,
                             zoo_recv_timeout(zh));
            s->connected = !s->expired;
            s->disconnected_at = 0;
            s->negotiated_ms = zoo_recv_timeout(zh);
        } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
            if (!s->expired)
                z->host->log(z->host->ctx, CF_LOG_WARN, "session %s",
                             state == ZOO_EXPIRED_SESSION_STATE
                                 ? "expired"
                                 : "closed: authentication failed (auth_info)");
            s->auth_failed |= state == ZOO_AUTH_FAILED_STATE;
            s->expired = 1;
            s->connected = 0;
        } else {
            if (s->connected)
                z->host->log(z->host->ctx, CF_LOG_INFO,
                             "disconnected from "
                             "%s; reconnecting",
                             z->hosts);
            s->connected = 0;
            if (!s->disconnected_at)
                s->disconnected_at = now_ms(z);
        }
    } else if (type == ZOO_DELETED_EVENT && path && z->hooks) {
        z->hooks->node_deleted(z, s, path);
    }
    s->gen++;
    pthread_cond_broadcast(&z->cv);
    pthread_mutex_unlock(&z->mu);
}

int cf_zk_error(int zrc)
{
    switch (zrc) {
    case ZOK:
        return 0;
    case ZNONODE:
        return CF_ENOENT;
    case ZNODEEXISTS:
        return CF_EEXIST;
    case ZNOAUTH:
    case ZAUTHFAILED:
        return CF_EDENIED;
    case ZBADARGUMENTS:
    case ZINVALIDACL:
        return CF_EINVAL;
    case ZK_NOMEM:
        return CF_ENOMEM;
    default:
        return cf_zk_retryable(zrc) || zrc == ZCLOSING ? CF_EUNAVAIL : CF_EIO;
    }
}

int cf_zk_retryable(int zrc)
{
    return zrc == ZCONNECTIONLOSS || zrc == ZOPERATIONTIMEOUT || zrc == ZSESSIONEXPIRED ||
        zrc == ZINVALIDSTATE || zrc == ZSESSIONMOVED;
}

static int bad_part(const char *p, size_t n)
{
    return n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.');
}

char *cf_zk_node_path(const struct zk *z, const char *key)
{
    if (!key || !*key || key[0] == '/')
        return NULL;
    const char *slash = strrchr(key, '/');
    size_t dlen = slash ? (size_t)(slash - key) : 0;
    for (const char *p = key; p < key + dlen;) {
        const char *e = memchr(p, '/', (size_t)(key + dlen - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(key + dlen - p);
        if (bad_part(p, n))
            return NULL;
        p += n + 1;
    }
    const char *file = slash ? slash + 1 : key;
    char *out;
    if (asprintf(&out, "%s%s%.*s/_%s", z->base, dlen ? "/" : "", (int)dlen, key, file) <
        0)
        return NULL;
    return out;
}

int cf_zk_make_parents(struct zk *z, struct zk_session *s, const char *node)
{
    size_t len = strlen(node);
    char *p = malloc(len + 1);
    if (!p)
        return ZK_NOMEM;
    memcpy(p, node, len + 1);
    int zrc = ZOK;
    for (char *c = strchr(p + 1, '/'); c; c = strchr(c + 1, '/')) {
        *c = '\0';
        zrc = zoo_create(s->zh, p, NULL, -1, &z->acl, 0, NULL, 0);
        *c = '/';
        if (zrc == ZNODEEXISTS)
            zrc = ZOK;
        if (zrc)
            break;
    }
    free(p);
    return zrc;
}

/* ---- config ---- */

static int cfg_string(const struct coffer_host *h, const char *key, const char *def,
                      const char **out, struct coffer_err *err)
{
    int rc = h->config_string(h->ctx, key, out);
    if (rc == CF_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc)
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: config key \"%s\" "
                 "must be a string",
                 key);
    return rc ? CF_ECONFIG : 0;
}

static int cfg_seconds(const struct coffer_host *h, const char *key, long long def,
                       long long *out, struct coffer_err *err)
{
    int rc = h->config_int(h->ctx, key, out);
    if (rc == CF_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc || *out < 1 || *out > 3600) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: config key \"%s\" "
                 "must be a duration from 1s to 1h, such as \"5s\"",
                 key);
        return CF_ECONFIG;
    }
    return 0;
}

/* "/a/b" from "a/b/" or "/a/b"; "" for the root. */
static char *norm_base(const char *path)
{
    while (*path == '/')
        path++;
    size_t n = strlen(path);
    while (n && path[n - 1] == '/')
        n--;
    for (const char *p = path; p < path + n;) {
        const char *e = memchr(p, '/', (size_t)(path + n - p));
        size_t len = e ? (size_t)(e - p) : (size_t)(path + n - p);
        if (bad_part(p, len))
            return NULL;
        p += len + 1;
    }
    char *out;
    if (asprintf(&out, "%s%.*s", n ? "/" : "", (int)n, path) < 0)
        return NULL;
    return out;
}

static int read_config(struct zk *z, struct coffer_err *err)
{
    const struct coffer_host *h = z->host;
    const char *address, *path, *auth, *owner;
    long long sess, req;
    int tls = 0, rc;
    if ((rc = cfg_string(h, "address", "localhost:2181", &address, err)) ||
        (rc = cfg_string(h, "path", "vault/", &path, err)) ||
        (rc = cfg_string(h, "auth_info", NULL, &auth, err)) ||
        (rc = cfg_string(h, "znode_owner", NULL, &owner, err)) ||
        (rc = cfg_seconds(h, "session_timeout", 5, &sess, err)) ||
        (rc = cfg_seconds(h, "request_timeout", sess, &req, err)))
        return rc;
    rc = h->config_bool(h->ctx, "tls_enabled", &tls);
    if (rc && rc != CF_ENOENT) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: config key "
                 "\"tls_enabled\" must be true or false");
        return CF_ECONFIG;
    }
    if (tls) {
        /* Debian's libzookeeper-mt is built without OpenSSL: its header
         * declares zookeeper_init_ssl only under HAVE_OPENSSL_H. */
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: tls_enabled = true, "
                 "but this build's libzookeeper_mt has no TLS support "
                 "(no zookeeper_init_ssl) — set tls_enabled = false or reach "
                 "ZooKeeper through a TLS tunnel");
        return CF_ECONFIG;
    }
    if (!*address || strchr(address, ' ')) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: config key \"address\" "
                 "must be a comma-separated list such as "
                 "\"127.0.0.1:2181,host2:2181\"");
        return CF_ECONFIG;
    }
    if (!(z->base = norm_base(path))) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: config key \"path\" "
                 "(\"%s\") must be a znode path without empty, \".\" or \"..\" "
                 "parts, such as \"vault/\"",
                 path);
        return CF_ECONFIG;
    }
    if (auth) {
        const char *colon = strchr(auth, ':');
        if (!colon || colon == auth || !colon[1]) {
            snprintf(err->msg, sizeof err->msg,
                     "zookeeper: config key "
                     "\"auth_info\" must be \"scheme:credentials\", such as "
                     "\"digest:user:password\"");
            return CF_ECONFIG;
        }
        z->auth_scheme = strndup(auth, (size_t)(colon - auth));
        z->auth_cred = strdup(colon + 1);
    }
    if (owner) {
        const char *colon = strchr(owner, ':');
        if (!colon || colon == owner || !colon[1]) {
            snprintf(err->msg, sizeof err->msg,
                     "zookeeper: config key "
                     "\"znode_owner\" must be \"scheme:id\", such as "
                     "\"digest:user:base64-sha1-hash\"");
            return CF_ECONFIG;
        }
        z->owner_acl.perms = ZOO_PERM_ALL;
        z->owner_acl.id.scheme = strndup(owner, (size_t)(colon - owner));
        z->owner_acl.id.id = strdup(colon + 1);
        z->acl.count = 1;
        z->acl.data = &z->owner_acl;
    } else if (auth) {
        /* Stricter than Vault (which leaves them world-writable): the
         * identity auth_info logs in as owns what it creates. */
        z->acl = ZOO_CREATOR_ALL_ACL;
    } else {
        z->acl = ZOO_OPEN_ACL_UNSAFE;
    }
    z->hosts = strdup(address);
    z->session_ms = (int)sess * 1000;
    z->request_ms = (int)req * 1000;
    if (!z->hosts || (auth && (!z->auth_scheme || !z->auth_cred)) ||
        (owner && (!z->owner_acl.id.scheme || !z->owner_acl.id.id))) {
        snprintf(err->msg, sizeof err->msg, "zookeeper: out of memory");
        return CF_ENOMEM;
    }
    return 0;
}

static void zk_free(struct zk *z)
{
    free(z->hosts);
    free(z->base);
    if (z->auth_cred)
        z->host->free_secret(z->auth_cred, strlen(z->auth_cred));
    free(z->auth_scheme);
    free(z->owner_acl.id.scheme);
    free(z->owner_acl.id.id);
    pthread_mutex_destroy(&z->mu);
    pthread_cond_destroy(&z->cv);
    free(z);
}

/* Waits up to the session timeout for the first connection. */
static int first_connect(struct zk *z, struct coffer_err *err)
{
    uint64_t deadline = now_ms(z) + (uint64_t)z->session_ms;
    pthread_mutex_lock(&z->mu);
    struct zk_session *s = z->sess;
    while (!s->connected && !s->expired && now_ms(z) < deadline)
        cf_zk_wait_event(z, s, s->gen, 100);
    int ok = s->connected, auth = s->auth_failed;
    pthread_mutex_unlock(&z->mu);
    if (ok)
        return 0;
    if (auth) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: %s refused the "
                 "credentials of auth_info (scheme \"%s\")",
                 z->hosts, z->auth_scheme ? z->auth_scheme : "?");
        return CF_EDENIED;
    }
    snprintf(err->msg, sizeof err->msg,
             "zookeeper: cannot connect to %s "
             "within %ds",
             z->hosts, z->session_ms / 1000);
    return CF_EUNAVAIL;
}

int cf_zk_open(const struct coffer_host *host, const struct zk_ha_hooks *hooks,
               struct zk **out, struct coffer_err *err)
{
    struct zk *z = calloc(1, sizeof *z);
    if (!z) {
        snprintf(err->msg, sizeof err->msg, "zookeeper: out of memory");
        return CF_ENOMEM;
    }
    z->host = host;
    z->hooks = hooks;
    pthread_mutex_init(&z->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&z->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = read_config(z, err);
    if (rc) {
        zk_free(z);
        return rc;
    }
    if (!z->auth_scheme && !z->owner_acl.id.scheme)
        host->log(host->ctx, CF_LOG_WARN,
                  "zookeeper: neither auth_info nor "
                  "znode_owner is set: the znodes under %s are open to anyone "
                  "who can reach %s, who can delete the lock or the data; set "
                  "auth_info (its identity then owns the znodes it creates)",
                  z->base[0] ? z->base : "/", z->hosts);
    pthread_mutex_lock(&z->mu);
    z->sess = session_new(z);
    pthread_mutex_unlock(&z->mu);
    if (!z->sess) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: cannot start a client "
                 "for \"%s\": %s",
                 z->hosts, strerror(errno));
        zk_free(z);
        return CF_ECONFIG;
    }
    if (!(rc = first_connect(z, err))) {
        /* The base folder, so that lists of "" work from the start. */
        char *probe;
        if (asprintf(&probe, "%s/x", z->base) < 0) {
            rc = CF_ENOMEM;
        } else {
            int zrc = cf_zk_make_parents(z, z->sess, probe);
            free(probe);
            if (zrc) {
                rc = cf_zk_error(zrc);
                snprintf(err->msg, sizeof err->msg,
                         "zookeeper: cannot create "
                         "\"%s\" on %s: %s%s",
                         z->base, z->hosts, zerror(zrc),
                         zrc == ZNOAUTH ? " (check auth_info "
                                          "and the ACL of the existing znodes)"
                                        : "");
            }
        }
    }
    if (!rc && hooks && pthread_create(&z->watchdog, NULL, hooks->watchdog, z)) {
        snprintf(err->msg, sizeof err->msg,
                 "zookeeper: cannot start a "
                 "thread");
        rc = CF_ENOMEM;
    }
    if (rc) {
        cf_zk_release(z, z->sess);
        zk_free(z);
        return rc;
    }
    *out = z;
    return 0;
}

void cf_zk_close(struct zk *z)
{
    if (!z)
        return;
    pthread_mutex_lock(&z->mu);
    z->closing = 1;
    pthread_cond_broadcast(&z->cv);
    pthread_mutex_unlock(&z->mu);
    if (z->hooks)
        pthread_join(z->watchdog, NULL);
    cf_zk_release(z, z->sess);
    zk_free(z);
}
