/* The storage conformance kit: runs any storage plugin .so through the
 * tests Coffer's bundled plugins pass. It uses only the coffer/ SDK headers
 * (it ships to plugin authors) and kit_host.c, its minimal coffer_host.
 *
 *   storage_conformance PLUGIN.so [key=value ...]
 *
 * A value "TMPDIR" is replaced by a fresh directory for each instance the
 * kit opens (removed at exit). Keys live under "conformance/<pid>-<n>/", so
 * a shared remote store is not disturbed; with a TMPDIR or no config at all
 * the store is assumed private and the "" listing is checked exactly. */
#include "kit_host.h"
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the kit's state: one struct, filled by main ---- */

#define MAX_TMP 64

struct kit {
    struct cf_kit_args args;
    void *dl;
    const struct coffer_plugin *desc;
    const struct coffer_storage *vt;
    int private_store; /* TMPDIR used, or no config */
    char *tmpdirs[MAX_TMP];
    int ntmp;
    unsigned seq; /* namespace counter */
};

/* CUnit tests take no argument; this is the one pointer they share. */
static struct kit *K;

static char *fresh_tmpdir(void)
{
    char t[] = "/tmp/coffer-conformance-XXXXXX";
    if (!mkdtemp(t) || K->ntmp == MAX_TMP)
        return NULL;
    return K->tmpdirs[K->ntmp++] = strdup(t);
}

/* A host for one instance; each TMPDIR value becomes a fresh folder. */
static struct cf_kit_host *conf_new(void)
{
    struct cf_kit_host *c = calloc(1, sizeof *c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    if (cf_kit_host_init(c, &K->args, K->desc->name))
        CU_FAIL_FATAL("out of memory");
    for (int i = 0; i < c->n; i++) {
        const char *v = c->vals[i];
        if (!strcmp(v, "TMPDIR") && (v = fresh_tmpdir()) && cf_kit_host_set(c, i, v))
            v = NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    }
    return c;
}

static void conf_free(struct cf_kit_host *c)
{
    if (c)
        cf_kit_host_fini(c);
    free(c);
}

/* ---- an open instance and its key namespace ---- */

struct store {
    struct cf_kit_host *conf;
    void *inst;
    char ns[64]; /* "conformance/<pid>-<n>/" */
};

static void store_open_conf(struct store *s, struct cf_kit_host *c)
{
    s->conf = c;
    s->inst = cf_kit_open(c, K->vt->open);
    snprintf(s->ns, sizeof s->ns, "conformance/%ld-%u/", (long)getpid(), K->seq++);
}

static void store_open(struct store *s) { store_open_conf(s, conf_new()); }

static void store_close(struct store *s)
{
    K->vt->close(s->inst);
    conf_free(s->conf);
    s->inst = NULL;
    s->conf = NULL;
}

static const char *k(struct store *s, const char *rel)
{
    static __thread char buf[4][512]; /* test-only rotating scratch */
    static __thread int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof buf[0], "%s%s", s->ns, rel);
    return b;
}

static int put(struct store *s, const char *rel, const char *v)
{
    return K->vt->put(s->inst, k(s, rel), (const uint8_t *)v, strlen(v));
}

/* 1 when rel holds exactly want (len bytes). */
static int has(struct store *s, const char *rel, const void *want, size_t len)
{
    uint8_t *v = NULL;
    size_t n = 0;
    if (K->vt->get(s->inst, k(s, rel), &v, &n))
        return 0;
    int ok = n == len && (!len || memcmp(v, want, len) == 0);
    cf_kit_free_secret(v, n);
    return ok;
}

struct listing {
    char names[64][128];
    int n, stop_after;
};

static int collect(void *arg, const char *name)
{
    struct listing *l = arg;
    if (l->n < 64)
        snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

/* Lists rel under the namespace and compares to the space-separated want. */
static void expect_list(struct store *s, const char *rel, const char *want)
{
    struct listing l = {.n = 0};
    CU_ASSERT_EQUAL(K->vt->list(s->inst, k(s, rel), collect, &l), 0);
    char got[2048] = "";
    for (int i = 0; i < l.n && i < 64; i++) {
        strncat(got, i ? " " : "", sizeof got - strlen(got) - 1);
        strncat(got, l.names[i], sizeof got - strlen(got) - 1);
    }
    char m[2600];
    snprintf(m, sizeof m, "list(\"%s\") == \"%s\" (got \"%s\")", rel, want, got);
    CU_assertImplementation(!strcmp(got, want), __LINE__, m, __FILE__, "", CU_FALSE);
}

/* ---- the tests ---- */

static void t_get_missing(void)
{
    struct store s;
    store_open(&s);
    uint8_t *v = (uint8_t *)0x1;
    size_t n = 77;
    CU_ASSERT_EQUAL(K->vt->get(s.inst, k(&s, "missing"), &v, &n), CF_ENOENT);
    CU_ASSERT_PTR_EQUAL(v, (uint8_t *)0x1);
    CU_ASSERT_EQUAL(n, 77);
    store_close(&s);
}

static void t_roundtrip(void)
{
    struct store s;
    store_open(&s);
    static const uint8_t bin[] = {0, 1, 2, 0, 255, 0, 'x', 0};
    CU_ASSERT_EQUAL(K->vt->put(s.inst, k(&s, "bin"), bin, sizeof bin), 0);
    CU_ASSERT(has(&s, "bin", bin, sizeof bin));
    CU_ASSERT_EQUAL(K->vt->put(s.inst, k(&s, "empty"), (const uint8_t *)"", 0), 0);
    CU_ASSERT(has(&s, "empty", "", 0)); /* present, zero length */
    size_t big = 1 << 20;
    uint8_t *m = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    for (size_t i = 0; i < big; i++)
        m[i] = (uint8_t)(i * 131 + (i >> 9));
    CU_ASSERT_EQUAL(K->vt->put(s.inst, k(&s, "big"), m, big), 0);
    CU_ASSERT(has(&s, "big", m, big));
    free(m);
    CU_ASSERT_EQUAL(put(&s, "over", "first value"), 0);
    CU_ASSERT_EQUAL(put(&s, "over", "2nd"), 0);
    CU_ASSERT(has(&s, "over", "2nd", 3));
    store_close(&s);
}

static void t_delete(void)
{
    struct store s;
    store_open(&s);
    CU_ASSERT_EQUAL(put(&s, "d", "v"), 0);
    CU_ASSERT_EQUAL(K->vt->del(s.inst, k(&s, "d")), 0);
    uint8_t *v = NULL;
    size_t n;
    CU_ASSERT_EQUAL(K->vt->get(s.inst, k(&s, "d"), &v, &n), CF_ENOENT);
    CU_ASSERT_EQUAL(K->vt->del(s.inst, k(&s, "d")), 0);
    CU_ASSERT_EQUAL(K->vt->del(s.inst, k(&s, "never")), 0);
    expect_list(&s, "", "");
    store_close(&s);
}

static void t_list(void)
{
    struct store s;
    store_open(&s);
    expect_list(&s, "", ""); /* nothing yet: no callback */
    const char *keys[] = {"b",  "a",   "d/x",     "d/y/z", "d/y/w", "c/",
                          "d0", "d.e", "e/f/g/h", "aa",    NULL};
    for (const char **p = keys; *p; p++)
        CU_ASSERT_EQUAL(put(&s, *p, "v"), 0);
    expect_list(&s, "", "a aa b c/ d.e d/ d0 e/");
    expect_list(&s, "d/", "x y/");
    expect_list(&s, "d/y/", "w z");
    expect_list(&s, "e/", "f/");
    expect_list(&s, "e/f/", "g/");
    expect_list(&s, "c/", ""); /* the key "c/" itself is no child */
    expect_list(&s, "nothing/", "");
    expect_list(&s, "d/y/z/", "");
    /* Early stop: a non-zero return ends the listing, list returns 0. */
    struct listing l = {.stop_after = 2};
    CU_ASSERT_EQUAL(K->vt->list(s.inst, k(&s, ""), collect, &l), 0);
    CU_ASSERT_EQUAL(l.n, 2);
    /* Deleting the last key of a folder removes the folder. */
    CU_ASSERT_EQUAL(K->vt->del(s.inst, k(&s, "e/f/g/h")), 0);
    expect_list(&s, "", "a aa b c/ d.e d/ d0");
    if (K->private_store) {
        struct listing all = {.n = 0};
        CU_ASSERT_EQUAL(K->vt->list(s.inst, "", collect, &all), 0);
        CU_ASSERT_EQUAL(all.n, 1);
        CU_ASSERT_STRING_EQUAL(all.names[0], "conformance/");
    }
    store_close(&s);
}

static void t_txn(void)
{
    if (!(K->vt->caps & CF_STORAGE_CAP_TXN)) {
        fprintf(stderr, "(no CAP_TXN: txn not tested) ");
        return;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(K->vt->txn);
    struct store s;
    store_open(&s);
    CU_ASSERT_EQUAL(put(&s, "t/old", "o"), 0);
    char k1[512], k2[512], k3[512];
    snprintf(k1, sizeof k1, "%s", k(&s, "t/a"));
    snprintf(k2, sizeof k2, "%s", k(&s, "t/b"));
    snprintf(k3, sizeof k3, "%s", k(&s, "t/old"));
    struct coffer_txn_op ops[] = {
        {CF_TXN_PUT, k1, (const uint8_t *)"A", 1},
        {CF_TXN_PUT, k2, (const uint8_t *)"B\0b", 3},
        {CF_TXN_DELETE, k3, NULL, 0},
    };
    CU_ASSERT_EQUAL(K->vt->txn(s.inst, ops, 3), 0);
    CU_ASSERT(has(&s, "t/a", "A", 1));
    CU_ASSERT(has(&s, "t/b", "B\0b", 3));
    CU_ASSERT(!has(&s, "t/old", "o", 1));
    expect_list(&s, "t/", "a b");
    /* An invalid op makes the whole txn fail and change nothing. */
    struct coffer_txn_op bad[] = {
        {CF_TXN_PUT, k1, (const uint8_t *)"changed", 7},
        {CF_TXN_DELETE, k2, NULL, 0},
        {(enum coffer_txn_kind)99, k3, NULL, 0},
    };
    CU_ASSERT_NOT_EQUAL(K->vt->txn(s.inst, bad, 3), 0);
    CU_ASSERT(has(&s, "t/a", "A", 1));
    CU_ASSERT(has(&s, "t/b", "B\0b", 3));
    CU_ASSERT_EQUAL(K->vt->txn(s.inst, ops, 0), 0);
    store_close(&s);
}

static void *no_alloc(size_t n)
{
    (void)n;
    return NULL;
}

/* The host's alloc failing mid-txn (inmem freed a half-prepared op twice):
 * the txn either fails and changes nothing, or succeeds completely. */
static void t_txn_nomem(void)
{
    if (!(K->vt->caps & CF_STORAGE_CAP_TXN))
        return;
    struct store s;
    store_open(&s);
    CU_ASSERT_EQUAL(put(&s, "n/a", "A"), 0);
    char k1[512], k2[512];
    snprintf(k1, sizeof k1, "%s", k(&s, "n/a"));
    snprintf(k2, sizeof k2, "%s", k(&s, "n/b"));
    struct coffer_txn_op ops[] = {
        {CF_TXN_PUT, k1, (const uint8_t *)"changed", 7},
        {CF_TXN_PUT, k2, (const uint8_t *)"B", 1},
    };
    s.conf->host.alloc = no_alloc;
    int rc = K->vt->txn(s.inst, ops, 2);
    s.conf->host.alloc = malloc;
    if (rc) {
        CU_ASSERT(has(&s, "n/a", "A", 1));
        CU_ASSERT(!has(&s, "n/b", "B", 1));
    } else {
        CU_ASSERT(has(&s, "n/a", "changed", 7));
        CU_ASSERT(has(&s, "n/b", "B", 1));
    }
    store_close(&s);
}

#define THREADS 8
#define PER_THREAD 200

struct worker {
    struct store *s;
    int id, failures;
};

static void *writer(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        char rel[64], val[64];
        snprintf(rel, sizeof rel, "conc/%d/%03d", w->id, i);
        snprintf(val, sizeof val, "v-%d-%d", w->id, i);
        if (put(w->s, rel, val))
            w->failures++;
    }
    return NULL;
}

struct reader {
    struct store *s;
    atomic_int done;
    int failures, rounds;
};

static int count_cb(void *arg, const char *name) { return 0; }

/* Lists and reads while the writers run: readers must never see an error
 * (a plugin that can deadlock retries inside, not in its caller). */
static void *lister(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(&r->done)) {
        uint8_t *v;
        size_t n;
        if (K->vt->list(r->s->inst, k(r->s, "conc/"), count_cb, NULL) ||
            K->vt->list(r->s->inst, k(r->s, "conc/3/"), count_cb, NULL))
            r->failures++;
        int rc = K->vt->get(r->s->inst, k(r->s, "conc/1/000"), &v, &n);
        if (!rc)
            cf_kit_free_secret(v, n);
        else if (rc != CF_ENOENT)
            r->failures++;
        r->rounds++;
    }
    return NULL;
}

static void t_concurrent(void)
{
    struct store s;
    store_open(&s);
    pthread_t th[THREADS], rt;
    struct worker w[THREADS];
    struct reader r = {.s = &s};
    atomic_init(&r.done, 0);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&rt, NULL, lister, &r), 0);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){&s, i, 0};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, writer, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CU_ASSERT_EQUAL(w[i].failures, 0);
    }
    atomic_store(&r.done, 1);
    pthread_join(rt, NULL);
    CU_ASSERT_EQUAL(r.failures, 0);
    int missing = 0;
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++) {
            char rel[64], val[64];
            snprintf(rel, sizeof rel, "conc/%d/%03d", t, i);
            snprintf(val, sizeof val, "v-%d-%d", t, i);
            missing += !has(&s, rel, val, strlen(val));
        }
    CU_ASSERT_EQUAL(missing, 0);
    expect_list(&s, "conc/", "0/ 1/ 2/ 3/ 4/ 5/ 6/ 7/");
    struct listing l = {.n = 0};
    CU_ASSERT_EQUAL(K->vt->list(s.inst, k(&s, "conc/5/"), collect, &l), 0);
    CU_ASSERT_EQUAL(l.n, PER_THREAD);
    store_close(&s);
}

static void t_two_instances(void)
{
    if (!K->private_store) {
        fprintf(stderr, "(config has no TMPDIR: isolation not tested) ");
        return;
    }
    struct store a, b;
    store_open(&a);
    store_open(&b);
    snprintf(b.ns, sizeof b.ns, "%s", a.ns); /* same keys, other store */
    CU_ASSERT_EQUAL(put(&a, "only-a", "1"), 0);
    CU_ASSERT_EQUAL(put(&b, "only-b", "2"), 0);
    CU_ASSERT(has(&a, "only-a", "1", 1));
    CU_ASSERT(!has(&a, "only-b", "2", 1));
    CU_ASSERT(has(&b, "only-b", "2", 1));
    CU_ASSERT(!has(&b, "only-a", "1", 1));
    expect_list(&a, "", "only-a");
    expect_list(&b, "", "only-b");
    store_close(&a);
    store_close(&b);
}

/* The child writes 100 keys and SIGKILLs itself: no close, no flush. */
static void t_durable(void)
{
    if (!(K->vt->caps & CF_STORAGE_CAP_DURABLE)) {
        fprintf(stderr, "(no CAP_DURABLE: crash test skipped) ");
        return;
    }
    struct cf_kit_host *c = conf_new();
    char ns[64];
    snprintf(ns, sizeof ns, "conformance/%ld-%u/", (long)getpid(), K->seq);
    fflush(NULL);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        void *inst = NULL;
        struct coffer_err err;
        if (K->vt->open(&c->host, &inst, &err))
            _exit(3);
        for (int i = 0; i < 100; i++) {
            char key[128], val[32];
            snprintf(key, sizeof key, "%sdurable/%03d", ns, i);
            snprintf(val, sizeof val, "value %d", i);
            if (K->vt->put(inst, key, (const uint8_t *)val, strlen(val)))
                _exit(4);
        }
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int st = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    struct store s;
    store_open_conf(&s, c);
    snprintf(s.ns, sizeof s.ns, "%s", ns);
    int found = 0;
    for (int i = 0; i < 100; i++) {
        char rel[32], val[32];
        snprintf(rel, sizeof rel, "durable/%03d", i);
        snprintf(val, sizeof val, "value %d", i);
        found += has(&s, rel, val, strlen(val));
    }
    CU_ASSERT_EQUAL(found, 100);
    store_close(&s);
}

/* ---- loading the plugin, with the checks a host makes ---- */

static int load(struct kit *kit)
{
    if (cf_kit_load(&kit->args, 0, &kit->dl, &kit->desc))
        return -1;
    const char *so = kit->args.so;
    const struct coffer_storage *vt = kit->desc->storage;
    if (!vt || vt->struct_size < offsetof(struct coffer_storage, txn) || !vt->open ||
        !vt->close || !vt->get || !vt->put || !vt->del || !vt->list) {
        fprintf(stderr, "%s: offers no complete storage vtable\n", so);
        return -1;
    }
    if ((vt->caps & CF_STORAGE_CAP_TXN) &&
        (vt->struct_size < sizeof(struct coffer_storage) || !vt->txn)) {
        fprintf(stderr, "%s: claims CAP_TXN without txn()\n", so);
        return -1;
    }
    kit->vt = vt;
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    return remove(p);
}

int main(int argc, char **argv)
{
    struct kit kit = {0};
    int rc = cf_kit_parse_args(&kit.args, argc, argv,
                               "   (value TMPDIR: a fresh directory per instance)");
    if (rc)
        return rc;
    kit.private_store = kit.args.n == 0;
    for (int i = 0; i < kit.args.n; i++)
        if (!strcmp(kit.args.vals[i], "TMPDIR"))
            kit.private_store = 1;
    K = &kit;
    if (load(&kit))
        return 1;
    static const struct cf_kit_test tests[] = {
        {"get of a missing key", t_get_missing},
        {"put/get round trips", t_roundtrip},
        {"delete", t_delete},
        {"list", t_list},
        {"txn", t_txn},
        {"txn when the host's alloc fails", t_txn_nomem},
        {"8 concurrent writers and a reader", t_concurrent},
        {"two instances", t_two_instances},
        {"durable across SIGKILL", t_durable},
    };
    rc = cf_kit_run("storage", kit.desc->name, tests, sizeof tests / sizeof tests[0]);
    for (int i = 0; i < kit.ntmp; i++) {
        nftw(kit.tmpdirs[i], rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(kit.tmpdirs[i]);
    }
    dlclose(kit.dl);
    return rc;
}
