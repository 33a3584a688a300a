/* KV v1 (pass-through) through the real barrier: read/write/delete/list,
 * lease durations, Vault's error answers. */
#include "engine_fixture.h"
#include "engines/engines.h"

#define S(path) fx_str(&res, path, sb, sizeof sb)

static void test_write_read_delete(void)
{
    struct fx f;
    struct cf_result res = {0};
    char sb[256];
    fx_open(&f, &cf_kv_backend, 1);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_UPDATE, "app", "{\"user\":\"u\",\"n\":5}", &res),
                     0);
    CF_ASSERT_INT_EQ(fx_status(&res), 204);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "app", NULL, &res), 0);
    CF_ASSERT_INT_EQ(fx_status(&res), 200);
    CF_ASSERT_STR_EQ(S("user"), "u");
    CF_ASSERT_STR_EQ(S("n"), "5");
    CF_ASSERT_STR_EQ(res.mount_type, "kv");
    CF_ASSERT_INT_EQ(res.lease_duration, 2764800); /* 768h system default */
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    /* Overwrite replaces the whole secret. */
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_CREATE, "app", "{\"other\":true}", &res), 0);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "app", NULL, &res), 0);
    CF_ASSERT_STR_EQ(S("user"), "(absent)");
    CF_ASSERT_STR_EQ(S("other"), "true");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_DELETE, "app", NULL, &res), 0);
    CF_ASSERT_INT_EQ(fx_status(&res), 204);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "app", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CU_ASSERT_PTR_NULL(res.data);
    /* Deleting again is still fine. */
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_DELETE, "app", NULL, &res), 0);
    CF_ASSERT_INT_EQ(fx_status(&res), 204);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_missing_is_empty_404(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f, &cf_kv_backend, 1);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "nope", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_lease(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f, &cf_kv_backend, 1);
    f.m.default_lease_ttl = 3600;
    fx_call(&f, CF_OP_UPDATE, "a", "{\"k\":\"v\"}", &res);
    fx_call(&f, CF_OP_READ, "a", NULL, &res);
    CF_ASSERT_INT_EQ(res.lease_duration, 3600);
    fx_call(&f, CF_OP_UPDATE, "b", "{\"k\":\"v\",\"ttl\":\"1h30m\"}", &res);
    fx_call(&f, CF_OP_READ, "b", NULL, &res);
    CF_ASSERT_INT_EQ(res.lease_duration, 5400);
    fx_call(&f, CF_OP_UPDATE, "c", "{\"k\":\"v\",\"ttl\":90}", &res);
    fx_call(&f, CF_OP_READ, "c", NULL, &res);
    CF_ASSERT_INT_EQ(res.lease_duration, 90);
    fx_call(&f, CF_OP_UPDATE, "d", "{\"lease\":\"2m\"}", &res);
    fx_call(&f, CF_OP_READ, "d", NULL, &res);
    CF_ASSERT_INT_EQ(res.lease_duration, 120);
    /* An unparsable ttl keeps the mount's. */
    fx_call(&f, CF_OP_UPDATE, "e", "{\"ttl\":\"soon\"}", &res);
    fx_call(&f, CF_OP_READ, "e", NULL, &res);
    CF_ASSERT_INT_EQ(res.lease_duration, 3600);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_bad_writes(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f, &cf_kv_backend, 1);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_UPDATE, "a", "{}", &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing data fields");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_UPDATE, "a", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing data fields");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_UPDATE, "", "{\"a\":1}", &res), 0);
    CF_ASSERT_INT_EQ(res.status, 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing path");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_PATCH, "a", "{\"a\":1}", &res), 0);
    CF_ASSERT_INT_EQ(res.status, 405);
    CF_ASSERT_STR_EQ(res.errors[0], "unsupported operation");
    cf_result_free(&res);
    fx_close(&f);
}

static void test_list(void)
{
    struct fx f;
    struct cf_result res = {0};
    char sb[256];
    fx_open(&f, &cf_kv_backend, 1);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_LIST, "", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    fx_call(&f, CF_OP_UPDATE, "a", "{\"x\":1}", &res);
    fx_call(&f, CF_OP_UPDATE, "dir/b", "{\"x\":1}", &res);
    fx_call(&f, CF_OP_UPDATE, "dir/sub/c", "{\"x\":1}", &res);
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_LIST, "", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"a\",\"dir/\"]}");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_LIST, "dir", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"b\",\"sub/\"]}");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_LIST, "dir/", NULL, &res), 0);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"b\",\"sub/\"]}");
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_LIST, "nothing/", NULL, &res), 0);
    CF_ASSERT_INT_EQ(res.status, 404);
    (void)sb;
    cf_result_free(&res);
    fx_close(&f);
}

static void test_exists(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f, &cf_kv_backend, 1);
    struct cf_request *r = fx_req(CF_OP_UPDATE, "a", "{\"x\":1}", NULL);
    int ex = -1;
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 0);
    fx_run(&f, r, &res);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    cf_request_free(r);
    cf_result_free(&res);
    fx_close(&f);
}

static void test_nested_values_roundtrip(void)
{
    struct fx f;
    struct cf_result res = {0};
    fx_open(&f, &cf_kv_backend, 1);
    const char *body = "{\"a\":{\"b\":[1,2.5,\"x\",null,false]},\"c\":\"\\u00e9\"}";
    fx_call(&f, CF_OP_UPDATE, "n", body, &res);
    fx_call(&f, CF_OP_READ, "n", NULL, &res);
    CF_ASSERT_STR_EQ(res.data,
                     "{\"a\":{\"b\":[1,2.5,\"x\",null,false]},\"c\":\"\xc3\xa9\"}");
    cf_result_free(&res);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"write/read/delete", test_write_read_delete},
        {"missing key is empty 404", test_missing_is_empty_404},
        {"lease duration and ttl", test_lease},
        {"bad writes", test_bad_writes},
        {"list", test_list},
        {"exists", test_exists},
        {"nested values round-trip", test_nested_values_roundtrip},
        {NULL, NULL},
    };
    return cf_test_run("kv1", cases);
}
