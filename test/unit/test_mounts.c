/* The mount table over a real barrier: the first table and its reload,
 * enable/disable/tune with Vault's refusals and messages, longest-prefix
 * match, token revocation fan-out and the environment handed to init.
 * The backends are small fakes registered in a real registry. */
#include "router/mounts.h"
#include "router/registry.h"
#include "auth/token_store.h"
#include "seal/barrier.h"
#include "seal/view.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "mem_storage.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <errno.h>
#include <stdlib.h>

/* What the fake backends saw; handed to init as the type's arg. */
struct rec {
    int inits, cleanups, revoked;
    const struct cf_token *last_revoked;
    struct cf_backend_env env; /* the last init's */
    int fail_init;
};

static int fake_init(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                     struct coffer_err *err)
{
    (void)m;
    struct rec *r = env->type_arg;
    if (r->fail_init) {
        snprintf(err->msg, sizeof err->msg, "fake init refused");
        return CF_EIO;
    }
    r->inits++;
    r->env = *env;
    *state = r;
    return 0;
}

static void fake_cleanup(void *state)
{
    struct rec *r = state;
    r->cleanups++;
}

static int fake_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    (void)m;
    (void)req;
    (void)res;
    return 0;
}

static void fake_revoked(struct cf_mount *m, const struct cf_token *t)
{
    struct rec *r = m->state;
    r->revoked++;
    r->last_revoked = t;
}

static const struct cf_backend FAKE = {
    .init = fake_init,
    .cleanup = fake_cleanup,
    .handle = fake_handle,
    .on_token_revoked = fake_revoked,
};

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_registry *reg;
    struct cf_backend_type types[6];
    struct rec builtin, kv, fake;
    char tokens_dummy, policies_dummy; /* only their addresses are handed on */
    struct cf_logger log;
    struct cf_backend_env env;
    struct cf_mount_table *t;
    struct coffer_err err;
    int *fail_puts; /* non-zero: storage refuses writes */
};

static void fx_types(struct fx *f)
{
    const struct cf_backend_type T[] = {
        {.name = "system",
         .backend = &FAKE,
         .arg = &f->builtin,
         .flags = CF_TYPE_BUILTIN,
         .view_prefix = "sys/",
         .default_path = "sys/",
         .default_description = "system"},
        {.name = "cubbyhole",
         .backend = &FAKE,
         .arg = &f->builtin,
         .flags = CF_TYPE_BUILTIN,
         .default_path = "cubbyhole/",
         .default_description = "cubby"},
        {.name = "token",
         .backend = &FAKE,
         .arg = &f->builtin,
         .flags = CF_TYPE_BUILTIN,
         .default_path = "auth/token/",
         .default_description = "tokens"},
        {.name = "kv", .backend = &FAKE, .arg = &f->kv, .flags = CF_TYPE_KV_VERSION},
        {.name = "kv-v2",
         .type = "kv",
         .kv_version = 2,
         .backend = &FAKE,
         .arg = &f->kv,
         .flags = CF_TYPE_KV_VERSION},
        {.name = "fake", .backend = &FAKE, .arg = &f->fake},
    };
    CF_ASSERT_INT_EQ(cf_registry_new(&f->reg), 0);
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        f->types[i] = T[i];
        CF_ASSERT_INT_EQ(cf_registry_add(f->reg, &f->types[i]), 0);
    }
}

/* A fresh unsealed barrier, the registry and no table yet. */
static void fx_start(struct fx *f)
{
    uint8_t key[CF_ROOT_KEY_LEN];
    memset(key, 5, sizeof key);
    memset(f, 0, sizeof *f);
    CF_ASSERT_INT_EQ(cf_test_mem_physical_ex(&f->phys, &f->fail_puts), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, key, sizeof key), 0);
    fx_types(f);
    f->log.level = -1;
    f->env = (struct cf_backend_env){
        .tokens = (struct cf_token_store *)&f->tokens_dummy,
        .policies = (struct cf_policy_store *)&f->policies_dummy,
        .log = &f->log,
        .default_lease_ttl = 3600,
        .max_lease_ttl = 7200,
    };
}

static void fx_load(struct fx *f)
{
    CF_ASSERT_INT_EQ(cf_mounts_load(f->reg, f->b, &f->env, &f->t, &f->err), 0);
    CU_ASSERT_FATAL(f->t != NULL);
}

static void fx_open(struct fx *f)
{
    fx_start(f);
    fx_load(f);
}

static void fx_close(struct fx *f)
{
    cf_mounts_free(f->t);
    cf_registry_free(f->reg);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

/* The mount at exactly path, or NULL; the table is not kept locked. */
static struct cf_mount *at(struct fx *f, const char *path)
{
    struct cf_mount *found = NULL;
    pthread_rwlock_rdlock(&f->t->lock);
    for (size_t i = 0; i < f->t->n; i++)
        if (!strcmp(f->t->m[i]->path, path))
            found = f->t->m[i];
    pthread_rwlock_unlock(&f->t->lock);
    return found;
}

/* The path of the mount serving path, copied; "" when none. */
static const char *match(struct fx *f, const char *path, char out[64])
{
    struct cf_mount *m = cf_mounts_match(f->t, path);
    snprintf(out, 64, "%s", m ? m->path : "");
    if (m)
        cf_mounts_release(f->t);
    return out;
}

static yajl_val parse(const char *s)
{
    yajl_val v = NULL;
    cf_json_parse(s, strlen(s), &v, NULL);
    CU_ASSERT_FATAL(v != NULL);
    return v;
}

/* Enables type at path with a JSON body (NULL: none); returns the code. */
static int enable(struct fx *f, const char *path, const char *type, const char *body)
{
    yajl_val v = body ? parse(body) : NULL;
    f->err.msg[0] = '\0';
    int rc = cf_mounts_enable(f->t, path, type, v, &f->err);
    if (v)
        cf_json_free(v);
    return rc;
}

static void test_defaults_written_and_read_back(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(f.t->n, 3);
    static const char *const P[] = {"sys/", "cubbyhole/", "auth/token/"};
    static const char *const T[] = {"system", "cubbyhole", "token"};
    char acc[3][64], uuid[3][64];
    for (int i = 0; i < 3; i++) {
        struct cf_mount *m = at(&f, P[i]);
        CU_ASSERT_FATAL(m != NULL);
        CF_ASSERT_STR_EQ(m->type, T[i]);
        CF_ASSERT_INT_EQ(m->permanent, 1);
        CF_ASSERT_INT_EQ(m->kv_version, 0);
        CF_ASSERT_INT_EQ(!strncmp(m->accessor, T[i], strlen(T[i])), 1);
        snprintf(acc[i], sizeof acc[i], "%s", m->accessor);
        snprintf(uuid[i], sizeof uuid[i], "%s", m->uuid);
    }
    CF_ASSERT_STR_EQ(at(&f, "sys/")->description, "system");
    /* view_prefix wins for sys/; the others get logical/<uuid>/ or auth/<uuid>/. */
    CF_ASSERT_STR_EQ(at(&f, "sys/")->view->prefix, "sys/");
    char want[128];
    snprintf(want, sizeof want, "logical/%s/", uuid[1]);
    CF_ASSERT_STR_EQ(at(&f, "cubbyhole/")->view->prefix, want);
    snprintf(want, sizeof want, "auth/%s/", uuid[2]);
    CF_ASSERT_STR_EQ(at(&f, "auth/token/")->view->prefix, want);
    CF_ASSERT_INT_EQ(f.builtin.inits, 3);

    cf_mounts_free(f.t);
    CF_ASSERT_INT_EQ(f.builtin.cleanups, 3);
    fx_load(&f);
    CF_ASSERT_INT_EQ(f.t->n, 3);
    for (int i = 0; i < 3; i++) {
        struct cf_mount *m = at(&f, P[i]);
        CU_ASSERT_FATAL(m != NULL);
        CF_ASSERT_STR_EQ(m->accessor, acc[i]);
        CF_ASSERT_STR_EQ(m->uuid, uuid[i]);
        CF_ASSERT_INT_EQ(m->permanent, 1);
    }
    fx_close(&f);
}

static void test_enable_kv_versions(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "v1", "kv", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "v2", "kv", "{\"options\":{\"version\":\"2\"}}"), 0);
    CF_ASSERT_INT_EQ(enable(&f, "v2num", "kv", "{\"options\":{\"version\":2}}"), 0);
    CF_ASSERT_INT_EQ(enable(&f, "alias", "kv-v2", "{\"description\":\"versioned\"}"), 0);
    CF_ASSERT_INT_EQ(enable(&f, "plain", "fake", "{\"options\":{\"version\":\"2\"}}"), 0);
    CF_ASSERT_INT_EQ(at(&f, "v1/")->kv_version, 1);
    CF_ASSERT_INT_EQ(at(&f, "v2/")->kv_version, 2);
    CF_ASSERT_INT_EQ(at(&f, "v2num/")->kv_version, 2);
    CF_ASSERT_INT_EQ(at(&f, "alias/")->kv_version, 2);
    CF_ASSERT_INT_EQ(at(&f, "plain/")->kv_version, 0);
    /* An alias is kept under the type it stands for. */
    CF_ASSERT_STR_EQ(at(&f, "alias/")->type, "kv");
    CF_ASSERT_STR_EQ(at(&f, "alias/")->description, "versioned");
    CF_ASSERT_INT_EQ(!strncmp(at(&f, "alias/")->accessor, "kv_", 3), 1);
    CF_ASSERT_INT_EQ(at(&f, "v1/")->permanent, 0);
    CF_ASSERT_INT_EQ(f.kv.inits, 4);

    CF_ASSERT_INT_EQ(enable(&f, "v3", "kv", "{\"options\":{\"version\":\"3\"}}"),
                     CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "invalid kv version: must be 1 or 2");
    CF_ASSERT_INT_EQ(at(&f, "v3/") == NULL, 1);

    /* Persisted with their versions. */
    cf_mounts_free(f.t);
    fx_load(&f);
    CF_ASSERT_INT_EQ(f.t->n, 8);
    CF_ASSERT_INT_EQ(at(&f, "v2/")->kv_version, 2);
    CF_ASSERT_INT_EQ(at(&f, "v1/")->kv_version, 1);
    fx_close(&f);
}

static void test_enable_normalizes_path(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "a", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "b/", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "c/d", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(at(&f, "a/") != NULL, 1);
    CF_ASSERT_INT_EQ(at(&f, "b/") != NULL, 1);
    CF_ASSERT_INT_EQ(at(&f, "c/d/") != NULL, 1);
    CF_ASSERT_INT_EQ(enable(&f, "", "fake", NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "path cannot be empty");
    /* Spellings the ACL would see as another path are refused, not cleaned. */
    CF_ASSERT_INT_EQ(enable(&f, "/e", "fake", NULL), CF_EINVAL);
    CF_ASSERT_INT_EQ(enable(&f, "e//", "fake", NULL), CF_EINVAL);
    CF_ASSERT_INT_EQ(enable(&f, "//", "fake", NULL), CF_EINVAL);
    CF_ASSERT_INT_EQ(at(&f, "e/") == NULL, 1);
    fx_close(&f);
}

static void test_enable_reserved_paths(void)
{
    struct fx f;
    fx_open(&f);
    static const char *const R[] = {"sys",      "auth/",   "cubbyhole",
                                    "identity", "audit/x", NULL};
    static const char *const N[] = {"sys/", "auth/", "cubbyhole/", "identity/",
                                    "audit/x/"};
    for (int i = 0; R[i]; i++) {
        char want[128];
        CF_ASSERT_INT_EQ(enable(&f, R[i], "kv", NULL), CF_EINVAL);
        snprintf(want, sizeof want, "cannot mount '%s' of type 'kv': path is reserved",
                 N[i]);
        CF_ASSERT_STR_EQ(f.err.msg, want);
    }
    CF_ASSERT_INT_EQ(enable(&f, "auth/userpass", "fake", NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg,
                     "cannot mount 'auth/userpass/' of type 'fake': path is reserved");
    CF_ASSERT_INT_EQ(f.t->n, 3);
    /* A name that only starts like a reserved one is fine. */
    CF_ASSERT_INT_EQ(enable(&f, "system", "fake", NULL), 0);
    fx_close(&f);
}

static void test_enable_builtin_or_unknown_type(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "x", "system", NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "plugin not found in the catalog: system");
    CF_ASSERT_INT_EQ(enable(&f, "x", "cubbyhole", NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "plugin not found in the catalog: cubbyhole");
    CF_ASSERT_INT_EQ(enable(&f, "x", "nope", NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "plugin not found in the catalog: nope");
    CF_ASSERT_INT_EQ(enable(&f, "x", NULL, NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "plugin not found in the catalog: ");
    CF_ASSERT_INT_EQ(at(&f, "x/") == NULL, 1);
    fx_close(&f);
}

static void test_enable_overlap(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "a", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "a", "kv", NULL), CF_EEXIST);
    CF_ASSERT_STR_EQ(f.err.msg, "path is already in use at a/");
    CF_ASSERT_INT_EQ(enable(&f, "a/b", "fake", NULL), CF_EEXIST);
    CF_ASSERT_STR_EQ(f.err.msg, "path is already in use at a/");
    CF_ASSERT_INT_EQ(enable(&f, "c/d", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "c", "fake", NULL), CF_EEXIST);
    CF_ASSERT_STR_EQ(f.err.msg, "path is already in use at c/d/");
    /* Sharing a leading string is not overlapping. */
    CF_ASSERT_INT_EQ(enable(&f, "ab", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(f.t->n, 6);
    /* The refused ones were initialised nowhere and left nothing behind. */
    CF_ASSERT_INT_EQ(f.fake.inits, 3);
    CF_ASSERT_INT_EQ(f.kv.inits, 0);
    fx_close(&f);
}

static void test_enable_init_failure(void)
{
    struct fx f;
    fx_open(&f);
    f.fake.fail_init = 1;
    CF_ASSERT_INT_EQ(enable(&f, "bad", "fake", NULL), CF_EIO);
    CF_ASSERT_STR_EQ(f.err.msg, "fake init refused");
    CF_ASSERT_INT_EQ(at(&f, "bad/") == NULL, 1);
    f.fake.fail_init = 0;
    CF_ASSERT_INT_EQ(enable(&f, "bad", "fake", NULL), 0);
    fx_close(&f);
}

static void test_disable_clears_view(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "d", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "keep", "fake", NULL), 0);
    struct cf_mount *m = at(&f, "d/");
    CU_ASSERT_FATAL(m != NULL);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s", m->view->prefix);
    CF_ASSERT_INT_EQ(cf_view_put_str(m->view, "one", "1"), 0);
    CF_ASSERT_INT_EQ(cf_view_put_str(m->view, "dir/two", "2"), 0);
    CF_ASSERT_INT_EQ(cf_view_put_str(at(&f, "keep/")->view, "k", "v"), 0);

    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "d", &f.err), 0);
    CF_ASSERT_INT_EQ(at(&f, "d/") == NULL, 1);
    CF_ASSERT_INT_EQ(f.fake.cleanups, 1);
    char **keys = NULL;
    size_t n = 99;
    CF_ASSERT_INT_EQ(cf_barrier_list(f.b, prefix, &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 0);
    cf_strv_free(keys, n);
    uint8_t *val;
    size_t len;
    CF_ASSERT_INT_EQ(cf_view_get(at(&f, "keep/")->view, "k", &val, &len), 0);
    cf_free_secret(val, len);

    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "d/", &f.err), CF_ENOENT);
    CF_ASSERT_STR_EQ(f.err.msg, "no mount at 'd/'");
    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "", &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "path cannot be empty");

    cf_mounts_free(f.t);
    fx_load(&f);
    CF_ASSERT_INT_EQ(at(&f, "d/") == NULL, 1);
    CF_ASSERT_INT_EQ(at(&f, "keep/") != NULL, 1);
    fx_close(&f);
}

/* A table that cannot be saved leaves the mount and its data in place:
 * bad luck with the disk loses nothing. */
static void test_disable_save_fails(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "d", "fake", NULL), 0);
    struct cf_mount *m = at(&f, "d/");
    CU_ASSERT_FATAL(m != NULL);
    CF_ASSERT_INT_EQ(cf_view_put_str(m->view, "one", "1"), 0);
    size_t n = f.t->n;
    *f.fail_puts = 1;
    CU_ASSERT(cf_mounts_disable(f.t, "d", &f.err) != 0);
    *f.fail_puts = 0;
    CF_ASSERT_INT_EQ(f.t->n, n);
    m = at(&f, "d/");
    CU_ASSERT_FATAL(m != NULL);
    CF_ASSERT_INT_EQ(f.fake.cleanups, 0);
    uint8_t *val;
    size_t len;
    CF_ASSERT_INT_EQ(cf_view_get(m->view, "one", &val, &len), 0);
    cf_free_secret(val, len);
    cf_mounts_free(f.t);
    fx_load(&f); /* and as stored */
    CF_ASSERT_INT_EQ(at(&f, "d/") != NULL, 1);
    fx_close(&f);
}

static void test_disable_builtin_refused(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "sys", &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "cannot unmount 'sys/'");
    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "cubbyhole/", &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "cannot unmount 'cubbyhole/'");
    /* auth/ paths pass the reserved check; the builtin type stops this one. */
    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "auth/token", &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "cannot unmount 'auth/token/'");
    CF_ASSERT_INT_EQ(cf_mounts_disable(f.t, "auth/other", &f.err), CF_ENOENT);
    CF_ASSERT_STR_EQ(f.err.msg, "no mount at 'auth/other/'");
    CF_ASSERT_INT_EQ(f.t->n, 3);
    CF_ASSERT_INT_EQ(f.builtin.cleanups, 0);
    fx_close(&f);
}

static void test_tune(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(
        enable(&f, "t", "fake",
               "{\"description\":\"old\",\"config\":{\"default_lease_ttl\":\"30m\"}}"),
        0);
    CF_ASSERT_INT_EQ(at(&f, "t/")->default_lease_ttl, 1800);
    yajl_val v = parse("{\"default_lease_ttl\":\"1h\",\"max_lease_ttl\":7200,"
                       "\"description\":\"new\"}");
    CF_ASSERT_INT_EQ(cf_mounts_tune(f.t, "t", v, &f.err), 0);
    cf_json_free(v);
    struct cf_mount *m = at(&f, "t/");
    CF_ASSERT_INT_EQ(m->default_lease_ttl, 3600);
    CF_ASSERT_INT_EQ(m->max_lease_ttl, 7200);
    CF_ASSERT_STR_EQ(m->description, "new");

    /* A bad value changes nothing. */
    v = parse(
        "{\"max_lease_ttl\":\"1m\",\"default_lease_ttl\":\"soon\",\"description\":\"x\"}");
    CF_ASSERT_INT_EQ(cf_mounts_tune(f.t, "t/", v, &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg,
                     "invalid default_lease_ttl: expected a duration such as \"1h\", "
                     "at most 9223372036s (about 292 years)");
    CF_ASSERT_INT_EQ(cf_mounts_tune(f.t, "nothere", v, &f.err), CF_ENOENT);
    CF_ASSERT_STR_EQ(f.err.msg, "no mount at 'nothere/'");
    cf_json_free(v);
    CF_ASSERT_INT_EQ(m->default_lease_ttl, 3600);
    CF_ASSERT_INT_EQ(m->max_lease_ttl, 7200);
    CF_ASSERT_STR_EQ(m->description, "new");

    /* "system" resets to the system default (0). */
    v = parse("{\"default_lease_ttl\":\"system\"}");
    CF_ASSERT_INT_EQ(cf_mounts_tune(f.t, "t", v, &f.err), 0);
    cf_json_free(v);
    CF_ASSERT_INT_EQ(m->default_lease_ttl, 0);

    cf_mounts_free(f.t);
    fx_load(&f);
    m = at(&f, "t/");
    CF_ASSERT_INT_EQ(m->default_lease_ttl, 0);
    CF_ASSERT_INT_EQ(m->max_lease_ttl, 7200);
    CF_ASSERT_STR_EQ(m->description, "new");
    fx_close(&f);
}

/* Nested mounts cannot be enabled, but a stored table may hold them: the
 * longest prefix must win whatever the stored order. */
static void test_match_longest_prefix(void)
{
    struct fx f;
    fx_start(&f);
    const char *table =
        "[{\"path\":\"a/\",\"type\":\"fake\",\"accessor\":\"fake_1\",\"uuid\":\"u1\"},"
        " {\"path\":\"a/b/\",\"type\":\"fake\",\"accessor\":\"fake_2\",\"uuid\":\"u2\"},"
        " {\"path\":\"secret/\",\"type\":\"kv\",\"accessor\":\"kv_3\",\"uuid\":\"u3\","
        "  \"version\":2}]";
    CF_ASSERT_INT_EQ(
        cf_barrier_put(f.b, "core/mounts", (const uint8_t *)table, strlen(table)), 0);
    fx_load(&f);
    CF_ASSERT_INT_EQ(f.t->n, 3);
    CF_ASSERT_INT_EQ(at(&f, "secret/")->kv_version, 2);
    char got[64];
    CF_ASSERT_STR_EQ(match(&f, "a/b/c", got), "a/b/");
    CF_ASSERT_STR_EQ(match(&f, "a/b/", got), "a/b/");
    CF_ASSERT_STR_EQ(match(&f, "a/b", got), "a/b/");
    CF_ASSERT_STR_EQ(match(&f, "a/c", got), "a/");
    CF_ASSERT_STR_EQ(match(&f, "a/bc", got), "a/");
    CF_ASSERT_STR_EQ(match(&f, "secret/data/x", got), "secret/");
    CF_ASSERT_STR_EQ(match(&f, "secret", got), "secret/");
    CF_ASSERT_STR_EQ(match(&f, "secretx", got), "");
    CF_ASSERT_STR_EQ(match(&f, "secre", got), "");
    CF_ASSERT_STR_EQ(match(&f, "sys/health", got), "");
    /* match leaves the table read-locked until release: a writer waits. */
    struct cf_mount *m = cf_mounts_match(f.t, "a/x");
    CU_ASSERT_FATAL(m != NULL);
    CF_ASSERT_INT_EQ(pthread_rwlock_trywrlock(&f.t->lock), EBUSY);
    cf_mounts_release(f.t);
    CF_ASSERT_INT_EQ(pthread_rwlock_trywrlock(&f.t->lock), 0);
    pthread_rwlock_unlock(&f.t->lock);
    fx_close(&f);
}

static void test_load_corrupt_table(void)
{
    struct fx f;
    fx_start(&f);
    const char *bad = "{\"not\":\"an array\"}";
    CF_ASSERT_INT_EQ(
        cf_barrier_put(f.b, "core/mounts", (const uint8_t *)bad, strlen(bad)), 0);
    CF_ASSERT_INT_EQ(cf_mounts_load(f.reg, f.b, &f.env, &f.t, &f.err), CF_EIO);
    CF_ASSERT_STR_EQ(f.err.msg, "mount table is corrupt");
    const char *unknown =
        "[{\"path\":\"z/\",\"type\":\"gone\",\"accessor\":\"a\",\"uuid\":\"u\"}]";
    CF_ASSERT_INT_EQ(
        cf_barrier_put(f.b, "core/mounts", (const uint8_t *)unknown, strlen(unknown)), 0);
    CF_ASSERT_INT_EQ(cf_mounts_load(f.reg, f.b, &f.env, &f.t, &f.err), CF_EINVAL);
    CF_ASSERT_STR_EQ(f.err.msg, "unknown backend type \"gone\"");
    f.t = NULL;
    fx_close(&f);
}

static void test_token_revoked_reaches_backends(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(enable(&f, "one", "fake", NULL), 0);
    CF_ASSERT_INT_EQ(enable(&f, "two", "kv", NULL), 0);
    struct cf_token tok = {.id = "hvs.test"};
    cf_mounts_token_revoked(f.t, &tok);
    CF_ASSERT_INT_EQ(f.fake.revoked, 1);
    CF_ASSERT_INT_EQ(f.kv.revoked, 1);
    CF_ASSERT_INT_EQ(f.builtin.revoked, 3);
    CF_ASSERT_INT_EQ(f.fake.last_revoked == &tok, 1);
    CF_ASSERT_INT_EQ(f.kv.last_revoked == &tok, 1);
    fx_close(&f);
}

static void test_backend_env_handed_to_init(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(f.builtin.env.mounts == f.t, 1);
    CF_ASSERT_INT_EQ(enable(&f, "e", "fake", NULL), 0);
    const struct cf_backend_env *e = &f.fake.env;
    CF_ASSERT_INT_EQ(e->tokens == (struct cf_token_store *)&f.tokens_dummy, 1);
    CF_ASSERT_INT_EQ(e->policies == (struct cf_policy_store *)&f.policies_dummy, 1);
    CF_ASSERT_INT_EQ(e->mounts == f.t, 1);
    CF_ASSERT_INT_EQ(e->log == &f.log, 1);
    CF_ASSERT_INT_EQ(e->default_lease_ttl, 3600);
    CF_ASSERT_INT_EQ(e->max_lease_ttl, 7200);
    CF_ASSERT_INT_EQ(e->type_arg == &f.fake, 1);
    CF_ASSERT_INT_EQ(at(&f, "e/")->state == &f.fake, 1);
    CF_ASSERT_INT_EQ(enable(&f, "k", "kv-v2", NULL), 0);
    CF_ASSERT_INT_EQ(f.kv.env.type_arg == &f.kv, 1);
    CF_ASSERT_INT_EQ(f.kv.env.mounts == f.t, 1);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"defaults written and read back", test_defaults_written_and_read_back},
        {"enable kv versions", test_enable_kv_versions},
        {"enable normalizes path", test_enable_normalizes_path},
        {"enable reserved paths", test_enable_reserved_paths},
        {"enable builtin or unknown type", test_enable_builtin_or_unknown_type},
        {"enable overlap", test_enable_overlap},
        {"enable init failure", test_enable_init_failure},
        {"disable clears view", test_disable_clears_view},
        {"disable with a failing save keeps the mount", test_disable_save_fails},
        {"disable builtin refused", test_disable_builtin_refused},
        {"tune", test_tune},
        {"match longest prefix", test_match_longest_prefix},
        {"load corrupt table", test_load_corrupt_table},
        {"token revoked reaches backends", test_token_revoked_reaches_backends},
        {"backend env handed to init", test_backend_env_handed_to_init},
        {NULL, NULL},
    };
    return cf_test_run("mounts", cases);
}
