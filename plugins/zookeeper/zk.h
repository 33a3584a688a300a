/* Shared between the files of the zookeeper plugin: the instance, its
 * sessions and the calls each file offers the others. Private to the
 * plugin; nothing here is file-scope state, two instances never share. */
#ifndef CF_PLUGIN_ZK_H
#define CF_PLUGIN_ZK_H

#include <coffer/plugin.h>
#include <pthread.h>
#include <stdint.h>
#include <zookeeper/zookeeper.h>

struct zk;
struct zk_lock;
struct zk_session;

/* What the HA side (lock.c) hands the connection (conn.c) when an HA
 * instance is opened, so that conn.c calls up into lock.c only through
 * these. */
struct zk_ha_hooks {
    /* Body of the thread that fires on_lost for held locks (arg = the zk). */
    void *(*watchdog)(void *arg);
    /* A watched node was deleted (watcher thread, under z->mu). */
    void (*node_deleted)(struct zk *z, struct zk_session *s, const char *path);
};

/* One ZooKeeper session (one zhandle_t). Replaced when it expires; freed
 * (zookeeper_close) when the last user releases it. Fields under z->mu. */
struct zk_session {
    struct zk *z;
    zhandle_t *zh;
    int refs;       /* the instance's own + each user's */
    uint64_t epoch; /* 1, 2, ... per instance */
    int connected;
    int expired; /* expired, auth failed, or given up on */
    int auth_failed;
    uint64_t disconnected_at; /* monotonic ms, 0 while connected */
    int negotiated_ms;        /* the server's session timeout */
    uint64_t gen;             /* bumped by every event; waiters compare */
};

struct zk {
    const struct coffer_host *host;
    char *hosts; /* "h1:2181,h2:2181" */
    char *base;  /* "/vault", or "" for the root */
    int session_ms, request_ms;
    char *auth_scheme, *auth_cred; /* auth_info split at the first ':' */
    struct ACL owner_acl;
    struct ACL_vector acl; /* applied to every znode we create */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct zk_session *sess; /* current session */
    uint64_t epochs;
    /* ha only (hooks set): held locks and the watchdog that fires on_lost. */
    const struct zk_ha_hooks *hooks;
    struct zk_lock *locks;
    int closing;
    pthread_t watchdog;
};

/* conn.c: config, sessions, errors. hooks (borrowed, static) NULL for a
 * storage instance, cf_zk_ha_hooks for an HA one. */
int cf_zk_open(const struct coffer_host *host, const struct zk_ha_hooks *hooks,
               struct zk **out, struct coffer_err *err);
void cf_zk_close(struct zk *z);
/* A connected session with a reference (release it), waiting up to
 * request_ms for a reconnect and replacing an expired session. NULL with
 * *rc = CF_EUNAVAIL or CF_ECANCELED. cancel may be NULL. */
struct zk_session *cf_zk_acquire(struct zk *z, const struct coffer_cancel *cancel,
                                 int *rc);
void cf_zk_release(struct zk *z, struct zk_session *s);
/* Gives up on s (it will be replaced; its ephemeral nodes die with it). */
void cf_zk_doom(struct zk *z, struct zk_session *s);
/* Waits on z->cv until s->gen moves past gen or ms pass. Caller holds mu. */
void cf_zk_wait_event(struct zk *z, struct zk_session *s, uint64_t gen, int ms);
/* The watcher every call registers (context = the session). */
void cf_zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
/* A ZooKeeper return code as a CF_E* code. */
int cf_zk_error(int zrc);
/* 1 for codes worth retrying on a reconnected session. */
int cf_zk_retryable(int zrc);
/* "<base>/<dir>/_<file>" for a key, and its folder; NULL on a bad key
 * (empty or "."/".." parts, a leading '/'). Caller frees. */
char *cf_zk_node_path(const struct zk *z, const char *key);
/* Creates every missing folder above node (not node itself). */
int cf_zk_make_parents(struct zk *z, struct zk_session *s, const char *node);

/* store.c: the storage vtable members. */
int cf_zk_get(void *inst, const char *key, uint8_t **val, size_t *len);
int cf_zk_put(void *inst, const char *key, const uint8_t *val, size_t len);
int cf_zk_del(void *inst, const char *key);
int cf_zk_list(void *inst, const char *prefix, coffer_list_cb cb, void *arg);

/* lock.c: the ha vtable members, and the hooks an HA instance opens with. */
int cf_zk_lock(void *inst, const char *key, const char *value,
               const struct coffer_cancel *cancel, coffer_lock_lost_cb on_lost, void *arg,
               void **lock, struct coffer_err *err);
int cf_zk_unlock(void *lock);
int cf_zk_value(void *inst, const char *key, int *held, char **value);
int cf_zk_wait_change(void *inst, const char *key, const char *known, int timeout_ms,
                      int *changed);
extern const struct zk_ha_hooks cf_zk_ha_hooks;

#endif
