/* Shared between the files of the bdb plugin: the instance struct and the
 * calls each file offers the others. Private to the plugin. */
#ifndef CF_PLUGIN_BDB_H
#define CF_PLUGIN_BDB_H

#include <coffer/plugin.h>
#include <db.h>
#include <pthread.h>
#include <stdatomic.h>

struct bdb {
    const struct coffer_host *host;
    DB_ENV *env;
    DB *db;             /* the one BTREE, "coffer.db" */
    atomic_uint writes; /* commits since open, paces checkpoints */
    /* The checkpointer: a checkpoint flushes the cache's dirty pages and
     * can take most of a second, so it runs on its own thread, woken every
     * CHECKPOINT_EVERY commits, never on a request's. */
    pthread_t ckp_thread;
    pthread_mutex_t ckp_mu;
    pthread_cond_t ckp_cv;
    int ckp_wanted;  /* guarded by ckp_mu */
    int ckp_stop;    /* guarded by ckp_mu */
    int ckp_running; /* the thread was started (joined in close) */
};

/* env.c: opens (creating home with mode 0700 if missing) or closes the
 * environment and its database, and starts or stops (joins) the
 * checkpoint thread. b->host must be set; on failure b->env and b->db stay
 * NULL, no thread runs and err reads "bdb: cannot open environment ...". */
int cf_bdb_env_open(struct bdb *b, const char *home, long long cache_bytes,
                    struct coffer_err *err);
void cf_bdb_env_close(struct bdb *b);
/* Called after each commit: now and then wakes the checkpoint thread so
 * that log files can be removed and recovery stays short. Never blocks on
 * the checkpoint itself. */
void cf_bdb_env_after_commit(struct bdb *b);
/* A Berkeley DB return code as a CF_E* code (logging unexpected ones). */
int cf_bdb_error(struct bdb *b, const char *what, int ret);

/* store.c: the storage vtable members. */
int cf_bdb_get(void *inst, const char *key, uint8_t **val, size_t *len);
int cf_bdb_put(void *inst, const char *key, const uint8_t *val, size_t len);
int cf_bdb_del(void *inst, const char *key);
int cf_bdb_list(void *inst, const char *prefix, coffer_list_cb cb, void *arg);
int cf_bdb_txn(void *inst, const struct coffer_txn_op *ops, size_t n);

#endif
