/* The zookeeper plugin's HA lock: EPHEMERAL|SEQUENTIAL children
 * "lock-<guid>-<seq>" under the key's znode (Vault's "<path>/core/_lock"),
 * lowest sequence holds, each waiter watches its predecessor. A watchdog
 * thread fires on_lost when the session expires, when the client has been
 * cut off for a session timeout, or when the holder's node is deleted. */
#include "zk.h"
#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define TICK_MS 100

struct zk_lock {
    struct zk *z;
    struct zk_session *s; /* the session the node lives in (a ref) */
    char *node;           /* full path of our child */
    coffer_lock_lost_cb on_lost;
    void *arg;
    int lost, fired; /* under z->mu */
    struct zk_lock *next;
};

/* Sequence numbers are the 10 digits after the last '-'. */
static const char *seq_of(const char *name)
{
    const char *d = strrchr(name, '-');
    return d ? d + 1 : name;
}

static int cmp_seq(const void *a, const void *b)
{
    return strcmp(seq_of(*(char *const *)a), seq_of(*(char *const *)b));
}

/* Our children of dir sorted by sequence (only "lock-" ones). */
static int children(struct zk_session *s, const char *dir, int watch,
                    struct String_vector *v)
{
    int zrc = watch ? zoo_wget_children(s->zh, dir, cf_zk_watcher, s, v)
                    : zoo_get_children(s->zh, dir, 0, v);
    if (zrc)
        return zrc;
    int n = 0;
    for (int i = 0; i < v->count; i++) {
        if (!strncmp(v->data[i], "lock-", 5))
            v->data[n++] = v->data[i];
        else
            free(v->data[i]);
    }
    v->count = n;
    qsort(v->data, (size_t)n, sizeof *v->data, cmp_seq);
    return ZOK;
}

/* The holder's value: data of the lowest child; *value NULL when none. */
static int holder(struct zk *z, struct zk_session *s, const char *dir, int watch,
                  char **value)
{
    *value = NULL;
    for (int attempt = 0; attempt < 10; attempt++) {
        struct String_vector v = {0, NULL};
        int zrc = children(s, dir, watch, &v);
        if (zrc == ZNONODE && watch)
            zrc = zoo_wexists(s->zh, dir, cf_zk_watcher, s, NULL);
        if (zrc == ZNONODE)
            return ZOK;
        if (zrc || v.count == 0) {
            deallocate_String_vector(&v);
            return zrc;
        }
        char *path;
        int r = asprintf(&path, "%s/%s", dir, v.data[0]);
        deallocate_String_vector(&v);
        if (r < 0)
            return ZSYSTEMERROR;
        char buf[1024];
        int len = (int)sizeof buf - 1;
        zrc = zoo_get(s->zh, path, 0, buf, &len, NULL);
        free(path);
        if (zrc == ZNONODE)
            continue; /* the holder just left: look again */
        if (zrc)
            return zrc;
        if (len < 0)
            len = 0;
        if (!(*value = z->host->alloc((size_t)len + 1)))
            return ZSYSTEMERROR;
        memcpy(*value, buf, (size_t)len);
        (*value)[len] = '\0';
        return ZOK;
    }
    return ZOPERATIONTIMEOUT;
}

/* Deletes our node; on failure the session is given up, which takes the
 * node with it, so that it can never hold the lock for nobody. */
static void drop_node(struct zk *z, struct zk_session *s, const char *node)
{
    int zrc = zoo_delete(s->zh, node, -1);
    if (zrc != ZOK && zrc != ZNONODE)
        cf_zk_doom(z, s);
}

static int cancelled(struct zk *z, const struct coffer_cancel *c)
{
    return z->closing || z->host->cancelled(z->host->ctx) || (c && c->cancelled(c->arg));
}

/* Creates our child; after a connection loss the create may have worked
 * unseen, so the guid in the name finds it. *node is malloc'd. */
static int create_child(struct zk *z, struct zk_session *s, const char *dir,
                        const char *value, char **node)
{
    unsigned char r[8];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return ZSYSTEMERROR;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "lock-%02x%02x%02x%02x%02x%02x%02x%02x-", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7]);
    size_t plen = strlen(prefix);
    char *path, made[1024];
    if (asprintf(&path, "%s/%s", dir, prefix) < 0)
        return ZSYSTEMERROR;
    int zrc = ZOK;
    for (int attempt = 0; attempt < 5; attempt++) {
        zrc = zoo_create(s->zh, path, value, (int)strlen(value), &z->acl,
                         ZOO_EPHEMERAL | ZOO_SEQUENCE, made, sizeof made);
        if (zrc == ZNONODE) {
            char *probe;
            if (asprintf(&probe, "%s/x", dir) < 0)
                break;
            zrc = cf_zk_make_parents(z, s, probe);
            free(probe);
            if (zrc)
                break;
            continue;
        }
        if (zrc == ZOK) {
            *node = strdup(made);
            break;
        }
        if (zrc != ZCONNECTIONLOSS && zrc != ZOPERATIONTIMEOUT)
            break;
        /* Did it land? Look for our guid once the session is back. */
        struct String_vector v = {0, NULL};
        pthread_mutex_lock(&z->mu);
        while (!s->connected && !s->expired && !z->closing)
            cf_zk_wait_event(z, s, s->gen, TICK_MS);
        pthread_mutex_unlock(&z->mu);
        if (s->expired || z->closing)
            break;
        if (children(s, dir, 0, &v) == ZOK)
            for (int i = 0; i < v.count; i++)
                if (!strncmp(v.data[i], prefix, plen) &&
                    asprintf(node, "%s/%s", dir, v.data[i]) >= 0) {
                    zrc = ZOK;
                    break;
                }
        deallocate_String_vector(&v);
        if (zrc == ZOK)
            break;
    }
    free(path);
    if (zrc == ZOK && !*node)
        zrc = ZSYSTEMERROR;
    return zrc;
}

static void set_err(struct coffer_err *err, const char *what, const char *dir, int zrc)
{
    if (err)
        snprintf(err->msg, sizeof err->msg, "zookeeper: %s \"%s\": %s", what, dir,
                 zrc ? zerror(zrc) : "session lost");
}

/* One cf_zk_lock call's waiter, for its steps. All borrowed but node. */
struct lock_wait {
    struct zk *z;
    struct zk_session *s;
    const struct coffer_cancel *cancel;
    coffer_lock_lost_cb on_lost;
    void *arg;
    const char *dir;
    char *node;       /* ours; NULL once take_lock gave it to the lock */
    const char *mine; /* node's last component */
    struct coffer_err *err;
};

/* Each step returns 0 (held), LOOK_AGAIN, or a CF_E* code to give up. */
#define LOOK_AGAIN 1

/* Our node is first: watch it (its deletion is a lost lock) and register
 * the lock, which from then on owns w->node (cleared here to say so). */
static int take_lock(struct lock_wait *w, struct zk_lock **out)
{
    struct zk *z = w->z;
    struct zk_session *s = w->s;
    struct zk_lock *l = calloc(1, sizeof *l);
    if (!l)
        return CF_ENOMEM;
    *l = (struct zk_lock){z, s, w->node, w->on_lost, w->arg, 0, 0, NULL};
    int zrc = zoo_wexists(s->zh, w->node, cf_zk_watcher, s, NULL);
    pthread_mutex_lock(&z->mu);
    if (zrc == ZOK && !s->expired) {
        l->next = z->locks;
        z->locks = l;
        pthread_mutex_unlock(&z->mu);
        w->node = NULL;
        *out = l;
        return 0;
    }
    pthread_mutex_unlock(&z->mu);
    free(l);
    if (cf_zk_retryable(zrc))
        return LOOK_AGAIN;
    set_err(w->err, "lock node vanished under", w->dir, zrc);
    return CF_EUNAVAIL;
}

/* Watches the node just ahead of ours and sleeps until an event (gen
 * moves), a tick at a time so that cancellation is seen. */
static int wait_predecessor(const struct lock_wait *w, const char *pred_name,
                            uint64_t gen)
{
    struct zk *z = w->z;
    struct zk_session *s = w->s;
    char *pred;
    if (asprintf(&pred, "%s/%s", w->dir, pred_name) < 0)
        return CF_ENOMEM;
    int zrc = zoo_wexists(s->zh, pred, cf_zk_watcher, s, NULL);
    free(pred);
    if (zrc == ZNONODE)
        return LOOK_AGAIN; /* gone already */
    for (;;) {
        pthread_mutex_lock(&z->mu);
        if (s->gen == gen && !z->closing && !s->expired)
            cf_zk_wait_event(z, s, gen, TICK_MS);
        int moved = s->gen != gen || z->closing || s->expired;
        pthread_mutex_unlock(&z->mu);
        if (moved || cancelled(z, w->cancel))
            return LOOK_AGAIN;
    }
}

/* One look at the queue: take the lock when we are first, else wait for
 * our predecessor to go. */
static int look_once(struct lock_wait *w, struct zk_lock **out)
{
    struct zk *z = w->z;
    pthread_mutex_lock(&z->mu);
    uint64_t gen = w->s->gen;
    int gone = w->s->expired;
    pthread_mutex_unlock(&z->mu);
    if (gone) {
        set_err(w->err, "session expired while waiting for", w->dir, 0);
        return CF_EUNAVAIL;
    }
    if (cancelled(z, w->cancel))
        return CF_ECANCELED;
    struct String_vector v = {0, NULL};
    int zrc = children(w->s, w->dir, 0, &v);
    if (zrc) {
        deallocate_String_vector(&v);
        if (!cf_zk_retryable(zrc)) {
            set_err(w->err, "cannot list", w->dir, zrc);
            return cf_zk_error(zrc);
        }
        pthread_mutex_lock(&z->mu);
        cf_zk_wait_event(z, w->s, gen, TICK_MS);
        pthread_mutex_unlock(&z->mu);
        return LOOK_AGAIN;
    }
    int me = -1, rc;
    for (int i = 0; i < v.count; i++)
        if (!strcmp(v.data[i], w->mine))
            me = i;
    if (me == 0) {
        rc = take_lock(w, out);
    } else if (me < 0) {
        set_err(w->err, "lock node vanished under", w->dir, 0);
        rc = CF_EUNAVAIL;
    } else {
        rc = wait_predecessor(w, v.data[me - 1], gen);
    }
    deallocate_String_vector(&v);
    return rc;
}

int cf_zk_lock(void *inst, const char *key, const char *value,
               const struct coffer_cancel *cancel, coffer_lock_lost_cb on_lost, void *arg,
               void **lock, struct coffer_err *err)
{
    struct zk *z = inst;
    char *dir = cf_zk_node_path(z, key);
    if (!dir || strlen(value) > 1000) {
        free(dir);
        if (err)
            snprintf(err->msg, sizeof err->msg,
                     "zookeeper: bad lock key or "
                     "value (longer than 1000 bytes)");
        return CF_EINVAL;
    }
    int rc;
    struct zk_session *s = cf_zk_acquire(z, cancel, &rc);
    if (!s) {
        set_err(err, "no session to lock", dir, ZCONNECTIONLOSS);
        free(dir);
        return rc;
    }
    char *node = NULL;
    int zrc = create_child(z, s, dir, value, &node);
    if (zrc) {
        set_err(err, "cannot create a lock node under", dir, zrc);
        cf_zk_release(z, s);
        free(dir);
        return cf_zk_error(zrc);
    }
    struct lock_wait w = {z,  s, cancel, on_lost, arg, dir, node, strrchr(node, '/') + 1,
                          err};
    struct zk_lock *l = NULL;
    while ((rc = look_once(&w, &l)) == LOOK_AGAIN)
        continue;
    if (!rc) {
        assert(l && !w.node); /* only take_lock returns 0, and it took node */
        free(dir);
        *lock = l;
        return 0;
    }
    drop_node(z, s, w.node);
    free(w.node);
    cf_zk_release(z, s);
    free(dir);
    return rc;
}

int cf_zk_unlock(void *lock)
{
    struct zk_lock *l = lock;
    if (!l)
        return 0;
    struct zk *z = l->z;
    pthread_mutex_lock(&z->mu);
    for (struct zk_lock **p = &z->locks; *p; p = &(*p)->next)
        if (*p == l) {
            *p = l->next;
            break;
        }
    int dead = l->s->expired;
    pthread_mutex_unlock(&z->mu);
    /* From here on the watchdog cannot see l: on_lost will not fire. */
    if (!dead)
        drop_node(z, l->s, l->node);
    cf_zk_release(z, l->s);
    free(l->node);
    free(l);
    return 0;
}

int cf_zk_value(void *inst, const char *key, int *held, char **value)
{
    struct zk *z = inst;
    char *dir = cf_zk_node_path(z, key);
    if (!dir)
        return CF_EINVAL;
    int rc;
    struct zk_session *s = cf_zk_acquire(z, NULL, &rc);
    if (s) {
        char *v = NULL;
        rc = cf_zk_error(holder(z, s, dir, 0, &v));
        cf_zk_release(z, s);
        if (!rc) {
            *held = v != NULL;
            *value = v;
        }
    }
    free(dir);
    return rc;
}

static int differs(const char *v, const char *known)
{
    if (!v)
        return known != NULL;
    return !known || strcmp(v, known) != 0;
}

int cf_zk_wait_change(void *inst, const char *key, const char *known, int timeout_ms,
                      int *changed)
{
    struct zk *z = inst;
    *changed = 0;
    char *dir = cf_zk_node_path(z, key);
    if (!dir)
        return CF_EINVAL;
    uint64_t deadline =
        z->host->monotonic_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    int rc = 1; /* 1: keep waiting */
    while (rc == 1) {
        struct zk_session *s = cf_zk_acquire(z, NULL, &rc);
        if (!s)
            break;
        pthread_mutex_lock(&z->mu);
        uint64_t gen = s->gen;
        pthread_mutex_unlock(&z->mu);
        char *v = NULL;
        int zrc = holder(z, s, dir, 1, &v);
        if (!zrc && differs(v, known)) {
            *changed = 1;
            rc = 0;
        } else if (zrc && !cf_zk_retryable(zrc)) {
            rc = cf_zk_error(zrc);
        }
        z->host->free(v);
        /* Sleep until the watch (or anything) fires, a tick at a time so
         * that host->cancelled is seen. */
        while (rc == 1) {
            if (z->closing || z->host->cancelled(z->host->ctx))
                rc = CF_ECANCELED;
            else if (z->host->monotonic_ms() >= deadline)
                rc = CF_ETIMEDOUT;
            else {
                pthread_mutex_lock(&z->mu);
                cf_zk_wait_event(z, s, gen, TICK_MS);
                int moved = s->gen != gen;
                pthread_mutex_unlock(&z->mu);
                if (moved)
                    break;
            }
        }
        cf_zk_release(z, s);
    }
    free(dir);
    return rc;
}

/* Marks every held lock whose node is path as lost (watcher, under mu). */
static void node_deleted(struct zk *z, struct zk_session *s, const char *path)
{
    for (struct zk_lock *l = z->locks; l; l = l->next)
        if (l->s == s && !strcmp(l->node, path))
            l->lost = 1;
}

/* Fires on_lost (under mu, so that unlock, which takes mu to unlink the
 * lock, either runs first and prevents it or waits until it is done). */
static void *watchdog(void *arg)
{
    struct zk *z = arg;
    uint64_t last = z->host->monotonic_ms();
    pthread_mutex_lock(&z->mu);
    while (!z->closing) {
        uint64_t now = z->host->monotonic_ms();
        /* A gap of a whole session between ticks means this process was
         * stopped (SIGSTOP, VM freeze): the server may have expired us.
         * Shorter gaps are ordinary load; the host fences those itself. */
        int froze = now - last > (uint64_t)z->session_ms;
        last = now;
        for (struct zk_lock *l = z->locks; l; l = l->next) {
            struct zk_session *s = l->s;
            int t = s->negotiated_ms ? s->negotiated_ms : z->session_ms;
            /* The client notices a silent server after 2/3 of the timeout,
             * so a third more makes a full timeout since we last heard. */
            int cut = s->disconnected_at && now - s->disconnected_at > (uint64_t)t / 3;
            if (l->fired || !(l->lost || s->expired || cut || froze))
                continue;
            if (!s->expired && (cut || froze)) {
                z->host->log(z->host->ctx, CF_LOG_WARN,
                             "lock %s: %s; "
                             "treating it as lost",
                             l->node,
                             froze ? "this process was not running for a while"
                                   : "cut off from ZooKeeper for a session timeout");
                s->expired = 1; /* doomed: replaced on next use */
                s->connected = 0;
            }
            l->fired = 1;
            l->on_lost(l->arg);
        }
        pthread_mutex_unlock(&z->mu);
        struct timespec ts = {0, TICK_MS * 1000000L};
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&z->mu);
    }
    pthread_mutex_unlock(&z->mu);
    return NULL;
}

const struct zk_ha_hooks cf_zk_ha_hooks = {
    .watchdog = watchdog,
    .node_deleted = node_deleted,
};
