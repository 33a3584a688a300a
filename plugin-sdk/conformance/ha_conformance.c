/* The HA conformance kit: runs any plugin's ha vtable through the tests
 * Coffer's bundled HA plugins pass, with two (or three) instances of the
 * plugin in one process standing for two servers. Only the coffer/ SDK
 * headers are used (it ships to plugin authors).
 *
 *   ha_conformance PLUGIN.so [key=value ...]
 *
 * With CONFORMANCE_KILL_CMD set (e.g. "kill -STOP 1234"), it also runs that
 * command while a lock is held and checks that on_lost fires within
 * CONFORMANCE_LOST_WITHIN_MS (default 7000), then runs
 * CONFORMANCE_RESTORE_CMD and checks that the instance can lock again. */
#include "kit_host.h"
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct kit {
    struct cf_kit_args args;
    void *dl;
    const struct coffer_plugin *desc;
    const struct coffer_ha *vt;
    unsigned seq;
};

/* CUnit tests take no argument; this is the one pointer they share. */
static struct kit *K;

/* ---- one plugin instance and its host ---- */

struct inst {
    struct cf_kit_host h; /* first: h.cancelled is host->cancelled */
    void *p;              /* the plugin's instance */
};

static struct inst *inst_open(void)
{
    struct inst *i = calloc(1, sizeof *i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(i);
    if (cf_kit_host_init(&i->h, &K->args, K->desc->name))
        CU_FAIL_FATAL("out of memory");
    i->p = cf_kit_open(&i->h, K->vt->open);
    return i;
}

static void inst_close(struct inst *i)
{
    K->vt->close(i->p);
    cf_kit_host_fini(&i->h);
    free(i);
}

/* A fresh lock key per test, so that runs never meet. */
static void new_key(char *buf, size_t len)
{
    snprintf(buf, len, "conformance/%ld-%u/lock", (long)getpid(), K->seq++);
}

/* 1 when key is held with exactly want (NULL: not held). */
static int holds(struct inst *i, const char *key, const char *want)
{
    int held = -1;
    char *v = NULL;
    if (K->vt->value(i->p, key, &held, &v))
        return 0;
    int ok = want ? held == 1 && v && !strcmp(v, want) : held == 0;
    if (!ok)
        fprintf(stderr, "(value: held=%d \"%s\", want \"%s\") ", held, v ? v : "",
                want ? want : "(none)");
    free(v);
    return ok;
}

/* ---- a lock taken on another thread ---- */

struct locker {
    struct inst *i;
    const char *key, *value;
    atomic_int cancel, done, lost;
    int rc;
    void *lock;
    uint64_t done_at;
    pthread_t th;
};

static int lk_cancelled(void *arg)
{
    struct locker *l = arg;
    return atomic_load(&l->cancel);
}

static void lk_lost(void *arg)
{
    struct locker *l = arg;
    atomic_fetch_add(&l->lost, 1);
}

static void *lk_run(void *arg)
{
    struct locker *l = arg;
    struct coffer_cancel c = {lk_cancelled, l};
    struct coffer_err err = {{0}};
    l->rc = K->vt->lock(l->i->p, l->key, l->value, &c, lk_lost, l, &l->lock, &err);
    l->done_at = cf_kit_mono_ms();
    atomic_store(&l->done, 1);
    return NULL;
}

static void lk_start(struct locker *l, struct inst *i, const char *key, const char *value)
{
    memset(l, 0, sizeof *l);
    l->i = i;
    l->key = key;
    l->value = value;
    atomic_init(&l->cancel, 0);
    atomic_init(&l->done, 0);
    atomic_init(&l->lost, 0);
    l->rc = 1;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&l->th, NULL, lk_run, l), 0);
}

/* Waits up to ms for the locker to return; 1 if it did. */
static int lk_wait(struct locker *l, int ms)
{
    uint64_t end = cf_kit_mono_ms() + (uint64_t)ms;
    while (!atomic_load(&l->done) && cf_kit_mono_ms() < end)
        cf_kit_msleep(5);
    return atomic_load(&l->done);
}

static void lk_join(struct locker *l) { pthread_join(l->th, NULL); }

/* Takes key synchronously on this thread. */
static void *take(struct inst *i, const char *key, const char *value)
{
    struct locker l;
    lk_start(&l, i, key, value);
    CU_ASSERT_FATAL(lk_wait(&l, 10000));
    lk_join(&l);
    CU_ASSERT_EQUAL_FATAL(l.rc, 0);
    return l.lock;
}

/* ---- the tests ---- */

static void count_lost(void *arg) { atomic_fetch_add((atomic_int *)arg, 1); }

static void t_lock_value(void)
{
    struct inst *a = inst_open(), *b = inst_open();
    char key[128];
    new_key(key, sizeof key);
    CU_ASSERT(holds(a, key, NULL));
    void *la = take(a, key, "value-A");
    CU_ASSERT(holds(a, key, "value-A"));
    CU_ASSERT(holds(b, key, "value-A"));
    CU_ASSERT_EQUAL(K->vt->unlock(la), 0);
    CU_ASSERT(holds(b, key, NULL));
    inst_close(a);
    inst_close(b);
}

static void t_cancel(void)
{
    struct inst *a = inst_open(), *b = inst_open();
    char key[128];
    new_key(key, sizeof key);
    void *la = take(a, key, "value-A");
    struct locker lb;
    lk_start(&lb, b, key, "value-B");
    CU_ASSERT(!lk_wait(&lb, 500)); /* blocks while A holds */
    uint64_t t0 = cf_kit_mono_ms();
    atomic_store(&lb.cancel, 1);
    CU_ASSERT(lk_wait(&lb, 2000));
    lk_join(&lb);
    uint64_t dt = lb.done_at - t0;
    fprintf(stderr, "(cancel took %llu ms) ", (unsigned long long)dt);
    CU_ASSERT_EQUAL(lb.rc, CF_ECANCELED);
    CU_ASSERT(dt <= 300);
    CU_ASSERT_EQUAL(atomic_load(&lb.lost), 0);
    CU_ASSERT(holds(b, key, "value-A")); /* B left no trace */
    CU_ASSERT_EQUAL(K->vt->unlock(la), 0);
    CU_ASSERT(holds(b, key, NULL));
    inst_close(a);
    inst_close(b);
}

static void t_handover(void)
{
    struct inst *a = inst_open(), *b = inst_open();
    char key[128];
    new_key(key, sizeof key);
    void *la = take(a, key, "value-A");
    struct locker lb;
    lk_start(&lb, b, key, "value-B");
    CU_ASSERT(!lk_wait(&lb, 300));
    uint64_t t0 = cf_kit_mono_ms();
    CU_ASSERT_EQUAL(K->vt->unlock(la), 0);
    CU_ASSERT(lk_wait(&lb, 2000));
    lk_join(&lb);
    fprintf(stderr, "(handover took %llu ms) ", (unsigned long long)(lb.done_at - t0));
    CU_ASSERT_EQUAL_FATAL(lb.rc, 0);
    CU_ASSERT(lb.done_at - t0 <= 2000);
    CU_ASSERT(holds(a, key, "value-B"));
    CU_ASSERT_EQUAL(K->vt->unlock(lb.lock), 0);
    CU_ASSERT_EQUAL(atomic_load(&lb.lost), 0);
    inst_close(a);
    inst_close(b);
}

struct waiter {
    struct inst *i;
    const char *key, *known;
    int timeout, rc, changed;
    uint64_t done_at;
};

static void *wait_run(void *arg)
{
    struct waiter *w = arg;
    w->rc = K->vt->wait_change(w->i->p, w->key, w->known, w->timeout, &w->changed);
    w->done_at = cf_kit_mono_ms();
    return NULL;
}

static void t_wait_change(void)
{
    if (K->vt->struct_size < offsetof(struct coffer_ha, wait_change) + sizeof(void *) ||
        !K->vt->wait_change) {
        fprintf(stderr, "(no wait_change: the host polls value()) ");
        return;
    }
    struct inst *a = inst_open(), *b = inst_open();
    char key[128];
    new_key(key, sizeof key);
    /* Nothing changes: CF_ETIMEDOUT after about the timeout. */
    struct waiter w = {b, key, NULL, 300, 1, 7, 0};
    uint64_t t0 = cf_kit_mono_ms();
    wait_run(&w);
    CU_ASSERT_EQUAL(w.rc, CF_ETIMEDOUT);
    CU_ASSERT_EQUAL(w.changed, 0);
    CU_ASSERT(w.done_at - t0 >= 250 && w.done_at - t0 < 1500);
    /* A takes the lock: B's wait for "no holder" to change wakes. */
    pthread_t th;
    w = (struct waiter){b, key, NULL, 10000, 1, 0, 0};
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wait_run, &w), 0);
    cf_kit_msleep(300);
    t0 = cf_kit_mono_ms();
    void *la = take(a, key, "value-A");
    pthread_join(th, NULL);
    fprintf(stderr, "(wake after %llu ms) ", (unsigned long long)(w.done_at - t0));
    CU_ASSERT_EQUAL(w.rc, 0);
    CU_ASSERT_EQUAL(w.changed, 1);
    CU_ASSERT(w.done_at - t0 <= 1000);
    /* Known already differs: returns at once. */
    w = (struct waiter){b, key, "someone-else", 10000, 1, 0, 0};
    t0 = cf_kit_mono_ms();
    wait_run(&w);
    CU_ASSERT_EQUAL(w.rc, 0);
    CU_ASSERT(w.done_at - t0 <= 1000);
    /* A unlocks: a wait on "value-A" wakes. */
    w = (struct waiter){b, key, "value-A", 10000, 1, 0, 0};
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wait_run, &w), 0);
    cf_kit_msleep(300);
    t0 = cf_kit_mono_ms();
    CU_ASSERT_EQUAL(K->vt->unlock(la), 0);
    pthread_join(th, NULL);
    CU_ASSERT_EQUAL(w.rc, 0);
    CU_ASSERT_EQUAL(w.changed, 1);
    CU_ASSERT(w.done_at - t0 <= 1000);
    inst_close(a);
    inst_close(b);
}

/* on_lost must never fire for a lock that was unlocked. */
static void t_no_lost_after_unlock(void)
{
    struct inst *a = inst_open();
    char key[128];
    new_key(key, sizeof key);
    atomic_int lost;
    atomic_init(&lost, 0);
    for (int n = 0; n < 50; n++) {
        void *l = NULL;
        struct coffer_err err = {{0}};
        int rc = K->vt->lock(a->p, key, "v", NULL, count_lost, &lost, &l, &err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(K->vt->unlock(l), 0);
    }
    cf_kit_msleep(500);
    CU_ASSERT_EQUAL(atomic_load(&lost), 0);
    inst_close(a);
    CU_ASSERT_EQUAL(atomic_load(&lost), 0);
}

/* A waiter ends when its host shuts down; an instance that unlocks and
 * closes hands the lock over; the other instances are unaffected. */
static void t_close_while_waiting(void)
{
    struct inst *a = inst_open(), *b = inst_open(), *c = inst_open();
    char key[128];
    new_key(key, sizeof key);
    void *la = take(a, key, "value-A");
    struct locker lb, lc;
    lk_start(&lb, b, key, "value-B");
    lk_start(&lc, c, key, "value-C");
    CU_ASSERT(!lk_wait(&lb, 300));
    uint64_t t0 = cf_kit_mono_ms();
    atomic_store(&b->h.cancelled, 1); /* host b shutting down */
    CU_ASSERT(lk_wait(&lb, 2000));
    lk_join(&lb);
    CU_ASSERT_EQUAL(lb.rc, CF_ECANCELED);
    CU_ASSERT(lb.done_at - t0 <= 300);
    inst_close(b);
    CU_ASSERT(!atomic_load(&lc.done));
    CU_ASSERT_EQUAL(K->vt->unlock(la), 0);
    inst_close(a);
    CU_ASSERT(lk_wait(&lc, 2000));
    lk_join(&lc);
    CU_ASSERT_EQUAL_FATAL(lc.rc, 0);
    CU_ASSERT(holds(c, key, "value-C"));
    CU_ASSERT_EQUAL(K->vt->unlock(lc.lock), 0);
    CU_ASSERT_EQUAL(atomic_load(&lc.lost), 0);
    inst_close(c);
}

/* With CONFORMANCE_KILL_CMD: the backend dies under a held lock. */
static void t_lost(void)
{
    const char *kill_cmd = getenv("CONFORMANCE_KILL_CMD");
    const char *restore = getenv("CONFORMANCE_RESTORE_CMD");
    const char *within = getenv("CONFORMANCE_LOST_WITHIN_MS");
    if (!kill_cmd) {
        fprintf(stderr, "(no CONFORMANCE_KILL_CMD: on_lost not tested) ");
        return;
    }
    int limit = within ? atoi(within) : 7000;
    struct inst *a = inst_open();
    char key[128];
    new_key(key, sizeof key);
    struct locker la;
    lk_start(&la, a, key, "value-A");
    CU_ASSERT_FATAL(lk_wait(&la, 10000));
    lk_join(&la);
    CU_ASSERT_EQUAL_FATAL(la.rc, 0);
    uint64_t t0 = cf_kit_mono_ms();
    CU_ASSERT_EQUAL_FATAL(system(kill_cmd), 0);
    while (!atomic_load(&la.lost) && cf_kit_mono_ms() - t0 < (uint64_t)limit + 5000)
        cf_kit_msleep(10);
    uint64_t dt = cf_kit_mono_ms() - t0;
    fprintf(stderr, "(on_lost after %llu ms) ", (unsigned long long)dt);
    CU_ASSERT_EQUAL(atomic_load(&la.lost), 1);
    CU_ASSERT(dt <= (uint64_t)limit);
    cf_kit_msleep(300);
    CU_ASSERT_EQUAL(atomic_load(&la.lost), 1); /* at most once */
    uint64_t t1 = cf_kit_mono_ms();
    CU_ASSERT_EQUAL(K->vt->unlock(la.lock), 0); /* safe after on_lost */
    CU_ASSERT(cf_kit_mono_ms() - t1 <= 10000);
    if (restore) {
        CU_ASSERT_EQUAL(system(restore), 0);
        /* The instance recovers without being reopened. */
        struct locker again;
        lk_start(&again, a, key, "value-A2");
        CU_ASSERT(lk_wait(&again, 30000));
        lk_join(&again);
        CU_ASSERT_EQUAL(again.rc, 0);
        if (!again.rc) {
            CU_ASSERT(holds(a, key, "value-A2"));
            CU_ASSERT_EQUAL(K->vt->unlock(again.lock), 0);
        }
    }
    inst_close(a);
}

/* ---- loading the plugin, with the checks a host makes ---- */

static int load(struct kit *kit)
{
    if (cf_kit_load(&kit->args, 1, &kit->dl, &kit->desc))
        return -1;
    const struct coffer_ha *vt = kit->desc->ha;
    if (!vt || vt->struct_size < offsetof(struct coffer_ha, wait_change) || !vt->open ||
        !vt->close || !vt->lock || !vt->unlock || !vt->value) {
        fprintf(stderr, "%s: offers no complete ha vtable\n", kit->args.so);
        return -1;
    }
    kit->vt = vt;
    return 0;
}

int main(int argc, char **argv)
{
    struct kit kit = {0};
    int rc = cf_kit_parse_args(&kit.args, argc, argv, NULL);
    if (rc)
        return rc;
    K = &kit;
    if (load(&kit))
        return 1;
    static const struct cf_kit_test tests[] = {
        {"lock and value", t_lock_value},
        {"cancel a waiting lock", t_cancel},
        {"handover on unlock", t_handover},
        {"wait_change", t_wait_change},
        {"on_lost never after unlock (50 rounds)", t_no_lost_after_unlock},
        {"close while another waits", t_close_while_waiting},
        {"on_lost when the backend dies", t_lost},
    };
    rc = cf_kit_run("ha", kit.desc->name, tests, sizeof tests / sizeof tests[0]);
    dlclose(kit.dl);
    return rc;
}
