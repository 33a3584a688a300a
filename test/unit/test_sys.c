/* The sys/ route table through the real system backend: which paths are
 * local and how the router must treat the rest, sys/health and
 * sys/seal-status over a real seal, sys/seal's deferred work, and the
 * sys/mounts round trip over a real mount table. The node's lifecycle is
 * a set of recording callbacks. */
#include "sys/sys.h"
#include "engines/engines.h"
#include "router/mounts.h"
#include "router/registry.h"
#include "seal/barrier.h"
#include "seal/seal.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "mem_storage.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <stdarg.h>
#include <stdlib.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_seal *seal;
    struct cf_sys *sys;
    struct cf_logger log;
    struct cf_seal_keys *keys;
    struct cf_registry *reg;
    struct cf_backend_type types[2];
    struct cf_mount_table *t;
    /* What the node was asked to do. */
    int initializes, unseals, seals, step_downs, clusters;
    int last_active_only;
};

static int node_initialize(void *arg, int shares, int threshold,
                           struct cf_seal_keys **keys, char **root_token,
                           struct coffer_err *err)
{
    struct fx *f = arg;
    f->initializes++;
    int rc = cf_seal_initialize(f->seal, shares, threshold, keys, err);
    if (!rc && !(*root_token = strdup("hvs.testroot"))) {
        cf_seal_keys_free(*keys);
        rc = CF_ENOMEM;
    }
    return rc;
}

static int node_unseal(void *arg, const char *key, int *unsealed, struct coffer_err *err)
{
    struct fx *f = arg;
    f->unseals++;
    return cf_seal_submit(f->seal, key, unsealed, err);
}

static int node_seal(void *arg)
{
    struct fx *f = arg;
    f->seals++;
    return 0;
}

static int node_step_down(void *arg)
{
    struct fx *f = arg;
    f->step_downs++;
    return 0;
}

static void node_cluster(void *arg, int active_only, char name[128], char id[37])
{
    struct fx *f = arg;
    f->clusters++;
    f->last_active_only = active_only;
    snprintf(name, 128, "test-cluster");
    snprintf(id, 37, "11111111-2222-3333-4444-555555555555");
}

static void fx_open(struct fx *f)
{
    memset(f, 0, sizeof *f);
    f->log.level = -1;
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_seal_new(f->phys, f->b, &f->seal), 0);
    struct cf_sys_env env = {
        .log = &f->log,
        .seal = f->seal,
        .barrier = f->b,
        .storage_type = "inmem",
        .node = {f, node_initialize, node_unseal, node_seal, node_step_down, node_cluster,
                 NULL},
    };
    CF_ASSERT_INT_EQ(cf_sys_new(&env, &f->sys), 0);
}

/* Initializes the seal with shares/threshold (the node is not told). */
static void fx_init(struct fx *f, int shares, int threshold)
{
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_seal_initialize(f->seal, shares, threshold, &f->keys, &err), 0);
    CU_ASSERT_FATAL(f->keys != NULL);
}

/* fx_open, then initialized, unsealed, and sys/ mounted by a real mount
 * table. */
static void fx_mounted(struct fx *f)
{
    struct coffer_err err = {""};
    int unsealed = 0;
    fx_open(f);
    fx_init(f, 1, 1);
    CF_ASSERT_INT_EQ(
        cf_seal_submit_raw(f->seal, f->keys->keys[0], f->keys->len, &unsealed, &err), 0);
    CF_ASSERT_INT_EQ(unsealed, 1);
    const struct cf_backend_type T[] = {
        {.name = "system",
         .backend = &cf_sys_backend,
         .arg = f->sys,
         .flags = CF_TYPE_BUILTIN,
         .view_prefix = "sys/",
         .default_path = "sys/",
         .default_description = "system endpoints"},
        {.name = "kv", .backend = &cf_kv_backend, .flags = CF_TYPE_KV_VERSION},
    };
    CF_ASSERT_INT_EQ(cf_registry_new(&f->reg), 0);
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        f->types[i] = T[i];
        CF_ASSERT_INT_EQ(cf_registry_add(f->reg, &f->types[i]), 0);
    }
    struct cf_backend_env env = {
        .log = &f->log, .default_lease_ttl = 3600, .max_lease_ttl = 86400};
    CF_ASSERT_INT_EQ(cf_mounts_load(f->reg, f->b, &env, &f->t, &err), 0);
    CU_ASSERT_FATAL(f->t != NULL);
}

static void fx_close(struct fx *f)
{
    cf_mounts_free(f->t);
    cf_registry_free(f->reg);
    cf_seal_keys_free(f->keys);
    cf_sys_free(f->sys);
    cf_seal_free(f->seal);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

/* A request for path with an optional JSON body and one optional query
 * parameter "k=v". Free with cf_request_free. */
static struct cf_request *mkreq(enum cf_op op, const char *path, const char *body,
                                const char *query)
{
    struct cf_request *r = calloc(1, sizeof *r);
    CU_ASSERT_FATAL(r != NULL);
    r->op = op;
    r->path = strdup(path);
    if (body) {
        cf_json_parse(body, strlen(body), &r->data, NULL);
        CU_ASSERT_FATAL(r->data != NULL);
    }
    if (query) {
        const char *eq = strchr(query, '=');
        r->query = calloc(1, sizeof *r->query);
        r->query[0].key = strndup(query, (size_t)(eq - query));
        r->query[0].value = strdup(eq + 1);
        r->nquery = 1;
    }
    return r;
}

static int status(const struct cf_result *res)
{
    return res->status ? res->status : (res->data || res->raw) ? 200 : 204;
}

static const char *errmsg(const struct cf_result *res)
{
    return res->nerrors ? res->errors[0] : "";
}

/* One request the gate would serve through cf_sys_local. */
static int local(struct fx *f, enum cf_op op, const char *path, const char *body,
                 const char *query, struct cf_result *res)
{
    struct cf_request *r = mkreq(op, path, body, query);
    cf_result_free(res);
    memset(res, 0, sizeof *res);
    cf_sys_local(f->sys, r, res);
    cf_request_free(r);
    return status(res);
}

/* req through the sys/ mount's handle(), as the router calls it (a
 * permanent mount: the table is not kept locked). Returns handle's code. */
static int handle(struct fx *f, struct cf_request *req, struct cf_result *res)
{
    struct cf_mount *m = cf_mounts_match(f->t, req->path);
    CU_ASSERT_FATAL(m != NULL);
    cf_mounts_release(f->t);
    CF_ASSERT_STR_EQ(m->path, "sys/");
    req->mount_path = m->path;
    req->rel = req->path + strlen(m->path);
    cf_result_free(res);
    memset(res, 0, sizeof *res);
    int rc = m->backend->handle(m, req, res);
    req->mount_path = req->rel = NULL;
    return rc;
}

/* handle() for a one-shot request; returns the status (a code mapped). */
static int call(struct fx *f, enum cf_op op, const char *path, const char *body,
                struct cf_result *res)
{
    struct cf_request *r = mkreq(op, path, body, NULL);
    int rc = handle(f, r, res);
    cf_request_free(r);
    if (rc)
        cf_result_from_rc(res, rc);
    return status(res);
}

/* The value at a path of keys (NULL-terminated) in res's data or raw body,
 * as text in out: "(absent)" when missing. Keys may contain '/'. */
static const char *jget(const struct cf_result *res, char *out, size_t outlen, ...)
{
    const char *text = res->data ? res->data : res->raw;
    yajl_val root = NULL;
    if (text)
        cf_json_parse(text, strlen(text), &root, NULL);
    yajl_val v = root;
    va_list ap;
    va_start(ap, outlen);
    for (const char *k; v && (k = va_arg(ap, const char *));)
        v = cf_json_get(v, k);
    va_end(ap);
    const char *s = !v      ? "(absent)"
        : YAJL_IS_STRING(v) ? v->u.string
        : YAJL_IS_NUMBER(v) ? v->u.number.r
        : YAJL_IS_TRUE(v)   ? "true"
        : YAJL_IS_FALSE(v)  ? "false"
        : YAJL_IS_NULL(v)   ? "null"
                            : "{...}";
    snprintf(out, outlen, "%s", s);
    if (root)
        cf_json_free(root);
    return out;
}

#define J(res, ...) jget((res), buf, sizeof buf, __VA_ARGS__, (const char *)NULL)

static void test_is_local(void)
{
    static const char *const LOCAL[] = {"sys/init",   "sys/seal-status", "sys/unseal",
                                        "sys/health", "sys/leader",      NULL};
    static const char *const NOT[] = {
        "sys/mounts", "sys/seal",          "sys/step-down", "sys/policy", "sys/healthx",
        "health",     "secret/sys/health", "sys/",          "",           NULL};
    for (int i = 0; LOCAL[i]; i++)
        CF_ASSERT_INT_EQ(cf_sys_is_local(LOCAL[i]), 1);
    for (int i = 0; NOT[i]; i++)
        CF_ASSERT_INT_EQ(cf_sys_is_local(NOT[i]), 0);
}

static void test_path_flags(void)
{
    struct cf_mount m = {.path = "sys/"};
    unsigned (*pf)(const struct cf_mount *, const char *) = cf_sys_backend.path_flags;
    CU_ASSERT_FATAL(pf != NULL);
    static const char *const SUDO[] = {
        "seal",          "step-down",  "rotate",
        "rotate/config", "auth/token", "auth/userpass/tune",
        "audit",         "raw/x",      NULL};
    for (int i = 0; SUDO[i]; i++)
        CF_ASSERT_INT_EQ(pf(&m, SUDO[i]), CF_PATH_SUDO);
    CF_ASSERT_INT_EQ(pf(&m, "internal/ui/mounts/secret"), CF_PATH_TOKEN_ONLY);
    CF_ASSERT_INT_EQ(pf(&m, "internal/ui/mounts/"), CF_PATH_TOKEN_ONLY);
    static const char *const UNAUTH[] = {"init",   "seal-status", "unseal",
                                         "health", "leader",      NULL};
    for (int i = 0; UNAUTH[i]; i++)
        CF_ASSERT_INT_EQ(pf(&m, UNAUTH[i]), CF_PATH_UNAUTH);
    static const char *const PLAIN[] = {
        "mounts",     "mounts/secret", "auth", "policy", "capabilities-self",
        "key-status", "nope",          "",     NULL};
    for (int i = 0; PLAIN[i]; i++)
        CF_ASSERT_INT_EQ(pf(&m, PLAIN[i]), 0);
}

/* cf_sys_local serves LOCAL routes only: anything else needs a mount. */
static void test_local_refuses_routed(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/mounts", NULL, NULL, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/seal", NULL, NULL, &res), 404);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, NULL, &res), 501);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_health_codes(void)
{
    struct fx f;
    struct cf_result res = {0};
    char buf[128];
    fx_open(&f);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, NULL, &res), 501);
    CF_ASSERT_STR_EQ(J(&res, "initialized"), "false");
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "true");
    CF_ASSERT_STR_EQ(J(&res, "standby"), "false");
    CF_ASSERT_STR_EQ(J(&res, "cluster_name"), "(absent)");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "uninitcode=299", &res),
                     299);

    fx_init(&f, 1, 1);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, NULL, &res), 503);
    CF_ASSERT_STR_EQ(J(&res, "initialized"), "true");
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "true");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "sealedcode=200", &res),
                     200);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "standbycode=junk", &res),
                     400);
    CF_ASSERT_STR_EQ(errmsg(&res), "unable to parse standbycode code: junk");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "activecode=0", &res),
                     400);
    CF_ASSERT_STR_EQ(errmsg(&res), "unable to parse activecode code: 0");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "standbycode=12x", &res),
                     400);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "standbyok=maybe", &res),
                     400);
    CF_ASSERT_STR_EQ(errmsg(&res), "standbyok and perfstandbyok must be booleans");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/health", NULL, NULL, &res), 405);

    struct coffer_err err = {""};
    int unsealed = 0;
    CF_ASSERT_INT_EQ(
        cf_seal_submit_raw(f.seal, f.keys->keys[0], f.keys->len, &unsealed, &err), 0);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "false");
    CF_ASSERT_STR_EQ(J(&res, "standby"), "false");
    CF_ASSERT_STR_EQ(J(&res, "cluster_name"), "test-cluster");
    CF_ASSERT_STR_EQ(J(&res, "cluster_id"), "11111111-2222-3333-4444-555555555555");
    CF_ASSERT_STR_EQ(J(&res, "replication_dr_mode"), "disabled");
    /* health asks for the cluster whenever known, not only once active. */
    CF_ASSERT_INT_EQ(f.last_active_only, 0);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/health", NULL, "activecode=204", &res),
                     204);
    /* Nothing of the lifecycle was touched. */
    CF_ASSERT_INT_EQ(f.seals + f.unseals + f.initializes + f.step_downs, 0);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_seal_status_shape(void)
{
    struct fx f;
    struct cf_result res = {0};
    char buf[128];
    fx_open(&f);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/seal-status", NULL, NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "type"), "shamir");
    CF_ASSERT_STR_EQ(J(&res, "initialized"), "false");
    CF_ASSERT_STR_EQ(J(&res, "t"), "0");
    CF_ASSERT_STR_EQ(J(&res, "n"), "0");
    CF_ASSERT_STR_EQ(J(&res, "progress"), "0");
    CF_ASSERT_STR_EQ(J(&res, "nonce"), "");
    CF_ASSERT_STR_EQ(J(&res, "storage_type"), "inmem");
    CF_ASSERT_STR_EQ(J(&res, "migration"), "false");
    CF_ASSERT_STR_EQ(J(&res, "recovery_seal"), "false");
    CF_ASSERT_INT_EQ(res.data == NULL, 1);
    /* seal-status asks for the cluster only once the active state is built. */
    CF_ASSERT_INT_EQ(f.last_active_only, 1);
    CF_ASSERT_STR_EQ(J(&res, "cluster_name"), "test-cluster");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/seal-status", NULL, NULL, &res), 405);

    fx_init(&f, 3, 2);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "sys/seal-status", NULL, NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "initialized"), "true");
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "true");
    CF_ASSERT_STR_EQ(J(&res, "t"), "2");
    CF_ASSERT_STR_EQ(J(&res, "n"), "3");

    /* sys/unseal goes through the node and answers with the seal status. */
    char *hex[2];
    for (int i = 0; i < 2; i++)
        CF_ASSERT_INT_EQ(cf_hex_encode(f.keys->keys[i], f.keys->len, &hex[i]), 0);
    char body[600];
    snprintf(body, sizeof body, "{\"key\":\"%s\"}", hex[0]);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/unseal", body, NULL, &res), 200);
    CF_ASSERT_INT_EQ(f.unseals, 1);
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "true");
    CF_ASSERT_STR_EQ(J(&res, "progress"), "1");
    CF_ASSERT_INT_EQ(strlen(J(&res, "nonce")), 36);
    snprintf(body, sizeof body, "{\"key\":\"%s\"}", hex[1]);
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/unseal", body, NULL, &res), 200);
    CF_ASSERT_INT_EQ(f.unseals, 2);
    CF_ASSERT_STR_EQ(J(&res, "sealed"), "false");
    CF_ASSERT_STR_EQ(J(&res, "progress"), "0");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_UPDATE, "sys/unseal", "{}", NULL, &res), 400);
    CF_ASSERT_STR_EQ(
        errmsg(&res),
        "'key' must be specified in request body as JSON, or 'reset' set to true");
    for (int i = 0; i < 2; i++)
        cf_free_secret_str(hex[i]);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_seal_runs_after(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_mounted(&f);
    static const char *const PATHS[] = {"sys/seal", "sys/step-down"};
    for (int i = 0; i < 2; i++) {
        struct cf_request *r = mkreq(CF_OP_UPDATE, PATHS[i], NULL, NULL);
        CF_ASSERT_INT_EQ(handle(&f, r, &res), 0);
        CF_ASSERT_INT_EQ(res.after != NULL, 1);
        CF_ASSERT_INT_EQ(res.after_arg == f.sys, 1);
        CF_ASSERT_INT_EQ(res.nerrors, 0);
        CF_ASSERT_INT_EQ(f.seals + f.step_downs, i);
        /* The gate runs it once out of the shared section, mount fields cleared. */
        CF_ASSERT_INT_EQ(res.after(res.after_arg, r, &res), 0);
        CF_ASSERT_INT_EQ(f.seals, 1);
        CF_ASSERT_INT_EQ(f.step_downs, i);
        cf_request_free(r);
        cf_result_free(&res);
        memset(&res, 0, sizeof res);
    }
    fx_close(&f);
}

static void test_seal_needs_update(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_mounted(&f);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/seal", NULL, &res), 405);
    CF_ASSERT_INT_EQ(res.after == NULL, 1);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "sys/step-down", NULL, &res), 405);
    CF_ASSERT_INT_EQ(res.after == NULL, 1);
    CF_ASSERT_INT_EQ(f.seals + f.step_downs, 0);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_unknown_path_404(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_mounted(&f);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/nope", NULL, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/", NULL, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    /* Paths Vault has and Coffer does not serve yet. */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/raw/x", NULL, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/remount", "{}", &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    CF_ASSERT_INT_EQ(local(&f, CF_OP_READ, "other/health", NULL, NULL, &res), 404);
    CF_ASSERT_STR_EQ(errmsg(&res), "unsupported path");
    cf_result_free(&res);
    fx_close(&f);
}

static void test_mounts_round_trip(void)
{
    struct fx f;
    struct cf_result res = {0};
    char buf[256];
    fx_mounted(&f);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts", NULL, &res), 200);
    CF_ASSERT_INT_EQ(res.inject, 1);
    CF_ASSERT_STR_EQ(J(&res, "sys/", "type"), "system");
    CF_ASSERT_STR_EQ(J(&res, "sys/", "description"), "system endpoints");
    CF_ASSERT_STR_EQ(J(&res, "app/"), "(absent)");

    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/mounts/app",
                          "{\"type\":\"kv\",\"description\":\"apps\","
                          "\"options\":{\"version\":\"2\"}}",
                          &res),
                     204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "app/", "type"), "kv");
    CF_ASSERT_STR_EQ(J(&res, "app/", "description"), "apps");
    CF_ASSERT_STR_EQ(J(&res, "app/", "options", "version"), "2");
    CF_ASSERT_STR_EQ(J(&res, "app/", "accessor"), f.t->m[0]->accessor);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts/app", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "type"), "kv");
    CF_ASSERT_STR_EQ(J(&res, "options", "version"), "2");

    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "sys/mounts/app/tune", "{\"max_lease_ttl\":\"2h\"}", &res),
        204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts/app/tune", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_lease_ttl"), "7200");
    CF_ASSERT_STR_EQ(J(&res, "default_lease_ttl"), "3600"); /* the system's */
    CF_ASSERT_STR_EQ(J(&res, "description"), "apps");

    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/mounts/app", "{\"type\":\"kv\"}", &res),
                     400);
    CF_ASSERT_STR_EQ(errmsg(&res), "path is already in use at app/");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/mounts/sys", "{\"type\":\"kv\"}", &res),
                     400);
    CF_ASSERT_STR_EQ(errmsg(&res), "cannot mount 'sys/' of type 'kv': path is reserved");
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "sys/mounts/x", "{\"type\":\"system\"}", &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "plugin not found in the catalog: system");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/mounts", "{}", &res), 405);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "sys/mounts/sys", NULL, &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "cannot unmount 'sys/'");

    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "sys/mounts/app", NULL, &res), 204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "app/"), "(absent)");
    CF_ASSERT_STR_EQ(J(&res, "sys/", "type"), "system");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/mounts/app", NULL, &res), 400);
    CF_ASSERT_STR_EQ(errmsg(&res), "cannot fetch sysview for path \"app/\"");
    /* Vault answers 204 for a path with nothing mounted. */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "sys/mounts/app", NULL, &res), 204);
    CF_ASSERT_INT_EQ(f.t->n, 1);
    cf_result_free(&res);
    fx_close(&f);
}

/* sys/rotate/config: Vault's defaults, fields left out keep their value,
 * and Vault's bounds with its texts. */
static void test_rotate_config(void)
{
    struct fx f;
    struct cf_result res = {0};
    char buf[128];
    fx_mounted(&f);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_operations"), "3865470566");
    CF_ASSERT_STR_EQ(J(&res, "interval"), "0s");
    CF_ASSERT_STR_EQ(J(&res, "enabled"), "true");

    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/rotate/config",
                          "{\"max_operations\":2000000000,\"interval\":\"4320h\"}", &res),
                     204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_operations"), "2000000000");
    CF_ASSERT_STR_EQ(J(&res, "interval"), "4320h0m0s");
    CF_ASSERT_STR_EQ(J(&res, "enabled"), "true");
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "sys/rotate/config", "{\"enabled\":false}", &res), 204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_operations"), "2000000000");
    CF_ASSERT_STR_EQ(J(&res, "interval"), "4320h0m0s");
    CF_ASSERT_STR_EQ(J(&res, "enabled"), "false");

    static const struct {
        const char *body, *err;
    } BAD[] = {
        {"{\"max_operations\":999999}",
         "max_operations must be in the range [1000000,3865470566]"},
        {"{\"max_operations\":3865470567}",
         "max_operations must be in the range [1000000,3865470566]"},
        {"{\"max_operations\":-1}",
         "max_operations must be in the range [1000000,3865470566]"},
        {"{\"max_operations\":\"lots\"}", "max_operations must be an integer"},
        {"{\"interval\":\"23h59m59s\"}", "interval must be greater or equal to 24h0m0s"},
        {"{\"interval\":60}", "interval must be greater or equal to 24h0m0s"},
        {"{\"interval\":\"soon\"}", "interval must be a duration such as \"4320h\""},
        {"{\"interval\":\"-24h\"}", "interval must be a duration such as \"4320h\""},
        {"{\"interval\":true}", "interval must be a duration such as \"4320h\""},
        {"{\"enabled\":\"maybe\"}", "enabled must be a boolean"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "sys/rotate/config", BAD[i].body, &res),
                         400);
        CF_ASSERT_STR_EQ(errmsg(&res), BAD[i].err);
    }
    /* A refused write changed nothing. */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_operations"), "2000000000");
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "sys/rotate/config",
             "{\"max_operations\":1000000,\"interval\":\"\",\"enabled\":true}", &res),
        204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "max_operations"), "1000000");
    CF_ASSERT_STR_EQ(J(&res, "interval"), "0s");
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "sys/rotate/config", "{\"interval\":\"24h\"}", &res), 204);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "sys/rotate/config", NULL, &res), 200);
    CF_ASSERT_STR_EQ(J(&res, "interval"), "24h0m0s");
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "sys/rotate/config", NULL, &res), 405);
    cf_result_free(&res);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"is local", test_is_local},
        {"path flags", test_path_flags},
        {"local refuses routed paths", test_local_refuses_routed},
        {"health codes", test_health_codes},
        {"seal status shape", test_seal_status_shape},
        {"seal runs after", test_seal_runs_after},
        {"seal needs update", test_seal_needs_update},
        {"unknown path 404", test_unknown_path_404},
        {"mounts round trip", test_mounts_round_trip},
        {"rotate config", test_rotate_config},
        {NULL, NULL},
    };
    return cf_test_run("sys", cases);
}
