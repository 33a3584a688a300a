/* The auth/token/ endpoints: Vault's create rules (policies, orphans,
 * TTLs, sudo-only options), lookup/renew/revoke variants and the JSON
 * fields of their responses, over a real barrier. */
#include "auth/auth.h"
#include "seal/barrier.h"
#include "mem_storage.h"
#include "util/json.h"
#include "util/secret.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <stdlib.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_view *tv, *pv;
    struct cf_token_store *ts;
    struct cf_policy_store *ps;
    struct cf_mount m;
    char *root;
};

static void fx_open(struct fx *f)
{
    uint8_t key[CF_ROOT_KEY_LEN];
    struct coffer_err err = {""};
    memset(key, 3, sizeof key);
    memset(f, 0, sizeof *f);
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/token/", &f->tv), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/policy/", &f->pv), 0);
    CF_ASSERT_INT_EQ(cf_token_store_new(f->tv, NULL, &f->ts), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_new(f->pv, &f->ps), 0);
    const char *dev = "path \"secret/*\" { capabilities = [\"read\"] }";
    const char *sudo =
        "path \"auth/token/*\" { capabilities = [\"create\", \"update\", \"sudo\"] }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f->ps, "dev", dev, strlen(dev), &err), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_put(f->ps, "sudoer", sudo, strlen(sudo), &err), 0);
    CF_ASSERT_INT_EQ(cf_token_create_root(f->ts, NULL, &f->root), 0);
    f->m.path = "auth/token/";
    f->m.type = "token";
    f->m.backend = &cf_token_backend;
    struct cf_backend_env env = {.tokens = f->ts,
                                 .policies = f->ps,
                                 .default_lease_ttl = 3600,
                                 .max_lease_ttl = 7200};
    CF_ASSERT_INT_EQ(cf_token_backend.init(&env, &f->m, &f->m.state, &err), 0);
}

static void fx_close(struct fx *f)
{
    cf_token_backend.cleanup(f->m.state);
    cf_free_secret_str(f->root);
    cf_policy_store_free(f->ps);
    cf_token_store_free(f->ts);
    cf_view_free(f->tv);
    cf_view_free(f->pv);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

/* Runs one request as token `as` (NULL: unauthenticated). */
static int call(struct fx *f, enum cf_op op, const char *rel, const char *body,
                const char *as, struct cf_result *res)
{
    struct cf_request *r = calloc(1, sizeof *r);
    r->op = op;
    r->mount_path = "auth/token/";
    r->rel = rel;
    if (body)
        CF_ASSERT_INT_EQ(cf_json_parse(body, strlen(body), &r->data, NULL), 0);
    struct cf_token *t = NULL;
    if (as)
        CF_ASSERT_INT_EQ(cf_token_lookup(f->ts, as, &t), 0);
    r->auth = t;
    memset(res, 0, sizeof *res);
    int rc = cf_token_backend.handle(&f->m, r, res);
    cf_token_free(t);
    cf_request_free(r);
    return rc;
}

static yajl_val parse(const char *s)
{
    yajl_val v = NULL;
    if (s)
        cf_json_parse(s, strlen(s), &v, NULL);
    CF_ASSERT_INT_EQ(v != NULL, 1);
    return v;
}

static long long jint(yajl_val v, const char *k)
{
    long long x = -12345;
    cf_json_get_int(v, k, &x);
    return x;
}

static int jbool(yajl_val v, const char *k)
{
    int b = -1;
    cf_json_get_bool(v, k, &b);
    return b;
}

static char *jstrv(yajl_val v, const char *k)
{
    char **s;
    size_t n;
    static char buf[256];
    buf[0] = 0;
    if (cf_json_get_strv(v, k, &s, &n))
        return buf;
    for (size_t i = 0; i < n; i++) {
        strcat(buf, i ? "," : "");
        strncat(buf, s[i], 60);
    }
    cf_strv_free(s, n);
    return buf;
}

/* Creates a token as `as` with body; returns the new id (caller frees). */
static char *create(struct fx *f, const char *as, const char *rel, const char *body)
{
    struct cf_result res;
    CF_ASSERT_INT_EQ(call(f, CF_OP_UPDATE, rel, body, as, &res), 0);
    CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "", "");
    char *id = NULL;
    if (res.auth) {
        yajl_val a = parse(res.auth);
        id = strdup(cf_json_get_str(a, "client_token"));
        cf_json_free(a);
    }
    cf_result_free(&res);
    return id;
}

static void expect_err(struct fx *f, enum cf_op op, const char *rel, const char *body,
                       const char *as, int status, const char *msg)
{
    struct cf_result res;
    CF_ASSERT_INT_EQ(call(f, op, rel, body, as, &res), 0);
    CF_ASSERT_INT_EQ(res.status, status);
    if (msg)
        CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "(none)", msg);
    else
        CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(res.auth == NULL && res.data == NULL, 1);
    cf_result_free(&res);
}

static void test_create_by_root(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_result res;
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create",
                          "{\"policies\":[\"dev\",\"nope\"],\"meta\":{\"a\":\"b\"},"
                          "\"display_name\":\"my app!\"}",
                          f.root, &res),
                     0);
    CF_ASSERT_INT_EQ(res.status, 0);
    CF_ASSERT_INT_EQ(res.data == NULL, 1);
    yajl_val a = parse(res.auth);
    const char *tok = cf_json_get_str(a, "client_token");
    CF_ASSERT_INT_EQ(tok && !strncmp(tok, "hvs.", 4) && strlen(tok) == 28, 1);
    CF_ASSERT_INT_EQ(strlen(cf_json_get_str(a, "accessor")), 24);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "default,dev,nope");
    CF_ASSERT_STR_EQ(jstrv(a, "token_policies"), "default,dev,nope");
    CF_ASSERT_STR_EQ(cf_json_get_str(cf_json_get(a, "metadata"), "a"), "b");
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 3600);
    CF_ASSERT_INT_EQ(jbool(a, "renewable"), 1);
    CF_ASSERT_STR_EQ(cf_json_get_str(a, "entity_id"), "");
    CF_ASSERT_STR_EQ(cf_json_get_str(a, "token_type"), "service");
    CF_ASSERT_INT_EQ(jbool(a, "orphan"), 0);
    CF_ASSERT_INT_EQ(YAJL_IS_NULL(cf_json_get(a, "mfa_requirement")), 1);
    CF_ASSERT_INT_EQ(jint(a, "num_uses"), 0);
    CF_ASSERT_INT_EQ(res.nwarnings, 1);
    CF_ASSERT_STR_EQ(res.warnings[0], "Policy \"nope\" does not exist");
    char *id = strdup(tok);
    cf_json_free(a);
    cf_result_free(&res);

    /* lookup-self shows the stored fields */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup-self", NULL, id, &res), 0);
    yajl_val d = parse(res.data);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "display_name"), "token-my-app");
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "path"), "auth/token/create");
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "id"), id);
    CF_ASSERT_INT_EQ(jint(d, "creation_ttl"), 3600);
    CF_ASSERT_INT_EQ(jint(d, "ttl") >= 3598 && jint(d, "ttl") <= 3601, 1);
    CF_ASSERT_INT_EQ(jint(d, "explicit_max_ttl"), 0);
    CF_ASSERT_INT_EQ(jbool(d, "orphan"), 0);
    CF_ASSERT_INT_EQ(jbool(d, "renewable"), 1);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "type"), "service");
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "entity_id"), "");
    CF_ASSERT_CONTAINS(cf_json_get_str(d, "expire_time"), "Z");
    CF_ASSERT_CONTAINS(cf_json_get_str(d, "issue_time"), "T");
    CF_ASSERT_INT_EQ(jint(d, "creation_time") > 1600000000, 1);
    CF_ASSERT_STR_EQ(jstrv(d, "policies"), "default,dev,nope");
    CF_ASSERT_INT_EQ(cf_json_get(d, "period") == NULL, 1);
    cf_json_free(d);
    cf_result_free(&res);

    /* root: no expiry, no lease fields */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup-self", NULL, f.root, &res), 0);
    d = parse(res.data);
    CF_ASSERT_INT_EQ(YAJL_IS_NULL(cf_json_get(d, "expire_time")), 1);
    CF_ASSERT_INT_EQ(cf_json_get(d, "issue_time") == NULL, 1);
    CF_ASSERT_INT_EQ(cf_json_get(d, "renewable") == NULL, 1);
    CF_ASSERT_INT_EQ(jint(d, "ttl"), 0);
    CF_ASSERT_INT_EQ(jbool(d, "orphan"), 1);
    CF_ASSERT_INT_EQ(YAJL_IS_NULL(cf_json_get(d, "meta")), 1);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "display_name"), "root");
    cf_json_free(d);
    cf_result_free(&res);
    free(id);
    fx_close(&f);
}

/* Policy names are taken only as stored (lower case, no surrounding
 * space): a request that ACL globs saw as "ADMIN" must not become a token
 * with "admin". A comma string is still a list, each element checked. */
static void test_policy_names_canonical(void)
{
    struct fx f;
    fx_open(&f);
    static const struct {
        const char *body, *err;
    } BAD[] = {
        {"{\"policies\":[\"dev\",\"ADMIN\"]}",
         "policy name \"ADMIN\" is not in canonical form: use \"admin\" (policy names "
         "are lower-case, without surrounding spaces)"},
        {"{\"policies\":[\" admin\"]}",
         "policy name \" admin\" is not in canonical form: use \"admin\" (policy names "
         "are lower-case, without surrounding spaces)"},
        {"{\"policies\":\"dev,Admin\"}",
         "policy name \"Admin\" is not in canonical form: use \"admin\" (policy names "
         "are lower-case, without surrounding spaces)"},
        {"{\"policies\":[\"Default\"],\"no_default_policy\":true}",
         "policy name \"Default\" is not in canonical form: use \"default\" (policy names "
         "are lower-case, without surrounding spaces)"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        expect_err(&f, CF_OP_UPDATE, "create", BAD[i].body, f.root, 400, BAD[i].err);
        expect_err(&f, CF_OP_UPDATE, "create-orphan", BAD[i].body, f.root, 400,
                   BAD[i].err);
    }
    struct cf_result res;
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "create", "{\"policies\":\"dev, admin\"}", f.root, &res),
        0);
    CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "", "");
    yajl_val a = parse(res.auth);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "admin,default,dev");
    cf_json_free(a);
    cf_result_free(&res);
    /* Refused requests left the store serving. */
    char *t = create(&f, f.root, "create", "{\"policies\":[\"dev\"]}");
    CU_ASSERT_FATAL(t != NULL);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup-self", NULL, t, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 0);
    cf_result_free(&res);
    free(t);
    fx_close(&f);
}

static void test_create_ttls(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_result res;
    /* beyond the mount max: capped, with Vault's warning */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create", "{\"ttl\":\"3h\"}", f.root, &res),
                     0);
    yajl_val a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 7200);
    CF_ASSERT_CONTAINS(res.nwarnings ? res.warnings[0] : "",
                       "TTL of \"3h0m0s\" exceeded");
    cf_json_free(a);
    cf_result_free(&res);
    /* explicit max caps the ttl */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create",
                          "{\"ttl\":500,\"explicit_max_ttl\":\"100s\"}", f.root, &res),
                     0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 100);
    cf_json_free(a);
    cf_result_free(&res);
    /* root child with no policies inherits root: no expiry, not renewable */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create", "{}", f.root, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "root");
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 0);
    CF_ASSERT_INT_EQ(jbool(a, "renewable"), 0);
    cf_json_free(a);
    cf_result_free(&res);
    /* periodic (root may) */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create",
                          "{\"policies\":[\"dev\"],\"period\":\"10m\",\"ttl\":\"1h\"}",
                          f.root, &res),
                     0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 600);
    cf_json_free(a);
    cf_result_free(&res);
    /* a tuned mount's max wins over the system's */
    f.m.max_lease_ttl = 50;
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "create", "{\"policies\":[\"dev\"]}", f.root, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 50);
    cf_json_free(a);
    cf_result_free(&res);
    f.m.max_lease_ttl = 0;
    /* renewable=false */
    char *nr =
        create(&f, f.root, "create", "{\"policies\":[\"dev\"],\"renewable\":false}");
    expect_err(&f, CF_OP_UPDATE, "renew-self", NULL, nr, 400, "lease is not renewable");
    expect_err(&f, CF_OP_UPDATE, "renew-self", NULL, f.root, 400,
               "lease is not renewable");
    free(nr);
    /* bad values */
    expect_err(&f, CF_OP_UPDATE, "create", "{\"ttl\":\"-5s\"}", f.root, 400,
               "ttl must be positive");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"ttl\":\"soon\"}", f.root, 400,
               "invalid value for \"ttl\"");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"explicit_max_ttl\":-1}", f.root, 400,
               "explicit_max_ttl must be positive");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"period\":\"-1s\"}", f.root, 400,
               "period must be positive");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"num_uses\":-1}", f.root, 400,
               "number of uses cannot be negative");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"type\":\"batch\"}", f.root, 400,
               "batch tokens are not supported");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"type\":\"odd\"}", f.root, 400,
               "invalid 'token_type' value");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"meta\":[1]}", f.root, 400,
               "meta must be a map of strings");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"no_parent\":\"maybe\"}", f.root, 400,
               "invalid value for \"no_parent\": expected a boolean");
    fx_close(&f);
}

static void test_create_rules(void)
{
    struct fx f;
    fx_open(&f);
    char *dev = create(&f, f.root, "create", "{\"policies\":[\"dev\"]}");
    char *sudo = create(&f, f.root, "create", "{\"policies\":[\"sudoer\"]}");
    struct cf_result res;

    expect_err(&f, CF_OP_UPDATE, "create", "{\"policies\":[\"sudoer\"]}", dev, 400,
               "child policies must be subset of parent");
    /* inherit: the parent's policies including default */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create", "{}", dev, &res), 0);
    yajl_val a = parse(res.auth);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "default,dev");
    cf_json_free(a);
    cf_result_free(&res);
    /* subset, default added because the parent has it; no_default_policy drops it */
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "create", "{\"policies\":\"dev\"}", dev, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "default,dev");
    cf_json_free(a);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create",
                          "{\"policies\":[\"dev\"],\"no_default_policy\":true}", dev,
                          &res),
                     0);
    a = parse(res.auth);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "dev");
    cf_json_free(a);
    cf_result_free(&res);

    expect_err(&f, CF_OP_UPDATE, "create", "{\"no_parent\":true}", dev, 400,
               "root or sudo privileges required to create orphan token");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"period\":60}", dev, 400,
               "root or sudo privileges required to create periodic token");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"id\":\"mine\"}", dev, 400,
               "root or sudo privileges required to specify token id");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"policies\":[\"root\"]}", sudo, 400,
               "root tokens may not be created without parent token being root");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"policies\":[\"response-wrapping\"]}",
               f.root, 400, "cannot assign policy \"response-wrapping\"");

    /* sudo on the create path: orphans and any policies */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create",
                          "{\"no_parent\":true,\"policies\":[\"dev\"]}", sudo, &res),
                     0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jbool(a, "orphan"), 1);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "default,dev");
    cf_json_free(a);
    cf_result_free(&res);
    /* create-orphan needs no sudo (the ACL on its path decides) */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create-orphan", "{}", dev, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jbool(a, "orphan"), 1);
    cf_json_free(a);
    cf_result_free(&res);

    /* a chosen id (root), and a duplicate */
    char *mine =
        create(&f, f.root, "create", "{\"id\":\"my-token\",\"policies\":[\"dev\"]}");
    CF_ASSERT_STR_EQ(mine, "my-token");
    expect_err(&f, CF_OP_UPDATE, "create", "{\"id\":\"my-token\"}", f.root, 400,
               "cannot create a token with a duplicate ID");
    /* a use-limited parent cannot create children */
    char *limited = create(&f, f.root, "create", "{\"num_uses\":3}");
    expect_err(&f, CF_OP_UPDATE, "create", "{}", limited, 400,
               "restricted use token cannot generate child tokens");
    expect_err(&f, CF_OP_UPDATE, "create", "{}", NULL, 400,
               "parent token lookup failed: no parent found");
    free(limited);
    free(mine);
    free(dev);
    free(sudo);
    fx_close(&f);
}

static void test_lookup_variants(void)
{
    struct fx f;
    fx_open(&f);
    char *t = create(&f, f.root, "create", "{\"policies\":[\"dev\"]}");
    struct cf_result res;
    char body[256];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", t);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "lookup", body, f.root, &res), 0);
    yajl_val d = parse(res.data);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "id"), t);
    char acc[64];
    snprintf(acc, sizeof acc, "%s", cf_json_get_str(d, "accessor"));
    cf_json_free(d);
    cf_result_free(&res);

    expect_err(&f, CF_OP_UPDATE, "lookup", "{\"token\":\"hvs.bogus\"}", f.root, 403,
               "bad token");
    /* GET lookup without a token looks up the caller */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup", NULL, t, &res), 0);
    d = parse(res.data);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "id"), t);
    cf_json_free(d);
    cf_result_free(&res);

    snprintf(body, sizeof body, "{\"accessor\":\"%s\"}", acc);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "lookup-accessor", body, f.root, &res), 0);
    d = parse(res.data);
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "id"), "");
    CF_ASSERT_STR_EQ(cf_json_get_str(d, "accessor"), acc);
    cf_json_free(d);
    cf_result_free(&res);
    expect_err(&f, CF_OP_UPDATE, "lookup-accessor", "{\"accessor\":\"zz\"}", f.root, 400,
               "invalid accessor");
    expect_err(&f, CF_OP_UPDATE, "lookup-accessor", "{}", f.root, 400,
               "missing accessor");
    fx_close(&f);
    free(t);
}

static void test_renew(void)
{
    struct fx f;
    fx_open(&f);
    char *t = create(&f, f.root, "create", "{\"policies\":[\"dev\"],\"ttl\":\"10m\"}");
    struct cf_result res;
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "renew-self", "{\"increment\":\"1h\"}", t, &res), 0);
    yajl_val a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 3600);
    CF_ASSERT_STR_EQ(cf_json_get_str(a, "client_token"), t);
    CF_ASSERT_INT_EQ(jbool(a, "renewable"), 1);
    CF_ASSERT_STR_EQ(jstrv(a, "policies"), "default,dev");
    char acc[64];
    snprintf(acc, sizeof acc, "%s", cf_json_get_str(a, "accessor"));
    cf_json_free(a);
    cf_result_free(&res);
    /* no increment: back to the last TTL */
    char body[256];
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", t);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "renew", body, f.root, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 3600);
    cf_json_free(a);
    cf_result_free(&res);
    /* renewed token shows last_renewal in lookups */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup-self", NULL, t, &res), 0);
    a = parse(res.data);
    CF_ASSERT_INT_EQ(jint(a, "last_renewal_time") > 0, 1);
    CF_ASSERT_INT_EQ(jint(a, "creation_ttl"), 600);
    cf_json_free(a);
    cf_result_free(&res);
    /* increment beyond the max is capped */
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "renew-self", "{\"increment\":99999}", t, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_INT_EQ(
        jint(a, "lease_duration") <= 7200 && jint(a, "lease_duration") >= 7198, 1);
    cf_json_free(a);
    cf_result_free(&res);
    /* by accessor: no client_token in the answer */
    snprintf(body, sizeof body, "{\"accessor\":\"%s\"}", acc);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "renew-accessor", body, f.root, &res), 0);
    a = parse(res.auth);
    CF_ASSERT_STR_EQ(cf_json_get_str(a, "client_token"), "");
    cf_json_free(a);
    cf_result_free(&res);
    expect_err(&f, CF_OP_UPDATE, "renew", "{\"token\":\"hvs.bogus\"}", f.root, 400,
               "token not found");
    expect_err(&f, CF_OP_UPDATE, "renew", "{}", f.root, 400, "missing token ID");
    expect_err(&f, CF_OP_UPDATE, "renew-accessor", "{\"accessor\":\"x\"}", f.root, 400,
               "invalid accessor");
    free(t);
    fx_close(&f);
}

static int alive(struct fx *f, const char *id)
{
    struct cf_token *t;
    int rc = cf_token_lookup(f->ts, id, &t);
    cf_token_free(rc ? NULL : t);
    return rc == 0;
}

static void test_revoke_variants(void)
{
    struct fx f;
    fx_open(&f);
    char *p = create(&f, f.root, "create", "{\"policies\":[\"dev\"]}");
    char *c = create(&f, p, "create", "{}");
    char *dev = create(&f, f.root, "create", "{\"policies\":[\"dev\"]}");
    char body[256];
    struct cf_result res;
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", p);
    expect_err(&f, CF_OP_UPDATE, "revoke-orphan", body, dev, 400,
               "root or sudo privileges required to revoke and orphan");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "revoke-orphan", body, f.root, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(alive(&f, p), 0);
    CF_ASSERT_INT_EQ(alive(&f, c), 1);
    expect_err(&f, CF_OP_UPDATE, "revoke-orphan", body, f.root, 400,
               "token to revoke not found");

    /* revoke takes the children along; unknown tokens are fine */
    char *g = create(&f, c, "create", "{}");
    snprintf(body, sizeof body, "{\"token\":\"%s\"}", c);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "revoke", body, f.root, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(alive(&f, g), 0);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "revoke", body, f.root, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    expect_err(&f, CF_OP_UPDATE, "revoke", "{}", f.root, 400, "missing token ID");

    /* by accessor */
    struct cf_token *t;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, dev, &t), 0);
    snprintf(body, sizeof body, "{\"accessor\":\"%s\"}", t->accessor);
    cf_token_free(t);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "revoke-accessor", body, f.root, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(alive(&f, dev), 0);
    expect_err(&f, CF_OP_UPDATE, "revoke-accessor", body, f.root, 400,
               "invalid accessor");

    /* self */
    char *s = create(&f, f.root, "create", "{}");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "revoke-self", NULL, s, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(alive(&f, s), 0);
    free(s);
    free(g);
    free(p);
    free(c);
    free(dev);
    fx_close(&f);
}

static void test_accessors_and_routes(void)
{
    struct fx f;
    fx_open(&f);
    char *t = create(&f, f.root, "create", "{}");
    struct cf_result res;
    CF_ASSERT_INT_EQ(call(&f, CF_OP_LIST, "accessors/", NULL, f.root, &res), 0);
    yajl_val d = parse(res.data);
    yajl_val keys = cf_json_get(d, "keys");
    CF_ASSERT_INT_EQ(YAJL_IS_ARRAY(keys) ? (long long)keys->u.array.len : -1, 2);
    cf_json_free(d);
    cf_result_free(&res);
    expect_err(&f, CF_OP_READ, "accessors", NULL, f.root, 405, "unsupported operation");
    expect_err(&f, CF_OP_READ, "create", NULL, f.root, 405, "unsupported operation");
    expect_err(&f, CF_OP_DELETE, "lookup-self", NULL, f.root, 405,
               "unsupported operation");
    expect_err(&f, CF_OP_UPDATE, "nope", "{}", f.root, 404, "unsupported path");
    expect_err(&f, CF_OP_UPDATE, "create/web", "{}", f.root, 400, "unknown role web");
    expect_err(&f, CF_OP_LIST, "roles/", NULL, f.root, 404, NULL);
    /* sudo paths as Vault lists them */
    const char *const *sp = cf_token_backend.sudo_paths;
    CF_ASSERT_STR_EQ(sp[0], "revoke-orphan/*");
    CF_ASSERT_STR_EQ(sp[1], "accessors*");
    CF_ASSERT_INT_EQ(sp[2] == NULL, 1);
    /* a use-limited token: its last use still answers lookup-self */
    char *once = create(&f, f.root, "create", "{\"num_uses\":1}");
    struct cf_token *tok;
    CF_ASSERT_INT_EQ(cf_token_lookup(f.ts, once, &tok), 0);
    CF_ASSERT_INT_EQ(cf_token_use(f.ts, tok), 0);
    struct cf_request *r = calloc(1, sizeof *r);
    r->op = CF_OP_READ;
    r->rel = "lookup-self";
    r->auth = tok;
    memset(&res, 0, sizeof res);
    CF_ASSERT_INT_EQ(cf_token_backend.handle(&f.m, r, &res), 0);
    CF_ASSERT_INT_EQ(res.data != NULL, 1);
    cf_result_free(&res);
    cf_request_free(r);
    cf_token_free(tok);
    CF_ASSERT_INT_EQ(alive(&f, once), 0);
    free(once);
    free(t);
    fx_close(&f);
}

/* F14 and its class: a duration past CF_DURATION_MAX_SECS is a clear 400,
 * the longest accepted one gives a live token, and the store still serves. */
static void test_number_limits(void)
{
    struct fx f;
    fx_open(&f);
#define TOO_LONG ": longer than the maximum duration of 9223372036s (about 292 years)"
    static const struct {
        const char *body, *msg;
    } bad[] = {
        {"{\"explicit_max_ttl\":9000000000000000000}",
         "invalid value for \"explicit_max_ttl\"" TOO_LONG},
        {"{\"explicit_max_ttl\":\"9223372037\"}",
         "invalid value for \"explicit_max_ttl\"" TOO_LONG},
        {"{\"ttl\":\"99999999999999999999h\"}", "invalid value for \"ttl\"" TOO_LONG},
        {"{\"ttl\":\"99999999999999999999\"}", "invalid value for \"ttl\"" TOO_LONG},
        {"{\"ttl\":\"-99999999999999999999h\"}", "invalid value for \"ttl\"" TOO_LONG},
        {"{\"period\":-9000000000000000000}", "invalid value for \"period\"" TOO_LONG},
        {"{\"num_uses\":9223372036854775808}",
         "invalid value for \"num_uses\": expected an integer"},
        {"{\"num_uses\":\"9223372036854775808\"}",
         "invalid value for \"num_uses\": expected an integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_err(&f, CF_OP_UPDATE, "create", bad[i].body, f.root, 400, bad[i].msg);

    /* The longest explicit max: a root child (no mount limits) that lives. */
    struct cf_result res;
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "create", "{\"explicit_max_ttl\":9223372036}",
                          f.root, &res),
                     0);
    CF_ASSERT_INT_EQ(res.status, 0);
    yajl_val a = parse(res.auth);
    CF_ASSERT_INT_EQ(jint(a, "lease_duration"), 9223372036LL);
    char *id = strdup(cf_json_get_str(a, "client_token"));
    cf_json_free(a);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "lookup-self", NULL, id, &res), 0);
    a = parse(res.data);
    CF_ASSERT_INT_EQ(jint(a, "explicit_max_ttl"), 9223372036LL);
    CF_ASSERT_INT_EQ(jint(a, "ttl") > 9223372000LL, 1);
    const char *exp = cf_json_get_str(a, "expire_time");
    CF_ASSERT_INT_EQ(exp && strncmp(exp, "23", 2) == 0, 1); /* the 2300s */
    cf_json_free(a);
    cf_result_free(&res);
    expect_err(&f, CF_OP_UPDATE, "renew-self", "{\"increment\":\"1e18h\"}", id, 400,
               "invalid value for \"increment\"" TOO_LONG);
    expect_err(&f, CF_OP_UPDATE, "renew-self", "{\"increment\":\"soon\"}", id, 400,
               "invalid value for \"increment\"");
    expect_err(&f, CF_OP_UPDATE, "renew-self", "{\"increment\":9000000000000000000}", id,
               400, "invalid value for \"increment\"" TOO_LONG);
#undef TOO_LONG
    CF_ASSERT_INT_EQ(alive(&f, id), 1);
    free(id);
    /* and an ordinary token after all that */
    char *ok = create(&f, f.root, "create", "{\"ttl\":\"1h\",\"num_uses\":3}");
    CF_ASSERT_INT_EQ(ok != NULL && alive(&f, ok), 1);
    free(ok);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"create by root and lookup-self", test_create_by_root},
        {"policy names canonical", test_policy_names_canonical},
        {"create TTLs", test_create_ttls},
        {"create rules", test_create_rules},
        {"lookup variants", test_lookup_variants},
        {"renew", test_renew},
        {"revoke variants", test_revoke_variants},
        {"accessors and routes", test_accessors_and_routes},
        {"number limits", test_number_limits},
        {NULL, NULL}};
    return cf_test_run("token_backend", cases);
}
