/* `coffer status` against a canned HTTP server: the HA rows Vault's CLI
 * prints for an active node, a standby (with and without a known leader),
 * a sealed HA node and a node without HA, plus JSON and failures. */
#include "cf_test.h"
#include "test_cli_fake.h"
#include <coffer/errors.h>
#include "util/json.h"

#define UNSEALED                                                                                   \
    "{\"type\":\"shamir\",\"initialized\":true,\"sealed\":false,\"t\":3,\"n\":5,"                  \
    "\"progress\":0,\"nonce\":\"\",\"version\":\"0.3.0\",\"build_date\":\"2024-01-01T00:00:00Z\"," \
    "\"storage_type\":\"zookeeper\",\"cluster_name\":\"coffer-cluster-1a2b3c4d\","                 \
    "\"cluster_id\":\"5e6f\"}"
#define SEALED                                                                           \
    "{\"type\":\"shamir\",\"initialized\":true,\"sealed\":true,\"t\":3,\"n\":5,"         \
    "\"progress\":1,\"nonce\":\"abcd\",\"version\":\"0.3.0\",\"storage_type\":\"zookeeper\"}"

static int status_fn(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    (void)sub;
    return cf_cmd_status(cli, argc, argv);
}

/* Runs `status -address=<base> [extra]` against replies for seal-status
 * then leader; checks both requests went where they should. */
static int status(const struct fake_reply *r, const char *extra, char **out, char **err)
{
    struct fake_http f;
    if (fake_start(&f, r, 2)) {
        CU_FAIL("fake server");
        *out = *err = NULL;
        return -1;
    }
    char addr[96];
    snprintf(addr, sizeof addr, "-address=%s", f.base);
    char *argv[] = {addr, (char *)extra, NULL};
    int code = fake_cli(status_fn, NULL, extra ? 2 : 1, argv, out, err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(f.served, 2);
    CF_ASSERT_STR_EQ(f.line[0], "GET /v1/sys/seal-status HTTP/1.1");
    CF_ASSERT_STR_EQ(f.line[1], "GET /v1/sys/leader HTTP/1.1");
    return code;
}

static void test_active(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":true,\"is_self\":true,"
         "\"active_time\":\"2024-03-04T08:05:48.123456789Z\","
         "\"leader_address\":\"http://127.0.0.1:8200\","
         "\"leader_cluster_address\":\"https://127.0.0.1:8201\","
         "\"performance_standby\":false}",
         NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    static const char want[] = "Key             Value\n"
                               "---             -----\n"
                               "Seal Type       shamir\n"
                               "Initialized     true\n"
                               "Sealed          false\n"
                               "Total Shares    5\n"
                               "Threshold       3\n"
                               "Version         0.3.0\n"
                               "Build Date      2024-01-01T00:00:00Z\n"
                               "Storage Type    zookeeper\n"
                               "Cluster Name    coffer-cluster-1a2b3c4d\n"
                               "Cluster ID      5e6f\n"
                               "HA Enabled      true\n"
                               "HA Cluster      https://127.0.0.1:8201\n"
                               "HA Mode         active\n"
                               "Active Since    2024-03-04T08:05:48.123456789Z\n";
    CF_ASSERT_STR_EQ(out, want);
    CF_ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
}

static void test_standby(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":true,\"is_self\":false,"
         "\"active_time\":\"0001-01-01T00:00:00Z\","
         "\"leader_address\":\"http://127.0.0.1:8210\","
         "\"leader_cluster_address\":\"https://127.0.0.1:8211\"}",
         NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out,
                       "HA Enabled             true\n"
                       "HA Cluster             https://127.0.0.1:8211\n"
                       "HA Mode                standby\n"
                       "Active Node Address    http://127.0.0.1:8210\n");
    CU_ASSERT_PTR_NULL(strstr(out, "Active Since"));
    free(out);
    free(err);
}

/* A standby that knows no active node: Vault prints n/a and <none>. */
static void test_standby_no_leader(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":true,\"is_self\":false,\"leader_address\":\"\","
         "\"leader_cluster_address\":\"\"}",
         NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out,
                       "HA Cluster             n/a\n"
                       "HA Mode                standby\n"
                       "Active Node Address    <none>\n");
    free(out);
    free(err);
}

/* sys/leader refused with "Vault is sealed": HA on, no role rows, exit 2. */
static void test_sealed_ha(void)
{
    const struct fake_reply r[] = {
        {200, SEALED, NULL},
        {503, "{\"errors\":[\"Vault is sealed\"]}", NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_CONTAINS(out, "Unseal Progress    1/3\n");
    CF_ASSERT_CONTAINS(out, "Build Date         n/a\n");
    CF_ASSERT_CONTAINS(out, "HA Enabled         true\n");
    CU_ASSERT_PTR_NULL(strstr(out, "HA Mode"));
    CU_ASSERT_PTR_NULL(strstr(out, "HA Cluster"));
    free(out);
    free(err);
}

static void test_sealed_ha_json(void)
{
    const struct fake_reply r[] = {
        {200, SEALED, NULL},
        {503, "{\"errors\":[\"Vault is sealed\"]}", NULL},
    };
    char *out, *err;
    int code = status(r, "-format=json", &out, &err);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_CONTAINS(out, "\"ha_enabled\": true");
    CF_ASSERT_CONTAINS(out, "\"sealed\": true");
    free(out);
    free(err);
}

static void test_no_ha(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":false,\"is_self\":false,\"leader_address\":\"\","
         "\"leader_cluster_address\":\"\"}",
         NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "HA Enabled      false\n");
    CU_ASSERT_PTR_NULL(strstr(out, "HA Mode"));
    free(out);
    free(err);
}

/* Any other sys/leader failure: the seal status still prints, HA off. */
static void test_leader_error(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {500, "{\"errors\":[\"internal error\"]}", NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "HA Enabled      false\n");
    free(out);
    free(err);
}

static void test_active_json(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":true,\"is_self\":true,\"active_time\":\"2024-03-04T08:05:48Z\","
         "\"leader_address\":\"http://127.0.0.1:8200\","
         "\"leader_cluster_address\":\"https://127.0.0.1:8201\"}",
         NULL},
    };
    char *out, *err;
    int code = status(r, "-format=json", &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    yajl_val v;
    CU_ASSERT_FATAL(cf_json_parse(out, strlen(out), &v, NULL) == 0);
    int b = 0;
    CF_ASSERT_INT_EQ(cf_json_get_bool(v, "ha_enabled", &b), 0);
    CF_ASSERT_INT_EQ(b, 1);
    CF_ASSERT_INT_EQ(cf_json_get_bool(v, "is_self", &b), 0);
    CF_ASSERT_INT_EQ(b, 1);
    CF_ASSERT_STR_EQ(cf_json_get_str(v, "leader_cluster_address"),
                     "https://127.0.0.1:8201");
    CF_ASSERT_STR_EQ(cf_json_get_str(v, "type"), "shamir");
    cf_json_free(v);
    free(out);
    free(err);
}

/* Performance standby and WAL counters, as Vault prints them. */
static void test_perf_standby_rows(void)
{
    const struct fake_reply r[] = {
        {200, UNSEALED, NULL},
        {200,
         "{\"ha_enabled\":true,\"is_self\":false,"
         "\"leader_address\":\"http://127.0.0.1:8200\","
         "\"leader_cluster_address\":\"https://127.0.0.1:8201\","
         "\"performance_standby\":true,\"performance_standby_last_remote_wal\":7,"
         "\"raft_committed_index\":42,\"raft_applied_index\":41,\"last_wal\":0}",
         NULL},
    };
    char *out, *err;
    int code = status(r, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out,
                       "Active Node Address                    http://127.0.0.1:8200\n"
                       "Performance Standby Node               true\n"
                       "Performance Standby Last Remote WAL    7\n"
                       "Raft Committed Index                   42\n"
                       "Raft Applied Index                     41\n");
    CU_ASSERT_PTR_NULL(strstr(out, "Last WAL  "));
    free(out);
    free(err);
}

static void test_seal_status_fails(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{500, "{\"errors\":[\"boom\"]}", NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char addr[96];
    snprintf(addr, sizeof addr, "-address=%s", f.base);
    char *argv[] = {addr, NULL};
    char *out, *err;
    int code = fake_cli(status_fn, NULL, 1, argv, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 1);
    CF_ASSERT_CONTAINS(err, "Error checking seal status: Error making API request.");
    CF_ASSERT_CONTAINS(err, "* boom");
    free(out);
    free(err);
}

static void test_status_extra_argument(void)
{
    char *argv[] = {"-address=http://127.0.0.1:1", "x", NULL};
    char *out, *err;
    int code = fake_cli(status_fn, NULL, 2, argv, &out, &err);
    CF_ASSERT_INT_EQ(code, 1);
    CF_ASSERT_STR_EQ(err, "Too many arguments (expected 0, got 1)\n");
    free(out);
    free(err);
}

int main(void)
{
    fake_env();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const struct cf_test_case cases[] = {
        {"active", test_active},
        {"standby", test_standby},
        {"standby without a leader", test_standby_no_leader},
        {"sealed HA node", test_sealed_ha},
        {"sealed HA node json", test_sealed_ha_json},
        {"no HA", test_no_ha},
        {"sys/leader error", test_leader_error},
        {"active json", test_active_json},
        {"performance standby rows", test_perf_standby_rows},
        {"seal-status fails", test_seal_status_fails},
        {"extra argument", test_status_extra_argument},
        {NULL, NULL},
    };
    int rc = cf_test_run("cli_status", cases);
    curl_global_cleanup();
    return rc;
}
