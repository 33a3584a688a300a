/* The router over a real token store, policy store and mount table:
 * unmounted paths, tokens, ACL capabilities (create vs update through the
 * backend's existence check, sudo, unauthenticated and token-only paths),
 * the request fields a backend sees, status mapping, and a permanent
 * mount's handler taking the table's write lock. The backends are fakes. */
#include "router/router.h"
#include "router/mounts.h"
#include "router/registry.h"
#include "auth/policy_store.h"
#include "auth/token_store.h"
#include "seal/barrier.h"
#include "util/secret.h"
#include "mem_storage.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <stdlib.h>
#include <unistd.h>

/* One fake backend type's knobs and what its handler saw. */
struct rec {
    int rc;           /* handle's return */
    int error_result; /* handle fills a 400 error result instead */
    int set_type;     /* handle sets res->mount_type itself */
    int exists, exists_rc, exists_calls;
    int calls;
    enum cf_op op;
    char mount_path[64], rel[64], policy[32];
    int had_auth;
    struct cf_mount_table *mounts; /* from init's env */
    int nested_rc;                 /* the builtin's cf_mounts_enable from inside handle */
};

static int fake_init(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                     struct coffer_err *err)
{
    (void)m;
    (void)err;
    struct rec *r = env->type_arg;
    r->mounts = env->mounts;
    *state = r;
    return 0;
}

static int fake_exists(struct cf_mount *m, struct cf_request *req, int *exists)
{
    (void)req;
    struct rec *r = m->state;
    r->exists_calls++;
    *exists = r->exists;
    return r->exists_rc;
}

static int fake_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    struct rec *r = m->state;
    r->calls++;
    r->op = req->op;
    snprintf(r->mount_path, sizeof r->mount_path, "%s",
             req->mount_path ? req->mount_path : "(null)");
    snprintf(r->rel, sizeof r->rel, "%s", req->rel ? req->rel : "(null)");
    r->had_auth = req->auth != NULL;
    snprintf(r->policy, sizeof r->policy, "%s",
             req->auth && req->auth->npolicies ? req->auth->policies[0] : "");
    if (r->rc)
        return r->rc;
    if (r->error_result)
        return cf_result_error(res, 400, "fake refused");
    if (r->set_type)
        res->mount_type = "custom";
    res->data = strdup("{\"ok\":true}");
    return res->data ? 0 : CF_ENOMEM;
}

/* A builtin that changes the mount table while it serves (as sys/mounts). */
static int perm_handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    struct rec *r = m->state;
    struct coffer_err err = {""};
    r->nested_rc = cf_mounts_enable(r->mounts, "nested", "fake", NULL, &err);
    return fake_handle(m, req, res);
}

static unsigned flagged_path_flags(const struct cf_mount *m, const char *rel)
{
    (void)m;
    if (!strncmp(rel, "only", 4))
        return CF_PATH_TOKEN_ONLY;
    if (!strcmp(rel, "open"))
        return CF_PATH_UNAUTH;
    return !strcmp(rel, "root") ? CF_PATH_SUDO : 0;
}

static const char *const SUDO_PATHS[] = {"root/*", NULL};
static const char *const UNAUTH_PATHS[] = {"open", NULL};

static const struct cf_backend LISTED = {
    .init = fake_init,
    .exists = fake_exists,
    .handle = fake_handle,
    .sudo_paths = SUDO_PATHS,
    .unauth_paths = UNAUTH_PATHS,
    .mount_type = "fake",
};
static const struct cf_backend FLAGGED = {
    .init = fake_init,
    .handle = fake_handle,
    .path_flags = flagged_path_flags,
    /* Ignored: path_flags decides. */
    .unauth_paths = SUDO_PATHS,
};
static const struct cf_backend PERM = {.init = fake_init, .handle = perm_handle};

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_view *tv, *pv;
    struct cf_token_store *ts;
    struct cf_policy_store *ps;
    struct cf_registry *reg;
    struct cf_backend_type types[3];
    struct rec perm, fake, flagged;
    struct cf_mount_table *t;
    struct cf_router *r;
    struct cf_logger log;
    char *root, *reader, *creator, *updater, *sudoer;
};

static void put_policy(struct fx *f, const char *name, const char *text)
{
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_policy_store_put(f->ps, name, text, strlen(text), &err), 0);
}

/* A token with one policy and num_uses; the id belongs to the caller. */
static char *token(struct fx *f, const char *policy, long long uses)
{
    char *pol[] = {(char *)policy};
    struct cf_token_params p = {.policies = pol, .npolicies = 1, .num_uses = uses};
    struct cf_token *t = NULL;
    CF_ASSERT_INT_EQ(cf_token_create(f->ts, &p, &t), 0);
    CU_ASSERT_FATAL(t != NULL);
    char *id = strdup(t->id);
    cf_token_free(t);
    return id;
}

static void fx_open(struct fx *f)
{
    uint8_t key[CF_ROOT_KEY_LEN];
    struct coffer_err err = {""};
    memset(key, 9, sizeof key);
    memset(f, 0, sizeof *f);
    f->log.level = -1;
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/token/", &f->tv), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/policy/", &f->pv), 0);
    CF_ASSERT_INT_EQ(cf_token_store_new(f->tv, NULL, &f->ts), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_new(f->pv, &f->ps), 0);
    put_policy(f, "reader", "path \"secret/*\" { capabilities = [\"read\"] }");
    put_policy(f, "creator", "path \"secret/*\" { capabilities = [\"create\"] }");
    put_policy(f, "updater", "path \"secret/*\" { capabilities = [\"update\"] }");
    put_policy(f, "sudoer",
               "path \"secret/*\" { capabilities = [\"read\"] }\n"
               "path \"secret/root/*\" { capabilities = [\"read\", \"sudo\"] }");
    CF_ASSERT_INT_EQ(cf_token_create_root(f->ts, NULL, &f->root), 0);
    f->reader = token(f, "reader", 0);
    f->creator = token(f, "creator", 0);
    f->updater = token(f, "updater", 0);
    f->sudoer = token(f, "sudoer", 0);

    const struct cf_backend_type T[] = {
        {.name = "perm",
         .backend = &PERM,
         .arg = &f->perm,
         .flags = CF_TYPE_BUILTIN,
         .default_path = "perm/"},
        {.name = "fake", .backend = &LISTED, .arg = &f->fake},
        {.name = "flagged", .backend = &FLAGGED, .arg = &f->flagged},
    };
    CF_ASSERT_INT_EQ(cf_registry_new(&f->reg), 0);
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        f->types[i] = T[i];
        CF_ASSERT_INT_EQ(cf_registry_add(f->reg, &f->types[i]), 0);
    }
    struct cf_backend_env env = {.tokens = f->ts, .policies = f->ps, .log = &f->log};
    CF_ASSERT_INT_EQ(cf_mounts_load(f->reg, f->b, &env, &f->t, &err), 0);
    CU_ASSERT_FATAL(f->t != NULL);
    CF_ASSERT_INT_EQ(cf_mounts_enable(f->t, "secret", "fake", NULL, &err), 0);
    CF_ASSERT_INT_EQ(cf_mounts_enable(f->t, "flag", "flagged", NULL, &err), 0);
    CF_ASSERT_INT_EQ(cf_router_new(f->t, f->ts, f->ps, &f->log, &f->r), 0);
    f->fake.exists = 1;
}

static void fx_close(struct fx *f)
{
    cf_router_free(f->r);
    cf_mounts_free(f->t);
    cf_registry_free(f->reg);
    char *ids[] = {f->root, f->reader, f->creator, f->updater, f->sudoer};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        cf_free_secret_str(ids[i]);
    cf_policy_store_free(f->ps);
    cf_token_store_free(f->ts);
    cf_view_free(f->tv);
    cf_view_free(f->pv);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

static int status(const struct cf_result *res)
{
    return res->status ? res->status : res->data ? 200 : 204;
}

static const char *errmsg(const struct cf_result *res)
{
    return res->nerrors ? res->errors[0] : "";
}

/* Routes one request as token `as` (NULL: none); res is reset first. The
 * request's borrowed fields must be clear again when the router returns. */
static int route(struct fx *f, enum cf_op op, const char *path, const char *as,
                 struct cf_result *res)
{
    struct cf_request *req = calloc(1, sizeof *req);
    CU_ASSERT_FATAL(req != NULL);
    req->op = op;
    req->path = strdup(path);
    req->token = as ? strdup(as) : NULL;
    cf_result_free(res);
    memset(res, 0, sizeof *res);
    cf_router_handle(f->r, req, res);
    CF_ASSERT_INT_EQ(req->mount_path == NULL, 1);
    CF_ASSERT_INT_EQ(req->rel == NULL, 1);
    CF_ASSERT_INT_EQ(req->auth == NULL, 1);
    cf_request_free(req);
    return status(res);
}

static void test_unmounted_path_404(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "nope/x", f.root, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res),
                     "no handler for route \"nope/x\". route entry not found.");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secretx/y", f.root, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res),
                     "no handler for route \"secretx/y\". route entry not found.");
    CF_ASSERT_INT_EQ(f.fake.calls, 0);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_missing_or_unknown_token_403(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    const char *bad[] = {NULL, "", "hvs.unknown"};
    for (size_t i = 0; i < 3; i++) {
        CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", bad[i], &res), 403);
        CF_ASSERT_STR_EQ(errmsg(&res), "permission denied");
    }
    /* A revoked token is an unknown one. */
    CF_ASSERT_INT_EQ(cf_token_revoke(f.ts, f.reader), 0);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 403);
    CF_ASSERT_INT_EQ(f.fake.calls, 0);
    CF_ASSERT_INT_EQ(f.fake.exists_calls, 0);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_acl_by_capability(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 200);
    CF_ASSERT_INT_EQ(f.fake.calls, 1);
    CF_ASSERT_INT_EQ(f.fake.op, CF_OP_READ);
    /* READ needs no existence check. */
    CF_ASSERT_INT_EQ(f.fake.exists_calls, 0);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/foo", f.reader, &res), 403);
    CF_ASSERT_STR_EQ(errmsg(&res), "permission denied");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_DELETE, "secret/foo", f.reader, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_LIST, "secret/foo", f.reader, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.updater, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_DELETE, "secret/foo", f.root, &res), 200);
    CF_ASSERT_INT_EQ(f.fake.calls, 2);
    cf_result_free(&res);
    fx_close(&f);
}

/* ACLs are cached by policy set: a policy written, deleted or created
 * between two requests counts for the second one. */
static void test_policy_change_seen(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 200);
    put_policy(&f, "reader", "path \"secret/foo\" { capabilities = [\"deny\"] }");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 403);
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_policy_store_delete(f.ps, "reader", &err), 0);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", f.reader, &res), 403);
    char *later = token(&f, "later", 0); /* a policy that does not exist yet */
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", later, &res), 403);
    put_policy(&f, "later", "path \"secret/*\" { capabilities = [\"read\"] }");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo", later, &res), 200);
    free(later);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_create_vs_update_by_exists(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.fake.exists = 0;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/new", f.creator, &res), 200);
    CF_ASSERT_INT_EQ(f.fake.op, CF_OP_CREATE);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/new", f.updater, &res), 403);
    f.fake.exists = 1;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/old", f.updater, &res), 200);
    CF_ASSERT_INT_EQ(f.fake.op, CF_OP_UPDATE);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/old", f.creator, &res), 403);
    CF_ASSERT_INT_EQ(f.fake.exists_calls, 4);
    CF_ASSERT_INT_EQ(f.fake.calls, 2);
    /* A failing existence check is the backend's failure. */
    f.fake.exists_rc = CF_EIO;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/old", f.root, &res), 500);
    CF_ASSERT_STR_EQ(errmsg(&res), "internal error");
    CF_ASSERT_INT_EQ(f.fake.calls, 2);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_sudo_paths(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/root/x", f.reader, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/root/x", f.sudoer, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/root/x", f.root, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/plain", f.reader, &res), 200);
    /* path_flags wins over the lists when a backend has it. */
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/root", f.root, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/root/x", NULL, &res), 403);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_unauth_paths(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/open", NULL, &res), 200);
    CF_ASSERT_INT_EQ(f.fake.had_auth, 0);
    /* Not even a token that is sent is looked up there. */
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/open", "hvs.unknown", &res), 200);
    CF_ASSERT_INT_EQ(f.fake.had_auth, 0);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/open", NULL, &res), 200);
    CF_ASSERT_INT_EQ(f.flagged.calls, 1);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/open/more", NULL, &res), 403);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_token_only_paths(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    /* reader has no rule under flag/: only the token is checked. */
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/only/x", f.reader, &res), 200);
    CF_ASSERT_INT_EQ(f.flagged.had_auth, 1);
    CF_ASSERT_STR_EQ(f.flagged.policy, "reader");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "flag/only", f.reader, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/only/x", NULL, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/only/x", "hvs.unknown", &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/other", f.reader, &res), 403);
    CF_ASSERT_INT_EQ(f.flagged.calls, 2);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_token_uses_counted(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    char *once = token(&f, "reader", 1);
    /* A denied request spends no use. */
    CF_ASSERT_INT_EQ(route(&f, CF_OP_UPDATE, "secret/a", once, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/a", once, &res), 200);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/a", once, &res), 403);
    cf_free_secret_str(once);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_request_fields_during_call(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/foo/bar", f.reader, &res), 200);
    CF_ASSERT_STR_EQ(f.fake.mount_path, "secret/");
    CF_ASSERT_STR_EQ(f.fake.rel, "foo/bar");
    CF_ASSERT_INT_EQ(f.fake.had_auth, 1);
    CF_ASSERT_STR_EQ(f.fake.policy, "reader");
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret", f.root, &res), 200);
    CF_ASSERT_STR_EQ(f.fake.mount_path, "secret/");
    CF_ASSERT_STR_EQ(f.fake.rel, "");
    CF_ASSERT_STR_EQ(f.fake.policy, "root");
    /* route() checks they are clear afterwards, on errors too. */
    f.fake.rc = CF_EIO;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 500);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.updater, &res), 403);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "perm/x", f.root, &res), 200);
    CF_ASSERT_STR_EQ(f.perm.mount_path, "perm/");
    CF_ASSERT_STR_EQ(f.perm.rel, "x");
    cf_result_free(&res);
    fx_close(&f);
}

static void test_backend_codes_mapped(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.fake.rc = CF_ENOENT;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    f.fake.rc = CF_EINVAL;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "invalid request");
    f.fake.rc = CF_EDENIED;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 403);
    CF_ASSERT_STR_EQ(errmsg(&res), "permission denied");
    static const int OTHER[] = {CF_EIO, CF_ENOMEM, CF_ETIMEDOUT, CF_EUNAVAIL};
    for (size_t i = 0; i < sizeof OTHER / sizeof OTHER[0]; i++) {
        f.fake.rc = OTHER[i];
        CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 500);
        CF_ASSERT_STR_EQ(errmsg(&res), "internal error");
        CF_ASSERT_INT_EQ(res.data == NULL, 1);
    }
    cf_result_free(&res);
    fx_close(&f);
}

static void test_mount_type_from_backend(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 200);
    CF_ASSERT_STR_EQ(res.mount_type, "fake");
    f.fake.set_type = 1;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 200);
    CF_ASSERT_STR_EQ(res.mount_type, "custom");
    f.fake.error_result = 1;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "secret/x", f.root, &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "fake refused");
    CF_ASSERT_INT_EQ(res.mount_type == NULL, 1);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "flag/x", f.root, &res), 200);
    CF_ASSERT_INT_EQ(res.mount_type == NULL, 1);
    cf_result_free(&res);
    fx_close(&f);
}

/* The router runs a permanent mount's handler without the table's read
 * lock, so it may take the write lock (sys/mounts does). A regression
 * deadlocks: main's alarm kills the run instead of hanging it. */
static void test_permanent_mount_can_write_table(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    f.perm.nested_rc = 1;
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "perm/x", f.root, &res), 200);
    CF_ASSERT_INT_EQ(f.perm.nested_rc, 0);
    CF_ASSERT_INT_EQ(route(&f, CF_OP_READ, "nested/x", f.root, &res), 200);
    CF_ASSERT_STR_EQ(f.fake.mount_path, "nested/");
    cf_result_free(&res);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"unmounted path 404", test_unmounted_path_404},
        {"missing or unknown token 403", test_missing_or_unknown_token_403},
        {"acl by capability", test_acl_by_capability},
        {"a policy change counts for the next request", test_policy_change_seen},
        {"create vs update by exists", test_create_vs_update_by_exists},
        {"sudo paths", test_sudo_paths},
        {"unauth paths", test_unauth_paths},
        {"token only paths", test_token_only_paths},
        {"token uses counted", test_token_uses_counted},
        {"request fields during call", test_request_fields_during_call},
        {"backend codes mapped", test_backend_codes_mapped},
        {"mount type from backend", test_mount_type_from_backend},
        {"permanent mount can write table", test_permanent_mount_can_write_table},
        {NULL, NULL},
    };
    /* A deadlock anywhere (see test_permanent_mount_can_write_table) ends
     * the run with SIGALRM, a failure, instead of hanging `make check`. */
    alarm(60);
    return cf_test_run("router", cases);
}
