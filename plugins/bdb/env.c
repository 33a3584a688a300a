/* Opening and closing the Berkeley DB environment: the home directory, the
 * transactional subsystems with recovery, the one BTREE database and the
 * checkpoint thread. Everything lives in struct bdb so two instances never
 * share state. */
#include "bdb.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENV_FLAGS                                                                        \
    (DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK | DB_INIT_MPOOL | DB_RECOVER | \
     DB_THREAD)
#define CHECKPOINT_EVERY 256u /* commits */
#define CHECKPOINT_KB 1024u   /* ... if at least this much log was written */

/* BDB's own diagnostics go to the host log; they hold no values. */
static void on_bdb_error(const DB_ENV *env, const char *pfx, const char *msg)
{
    const struct bdb *b = env->app_private;
    if (b && b->host->log)
        b->host->log(b->host->ctx, CF_LOG_WARN, "berkeley db: %s", msg);
}

static void set_err(struct coffer_err *err, const char *home, const char *why)
{
    snprintf(err->msg, sizeof err->msg, "bdb: cannot open environment \"%s\": %s", home,
             why);
}

/* Checks (and creates) home up front: BDB's own errors for a missing or
 * unwritable directory are vaguer than errno's. */
static int prepare_home(const char *home, struct coffer_err *err)
{
    struct stat st;
    if (stat(home, &st)) {
        if (errno != ENOENT || mkdir(home, 0700)) {
            set_err(err, home, strerror(errno));
            return CF_ECONFIG;
        }
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) {
        set_err(err, home, strerror(ENOTDIR));
        return CF_ECONFIG;
    }
    if (access(home, R_OK | W_OK | X_OK)) {
        set_err(err, home, strerror(errno));
        return CF_ECONFIG;
    }
    return 0;
}

/* Checkpoints whenever woken, until told to stop. A checkpoint that is
 * asked for while one runs is done once more afterwards, not queued. */
static void *checkpointer(void *arg)
{
    struct bdb *b = arg;
    pthread_mutex_lock(&b->ckp_mu);
    for (;;) {
        while (!b->ckp_wanted && !b->ckp_stop)
            pthread_cond_wait(&b->ckp_cv, &b->ckp_mu);
        if (b->ckp_stop)
            break;
        b->ckp_wanted = 0;
        pthread_mutex_unlock(&b->ckp_mu);
        int ret = b->env->txn_checkpoint(b->env, CHECKPOINT_KB, 0, 0);
        if (ret)
            cf_bdb_error(b, "checkpoint", ret);
        pthread_mutex_lock(&b->ckp_mu);
    }
    pthread_mutex_unlock(&b->ckp_mu);
    return NULL;
}

static int start_checkpointer(struct bdb *b)
{
    if (pthread_mutex_init(&b->ckp_mu, NULL))
        return CF_ENOMEM;
    if (pthread_cond_init(&b->ckp_cv, NULL)) {
        pthread_mutex_destroy(&b->ckp_mu);
        return CF_ENOMEM;
    }
    b->ckp_wanted = b->ckp_stop = 0;
    if (pthread_create(&b->ckp_thread, NULL, checkpointer, b)) {
        pthread_cond_destroy(&b->ckp_cv);
        pthread_mutex_destroy(&b->ckp_mu);
        return CF_ENOMEM;
    }
    b->ckp_running = 1;
    return 0;
}

static void stop_checkpointer(struct bdb *b)
{
    if (!b->ckp_running)
        return;
    pthread_mutex_lock(&b->ckp_mu);
    b->ckp_stop = 1;
    pthread_cond_signal(&b->ckp_cv);
    pthread_mutex_unlock(&b->ckp_mu);
    pthread_join(b->ckp_thread, NULL);
    pthread_cond_destroy(&b->ckp_cv);
    pthread_mutex_destroy(&b->ckp_mu);
    b->ckp_running = 0;
}

int cf_bdb_env_open(struct bdb *b, const char *home, long long cache_bytes,
                    struct coffer_err *err)
{
    int rc = prepare_home(home, err);
    if (rc)
        return rc;
    DB_ENV *env = NULL;
    DB *db = NULL;
    int ret = db_env_create(&env, 0);
    if (ret) {
        set_err(err, home, db_strerror(ret));
        return CF_EIO;
    }
    env->app_private = b;
    env->set_errcall(env, on_bdb_error);
    /* Values handed to the host come straight from BDB's DB_DBT_MALLOC. */
    if (!ret)
        ret = env->set_alloc(env, b->host->alloc, b->host->realloc, b->host->free);
    if (!ret && cache_bytes > 0)
        ret = env->set_cachesize(env, (u_int32_t)(cache_bytes >> 30),
                                 (u_int32_t)(cache_bytes & ((1LL << 30) - 1)), 1);
    if (!ret)
        ret = env->set_lk_detect(env, DB_LOCK_DEFAULT);
    /* Many concurrent writers each hold a few page locks. */
    if (!ret)
        ret = env->set_lk_max_locks(env, 10000);
    if (!ret)
        ret = env->set_lk_max_objects(env, 10000);
    if (!ret)
        ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1);
    if (!ret)
        ret = env->open(env, home, ENV_FLAGS, 0600);
    if (!ret)
        ret = db_create(&db, env, 0);
    if (!ret)
        ret = db->open(db, NULL, "coffer.db", NULL, DB_BTREE,
                       DB_CREATE | DB_AUTO_COMMIT | DB_THREAD, 0600);
    if (ret) {
        set_err(err, home, db_strerror(ret));
        if (db)
            db->close(db, 0);
        env->close(env, 0);
        return ret == EACCES ? CF_ECONFIG : CF_EIO;
    }
    b->env = env;
    b->db = db;
    if (start_checkpointer(b)) {
        set_err(err, home, "cannot start the checkpoint thread");
        db->close(db, 0);
        env->close(env, 0);
        b->env = NULL;
        b->db = NULL;
        return CF_ENOMEM;
    }
    return 0;
}

void cf_bdb_env_close(struct bdb *b)
{
    stop_checkpointer(b);
    if (b->db)
        b->db->close(b->db, 0);
    if (b->env) {
        /* A checkpoint now makes the next DB_RECOVER nearly free. */
        b->env->txn_checkpoint(b->env, 0, 0, 0);
        b->env->close(b->env, 0);
    }
    b->db = NULL;
    b->env = NULL;
}

void cf_bdb_env_after_commit(struct bdb *b)
{
    if (atomic_fetch_add(&b->writes, 1) % CHECKPOINT_EVERY != CHECKPOINT_EVERY - 1)
        return;
    pthread_mutex_lock(&b->ckp_mu);
    b->ckp_wanted = 1;
    pthread_cond_signal(&b->ckp_cv);
    pthread_mutex_unlock(&b->ckp_mu);
}

int cf_bdb_error(struct bdb *b, const char *what, int ret)
{
    switch (ret) {
    case 0:
        return 0;
    case DB_NOTFOUND:
    case DB_KEYEMPTY:
        return CF_ENOENT;
    case ENOMEM:
        return CF_ENOMEM;
    default:
        if (b->host->log)
            b->host->log(b->host->ctx, CF_LOG_ERROR, "%s failed: %s", what,
                         db_strerror(ret));
        return CF_EIO;
    }
}
