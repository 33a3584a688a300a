/* Policy parsing (HCL, JSON, legacy shorthand, every error), the policy
 * store over a real barrier (built-ins, names, cache invalidation) and the
 * sys/policy and sys/policies/acl endpoints. */
#include "auth/auth.h"
#include "sys/sys.h"
#include "seal/barrier.h"
#include "mem_storage.h"
#include "util/encode.h"
#include "util/json.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <stdlib.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_view *v;
    struct cf_policy_store *ps;
};

static void fx_open(struct fx *f)
{
    uint8_t key[CF_ROOT_KEY_LEN];
    memset(key, 7, sizeof key);
    memset(f, 0, sizeof *f);
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, key, sizeof key), 0);
    CF_ASSERT_INT_EQ(cf_view_new(f->b, "sys/policy/", &f->v), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_new(f->v, &f->ps), 0);
}

static void fx_close(struct fx *f)
{
    cf_policy_store_free(f->ps);
    cf_view_free(f->v);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

static int parse(const char *txt, struct cf_policy **p, struct coffer_err *err)
{
    return cf_policy_parse("Test", txt, strlen(txt), p, err);
}

static void test_parse_hcl(void)
{
    struct cf_policy *p;
    struct coffer_err err = {""};
    const char *txt =
        "# comment\n"
        "path \"secret/data/app/*\" {\n"
        "  capabilities = [\"create\", \"read\", \"update\", \"patch\", \"delete\", \"list\"]\n"
        "}\n"
        "path \"/sys/audit*\" {\n"
        "  capabilities = [\"read\", \"sudo\"]\n"
        "  allowed_parameters = { \"type\" = [\"file\"] }\n"
        "  min_wrapping_ttl = \"1m\"\n"
        "  max_wrapping_ttl = 3600\n"
        "}\n";
    CF_ASSERT_INT_EQ(parse(txt, &p, &err), 0);
    CF_ASSERT_STR_EQ(p->name, "test");
    CF_ASSERT_STR_EQ(p->raw, txt);
    CF_ASSERT_INT_EQ(p->nrules, 2);
    CF_ASSERT_STR_EQ(p->rules[0].path, "secret/data/app/*");
    CF_ASSERT_INT_EQ(p->rules[0].caps,
                     CF_CAP_CREATE | CF_CAP_READ | CF_CAP_UPDATE | CF_CAP_PATCH |
                         CF_CAP_DELETE | CF_CAP_LIST);
    CF_ASSERT_STR_EQ(p->rules[1].path, "sys/audit*");
    CF_ASSERT_INT_EQ(p->rules[1].nallowed, 1);
    CF_ASSERT_STR_EQ(p->rules[1].allowed[0].name, "type");
    CF_ASSERT_INT_EQ(p->rules[1].allowed[0].nvalues, 1);
    CF_ASSERT_STR_EQ(p->rules[1].allowed[0].values[0], "file");
    CF_ASSERT_INT_EQ(p->rules[1].min_wrapping_ttl, 60);
    CF_ASSERT_INT_EQ(p->rules[1].max_wrapping_ttl, 3600);
    cf_policy_free(p);
}

static void test_parse_json(void)
{
    struct cf_policy *p;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse("{\"path\":{\"secret/*\":{\"capabilities\":[\"read\"]},"
                           "\"kv/+/x\":{\"capabilities\":[\"list\"],"
                           "\"required_parameters\":[\"A\"]}}}",
                           &p, &err),
                     0);
    CF_ASSERT_INT_EQ(p->nrules, 2);
    CF_ASSERT_INT_EQ(p->rules[0].caps, CF_CAP_READ);
    CF_ASSERT_STR_EQ(p->rules[1].path, "kv/+/x");
    CF_ASSERT_INT_EQ(p->rules[1].nrequired, 1);
    CF_ASSERT_STR_EQ(p->rules[1].required[0], "a");
    cf_policy_free(p);
    /* empty document: no rules, valid */
    CF_ASSERT_INT_EQ(parse("", &p, &err), 0);
    CF_ASSERT_INT_EQ(p->nrules, 0);
    cf_policy_free(p);
}

static void expect_error(const char *txt, const char *msg)
{
    struct cf_policy *p = NULL;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(txt, &p, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "failed to parse policy: ");
    CF_ASSERT_CONTAINS(err.msg, msg);
    CF_ASSERT_INT_EQ(p == NULL, 1);
}

static void test_parse_errors(void)
{
    expect_error("path \"x\" { capabilities = [\"raed\"] }",
                 "path \"x\": invalid capability \"raed\"");
    expect_error("path \"x\" { capabilites = [\"read\"] }",
                 "path \"x\": invalid key \"capabilites\" on line 1");
    expect_error("pth \"x\" { capabilities = [\"read\"] }",
                 "invalid key \"pth\" on line 1");
    expect_error("path \"x\" { policy = \"reed\" }",
                 "path \"x\": invalid policy \"reed\"");
    expect_error("path \"x\" { capabilities = [1] }",
                 "capabilities must be a list of strings");
    expect_error("path \"x\" {\n capabilities = [\"read\"]\n", "policy:");
    expect_error("path \"x/+*\" { capabilities = [\"read\"] }",
                 "invalid use of wildcards ('+*' is forbidden)");
    expect_error("path \"x\" { allowed_parameters = \"a\" }",
                 "allowed_parameters must be a map");
    expect_error("path \"x\" { max_wrapping_ttl = \"soon\" }", "invalid duration");
    expect_error("path \"x\" { min_wrapping_ttl = 60\n max_wrapping_ttl = 30 }",
                 "max_wrapping_ttl cannot be less than min_wrapping_ttl");
    expect_error("path = 3", "\"path\" must be a block");
    expect_error("[1,2]", "policy");
}

static void test_sanitize_and_names(void)
{
    char *in[] = {" Foo", "default", "", "bar", "foo"};
    char **out;
    size_t n;
    CF_ASSERT_INT_EQ(cf_policies_sanitize(in, 5, 0, &out, &n), 0);
    CF_ASSERT_INT_EQ(n, 3);
    CF_ASSERT_STR_EQ(out[0], "bar");
    CF_ASSERT_STR_EQ(out[1], "default");
    CF_ASSERT_STR_EQ(out[2], "foo");
    cf_strv_free(out, n);
    char *in2[] = {"b", "a"};
    CF_ASSERT_INT_EQ(cf_policies_sanitize(in2, 2, 1, &out, &n), 0);
    CF_ASSERT_INT_EQ(n, 3);
    CF_ASSERT_STR_EQ(out[1], "b");
    CF_ASSERT_STR_EQ(out[2], "default");
    cf_strv_free(out, n);
    char *in3[] = {"a", "ROOT"};
    CF_ASSERT_INT_EQ(cf_policies_sanitize(in3, 2, 1, &out, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    CF_ASSERT_STR_EQ(out[0], "root");
    cf_strv_free(out, n);

    CF_ASSERT_INT_EQ(cf_cap_names(CF_CAP_READ | CF_CAP_LIST, 0, &out, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    CF_ASSERT_STR_EQ(out[0], "list");
    CF_ASSERT_STR_EQ(out[1], "read");
    cf_strv_free(out, n);
    CF_ASSERT_INT_EQ(cf_cap_names(0, 0, &out, &n), 0);
    CF_ASSERT_STR_EQ(out[0], "deny");
    cf_strv_free(out, n);
    CF_ASSERT_INT_EQ(cf_cap_names(0, 1, &out, &n), 0);
    CF_ASSERT_STR_EQ(out[0], "root");
    cf_strv_free(out, n);
}

static void test_store_builtins(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_policy *p;
    CF_ASSERT_INT_EQ(cf_policy_store_get(f.ps, "default", &p), 0);
    CF_ASSERT_CONTAINS(p->raw, "auth/token/lookup-self");
    cf_policy_free(p);
    CF_ASSERT_INT_EQ(cf_policy_store_get(f.ps, "root", &p), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_policy_store_get(f.ps, "nope", &p), CF_ENOENT);
    /* default policy grants what Vault's does */
    char *pols[] = {"default"};
    struct cf_acl *a;
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "auth/token/lookup-self", CF_OP_READ, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "auth/token/renew-self", CF_OP_UPDATE, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "cubbyhole/x", CF_OP_CREATE, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "cubbyhole/", CF_OP_LIST, 0), 1);
    CF_ASSERT_INT_EQ(
        cf_acl_allowed(a, "identity/oidc/provider/p/authorize", CF_OP_READ, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/x", CF_OP_READ, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "auth/token/create", CF_OP_UPDATE, 0), 0);
    cf_acl_free(a);

    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "root", "", 0, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "cannot update \"root\" policy");
    CF_ASSERT_INT_EQ(cf_policy_store_delete(f.ps, "ROOT", &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "cannot delete \"root\" policy");
    CF_ASSERT_INT_EQ(cf_policy_store_delete(f.ps, "default", &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "cannot delete default policy");
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "", "", 0, &err), CF_EINVAL);
    /* a restart keeps an edited default (not overwritten) */
    const char *mine = "path \"x\" { capabilities = [\"read\"] }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "default", mine, strlen(mine), &err), 0);
    cf_policy_store_free(f.ps);
    CF_ASSERT_INT_EQ(cf_policy_store_new(f.v, &f.ps), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_get(f.ps, "default", &p), 0);
    CF_ASSERT_STR_EQ(p->raw, mine);
    cf_policy_free(p);
    fx_close(&f);
}

static void test_store_crud_and_cache(void)
{
    struct fx f;
    fx_open(&f);
    struct coffer_err err = {""};
    const char *r1 = "path \"secret/*\" { capabilities = [\"read\"] }";
    const char *r2 = "path \"secret/*\" { capabilities = [\"list\"] }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "Dev", r1, strlen(r1), &err), 0);
    char *pols[] = {"dev"};
    struct cf_acl *a;
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_READ);
    cf_acl_free(a);
    /* writing invalidates the cached parse */
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "dev", r2, strlen(r2), &err), 0);
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_LIST);
    cf_acl_free(a);
    /* a bad policy is refused and the old one stays */
    CF_ASSERT_INT_EQ(cf_policy_store_put(
                         f.ps, "dev", "path \"a\" { capabilities = [\"x\"] }", 36, &err),
                     CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "invalid capability \"x\"");
    char **names;
    size_t n;
    CF_ASSERT_INT_EQ(cf_policy_store_list(f.ps, &names, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    CF_ASSERT_STR_EQ(names[0], "default");
    CF_ASSERT_STR_EQ(names[1], "dev");
    cf_strv_free(names, n);
    /* a name absent at first (cached as absent) appears once written */
    char *pols2[] = {"later"};
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols2, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), 0);
    cf_acl_free(a);
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "later", r1, strlen(r1), &err), 0);
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols2, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_READ);
    cf_acl_free(a);
    CF_ASSERT_INT_EQ(cf_policy_store_delete(f.ps, "DEV", &err), 0);
    CF_ASSERT_INT_EQ(cf_policy_store_delete(f.ps, "dev", &err), 0);
    CF_ASSERT_INT_EQ(cf_acl_new(f.ps, pols, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), 0);
    cf_acl_free(a);
    /* stored encrypted: the raw text is not in physical storage */
    uint8_t *val;
    size_t len;
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "sys/policy/later", &val, &len), 0);
    CF_ASSERT_INT_EQ(memmem(val, len, "secret/*", 8) == NULL, 1);
    free(val);
    fx_close(&f);
}

/* ---- sys endpoints ---- */

static struct cf_request *mkreq(enum cf_op op, const char *body)
{
    struct cf_request *r = calloc(1, sizeof *r);
    r->op = op;
    if (body)
        cf_json_parse(body, strlen(body), &r->data, NULL);
    return r;
}

static int call(struct fx *f, enum cf_op op, const char *rel, const char *body,
                struct cf_result *res)
{
    struct cf_request *r = mkreq(op, body);
    memset(res, 0, sizeof *res);
    int rc = cf_sys_policy_handle(f->ps, r, rel, res);
    cf_request_free(r);
    return rc;
}

static void test_sys_policy_endpoints(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_result res;
    /* only the spelling the store keeps reaches a policy (F8): the ACL
     * judged the path as spelled */
    const char *ops =
        "{\"policy\":\"path \\\"secret/*\\\" { capabilities = [\\\"read\\\"] }\"}";
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policy/Ops", ops, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "",
                     "policy name \"Ops\" is not in "
                     "canonical form: use \"ops\" (policy names are lower-case, "
                     "without surrounding spaces)");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policies/acl/ ops", ops, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policy/ ", ops, &res), 0);
    CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "",
                     "policy name must be provided in the URL");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policy/ops", ops, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    cf_result_free(&res);

    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policy", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data,
                     "{\"keys\":[\"default\",\"ops\",\"root\"],"
                     "\"policies\":[\"default\",\"ops\",\"root\"]}");
    CF_ASSERT_INT_EQ(res.inject, 1);
    cf_result_free(&res);

    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policy/ops", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data,
                     "{\"name\":\"ops\",\"rules\":"
                     "\"path \\\"secret/*\\\" { capabilities = [\\\"read\\\"] }\"}");
    cf_result_free(&res);

    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policies/acl/ops", NULL, &res), 0);
    CF_ASSERT_CONTAINS(res.data, "\"policy\":\"path");
    CF_ASSERT_INT_EQ(res.inject, 0);
    cf_result_free(&res);

    CF_ASSERT_INT_EQ(call(&f, CF_OP_LIST, "policies/acl", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"default\",\"ops\",\"root\"]}");
    cf_result_free(&res);

    /* base64 policy on the new endpoint */
    const char *txt = "path \"kv/*\" { capabilities = [\"list\"] }";
    char *b64, body[256];
    CF_ASSERT_INT_EQ(cf_b64_encode((const uint8_t *)txt, strlen(txt), &b64), 0);
    snprintf(body, sizeof body, "{\"policy\":\"%s\"}", b64);
    free(b64);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_CREATE, "policies/acl/kv", body, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policies/acl/kv", NULL, &res), 0);
    CF_ASSERT_CONTAINS(res.data, "\"policy\":\"path \\\"kv/*\\\"");
    cf_result_free(&res);

    /* legacy "rules" is accepted with a warning */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policy/legacy",
                          "{\"rules\":\"path \\\"a\\\" { policy = \\\"read\\\" }\"}",
                          &res),
                     0);
    CF_ASSERT_INT_EQ(res.nwarnings, 1);
    CF_ASSERT_STR_EQ(res.warnings[0],
                     "'rules' is deprecated, please use 'policy' instead");
    cf_result_free(&res);

    /* errors */
    CF_ASSERT_INT_EQ(
        call(&f, CF_OP_UPDATE, "policies/acl/bad",
             "{\"policy\":\"path \\\"x\\\" { capabilities = [\\\"raed\\\"] }\"}", &res),
        0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0],
                     "failed to parse policy: path \"x\": invalid "
                     "capability \"raed\"");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policies/acl/empty", "{}", &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "'policy' parameter not supplied or empty");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policy/root", "{\"policy\":\"\\n\"}", &res),
                     0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "cannot update \"root\" policy");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "policies/acl/default", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "cannot delete default policy");
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policy/root", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policies/acl/missing", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policies/rgp/x", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_UPDATE, "policies/acl", "{}", &res), 0);
    CF_ASSERT_INT_EQ(res.status, 405);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "mounts", NULL, &res), CF_ENOENT);
    cf_result_free(&res);

    /* non-canonical spellings are refused for read and delete too */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "policy/OPS", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policies/acl/ops\t", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    cf_result_free(&res);
    /* delete, then gone; deleting again is fine */
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "policy/ops", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_DELETE, "policy/ops", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 204);
    cf_result_free(&res);
    CF_ASSERT_INT_EQ(call(&f, CF_OP_READ, "policy/ops", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    cf_result_free(&res);
    fx_close(&f);
}

/* Rules the server cannot enforce are refused when written; one stored
 * before that grants nothing (F3: never silently ignore a restriction). */
static void test_unenforceable_rules(void)
{
    struct fx f;
    fx_open(&f);
    struct coffer_err err = {""};
    const char *wrap = "path \"secret/*\" { capabilities = [\"read\"]\n"
                       "  min_wrapping_ttl = \"1m\" }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "w", wrap, strlen(wrap), &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg,
                     "failed to parse policy: path \"secret/*\": "
                     "min_wrapping_ttl cannot be enforced by this server (response "
                     "wrapping, MFA and control groups are not supported); remove it");
    const char *cg = "path \"a\" { capabilities = [\"read\"]\n"
                     "  control_group = { max_ttl = \"1h\" } }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "cg", cg, strlen(cg), &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "control_group cannot be enforced");
    const char *mfa = "path \"a\" { capabilities = [\"read\"]\n"
                      "  mfa_methods = [\"m\"] }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "mfa", mfa, strlen(mfa), &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "mfa_methods cannot be enforced");
    /* a zero TTL asks for nothing; a deny is enforced whatever it adds */
    const char *ok = "path \"a\" { capabilities = [\"read\"]\n max_wrapping_ttl = 0 }\n"
                     "path \"b\" { capabilities = [\"deny\"]\n mfa_methods = [\"m\"] }";
    CF_ASSERT_INT_EQ(cf_policy_store_put(f.ps, "ok", ok, strlen(ok), &err), 0);
    struct cf_policy *p;
    CF_ASSERT_INT_EQ(cf_policy_parse("w", wrap, strlen(wrap), &p, &err), 0);
    struct cf_acl *a;
    CF_ASSERT_INT_EQ(cf_acl_from_policies(&p, 1, 0, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/x", CF_OP_READ, 0), 0);
    cf_acl_free(a);
    cf_policy_free(p);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"parse HCL", test_parse_hcl},
        {"parse JSON", test_parse_json},
        {"parse errors", test_parse_errors},
        {"sanitize and capability names", test_sanitize_and_names},
        {"store built-ins", test_store_builtins},
        {"store CRUD and cache", test_store_crud_and_cache},
        {"sys policy endpoints", test_sys_policy_endpoints},
        {"unenforceable rules", test_unenforceable_rules},
        {NULL, NULL}};
    return cf_test_run("policy", cases);
}
