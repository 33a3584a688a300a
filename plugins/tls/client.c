/* The dialing side of the tls transport: one persistent, lazily opened
 * connection per handle, many calls multiplexed over it by request id (a
 * table of pending calls, each with its own condition variable; a reader
 * thread delivers answers), per-call deadlines, and a reconnect at the next
 * call once the connection has died. */
#include "tls.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Connect + handshake bound when the caller gives no timeout. */
#define DEFAULT_CONNECT_MS 10000

struct tls_dial;

/* One TLS connection. Freed (under d->mu) once it is retired and no
 * caller is between registering and finishing its send on it. */
struct link {
    struct tls_dial *d;
    int fd;
    gnutls_session_t s;
    pthread_t reader;
    pthread_mutex_t wmu;   /* one frame at a time on the wire */
    int send_broken;       /* under wmu: a send failed, none may follow */
    int dead;              /* under d->mu */
    int users;             /* under d->mu */
    unsigned long answers; /* reader only */
    struct link *next;     /* in d->retired */
};

struct pending {
    uint64_t id;
    struct link *link;
    uint8_t reply; /* FRAME_RESPONSE or FRAME_PONG */
    pthread_cond_t cv;
    int done, rc;
    struct coffer_fwd_response resp;
    uint64_t echoed_us;
    struct pending *next;
};

struct tls_dial {
    struct tls_inst *in;
    char *addr;
    struct tls_cred *cred;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* link published/retired, calls left */
    struct link *link; /* current, NULL until (re)connected */
    struct link *retired;
    int connecting;
    int connect_fd; /* mid-handshake socket, for hangup */
    int closing;
    int calls;
    uint64_t next_id;
    struct pending *pending;
};

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void unlink_pending(struct tls_dial *d, struct pending *p)
{
    for (struct pending **pp = &d->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

/* With d->mu held: ends every call waiting on link (NULL: on any). */
static void fail_pending(struct tls_dial *d, struct link *k)
{
    for (struct pending **pp = &d->pending; *pp;) {
        struct pending *p = *pp;
        if (!k || p->link == k) {
            *pp = p->next;
            p->done = 1;
            p->rc = CF_EUNAVAIL;
            pthread_cond_signal(&p->cv);
        } else {
            pp = &p->next;
        }
    }
}

/* Hands an answer to its caller; 0 when nobody waits for it any more
 * (it timed out) and the caller of deliver keeps ownership. */
static int deliver(struct tls_dial *d, struct link *k, uint64_t id, uint8_t type,
                   struct coffer_fwd_response *r, uint64_t t)
{
    pthread_mutex_lock(&d->mu);
    struct pending *p = d->pending;
    while (p && !(p->id == id && p->link == k && p->reply == type))
        p = p->next;
    if (p) {
        unlink_pending(d, p);
        if (r)
            p->resp = *r;
        p->echoed_us = t;
        p->done = 1;
        p->rc = 0;
        pthread_cond_signal(&p->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return p != NULL;
}

static void *link_main(void *arg)
{
    struct link *k = arg;
    struct tls_dial *d = k->d;
    const struct coffer_host *h = d->in->host;
    int rc;
    for (;;) {
        uint8_t *f;
        uint32_t len;
        if ((rc = cf_tls_read_frame(k->s, &f, &len)))
            break;
        uint8_t type = f[0];
        uint64_t id = be64(f + 1);
        const uint8_t *payload = f + 9;
        uint32_t plen = len - 9;
        if (type == FRAME_RESPONSE) {
            struct coffer_fwd_response r = {0};
            rc = cf_tls_decode_response(h, payload, plen, &r);
            if (!rc && !deliver(d, k, id, type, &r, 0))
                cf_tls_response_clear(h, &r);
        } else if (type == FRAME_PONG) {
            uint64_t t;
            const uint8_t *info;
            uint32_t ilen;
            rc = cf_tls_decode_ping(payload, plen, &t, &info, &ilen);
            if (!rc)
                deliver(d, k, id, type, NULL, t);
        } else {
            rc = CF_EINVAL;
        }
        free(f);
        if (rc)
            break;
        k->answers++;
    }
    if (rc == CF_EINVAL)
        TLOG(d->in, CF_LOG_WARN,
             "closing the connection to %s: malformed "
             "frame from the peer",
             d->addr);
    else if (!k->answers)
        /* TLS 1.3: a server that refuses our certificate says so only
         * after the client's handshake has completed. */
        TLOG(d->in, CF_LOG_WARN,
             "connection to %s closed before any answer "
             "(the peer went away or refused our certificate)",
             d->addr);
    else
        TLOG(d->in, CF_LOG_DEBUG, "connection to %s closed", d->addr);
    shutdown(k->fd, SHUT_RDWR);
    pthread_mutex_lock(&d->mu);
    k->dead = 1;
    if (d->link == k)
        d->link = NULL;
    k->next = d->retired;
    d->retired = k;
    fail_pending(d, k);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

static void link_free(struct link *k)
{
    pthread_join(k->reader, NULL);
    gnutls_deinit(k->s);
    close(k->fd);
    pthread_mutex_destroy(&k->wmu);
    free(k);
}

/* With d->mu held: frees retired links nobody sends on. Their readers
 * have left the critical section already, so joining under mu is safe. */
static void reap(struct tls_dial *d)
{
    for (struct link **pp = &d->retired; *pp;) {
        struct link *k = *pp;
        if (k->users == 0) {
            *pp = k->next;
            link_free(k);
        } else {
            pp = &k->next;
        }
    }
}

static int remaining_ms(uint64_t deadline_us)
{
    if (deadline_us == UINT64_MAX)
        return DEFAULT_CONNECT_MS;
    uint64_t now = cf_tls_mono_us();
    if (now >= deadline_us)
        return 0;
    uint64_t ms = (deadline_us - now + 999) / 1000;
    return ms > DEFAULT_CONNECT_MS ? DEFAULT_CONNECT_MS : (int)ms;
}

/* Called without d->mu. A connected, verified link with its reader. */
static int open_link(struct tls_dial *d, uint64_t deadline_us, struct link **out,
                     struct coffer_err *err)
{
    int ms = remaining_ms(deadline_us);
    if (ms <= 0) {
        coffer_err_set(err, "tls: no time left to connect to %s", d->addr);
        return CF_ETIMEDOUT;
    }
    int fd, rc = cf_tls_connect(d->addr, ms, &fd, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&d->mu);
    d->connect_fd = fd;
    int closing = d->closing;
    pthread_mutex_unlock(&d->mu);
    char why[256] = "hung up";
    gnutls_session_t s = NULL;
    if (!closing) {
        ms = remaining_ms(deadline_us);
        rc = ms > 0 ? cf_tls_session_open(d->cred, fd, 0, ms, &s, why, sizeof why)
                    : CF_ETIMEDOUT;
    } else {
        rc = CF_EUNAVAIL;
    }
    pthread_mutex_lock(&d->mu);
    d->connect_fd = -1;
    pthread_mutex_unlock(&d->mu);
    if (rc) {
        close(fd);
        if (rc == CF_ETIMEDOUT)
            snprintf(why, sizeof why, "timed out");
        TLOG(d->in, CF_LOG_WARN, "TLS to %s failed: %s", d->addr, why);
        coffer_err_set(err, "tls: TLS to %s failed: %s", d->addr, why);
        return rc == CF_ENOMEM || rc == CF_ETIMEDOUT ? rc : CF_EUNAVAIL;
    }
    unsigned long long n = atomic_fetch_add(&d->in->client_handshakes, 1) + 1;
    TLOG(d->in, CF_LOG_DEBUG,
         "client handshake with %s done (%s, "
         "handshakes=%llu)",
         d->addr, gnutls_protocol_get_name(gnutls_protocol_get_version(s)), n);
    struct link *k = calloc(1, sizeof *k);
    if (!k) {
        gnutls_deinit(s);
        close(fd);
        coffer_err_set(err, "tls: out of memory");
        return CF_ENOMEM;
    }
    k->d = d;
    k->fd = fd;
    k->s = s;
    pthread_mutex_init(&k->wmu, NULL);
    if (pthread_create(&k->reader, NULL, link_main, k)) {
        pthread_mutex_destroy(&k->wmu);
        gnutls_deinit(s);
        close(fd);
        free(k);
        coffer_err_set(err, "tls: cannot start a thread");
        return CF_ENOMEM;
    }
    *out = k;
    return 0;
}

static int cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline_us)
{
    if (deadline_us == UINT64_MAX)
        return pthread_cond_wait(cv, mu);
    struct timespec ts = {(time_t)(deadline_us / 1000000u),
                          (long)(deadline_us % 1000000u) * 1000L};
    return pthread_cond_timedwait(cv, mu, &ts);
}

/* With d->mu held (dropped while connecting): d->link is live. */
static int ensure_link(struct tls_dial *d, uint64_t deadline_us, struct coffer_err *err)
{
    while (!d->link) {
        if (d->closing) {
            coffer_err_set(err, "tls: the connection to %s is hung up", d->addr);
            return CF_EUNAVAIL;
        }
        if (d->connecting) {
            if (cond_wait_until(&d->cv, &d->mu, deadline_us) == ETIMEDOUT &&
                d->connecting) {
                coffer_err_set(err, "tls: no connection to %s in time", d->addr);
                return CF_ETIMEDOUT;
            }
            continue;
        }
        reap(d);
        d->connecting = 1;
        pthread_mutex_unlock(&d->mu);
        struct link *k = NULL;
        int rc = open_link(d, deadline_us, &k, err);
        pthread_mutex_lock(&d->mu);
        d->connecting = 0;
        pthread_cond_broadcast(&d->cv);
        if (rc)
            return rc;
        // cppcheck-suppress nullPointerRedundantCheck ; open_link sets k whenever it returns 0
        if (k->dead) { /* refused right after the handshake */
            coffer_err_set(err,
                           "tls: %s closed the connection at once (it "
                           "refused our certificate?)",
                           d->addr);
            return CF_EUNAVAIL;
        }
        d->link = k;
        if (d->closing)
            shutdown(k->fd, SHUT_RDWR);
    }
    return 0;
}

/* Sends b (+ tail) with a fresh id and waits for the reply of type reply.
 * p's cv must be initialized on CLOCK_MONOTONIC. */
static int call(struct tls_dial *d, struct tls_wbuf *b, const uint8_t *tail,
                size_t tail_len, uint8_t reply, int timeout_ms, struct pending *p,
                struct coffer_err *err)
{
    uint64_t deadline =
        timeout_ms > 0 ? cf_tls_mono_us() + (uint64_t)timeout_ms * 1000u : UINT64_MAX;
    pthread_mutex_lock(&d->mu);
    d->calls++;
    int rc = ensure_link(d, deadline, err);
    if (rc)
        goto out;
    struct link *k = d->link;
    p->id = ++d->next_id;
    p->link = k;
    p->reply = reply;
    p->next = d->pending;
    d->pending = p;
    k->users++;
    cf_tls_frame_set_id(b, p->id);
    pthread_mutex_unlock(&d->mu);

    pthread_mutex_lock(&k->wmu);
    /* as on the server: no send after a failed one (GnuTLS may hold a
     * record pointing into the failed caller's buffer) */
    int src = k->send_broken ? CF_EUNAVAIL : cf_tls_send_all(k->s, b->p, b->len);
    if (!src && tail_len)
        src = cf_tls_send_all(k->s, tail, tail_len);
    if (src)
        k->send_broken = 1;
    pthread_mutex_unlock(&k->wmu);
    if (src) /* the reader sees the end and fails every call on k */
        shutdown(k->fd, SHUT_RDWR);

    pthread_mutex_lock(&d->mu);
    k->users--;
    while (!p->done)
        if (cond_wait_until(&p->cv, &d->mu, deadline) == ETIMEDOUT && !p->done) {
            unlink_pending(d, p);
            coffer_err_set(err, "tls: no answer from %s within %d ms", d->addr,
                           timeout_ms);
            rc = CF_ETIMEDOUT;
            goto out;
        }
    rc = p->rc;
    if (rc)
        coffer_err_set(err,
                       "tls: the connection to %s ended before the "
                       "answer (the peer is down, stopped, or refused our "
                       "certificate)",
                       d->addr);
out:
    d->calls--;
    if (d->closing)
        pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return rc;
}

static int pending_init(struct pending *p)
{
    memset(p, 0, sizeof *p);
    pthread_condattr_t a;
    if (pthread_condattr_init(&a))
        return CF_ENOMEM;
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&p->cv, &a) ? CF_ENOMEM : 0;
    pthread_condattr_destroy(&a);
    return rc;
}

int cf_tls_roundtrip(void *conn, const struct coffer_fwd_request *req, int timeout_ms,
                     struct coffer_fwd_response *resp, struct coffer_err *err)
{
    struct tls_dial *d = conn;
    struct coffer_err scratch;
    if (!err)
        err = &scratch;
    if (!d || !req || !resp) {
        coffer_err_set(err,
                       "tls: roundtrip needs a connection, a request and "
                       "a response");
        return CF_EINVAL;
    }
    struct tls_wbuf b = {0};
    const uint8_t *tail = NULL;
    size_t tail_len = 0;
    int rc = cf_tls_encode_request(req, &b, &tail, &tail_len);
    if (rc || b.oom) {
        cf_tls_wbuf_free(&b);
        coffer_err_set(err,
                       "tls: the request does not fit a frame (method "
                       "and path required; at most %u bytes in all)",
                       TLS_MAX_FRAME);
        return rc ? rc : CF_ENOMEM;
    }
    struct pending p;
    if ((rc = pending_init(&p))) {
        cf_tls_wbuf_free(&b);
        return rc;
    }
    rc = call(d, &b, tail, tail_len, FRAME_RESPONSE, timeout_ms, &p, err);
    pthread_cond_destroy(&p.cv);
    cf_tls_wbuf_free(&b);
    if (!rc)
        *resp = p.resp;
    return rc;
}

int cf_tls_echo(void *conn, const char *node_info, int timeout_ms, int64_t *rtt_us)
{
    struct tls_dial *d = conn;
    if (!d)
        return CF_EINVAL;
    struct tls_wbuf b = {0};
    uint64_t t0 = cf_tls_mono_us();
    size_t n = node_info ? strlen(node_info) : 0;
    int rc = cf_tls_encode_ping(FRAME_PING, 0, t0, (const uint8_t *)node_info, n, &b);
    if (rc) {
        cf_tls_wbuf_free(&b);
        return rc;
    }
    struct pending p;
    if ((rc = pending_init(&p))) {
        cf_tls_wbuf_free(&b);
        return rc;
    }
    struct coffer_err err;
    rc = call(d, &b, NULL, 0, FRAME_PONG, timeout_ms, &p, &err);
    pthread_cond_destroy(&p.cv);
    cf_tls_wbuf_free(&b);
    if (rc)
        return rc;
    if (p.echoed_us != t0)
        return CF_EIO; /* the peer did not echo our payload */
    if (rtt_us)
        *rtt_us = (int64_t)(cf_tls_mono_us() - t0);
    return 0;
}

int cf_tls_dial(void *inst, const char *addr, const struct coffer_tls_identity *id,
                void **conn, struct coffer_err *err)
{
    if (!addr || !conn) {
        coffer_err_set(err, "tls: dial needs an address and an out-pointer");
        return CF_EINVAL;
    }
    struct tls_dial *d = calloc(1, sizeof *d);
    if (!d || !(d->addr = strdup(addr))) {
        free(d);
        coffer_err_set(err, "tls: out of memory");
        return CF_ENOMEM;
    }
    d->in = inst;
    d->connect_fd = -1;
    int rc = cf_tls_cred_load(id, &d->cred, err);
    if (rc) {
        free(d->addr);
        free(d);
        return rc;
    }
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t a; /* deadlines are on the monotonic clock */
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cv, &a);
    pthread_condattr_destroy(&a);
    *conn = d;
    return 0;
}

void cf_tls_hangup(void *conn)
{
    struct tls_dial *d = conn;
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->closing = 1;
    fail_pending(d, NULL);
    if (d->connect_fd >= 0)
        shutdown(d->connect_fd, SHUT_RDWR);
    while (d->calls > 0 || d->connecting) {
        if (d->link)
            shutdown(d->link->fd, SHUT_RDWR);
        pthread_cond_wait(&d->cv, &d->mu);
    }
    if (d->link)
        shutdown(d->link->fd, SHUT_RDWR);
    while (d->link) /* its reader retires it */
        pthread_cond_wait(&d->cv, &d->mu);
    reap(d);
    pthread_mutex_unlock(&d->mu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    cf_tls_cred_free(d->cred);
    free(d->addr);
    free(d);
}
