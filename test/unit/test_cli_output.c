/* Table, value, banner and JSON rendering compared with the exact text
 * Vault's CLI prints. */
#include "cf_test.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <stdlib.h>

static yajl_val parse(const char *s)
{
    yajl_val v;
    CU_ASSERT_FATAL(cf_json_parse(s, strlen(s), &v, NULL) == 0);
    return v;
}

static void test_table_two_columns(void)
{
    struct cf_table t;
    struct cf_buf b = {0};
    cf_table_init(&t, 2);
    cf_table_add2(&t, "Key", "Value");
    cf_table_add2(&t, "Seal Type", "shamir");
    cf_table_add2(&t, "Sealed", "false");
    CF_ASSERT_INT_EQ(cf_table_render(&t, 1, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Key          Value\n"
                     "---          -----\n"
                     "Seal Type    shamir\n"
                     "Sealed       false\n");
    cf_buf_free(&b);
    cf_table_free(&t);
}

static void test_table_many_columns(void)
{
    struct cf_table t;
    struct cf_buf b = {0};
    cf_table_init(&t, 3);
    const char *h[] = {"Path", "Type", "Description"};
    const char *r1[] = {"cubbyhole/", "cubbyhole", "per-token private secret storage"};
    const char *r2[] = {"secret/", "kv", NULL};
    cf_table_add(&t, h);
    cf_table_add(&t, r1);
    cf_table_add(&t, r2);
    CF_ASSERT_INT_EQ(cf_table_render(&t, 1, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Path          Type         Description\n"
                     "----          ----         -----------\n"
                     "cubbyhole/    cubbyhole    per-token private secret storage\n"
                     "secret/       kv           \n");
    cf_buf_free(&b);
    cf_table_free(&t);
}

static void test_table_no_header_and_empty(void)
{
    struct cf_table t;
    struct cf_buf b = {0};
    cf_table_init(&t, 2);
    cf_table_add2(&t, "Key", "Value");
    CF_ASSERT_INT_EQ(cf_table_render(&t, 1, &b), 0);
    CU_ASSERT(b.data == NULL); /* header only: nothing */
    cf_table_add2(&t, "Key Term", "1");
    CF_ASSERT_INT_EQ(cf_table_render(&t, 0, &b), 0);
    CF_ASSERT_STR_EQ(b.data, "Key         Value\nKey Term    1\n");
    cf_buf_free(&b);
    cf_table_free(&t);
}

static void check_value(const char *json, const char *want)
{
    yajl_val v = parse(json);
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_format_value(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data, want);
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_values(void)
{
    check_value("\"plain\"", "plain");
    check_value("\"\"", "n/a");
    check_value("null", "<nil>");
    check_value("12.50", "12.50");
    check_value("true", "true");
    check_value("[\"a\",\"\",1]", "[a  1]");
    check_value("[]", "[]");
    check_value("{\"z\":1,\"a\":[\"x\"],\"m\":{\"k\":null}}",
                "map[a:[x] m:map[k:<nil>] z:1]");
}

static void test_json_pretty(void)
{
    yajl_val v = parse("{\"a\":1,\"b\":[true,null,\"x\\\"y\"],\"c\":{},\"d\":[]}");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_format_json(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "{\n"
                     "  \"a\": 1,\n"
                     "  \"b\": [\n"
                     "    true,\n"
                     "    null,\n"
                     "    \"x\\\"y\"\n"
                     "  ],\n"
                     "  \"c\": {},\n"
                     "  \"d\": []\n"
                     "}\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_durations(void)
{
    static const struct {
        long long s;
        const char *want;
    } c[] = {
        {0, "0s"},      {45, "45s"},     {90, "1m30s"},
        {120, "2m"},    {3600, "1h"},    {3661, "1h1m1s"},
        {3605, "1h5s"}, {5400, "1h30m"}, {2764800, "768h"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char out[32];
        cf_human_duration(c[i].s, out);
        CF_ASSERT_STR_EQ(out, c[i].want);
    }
}

static void test_banner(void)
{
    struct cf_buf b = {0};
    cf_banner("Secret Path", strlen("secret/data/creds"), &b);
    cf_banner("Data", 8 + 4 + 5, &b);
    cf_banner("Metadata", 15 + 4 + 5, &b);
    cf_banner("Long Title Here", 3, &b);
    CF_ASSERT_STR_EQ(b.data,
                     "== Secret Path ==\n"
                     "====== Data ======\n"
                     "======= Metadata =======\n"
                     " Long Title Here \n");
    cf_buf_free(&b);
}

static void test_render_map(void)
{
    yajl_val v = parse("{\"version\":1,\"custom_metadata\":null,\"deletion_time\":\"\","
                       "\"destroyed\":false,\"created_time\":\"2024-01-01T00:00:00Z\"}");
    struct cf_buf b = {0};
    const char *skip[] = {"destroyed", NULL};
    CF_ASSERT_INT_EQ(cf_render_map(v, skip, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Key                Value\n"
                     "---                -----\n"
                     "created_time       2024-01-01T00:00:00Z\n"
                     "custom_metadata    <nil>\n"
                     "deletion_time      n/a\n"
                     "version            1\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_secret_kv1(void)
{
    yajl_val v =
        parse("{\"request_id\":\"r\",\"lease_id\":\"\",\"renewable\":false,"
              "\"lease_duration\":2764800,\"data\":{\"foo\":\"bar\",\"a\":\"b\"},"
              "\"auth\":null,\"wrap_info\":null}");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_secret(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Key                 Value\n"
                     "---                 -----\n"
                     "refresh_interval    768h\n"
                     "a                   b\n"
                     "foo                 bar\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_secret_lease(void)
{
    yajl_val v = parse("{\"lease_id\":\"db/creds/x/abc\",\"renewable\":true,"
                       "\"lease_duration\":3600,\"data\":{\"user\":\"u\"}}");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_secret(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Key                Value\n"
                     "---                -----\n"
                     "lease_id           db/creds/x/abc\n"
                     "lease_duration     1h\n"
                     "lease_renewable    true\n"
                     "user               u\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_secret_auth(void)
{
    yajl_val v = parse("{\"lease_duration\":0,\"data\":null,\"auth\":{"
                       "\"client_token\":\"hvs.abc\",\"accessor\":\"acc\",\"policies\":"
                       "[\"default\",\"dev\"],\"token_policies\":[\"default\",\"dev\"],"
                       "\"metadata\":{\"user\":\"bob\"},\"lease_duration\":0,"
                       "\"renewable\":false}}");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_secret(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data,
                     "Key                  Value\n"
                     "---                  -----\n"
                     "token                hvs.abc\n"
                     "token_accessor       acc\n"
                     "token_duration       \xe2\x88\x9e\n"
                     "token_renewable      false\n"
                     "token_policies       [\"default\" \"dev\"]\n"
                     "identity_policies    []\n"
                     "policies             [\"default\" \"dev\"]\n"
                     "token_meta_user      bob\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_secret_empty(void)
{
    yajl_val v = parse("{\"lease_duration\":0,\"data\":{}}");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_secret(v, &b), 0);
    CU_ASSERT(b.data == NULL);
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_keys(void)
{
    yajl_val v = parse("[\"app\",\"dir/\"]");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_keys(v, &b), 0);
    CF_ASSERT_STR_EQ(b.data, "Keys\n----\napp\ndir/\n");
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_render_field(void)
{
    yajl_val v = parse("{\"data\":{\"pw\":\"s\",\"empty\":\"\",\"l\":[\"a\",\"b\"]},"
                       "\"auth\":{\"client_token\":\"hvs.t\",\"lease_duration\":60}}");
    yajl_val data = cf_json_get(v, "data");
    struct cf_buf b = {0};
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "pw", &b), 0);
    CF_ASSERT_STR_EQ(b.data, "s");
    cf_buf_reset(&b);
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "empty", &b), 0);
    CF_ASSERT_STR_EQ(b.data ? b.data : "", ""); /* raw, not "n/a" */
    cf_buf_reset(&b);
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "l", &b), 0);
    CF_ASSERT_STR_EQ(b.data, "[a b]");
    cf_buf_reset(&b);
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "token", &b), 0);
    CF_ASSERT_STR_EQ(b.data, "hvs.t");
    cf_buf_reset(&b);
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "token_duration", &b), 0);
    CF_ASSERT_STR_EQ(b.data, "60");
    cf_buf_reset(&b);
    CF_ASSERT_INT_EQ(cf_render_field(v, data, "missing", &b), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_render_field(v, NULL, "pw", &b), CF_ENOENT);
    cf_buf_free(&b);
    cf_json_free(v);
}

static void test_sorted_keys(void)
{
    yajl_val v = parse("{\"b\":1,\"a\":2,\"c\":3}");
    const char **k;
    size_t n;
    CF_ASSERT_INT_EQ(cf_sorted_keys(v, &k, &n), 0);
    CF_ASSERT_INT_EQ(n, 3);
    CF_ASSERT_STR_EQ(k[0], "a");
    CF_ASSERT_STR_EQ(k[2], "c");
    free(k);
    cf_json_free(v);
    v = parse("[1]");
    CF_ASSERT_INT_EQ(cf_sorted_keys(v, &k, &n), 0);
    CF_ASSERT_INT_EQ(n, 0);
    CU_ASSERT(k == NULL);
    cf_json_free(v);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"two-column table", test_table_two_columns},
        {"many-column table", test_table_many_columns},
        {"headerless and empty tables", test_table_no_header_and_empty},
        {"values as %v", test_values},
        {"pretty JSON", test_json_pretty},
        {"human durations", test_durations},
        {"banners", test_banner},
        {"map table", test_render_map},
        {"secret kv v1", test_render_secret_kv1},
        {"secret with lease", test_render_secret_lease},
        {"secret with auth", test_render_secret_auth},
        {"empty secret", test_render_secret_empty},
        {"list keys", test_render_keys},
        {"-field", test_render_field},
        {"sorted keys", test_sorted_keys},
        {NULL, NULL},
    };
    return cf_test_run("cli_output", cases);
}
