/* The serving side of the tls transport: an accept thread that also
 * drives every handshake on non-blocking sockets, so a peer that is not
 * verified costs a socket and a TLS session but no thread; one reader
 * thread per verified connection (decode frames, answer PING); and a
 * worker pool that runs the host's handler so that many requests of one
 * connection are in flight at once and a slow one delays no other.
 * Responses are written under a per-connection write mutex. */
#include "tls.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The pool grows on demand to this many threads and keeps them until
 * stop(); requests beyond it wait in the queue. */
#define MAX_WORKERS 64
/* Peers not yet verified are held by the acceptor for at most
 * TLS_ACCEPT_HANDSHAKE_MS, each a socket and a TLS session (no thread):
 * this many at once, this many from one address; more are closed at
 * accept. A cluster member holds one link per peer, so the caps only bite
 * a flood, and the global one only a flood from 32 addresses or more. */
#define MAX_HANDSHAKES 256
#define MAX_HANDSHAKES_PER_ADDR 8
#define LOG_EVERY_US (10u * 1000000u) /* one refusal line per 10 s */

struct tls_listener;

struct srv_conn {
    struct tls_listener *l;
    int fd;
    gnutls_session_t s; /* set by the reader before any job exists */
    pthread_t reader;
    pthread_mutex_t wmu;  /* one frame at a time on the wire */
    int send_broken;      /* under wmu: a send failed, none may follow */
    int refs;             /* under l->mu: the list's, one per job */
    int finished;         /* under l->mu: the reader returned */
    int handshaking;      /* under l->mu: not verified yet, held by the acceptor */
    int has_reader;       /* reader started: stop() joins it */
    uint64_t deadline_us; /* end of the handshake */
    char peer[64];
    size_t host_len; /* peer[0..host_len): the address without port */
    struct srv_conn *next;
};

struct job {
    struct srv_conn *c;
    uint64_t id;
    struct tls_req r;
    struct job *next;
};

struct worker {
    pthread_t th;
    struct worker *next;
};

struct tls_listener {
    struct tls_inst *in;
    struct tls_cred *cred;
    coffer_fwd_handler on_request;
    coffer_echo_handler on_echo;
    void *arg;
    char *addr;
    int fd;
    int wake[2]; /* stop() and finished readers poke the acceptor */
    pthread_t acceptor;
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct srv_conn *conns;
    struct job *head, *tail;
    size_t queued;
    struct worker *workers;
    int nworkers, idle;
    int stopping;
    int self_reap; /* stop() ran on a worker: that worker frees l */
    /* under mu: refusals a peer can cause at will, logged once per period */
    uint64_t refuse_log_us;
    unsigned refused; /* since the last refusal line */
};

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void poke(struct tls_listener *l)
{
    ssize_t r;
    do
        r = write(l->wake[1], "x", 1);
    while (r < 0 && errno == EINTR);
}

static void conn_free(struct srv_conn *c)
{
    if (c->s)
        gnutls_deinit(c->s);
    close(c->fd);
    pthread_mutex_destroy(&c->wmu);
    free(c);
}

/* Called with l->mu held; 1 when the caller must conn_free(c) after
 * unlocking. */
static int conn_unref(struct srv_conn *c) { return --c->refs == 0; }

static int send_frame(struct srv_conn *c, const struct tls_wbuf *b, const uint8_t *tail,
                      size_t tail_len)
{
    pthread_mutex_lock(&c->wmu);
    /* After a failed send GnuTLS may still hold a record that points into
     * the failed caller's buffer, to finish on the next send: nothing more
     * may be sent on this session. */
    int rc = c->send_broken ? CF_EUNAVAIL : cf_tls_send_all(c->s, b->p, b->len);
    if (!rc && tail_len)
        rc = cf_tls_send_all(c->s, tail, tail_len);
    if (rc)
        c->send_broken = 1;
    pthread_mutex_unlock(&c->wmu);
    if (rc) /* a half-written frame: the stream is lost, end the reader */
        shutdown(c->fd, SHUT_RDWR);
    return rc;
}

static void run_job(struct tls_listener *l, struct job *j)
{
    const struct coffer_host *h = l->in->host;
    struct coffer_fwd_response resp = {0};
    l->on_request(l->arg, &j->r.req, &resp);
    cf_tls_req_free(&j->r);
    struct tls_wbuf b = {0};
    const uint8_t *tail = NULL;
    size_t tail_len = 0;
    if (cf_tls_encode_response(j->id, &resp, &b, &tail, &tail_len)) {
        TLOG(l->in, CF_LOG_ERROR,
             "response to %s does not fit a frame "
             "(status %d, %zu headers, %zu body bytes): sending 500",
             j->c->peer, resp.status, resp.nheaders, resp.body_len);
        cf_tls_wbuf_free(&b);
        b = (struct tls_wbuf){0};
        struct coffer_fwd_response e = {.status = 500};
        cf_tls_encode_response(j->id, &e, &b, &tail, &tail_len);
    }
    if (!b.oom)
        send_frame(j->c, &b, tail, tail_len);
    cf_tls_wbuf_free(&b);
    cf_tls_response_clear(h, &resp);
}

static void listener_release(struct tls_listener *l);

static void *worker_main(void *arg)
{
    struct tls_listener *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stopping) {
            l->idle++;
            pthread_cond_wait(&l->work, &l->mu);
            l->idle--;
        }
        if (l->stopping)
            break;
        struct job *j = l->head;
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->queued--;
        pthread_mutex_unlock(&l->mu);
        run_job(l, j);
        pthread_mutex_lock(&l->mu);
        struct srv_conn *dead = conn_unref(j->c) ? j->c : NULL;
        free(j);
        if (dead) {
            pthread_mutex_unlock(&l->mu);
            conn_free(dead);
            pthread_mutex_lock(&l->mu);
        }
    }
    int reap = l->self_reap; /* set by this very thread, in stop() */
    pthread_mutex_unlock(&l->mu);
    if (reap)
        listener_release(l);
    return NULL;
}

/* Takes frame. CF_EINVAL on a malformed request (the caller closes). */
static int enqueue(struct srv_conn *c, uint64_t id, uint8_t *frame, uint32_t len)
{
    struct tls_listener *l = c->l;
    struct job *j = calloc(1, sizeof *j);
    if (!j) {
        free(frame);
        return CF_ENOMEM;
    }
    int rc = cf_tls_decode_request(frame, len, &j->r);
    if (rc) {
        free(j);
        return rc;
    }
    j->c = c;
    j->id = id;
    pthread_mutex_lock(&l->mu);
    if (l->stopping) {
        pthread_mutex_unlock(&l->mu);
        cf_tls_req_free(&j->r);
        free(j);
        return 0;
    }
    c->refs++;
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->queued++;
    if (l->queued > (size_t)l->idle && l->nworkers < MAX_WORKERS) {
        struct worker *w = calloc(1, sizeof *w);
        if (w && pthread_create(&w->th, NULL, worker_main, l) == 0) {
            w->next = l->workers;
            l->workers = w;
            l->nworkers++;
        } else {
            free(w);
        }
    }
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

/* Tells the host, then answers with the same payload: once the dialer's
 * echo() returns, on_echo has run (heartbeat state is never behind). */
static int pong(struct srv_conn *c, uint64_t id, const uint8_t *payload, uint32_t len)
{
    uint64_t t;
    const uint8_t *info;
    uint32_t info_len;
    if (cf_tls_decode_ping(payload, len, &t, &info, &info_len))
        return CF_EINVAL;
    if (c->l->on_echo) {
        char *s = malloc((size_t)info_len + 1);
        if (s) {
            memcpy(s, info, info_len);
            s[info_len] = '\0';
            c->l->on_echo(c->l->arg, s, c->peer);
            free(s);
        }
    }
    struct tls_wbuf b = {0};
    int rc = cf_tls_encode_ping(FRAME_PONG, id, t, info, info_len, &b);
    if (!rc)
        rc = send_frame(c, &b, NULL, 0);
    cf_tls_wbuf_free(&b);
    return rc;
}

/* A WARN line for a refused peer, at most one per LOG_EVERY_US with the
 * count of those since; the rest at debug level. */
static void log_refusal(struct tls_listener *l, const char *peer, const char *why)
{
    uint64_t now = cf_tls_mono_us();
    pthread_mutex_lock(&l->mu);
    unsigned n = l->refused++;
    int say = !l->refuse_log_us || now - l->refuse_log_us >= LOG_EVERY_US;
    if (say) {
        l->refuse_log_us = now;
        l->refused = 0;
    }
    pthread_mutex_unlock(&l->mu);
    if (say)
        TLOG(l->in, CF_LOG_WARN,
             "refused cluster connection from %s: %s (%u more "
             "refused since the last such line)",
             peer, why, n);
    else
        TLOG(l->in, CF_LOG_DEBUG, "refused cluster connection from %s: %s", peer, why);
}

static void *conn_main(void *arg)
{
    struct srv_conn *c = arg;
    struct tls_listener *l = c->l;
    gnutls_session_t s = c->s;
    int rc;
    for (;;) {
        uint8_t *f;
        uint32_t len;
        rc = cf_tls_read_frame(s, &f, &len);
        if (rc) {
            if (rc == CF_EINVAL)
                TLOG(l->in, CF_LOG_WARN,
                     "closing %s: frame length out of "
                     "range (limit %u bytes)",
                     c->peer, TLS_MAX_FRAME);
            break;
        }
        uint8_t type = f[0];
        uint64_t id = be64(f + 1);
        if (type == FRAME_REQUEST) {
            rc = enqueue(c, id, f, len);
        } else if (type == FRAME_PING) {
            rc = pong(c, id, f + 9, len - 9);
            free(f);
        } else {
            free(f);
            rc = CF_EINVAL;
        }
        if (rc) {
            if (rc == CF_EINVAL)
                TLOG(l->in, CF_LOG_WARN,
                     "closing %s: malformed frame (type "
                     "%u)",
                     c->peer, type);
            break;
        }
    }
    shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_lock(&l->mu);
    c->finished = 1;
    pthread_mutex_unlock(&l->mu);
    poke(l);
    return NULL;
}

/* Joins and releases connections whose reader has returned. Acceptor
 * thread only (stop() joins the rest after the acceptor is gone). */
static void reap(struct tls_listener *l)
{
    struct srv_conn *done = NULL;
    pthread_mutex_lock(&l->mu);
    for (struct srv_conn **pp = &l->conns; *pp;) {
        struct srv_conn *c = *pp;
        if (c->finished) {
            *pp = c->next;
            c->next = done;
            done = c;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&l->mu);
    while (done) {
        struct srv_conn *c = done;
        done = c->next;
        pthread_join(c->reader, NULL);
        pthread_mutex_lock(&l->mu);
        int last = conn_unref(c);
        pthread_mutex_unlock(&l->mu);
        if (last)
            conn_free(c);
    }
}

/* A socket back to blocking once its handshake is done: the reader and
 * the send timeout expect it. */
static void set_blocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Drops a connection that never got a reader. Acceptor thread only. */
static void drop_pending(struct tls_listener *l, struct srv_conn *c, const char *why)
{
    pthread_mutex_lock(&l->mu);
    for (struct srv_conn **pp = &l->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&l->mu);
    log_refusal(l, c->peer, why);
    conn_free(c);
}

/* One step of c's handshake, after poll said its socket is ready (or its
 * time is up). Acceptor thread only: pending connections are its own. */
static void handshake_step(struct tls_listener *l, struct srv_conn *c, uint64_t now)
{
    char why[256];
    int rc = cf_tls_session_step(c->s, why, sizeof why);
    if (rc == 1) {
        if (now >= c->deadline_us)
            drop_pending(l, c, "TLS handshake not done in time");
        return;
    }
    if (!rc)
        rc = cf_tls_session_finish(l->cred, c->s, c->fd, why, sizeof why);
    if (rc) {
        drop_pending(l, c, why);
        return;
    }
    set_blocking(c->fd);
    unsigned long long n = atomic_fetch_add(&l->in->server_handshakes, 1) + 1;
    TLOG(l->in, CF_LOG_DEBUG, "server handshake with %s done (%s, handshakes=%llu)",
         c->peer, gnutls_protocol_get_name(gnutls_protocol_get_version(c->s)), n);
    pthread_mutex_lock(&l->mu);
    c->handshaking = 0;
    int ok = pthread_create(&c->reader, NULL, conn_main, c) == 0;
    c->has_reader = ok;
    pthread_mutex_unlock(&l->mu);
    if (!ok) {
        TLOG(l->in, CF_LOG_ERROR, "cannot start a reader for %s", c->peer);
        drop_pending(l, c, "no thread for its reader");
    }
}

static void accept_one(struct tls_listener *l)
{
    int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            poll(NULL, 0, 50); /* out of descriptors: do not spin */
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct srv_conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->l = l;
    c->fd = fd;
    c->refs = 1;
    pthread_mutex_init(&c->wmu, NULL);
    cf_tls_peer_name(fd, c->peer, sizeof c->peer);
    const char *colon = strrchr(c->peer, ':');
    c->host_len = colon ? (size_t)(colon - c->peer) : strlen(c->peer);
    pthread_mutex_lock(&l->mu);
    int all = 0, same = 0;
    for (struct srv_conn *o = l->conns; o; o = o->next) {
        if (!o->handshaking)
            continue;
        all++;
        same += o->host_len == c->host_len && !memcmp(o->peer, c->peer, c->host_len);
    }
    pthread_mutex_unlock(&l->mu);
    char why[256];
    if (all >= MAX_HANDSHAKES || same >= MAX_HANDSHAKES_PER_ADDR) {
        snprintf(why, sizeof why,
                 "%d handshakes in progress (at most %d, %d per address)", all,
                 MAX_HANDSHAKES, MAX_HANDSHAKES_PER_ADDR);
        log_refusal(l, c->peer, why);
        conn_free(c);
        return;
    }
    if (cf_tls_session_start(l->cred, fd, 1, &c->s, why, sizeof why)) {
        log_refusal(l, c->peer, why);
        conn_free(c);
        return;
    }
    c->handshaking = 1;
    c->deadline_us = cf_tls_mono_us() + TLS_ACCEPT_HANDSHAKE_MS * 1000ull;
    pthread_mutex_lock(&l->mu);
    c->next = l->conns;
    l->conns = c;
    pthread_mutex_unlock(&l->mu);
}

static void *accept_main(void *arg)
{
    struct tls_listener *l = arg;
    for (;;) {
        /* the listening socket, the wake pipe, then each handshake in
         * progress in the direction GnuTLS waits for */
        struct pollfd p[2 + MAX_HANDSHAKES];
        struct srv_conn *pend[MAX_HANDSHAKES];
        int n = 0, timeout = -1;
        uint64_t now = cf_tls_mono_us();
        p[0] = (struct pollfd){l->fd, POLLIN, 0};
        p[1] = (struct pollfd){l->wake[0], POLLIN, 0};
        pthread_mutex_lock(&l->mu);
        for (struct srv_conn *c = l->conns; c && n < MAX_HANDSHAKES; c = c->next) {
            if (!c->handshaking)
                continue;
            short ev = gnutls_record_get_direction(c->s) ? POLLOUT : POLLIN;
            p[2 + n] = (struct pollfd){c->fd, ev, 0};
            pend[n++] = c;
            int ms = c->deadline_us > now ? (int)((c->deadline_us - now) / 1000) + 1 : 0;
            if (timeout < 0 || ms < timeout)
                timeout = ms;
        }
        pthread_mutex_unlock(&l->mu);
        if (poll(p, (nfds_t)(2 + n), timeout) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents) {
            char buf[64];
            while (read(l->wake[0], buf, sizeof buf) > 0)
                ;
            pthread_mutex_lock(&l->mu);
            int stopping = l->stopping;
            pthread_mutex_unlock(&l->mu);
            if (stopping)
                break;
            reap(l);
        }
        now = cf_tls_mono_us();
        for (int i = 0; i < n; i++)
            if (p[2 + i].revents || now >= pend[i]->deadline_us)
                handshake_step(l, pend[i], now);
        if (p[0].revents & POLLIN)
            accept_one(l);
    }
    return NULL;
}

int cf_tls_listen(void *inst, const char *addr, const struct coffer_tls_identity *id,
                  coffer_fwd_handler on_request, coffer_echo_handler on_echo, void *arg,
                  void **lsn, struct coffer_err *err)
{
    struct tls_inst *in = inst;
    if (!on_request || !lsn || !addr) {
        snprintf(err->msg, sizeof err->msg,
                 "tls: listen needs an address, "
                 "a request handler and an out-pointer");
        return CF_EINVAL;
    }
    struct tls_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->addr = strdup(addr))) {
        free(l);
        snprintf(err->msg, sizeof err->msg, "tls: out of memory");
        return CF_ENOMEM;
    }
    l->in = in;
    l->on_request = on_request;
    l->on_echo = on_echo;
    l->arg = arg;
    l->fd = l->wake[0] = l->wake[1] = -1;
    int rc = cf_tls_cred_load(id, &l->cred, err);
    if (rc)
        goto fail;
    if ((rc = cf_tls_listen_socket(addr, &l->fd, err)))
        goto fail;
    if (pipe2(l->wake, O_CLOEXEC | O_NONBLOCK)) {
        l->wake[0] = l->wake[1] = -1;
        snprintf(err->msg, sizeof err->msg, "tls: pipe: %s", strerror(errno));
        rc = CF_EIO;
        goto fail;
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    if (pthread_create(&l->acceptor, NULL, accept_main, l)) {
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->work);
        snprintf(err->msg, sizeof err->msg, "tls: cannot start a thread");
        rc = CF_ENOMEM;
        goto fail;
    }
    TLOG(in, CF_LOG_INFO, "cluster listener on %s", addr);
    *lsn = l;
    return 0;
fail:
    if (l->fd >= 0)
        close(l->fd);
    if (l->wake[0] >= 0) {
        close(l->wake[0]);
        close(l->wake[1]);
    }
    cf_tls_cred_free(l->cred);
    free(l->addr);
    free(l);
    return rc;
}

void cf_tls_stop(void *lsn)
{
    struct tls_listener *l = lsn;
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    pthread_cond_broadcast(&l->work);
    pthread_mutex_unlock(&l->mu);
    poke(l);
    pthread_join(l->acceptor, NULL);
    close(l->fd);
    /* Running handlers finish and send their answers before connections
     * close (a forwarded step-down must still get its 204); queued ones
     * never run. Once stopping is set no worker is added, so the list is
     * stable. */
    /* Never the calling thread, should the host stop the listener from
     * inside a handler: that worker is detached and frees the listener
     * once its handler returns (its job keeps its connection alive). */
    while (l->workers) {
        struct worker *w = l->workers;
        l->workers = w->next;
        if (pthread_equal(w->th, pthread_self())) {
            pthread_detach(w->th);
            l->self_reap = 1;
        } else {
            pthread_join(w->th, NULL);
        }
        free(w);
    }
    /* Readers end on the shutdown; none is reaped any more, so the list
     * is stable once the acceptor is gone. */
    pthread_mutex_lock(&l->mu);
    for (struct srv_conn *c = l->conns; c; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_unlock(&l->mu);
    for (struct srv_conn *c = l->conns; c; c = c->next)
        if (c->has_reader)
            pthread_join(c->reader, NULL);
    while (l->head) {
        struct job *j = l->head;
        l->head = j->next;
        cf_tls_req_free(&j->r);
        if (conn_unref(j->c)) /* reaped earlier, held only by jobs */
            conn_free(j->c);
        free(j);
    }
    while (l->conns) {
        struct srv_conn *c = l->conns;
        l->conns = c->next;
        if (conn_unref(c))
            conn_free(c);
    }
    if (!l->self_reap)
        listener_release(l);
}

/* The last of a stopped listener: no thread of it is left but, with
 * self_reap, the one calling this. */
static void listener_release(struct tls_listener *l)
{
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work);
    TLOG(l->in, CF_LOG_INFO, "cluster listener on %s stopped", l->addr);
    cf_tls_cred_free(l->cred);
    free(l->addr);
    free(l);
}
