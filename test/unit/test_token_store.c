/* The token store over a real barrier: create, lookup (and wrong ids),
 * TTL expiry, use counts, revocation of children and orphans, accessors,
 * renewal, the salted index, tidy and TTL calculation. */
#include "auth/token_store.h"
#include "seal/barrier.h"
#include "mem_storage.h"
#include "util/json.h"
#include "util/secret.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_view *v;
    struct cf_token_store *ts;
    int revoked;
    char last_revoked[64];
};

static void on_revoke(void *arg, const struct cf_token *t)
{
    struct fx *f = arg;
    f->revoked++;
    snprintf(f->last_revoked, sizeof f->last_revoked, "%s", t->cubbyhole_id);
}

static void fx_open(struct fx *f)
{
    uint8_t key[CF_ROOT_KEY_LEN];
    memset(key, 9, sizeof key);
    memset(f, 0, sizeof *f);
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/token/", &f->v), 0);
    CF_ASSERT_INT_EQ(cf_token_store_new(f->v, NULL, &f->ts), 0);
    cf_token_store_on_revoke(f->ts, on_revoke, f);
}

static void fx_close(struct fx *f)
{
    cf_token_store_free(f->ts);
    cf_view_free(f->v);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

/* Creates a token; returns its id (caller frees). */
static char *mk(struct fx *f, const char *parent, long long ttl, long long uses)
{
    char *pol[] = {"default", "dev"};
    struct cf_token_params p = {
        .policies = pol,
        .npolicies = 2,
        .parent = parent,
        .ttl = ttl,
        .num_uses = uses,
        .renewable = 1,
    };
    struct cf_token *t = NULL;
    CF_ASSERT_INT_EQ(cf_token_create(f->ts, &p, &t), 0);
    if (!t)
        return NULL;
    char *id = strdup(t->id);
    cf_token_free(t);
    return id;
}

static int alive(struct fx *f, const char *id)
{
    struct cf_token *t;
    int rc = cf_token_lookup(f->ts, id, &t);
    if (!rc)
        cf_token_free(t);
    return rc == 0;
}

static void test_root_token(void)
{
    struct fx f;
    fx_open(&f);
    char *id;
    CF_ASSERT_INT_EQ(cf_token_create_root(f.ts, NULL, &id), 0);
    CF_ASSERT_INT_EQ(strncmp(id, "hvs.", 4), 0);
    CF_ASSERT_INT_EQ(strlen(id), 28);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, id, &t), 0);
    CF_ASSERT_INT_EQ(t->npolicies, 1);
    CF_ASSERT_STR_EQ(t->policies[0], "root");
    CF_ASSERT_INT_EQ(t->ttl_expire_time, 0);
    CF_ASSERT_INT_EQ(t->orphan, 1);
    CF_ASSERT_STR_EQ(t->display_name, "root");
    CF_ASSERT_STR_EQ(t->path, "auth/token/root");
    CF_ASSERT_STR_EQ(t->type, "service");
    CF_ASSERT_INT_EQ(strlen(t->accessor), 24);
    CF_ASSERT_INT_EQ(strlen(t->cubbyhole_id), 24);
    cf_token_free(t);
    cf_free_secret_str(id);
    /* a chosen id; taking it twice fails */
    CF_ASSERT_INT_EQ(cf_token_create_root(f.ts, "myroot", &id), 0);
    CF_ASSERT_STR_EQ(id, "myroot");
    free(id);
    CF_ASSERT_INT_EQ(cf_token_create_root(f.ts, "myroot", NULL), CF_EEXIST);
    CF_ASSERT_INT_EQ(alive(&f, "myroot"), 1);
    fx_close(&f);
}

static void test_lookup_wrong_ids(void)
{
    struct fx f;
    fx_open(&f);
    char *id = mk(&f, NULL, 0, 0);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, "hvs.nope", &t), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, "", &t), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, NULL, &t), CF_ENOENT);
    char *wrong = strdup(id);
    wrong[strlen(wrong) - 1] ^= 1;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, wrong, &t), CF_ENOENT);
    /* the id is never a storage key nor stored in clear */
    char **keys;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_list(f.phys, "sys/token/id/", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    CF_ASSERT_INT_EQ(strlen(keys[0]), 64);
    uint8_t *val;
    size_t len;
    char path[128];
    snprintf(path, sizeof path, "sys/token/id/%s", keys[0]);
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, path, &val, &len), 0);
    CF_ASSERT_INT_EQ(memmem(val, len, id, strlen(id)) == NULL, 1);
    free(val);
    cf_strv_free(keys, n);
    /* a second store instance reads the same salt */
    cf_token_store_free(f.ts);
    CF_ASSERT_INT_EQ(cf_token_store_new(f.v, NULL, &f.ts), 0);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    free(wrong);
    free(id);
    fx_close(&f);
}

static void test_fields_and_meta(void)
{
    struct fx f;
    fx_open(&f);
    char *pol[] = {"a"};
    struct cf_pair meta[] = {{"user", "bob"}, {"team", "x"}};
    struct cf_token_params p = {
        .policies = pol,
        .npolicies = 1,
        .display_name = "token-app",
        .path = "auth/token/create-orphan",
        .ttl = 100,
        .explicit_max_ttl = 200,
        .period = 0,
        .num_uses = 3,
        .renewable = 1,
        .meta = meta,
        .nmeta = 2,
    };
    struct cf_token *t, *l;
    CF_ASSERT_INT_EQ(cf_token_create(f.ts, &p, &t), 0);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, t->id, &l), 0);
    CF_ASSERT_STR_EQ(l->display_name, "token-app");
    CF_ASSERT_STR_EQ(l->path, "auth/token/create-orphan");
    CF_ASSERT_INT_EQ(l->creation_ttl, 100);
    CF_ASSERT_INT_EQ(l->explicit_max_ttl, 200);
    CF_ASSERT_INT_EQ(l->num_uses, 3);
    CF_ASSERT_INT_EQ(l->renewable, 1);
    CF_ASSERT_INT_EQ(l->nmeta, 2);
    CF_ASSERT_STR_EQ(l->meta[0].key, "user");
    CF_ASSERT_STR_EQ(l->meta[0].value, "bob");
    long long left = l->ttl_expire_time - l->creation_time;
    CF_ASSERT_INT_EQ(left >= 100 && left <= 101, 1);
    CF_ASSERT_STR_EQ(l->accessor, t->accessor);
    cf_token_free(l);
    cf_token_free(t);
    /* unknown parent */
    p.parent = "hvs.missing";
    CF_ASSERT_INT_EQ(cf_token_create(f.ts, &p, NULL), CF_ENOENT);
    fx_close(&f);
}

static void test_ttl_expiry(void)
{
    struct fx f;
    fx_open(&f);
    char *id = mk(&f, NULL, 1, 0);
    char *child = mk(&f, id, 0, 0); /* never expires itself */
    char *other = mk(&f, NULL, 60, 0);
    CF_ASSERT_INT_EQ(alive(&f, child), 1);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    sleep(2);
    /* the child goes with its expired parent, even looked up first */
    CF_ASSERT_INT_EQ(alive(&f, child), 0);
    CF_ASSERT_INT_EQ(alive(&f, id), 0);
    CF_ASSERT_INT_EQ(alive(&f, other), 1);
    CF_ASSERT_INT_EQ(f.revoked, 2);
    free(id);
    free(child);
    free(other);
    fx_close(&f);
}

static void test_tidy(void)
{
    struct fx f;
    fx_open(&f);
    char *a = mk(&f, NULL, 1, 0);
    char *b = mk(&f, a, 0, 0);
    char *c = mk(&f, NULL, 0, 0);
    sleep(2);
    size_t n = 99;
    CF_ASSERT_INT_EQ(cf_token_store_tidy(f.ts, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    CF_ASSERT_INT_EQ(f.revoked, 2);
    char **keys;
    size_t nk;
    CF_ASSERT_INT_EQ(cf_physical_list(f.phys, "sys/token/id/", &keys, &nk), 0);
    CF_ASSERT_INT_EQ(nk, 1);
    cf_strv_free(keys, nk);
    CF_ASSERT_INT_EQ(alive(&f, c), 1);
    free(a);
    free(b);
    free(c);
    fx_close(&f);
}

static void test_num_uses(void)
{
    struct fx f;
    fx_open(&f);
    char *id = mk(&f, NULL, 0, 2);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, id, &t), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, id, &t), 0);
    CF_ASSERT_INT_EQ(t->num_uses, 1);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    CF_ASSERT_INT_EQ(alive(&f, id), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), CF_ENOENT);
    CF_ASSERT_INT_EQ(f.revoked, 1);
    cf_token_free(t);
    /* unlimited tokens are not counted */
    char *u = mk(&f, NULL, 0, 0);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, u, &t), 0);
    for (int i = 0; i < 5; i++)
        CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(alive(&f, u), 1);
    free(u);
    free(id);
    fx_close(&f);
}

static void test_revoke_children(void)
{
    struct fx f;
    fx_open(&f);
    char *root = mk(&f, NULL, 0, 0);
    char *c1 = mk(&f, root, 0, 0);
    char *c2 = mk(&f, root, 0, 0);
    char *g1 = mk(&f, c1, 0, 0);
    char *orphan = mk(&f, NULL, 0, 0);
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, c1), 0);
    CF_ASSERT_INT_EQ(alive(&f, c1), 0);
    CF_ASSERT_INT_EQ(alive(&f, g1), 0);
    CF_ASSERT_INT_EQ(alive(&f, c2), 1);
    CF_ASSERT_INT_EQ(f.revoked, 2);
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, root), 0);
    CF_ASSERT_INT_EQ(alive(&f, c2), 0);
    CF_ASSERT_INT_EQ(alive(&f, orphan), 1);
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, root), CF_ENOENT);
    /* nothing left behind but the orphan and the salt */
    char **keys;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_list(f.phys, "sys/token/id/", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    cf_strv_free(keys, n);
    CF_ASSERT_INT_EQ(cf_physical_list(f.phys, "sys/token/accessor/", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    cf_strv_free(keys, n);
    int rc = cf_physical_list(f.phys, "sys/token/parent/", &keys, &n);
    if (!rc) {
        CF_ASSERT_INT_EQ(n, 0);
        cf_strv_free(keys, n);
    }
    free(root);
    free(c1);
    free(c2);
    free(g1);
    free(orphan);
    fx_close(&f);
}

static void test_revoke_orphan(void)
{
    struct fx f;
    fx_open(&f);
    char *p = mk(&f, NULL, 0, 0);
    char *c = mk(&f, p, 0, 0);
    char *g = mk(&f, c, 0, 0);
    CF_ASSERT_INT_EQ(cf_token_revoke_orphan(f.ts, p), 0);
    CF_ASSERT_INT_EQ(alive(&f, p), 0);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, c, &t), 0);
    CF_ASSERT_INT_EQ(t->orphan, 1);
    CF_ASSERT_INT_EQ(t->parent == NULL, 1);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(alive(&f, g), 1);
    /* the grandchild still hangs off the child */
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, c), 0);
    CF_ASSERT_INT_EQ(alive(&f, g), 0);
    CF_ASSERT_INT_EQ(cf_token_revoke_orphan(f.ts, "hvs.nope"), CF_ENOENT);
    free(p);
    free(c);
    free(g);
    fx_close(&f);
}

static void test_accessors(void)
{
    struct fx f;
    fx_open(&f);
    char *a = mk(&f, NULL, 0, 0);
    char *b = mk(&f, NULL, 0, 0);
    struct cf_token *ta, *byacc;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, a, &ta), 0);
    CF_ASSERT_INT_EQ(cf_token_lookup_accessor(f.ts, ta->accessor, &byacc), 0);
    CF_ASSERT_STR_EQ(byacc->id, a);
    cf_token_free(byacc);
    CF_ASSERT_INT_EQ(cf_token_lookup_accessor(f.ts, "nope", &byacc), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_token_lookup_accessor(f.ts, "", &byacc), CF_ENOENT);
    char **accs;
    size_t n;
    CF_ASSERT_INT_EQ(cf_token_list_accessors(f.ts, &accs, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    CF_ASSERT_INT_EQ(!strcmp(accs[0], ta->accessor) || !strcmp(accs[1], ta->accessor), 1);
    cf_strv_free(accs, n);
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, a), 0);
    CF_ASSERT_INT_EQ(cf_token_lookup_accessor(f.ts, ta->accessor, &byacc), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_token_list_accessors(f.ts, &accs, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    cf_strv_free(accs, n);
    cf_token_free(ta);
    free(a);
    free(b);
    fx_close(&f);
}

static void test_renew(void)
{
    struct fx f;
    fx_open(&f);
    char *id = mk(&f, NULL, 1, 0);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_renew(f.ts, id, 30, &t), 0);
    CF_ASSERT_INT_EQ(t->lease_ttl, 30);
    CF_ASSERT_INT_EQ(t->creation_ttl, 1);
    CF_ASSERT_INT_EQ(t->last_renewal_time > 0, 1);
    cf_token_free(t);
    sleep(2);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    CF_ASSERT_INT_EQ(cf_token_renew(f.ts, "hvs.nope", 30, NULL), CF_ENOENT);
    free(id);
    fx_close(&f);
}

/* Every change made through the store shows on the next lookup although
 * the records were cached by earlier lookups. */
static void test_cache_coherence(void)
{
    struct fx f;
    fx_open(&f);
    char *p = mk(&f, NULL, 0, 0);
    char *c = mk(&f, p, 0, 0);
    char *u = mk(&f, NULL, 0, 3);
    struct cf_token *t;
    CF_ASSERT_INT_EQ(alive(&f, c), 1); /* warms c and p */
    /* a lookup hands out a copy the caller may change */
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, c, &t), 0);
    free(t->display_name);
    t->display_name = strdup("changed");
    cf_token_free(t);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, c, &t), 0);
    CF_ASSERT_STR_EQ(t->display_name, "token");
    CF_ASSERT_STR_EQ(t->parent, p);
    cf_token_free(t);
    /* renew: the new lease is seen */
    CF_ASSERT_INT_EQ(cf_token_renew(f.ts, c, 77, NULL), 0);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, c, &t), 0);
    CF_ASSERT_INT_EQ(t->lease_ttl, 77);
    cf_token_free(t);
    /* use counts go down on every use, cached or not */
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, u, &t), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, u, &t), 0);
    CF_ASSERT_INT_EQ(t->num_uses, 2);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, t), CF_ENOENT);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(alive(&f, u), 0);
    /* orphaning rewrites the child's record */
    CF_ASSERT_INT_EQ(cf_token_revoke_orphan(f.ts, p), 0);
    CF_ASSERT_INT_EQ(alive(&f, p), 0);
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, c, &t), 0);
    CF_ASSERT_INT_EQ(t->parent == NULL, 1);
    CF_ASSERT_INT_EQ(t->orphan, 1);
    cf_token_free(t);
    /* revocation takes effect at once */
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, c), 0);
    CF_ASSERT_INT_EQ(alive(&f, c), 0);
    free(p);
    free(c);
    free(u);
    fx_close(&f);
}

/* More tokens than cache slots, in parent chains, so records evict each
 * other (also mid-lookup, while an ancestor is loaded). */
static void test_cache_eviction(void)
{
    struct fx f;
    fx_open(&f);
    enum { N = 3000 };
    char **ids = calloc(N, sizeof *ids);
    CF_ASSERT_INT_EQ(ids != NULL, 1);
    for (int i = 0; i < N; i++)
        ids[i] = mk(&f, i % 10 ? ids[i - 1] : NULL, 0, 0);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++)
            CF_ASSERT_INT_EQ(alive(&f, ids[i]), 1);
    /* revoking each chain's head takes the whole chain */
    for (int i = 0; i < N; i += 20)
        CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, ids[i]), 0);
    for (int i = 0; i < N; i++)
        CF_ASSERT_INT_EQ(alive(&f, ids[i]), (i / 10) % 2);
    for (int i = 0; i < N; i++)
        free(ids[i]);
    free(ids);
    fx_close(&f);
}

static void test_calc_ttl(void)
{
    long long ttl;
    char w[256];
    /* default when nothing asked */
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 0, 0, 0, 3600, 7200, 1000, 1000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 3600);
    CF_ASSERT_STR_EQ(w, "");
    /* asked beyond the max: capped with a warning */
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 9000, 0, 0, 3600, 7200, 1000, 1000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 7200);
    CF_ASSERT_STR_EQ(w,
                     "TTL of \"2h30m0s\" exceeded the effective max_ttl of \"2h0m0s\"; "
                     "TTL value is capped accordingly");
    /* explicit max below the mount max */
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 500, 0, 100, 3600, 7200, 1000, 1000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 100);
    /* renewal: increment wins, capped by what is left of the max */
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(5000, 100, 0, 0, 3600, 7200, 1000, 4000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 4200);
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(10, 100, 0, 0, 3600, 7200, 1000, 9000, &ttl, w, sizeof w),
        CF_EINVAL);
    CF_ASSERT_STR_EQ(w, "past the max TTL, cannot renew");
    /* periodic: the period each time, only an explicit max bounds it */
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 0, 600, 0, 3600, 7200, 1000, 100000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 600);
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 0, 9000, 0, 3600, 7200, 1000, 1000, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 7200);
    CF_ASSERT_CONTAINS(w, "period of \"2h30m0s\" exceeded the effective max_ttl");
    CF_ASSERT_INT_EQ(
        cf_token_calc_ttl(0, 0, 600, 1000, 3600, 7200, 1000, 1700, &ttl, w, sizeof w), 0);
    CF_ASSERT_INT_EQ(ttl, 300);
}

static void test_auth_json(void)
{
    struct fx f;
    fx_open(&f);
    char *pol[] = {"default"};
    struct cf_pair meta[] = {{"k", "v"}};
    struct cf_token_params p = {.policies = pol,
                                .npolicies = 1,
                                .ttl = 60,
                                .renewable = 1,
                                .meta = meta,
                                .nmeta = 1};
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_create(f.ts, &p, &t), 0);
    char *js;
    CF_ASSERT_INT_EQ(cf_token_auth_json(t, 60, 1, 1, &js), 0);
    char exp[512];
    snprintf(exp, sizeof exp,
             "{\"client_token\":\"%s\",\"accessor\":\"%s\","
             "\"policies\":[\"default\"],\"token_policies\":[\"default\"],"
             "\"metadata\":{\"k\":\"v\"},\"lease_duration\":60,\"renewable\":true,"
             "\"entity_id\":\"\",\"token_type\":\"service\",\"orphan\":true,"
             "\"mfa_requirement\":null,\"num_uses\":0}",
             t->id, t->accessor);
    CF_ASSERT_STR_EQ(js, exp);
    cf_free_secret_str(js);
    CF_ASSERT_INT_EQ(cf_token_auth_json(t, 60, 1, 0, &js), 0);
    CF_ASSERT_CONTAINS(js, "\"client_token\":\"\"");
    cf_free_secret_str(js);
    cf_token_free(t);
    fx_close(&f);
}

/* F14's class at the store: TTLs and times at the limits saturate instead of
 * wrapping to a deadline in the past (a token dead on arrival). */
static void test_ttl_limits(void)
{
    struct fx f;
    fx_open(&f);
    char *id = mk(&f, NULL, 9223372036LL, 0); /* CF_DURATION_MAX_SECS */
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    struct cf_token *t = NULL;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, id, &t), 0);
    CF_ASSERT_INT_EQ(t && t->ttl_expire_time > t->creation_time, 1);
    cf_token_free(t);
    t = NULL;
    CF_ASSERT_INT_EQ(cf_token_renew(f.ts, id, LLONG_MAX, &t), 0);
    CF_ASSERT_INT_EQ(t ? t->ttl_expire_time : 0, LLONG_MAX);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    free(id);
    id = mk(&f, NULL, LLONG_MAX, 0);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    free(id);

    long long ttl;
    char w[256];
    /* a stored creation time and explicit max whose sum overflows */
    CF_ASSERT_INT_EQ(cf_token_calc_ttl(0, 600, 0, LLONG_MAX, 3600, 0, LLONG_MAX - 10,
                                       1000, &ttl, w, sizeof w),
                     0);
    CF_ASSERT_INT_EQ(ttl, 600);
    CF_ASSERT_INT_EQ(cf_token_calc_ttl(0, 0, 600, LLONG_MAX, 3600, 0, LLONG_MAX - 10,
                                       1000, &ttl, w, sizeof w),
                     0);
    CF_ASSERT_INT_EQ(ttl, 600);
    CF_ASSERT_INT_EQ(cf_token_calc_ttl(LLONG_MAX, 0, 0, 0, 3600, LLONG_MAX, 1000, 1000,
                                       &ttl, w, sizeof w),
                     0);
    CF_ASSERT_INT_EQ(ttl, LLONG_MAX - 1000);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"root token", test_root_token},
        {"lookup by wrong ids", test_lookup_wrong_ids},
        {"fields and metadata", test_fields_and_meta},
        {"TTL expiry (sleeps 2 s)", test_ttl_expiry},
        {"tidy (sleeps 2 s)", test_tidy},
        {"num_uses", test_num_uses},
        {"revoke with children", test_revoke_children},
        {"revoke orphan", test_revoke_orphan},
        {"accessors", test_accessors},
        {"renew (sleeps 2 s)", test_renew},
        {"cache coherence", test_cache_coherence},
        {"cache eviction", test_cache_eviction},
        {"calculate TTL", test_calc_ttl},
        {"auth json", test_auth_json},
        {"TTL limits", test_ttl_limits},
        {NULL, NULL}};
    return cf_test_run("token_store", cases);
}
