/* The HA state machine. Two threads per node:
 *  - the locker races for "core/lock"; on winning it advertises this node
 *    (core/leader/<lock value>, through the barrier), has the core build
 *    its active state, and waits until the lock is lost, stepped down or the
 *    node seals; then it stops serving as active FIRST and tears down.
 *  - the follower watches who holds the lock, reads the holder's
 *    advertisement (where standbys redirect to), and, while active,
 *    confirms the lock every 250 ms: the node serves as active only within
 *    lease_ms of the last confirmation, so a node that was paused past its
 *    session (SIGSTOP, VM freeze) answers nothing as active on waking. */
#include "ha/ha.h"
#include "ha/advertise.h"
#include "ha/identity.h"
#include "seal/barrier.h"
#include "plugin/ha_backend.h"
#include "util/encode.h"
#include "util/strerror.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOCK_KEY "core/lock"
#define LEADER_PREFIX "core/leader/"

struct cf_ha {
    struct cf_ha_backend *be;
    struct cf_barrier *barrier;
    struct cf_ha_cfg cfg;
    struct cf_ha_hooks hooks;
    const struct cf_logger *log;

    pthread_mutex_t mu;
    pthread_mutex_t confirm_mu; /* one on-the-spot lease confirmation at a time */
    pthread_cond_t cv;
    pthread_t locker, follower;
    int started;
    atomic_int stop;

    /* Guarded by mu unless atomic. */
    char my_value[37];
    int active; /* state built, lock held */
    atomic_int lost;
    atomic_uint_fast64_t confirmed_ms;
    int step_down_req;
    uint64_t backoff_until_ms;
    struct cf_ha_view view;
    /* The leader's advertised identity (standbys dial it). */
    unsigned leader_gen;
    char *leader_cert, *leader_key, *leader_name, *leader_cluster;
    /* This activation's identity while active. */
    struct cf_cluster_identity *my_id;
};

static void wait_ms(struct cf_ha *h, int ms)
{
    struct timespec ts;
    cf_deadline_in(CLOCK_REALTIME, ms > 0 ? (unsigned)ms : 0, &ts);
    pthread_cond_timedwait(&h->cv, &h->mu, &ts);
}

static int is_cancelled(void *arg)
{
    struct cf_ha *h = arg;
    return atomic_load(&h->stop);
}

static void on_lost(void *arg)
{
    struct cf_ha *h = arg;
    atomic_store(&h->lost, 1);
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

int cf_ha_new(struct cf_ha_backend *be, struct cf_barrier *b, const struct cf_ha_cfg *cfg,
              const struct cf_ha_hooks *hooks, const struct cf_logger *log,
              struct cf_ha **out)
{
    struct cf_ha *h = calloc(1, sizeof *h);
    if (!h)
        return CF_ENOMEM;
    h->be = be;
    h->barrier = b;
    h->cfg = *cfg;
    if (!h->cfg.step_down_wait_ms)
        h->cfg.step_down_wait_ms = 10000;
    if (!h->cfg.lease_ms)
        h->cfg.lease_ms = 1000;
    h->hooks = *hooks;
    h->log = log;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->confirm_mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    *out = h;
    return 0;
}

void cf_ha_free(struct cf_ha *h)
{
    if (!h)
        return;
    cf_ha_stop(h);
    cf_free_secret_str(h->leader_cert);
    cf_free_secret_str(h->leader_key);
    free(h->leader_name);
    free(h->leader_cluster);
    cf_identity_free(h->my_id);
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->confirm_mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

/* Writes this node's advertisement under its lock value and removes the
 * ones older leaders left behind. */
static int advertise(struct cf_ha *h, int64_t since_ns)
{
    struct cf_cluster_identity *id = NULL;
    int rc = cf_identity_generate(h->cfg.node_id, &id);
    if (rc)
        return rc;
    struct cf_advert a = {
        .api_addr = (char *)h->cfg.api_addr,
        .cluster_addr = (char *)(h->cfg.cluster_addr ? h->cfg.cluster_addr : ""),
        .cert_pem = id->cert_pem,
        .key_pem = id->key_pem,
        .active_since_ns = since_ns,
        .node_id = (char *)h->cfg.node_id,
        .hostname = (char *)h->cfg.hostname,
    };
    char *json = NULL;
    rc = cf_advert_encode(&a, &json);
    if (rc) {
        cf_identity_free(id);
        return rc;
    }
    cf_identity_free(h->my_id);
    h->my_id = id;
    char key[96];
    snprintf(key, sizeof key, LEADER_PREFIX "%s", h->my_value);
    rc = cf_barrier_put(h->barrier, key, (const uint8_t *)json, strlen(json));
    cf_free_secret_str(json);
    if (rc)
        return rc;
    char **keys = NULL;
    size_t n = 0;
    if (cf_barrier_list(h->barrier, LEADER_PREFIX, &keys, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(keys[i], h->my_value))
                continue;
            char old[512];
            snprintf(old, sizeof old, LEADER_PREFIX "%s", keys[i]);
            cf_barrier_delete(h->barrier, old);
        }
        cf_strv_free(keys, n);
    }
    return 0;
}

static void drop_advert(struct cf_ha *h)
{
    char key[96];
    snprintf(key, sizeof key, LEADER_PREFIX "%s", h->my_value);
    cf_barrier_delete(h->barrier, key);
}

/* Holds the role until it must be given up; returns with active == 0. */
static void serve_active(struct cf_ha *h, void *lock)
{
    pthread_mutex_lock(&h->mu);
    while (!atomic_load(&h->lost) && !h->step_down_req && !atomic_load(&h->stop))
        wait_ms(h, 250);
    /* Stop serving as active before anything else. */
    h->active = 0;
    int stepped = h->step_down_req, lost = atomic_load(&h->lost);
    pthread_mutex_unlock(&h->mu);
    if (h->hooks.cluster_stop)
        h->hooks.cluster_stop(h->hooks.arg);
    cf_identity_free(h->my_id);
    h->my_id = NULL;
    if (lost)
        cf_log(h->log, CF_LOG_WARN, "ha: lost the HA lock; leaving active mode");
    else
        cf_log(h->log, CF_LOG_INFO, "ha: %s; leaving active mode",
               stepped ? "stepping down" : "sealing");
    h->hooks.deactivate(h->hooks.arg);
    if (!lost)
        drop_advert(h);
    cf_ha_backend_unlock(h->be, lock);
    pthread_mutex_lock(&h->mu);
    h->view.leader_known = 0;
    if (stepped) {
        h->backoff_until_ms = cf_mono_ms() + (uint64_t)h->cfg.step_down_wait_ms;
        h->step_down_req = 0;
    }
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void *locker_main(void *arg)
{
    struct cf_ha *h = arg;
    int backoff = 0;
    const struct coffer_cancel cancel = {is_cancelled, h};
    while (!atomic_load(&h->stop)) {
        pthread_mutex_lock(&h->mu);
        while (!atomic_load(&h->stop) && cf_mono_ms() < h->backoff_until_ms)
            wait_ms(h, 100);
        pthread_mutex_unlock(&h->mu);
        if (atomic_load(&h->stop))
            break;
        char value[37];
        if (cf_uuid(value))
            break;
        void *lock = NULL;
        struct coffer_err err = {""};
        atomic_store(&h->lost, 0);
        int rc =
            cf_ha_backend_lock(h->be, LOCK_KEY, value, &cancel, on_lost, h, &lock, &err);
        if (rc == CF_ECANCELED || atomic_load(&h->stop)) {
            if (!rc)
                cf_ha_backend_unlock(h->be, lock);
            break;
        }
        if (rc) {
            /* Short: the lock backend usually comes back within seconds and
             * a long wait would leave the cluster without an active node. */
            backoff = backoff ? (backoff * 2 > 2000 ? 2000 : backoff * 2) : 250;
            cf_log(h->log, CF_LOG_ERROR,
                   "ha: cannot take the HA lock: %s (retrying in %d ms)",
                   err.msg[0] ? err.msg : cf_strerror(rc), backoff);
            pthread_mutex_lock(&h->mu);
            h->backoff_until_ms = cf_mono_ms() + (uint64_t)backoff;
            pthread_mutex_unlock(&h->mu);
            continue;
        }
        backoff = 0;
        uint64_t lock_taken_ms = cf_mono_ms();
        int64_t since = cf_now_ns();
        pthread_mutex_lock(&h->mu);
        memcpy(h->my_value, value, sizeof value);
        pthread_mutex_unlock(&h->mu);
        rc = advertise(h, since);
        if (!rc)
            rc = h->hooks.activate(h->hooks.arg, &err);
        if (rc) {
            cf_log(h->log, CF_LOG_ERROR, "ha: cannot become active: %s",
                   err.msg[0] ? err.msg : cf_strerror(rc));
            drop_advert(h);
            cf_identity_free(h->my_id);
            h->my_id = NULL;
            cf_ha_backend_unlock(h->be, lock);
            pthread_mutex_lock(&h->mu);
            h->backoff_until_ms = cf_mono_ms() + 2000;
            pthread_mutex_unlock(&h->mu);
            continue;
        }
        pthread_mutex_lock(&h->mu);
        h->active = 1;
        /* Taking the lock confirmed it; the follower renews from here. */
        atomic_store(&h->confirmed_ms, lock_taken_ms);
        h->view.leader_known = 1;
        snprintf(h->view.leader_api, sizeof h->view.leader_api, "%s", h->cfg.api_addr);
        snprintf(h->view.leader_cluster, sizeof h->view.leader_cluster, "%s",
                 h->cfg.cluster_addr ? h->cfg.cluster_addr : "");
        snprintf(h->view.leader_node_id, sizeof h->view.leader_node_id, "%s",
                 h->cfg.node_id);
        snprintf(h->view.leader_hostname, sizeof h->view.leader_hostname, "%s",
                 h->cfg.hostname);
        h->view.active_since_ns = since;
        pthread_cond_broadcast(&h->cv);
        pthread_mutex_unlock(&h->mu);
        cf_log(h->log, CF_LOG_INFO, "ha: acquired lock, entering active mode");
        if (h->hooks.cluster_start && h->my_id)
            h->hooks.cluster_start(h->hooks.arg, h->my_id->cert_pem, h->my_id->key_pem,
                                   h->my_id->name);
        serve_active(h, lock);
    }
    return NULL;
}

/* Reads the advertisement of the lock holder into the view. */
static int follow(struct cf_ha *h, const char *holder)
{
    char key[96];
    snprintf(key, sizeof key, LEADER_PREFIX "%.60s", holder);
    uint8_t *raw = NULL;
    size_t len = 0;
    int rc = cf_barrier_get(h->barrier, key, &raw, &len);
    if (rc)
        return rc;
    struct cf_advert *a = NULL;
    rc = cf_advert_decode((const char *)raw, len, &a);
    cf_free_secret(raw, len);
    if (rc)
        return rc;
    pthread_mutex_lock(&h->mu);
    h->view.leader_known = 1;
    snprintf(h->view.leader_api, sizeof h->view.leader_api, "%s", a->api_addr);
    snprintf(h->view.leader_cluster, sizeof h->view.leader_cluster, "%s",
             a->cluster_addr ? a->cluster_addr : "");
    snprintf(h->view.leader_node_id, sizeof h->view.leader_node_id, "%s",
             a->node_id ? a->node_id : "");
    snprintf(h->view.leader_hostname, sizeof h->view.leader_hostname, "%s",
             a->hostname ? a->hostname : "");
    h->view.active_since_ns = a->active_since_ns;
    char *cert = strdup(a->cert_pem), *pkey = strdup(a->key_pem);
    char *name = malloc(64), *cl = strdup(a->cluster_addr ? a->cluster_addr : "");
    if (cert && pkey && name && cl && cf_identity_cert_name(cert, name) == 0) {
        cf_free_secret_str(h->leader_cert);
        cf_free_secret_str(h->leader_key);
        free(h->leader_name);
        free(h->leader_cluster);
        h->leader_cert = cert;
        h->leader_key = pkey;
        h->leader_name = name;
        h->leader_cluster = cl;
        h->leader_gen++;
    } else {
        cf_free_secret_str(cert);
        cf_free_secret_str(pkey);
        free(name);
        free(cl);
    }
    pthread_mutex_unlock(&h->mu);
    cf_advert_free(a);
    return 0;
}

static void *follower_main(void *arg)
{
    struct cf_ha *h = arg;
    char known[64] = "";
    int unheld = 0;
    while (!atomic_load(&h->stop)) {
        int held = 0;
        char *val = NULL;
        /* The lease counts from before the question: the backend saw us
         * alive no earlier than this. */
        uint64_t asked = cf_mono_ms();
        int rc = cf_ha_backend_value(h->be, LOCK_KEY, &held, &val);
        pthread_mutex_lock(&h->mu);
        int active = h->active;
        int mine = held && val && !strcmp(val, h->my_value);
        pthread_mutex_unlock(&h->mu);
        if (!rc && active) {
            if (mine)
                atomic_store(&h->confirmed_ms, asked);
            else
                on_lost(h); /* someone else holds it: we are fenced out */
        }
        if (!rc && held && val && strcmp(val, known)) {
            if (follow(h, val) == 0)
                snprintf(known, sizeof known, "%s", val);
        } else if (!rc && !held && ++unheld >= 2) {
            /* Twice in a row: one read can fall between a holder's node
             * going and the backend settling, and a standby that forgets
             * its leader turns requests into 500s. */
            known[0] = '\0';
            pthread_mutex_lock(&h->mu);
            if (!h->active)
                h->view.leader_known = 0;
            pthread_mutex_unlock(&h->mu);
        }
        if (!rc && held)
            unheld = 0;
        int changed = 0;
        if (rc) {
            pthread_mutex_lock(&h->mu);
            wait_ms(h, 250);
            pthread_mutex_unlock(&h->mu);
        } else if (held && val && strcmp(val, known)) {
            /* The advertisement was not readable yet: try again soon. */
            pthread_mutex_lock(&h->mu);
            wait_ms(h, 100);
            pthread_mutex_unlock(&h->mu);
        } else {
            cf_ha_backend_wait_change(h->be, LOCK_KEY, held ? val : NULL,
                                      active || mine ? 250 : 1000, &changed);
        }
        free(val);
    }
    return NULL;
}

int cf_ha_start(struct cf_ha *h)
{
    pthread_mutex_lock(&h->mu);
    if (h->started) {
        pthread_mutex_unlock(&h->mu);
        return 0;
    }
    atomic_store(&h->stop, 0);
    h->view.running = 1;
    int rc = pthread_create(&h->locker, NULL, locker_main, h);
    if (!rc && (rc = pthread_create(&h->follower, NULL, follower_main, h))) {
        atomic_store(&h->stop, 1);
        pthread_mutex_unlock(&h->mu);
        pthread_join(h->locker, NULL);
        pthread_mutex_lock(&h->mu);
    }
    h->started = !rc;
    h->view.running = !rc;
    pthread_mutex_unlock(&h->mu);
    return rc ? CF_ENOMEM : 0;
}

void cf_ha_stop(struct cf_ha *h)
{
    pthread_mutex_lock(&h->mu);
    if (!h->started) {
        pthread_mutex_unlock(&h->mu);
        return;
    }
    atomic_store(&h->stop, 1);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->locker, NULL);
    pthread_join(h->follower, NULL);
    pthread_mutex_lock(&h->mu);
    h->started = 0;
    memset(&h->view, 0, sizeof h->view);
    h->backoff_until_ms = 0;
    pthread_mutex_unlock(&h->mu);
}

static int lease_fresh(struct cf_ha *h)
{
    uint64_t age = cf_mono_ms() - atomic_load(&h->confirmed_ms);
    return age < (uint64_t)h->cfg.lease_ms;
}

int cf_ha_serving_now(struct cf_ha *h)
{
    pthread_mutex_lock(&h->mu);
    int active = h->active;
    pthread_mutex_unlock(&h->mu);
    return active && !atomic_load(&h->lost) && lease_fresh(h);
}

int cf_ha_serving(struct cf_ha *h)
{
    pthread_mutex_lock(&h->mu);
    int active = h->active;
    char mine[37];
    memcpy(mine, h->my_value, sizeof mine);
    pthread_mutex_unlock(&h->mu);
    if (!active || atomic_load(&h->lost))
        return 0;
    if (lease_fresh(h))
        return 1;
    /* The follower is late (a loaded machine): confirm on the spot, one
     * request at a time, rather than turn clients away. A node that was
     * paused past its session gets "not held by us" or an error here. */
    pthread_mutex_lock(&h->confirm_mu);
    if (!lease_fresh(h) && !atomic_load(&h->lost)) {
        int held = 0;
        char *val = NULL;
        uint64_t asked = cf_mono_ms();
        if (cf_ha_backend_value(h->be, LOCK_KEY, &held, &val) == 0) {
            if (held && val && !strcmp(val, mine))
                atomic_store(&h->confirmed_ms, asked);
            else
                on_lost(h);
        }
        free(val);
    }
    pthread_mutex_unlock(&h->confirm_mu);
    return !atomic_load(&h->lost) && lease_fresh(h);
}

void cf_ha_view(struct cf_ha *h, struct cf_ha_view *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->view;
    pthread_mutex_unlock(&h->mu);
    out->active = cf_ha_serving(h);
}

int cf_ha_step_down(struct cf_ha *h)
{
    pthread_mutex_lock(&h->mu);
    if (!h->active) {
        pthread_mutex_unlock(&h->mu);
        return CF_EINVAL;
    }
    h->step_down_req = 1;
    pthread_cond_broadcast(&h->cv);
    while (h->active)
        wait_ms(h, 100);
    pthread_mutex_unlock(&h->mu);
    return 0;
}

int cf_ha_leader_identity(struct cf_ha *h, unsigned *gen, char **cluster_addr,
                          char **cert_pem, char **key_pem, char **name)
{
    pthread_mutex_lock(&h->mu);
    if (!h->view.leader_known || !h->leader_cert) {
        pthread_mutex_unlock(&h->mu);
        return CF_ENOENT;
    }
    char *c = strdup(h->leader_cert), *k = strdup(h->leader_key);
    char *n = strdup(h->leader_name), *a = strdup(h->leader_cluster);
    *gen = h->leader_gen;
    pthread_mutex_unlock(&h->mu);
    if (!c || !k || !n || !a) {
        cf_free_secret_str(c);
        cf_free_secret_str(k);
        free(n);
        free(a);
        return CF_ENOMEM;
    }
    *cert_pem = c;
    *key_pem = k;
    *name = n;
    *cluster_addr = a;
    return 0;
}
