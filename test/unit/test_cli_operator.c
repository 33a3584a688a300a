/* `coffer operator step-down` and `operator members` against a canned HTTP
 * server: the request each one sends, the exact text Vault's CLI prints,
 * the redirect from a standby, and every failure's exit code. */
#include "cf_test.h"
#include "test_cli_fake.h"
#include <coffer/errors.h>
#include "util/json.h"

static const char members_body[] =
    "{\"nodes\":["
    "{\"hostname\":\"n1\",\"api_address\":\"http://127.0.0.1:8200\","
    "\"cluster_address\":\"https://127.0.0.1:8201\",\"active_node\":true,"
    "\"last_echo\":null,\"version\":\"0.3.0\"},"
    "{\"hostname\":\"n2\",\"api_address\":\"http://127.0.0.1:8210\","
    "\"cluster_address\":\"https://127.0.0.1:8211\",\"active_node\":false,"
    "\"last_echo\":\"2024-03-04T08:05:48.403148123Z\",\"version\":\"0.3.0\","
    "\"upgrade_version\":\"0.3.1\",\"redundancy_zone\":\"a\"},"
    "{\"hostname\":\"n3\",\"api_address\":\"http://127.0.0.1:8220\","
    "\"cluster_address\":\"https://127.0.0.1:8221\",\"active_node\":false,"
    "\"last_echo\":\"2024-03-04T08:05:48-05:00\",\"version\":\"0.3.0\"}],"
    "\"data\":{\"nodes\":[]}}";

/* Runs `operator <sub> -address=<base> extra...`. */
static int op(const char *sub, const char *base, const char *extra, char **out,
              char **err)
{
    char addr[96];
    snprintf(addr, sizeof addr, "-address=%s", base);
    char *argv[] = {addr, (char *)extra, NULL};
    return fake_cli(cf_cmd_operator, sub, extra ? 2 : 1, argv, out, err);
}

static void test_step_down_ok(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{204, NULL, NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("step-down", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 0);
    char want[128];
    snprintf(want, sizeof want, "Success! Stepped down: %s\n", f.base);
    CF_ASSERT_STR_EQ(out, want);
    CF_ASSERT_STR_EQ(err, "");
    CF_ASSERT_INT_EQ(f.served, 1);
    CF_ASSERT_STR_EQ(f.line[0], "PUT /v1/sys/step-down HTTP/1.1");
    CF_ASSERT_STR_EQ(f.token[0], "s.testtoken");
    free(out);
    free(err);
}

/* A standby answers 307: the PUT must reach the active node as a PUT with
 * the token, and the success line names the address the user gave. */
static void test_step_down_through_standby(void)
{
    struct fake_http act, sb;
    const struct fake_reply ra[] = {{204, NULL, NULL}};
    CU_ASSERT_FATAL(fake_start(&act, ra, 1) == 0);
    char loc[128];
    snprintf(loc, sizeof loc, "%s/v1/sys/step-down", act.base);
    const struct fake_reply rs[] = {{307, NULL, loc}};
    CU_ASSERT_FATAL(fake_start(&sb, rs, 1) == 0);
    char *out, *err;
    int code = op("step-down", sb.base, NULL, &out, &err);
    fake_stop(&sb);
    fake_stop(&act);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, sb.base);
    CF_ASSERT_INT_EQ(act.served, 1);
    CF_ASSERT_STR_EQ(act.line[0], "PUT /v1/sys/step-down HTTP/1.1");
    CF_ASSERT_STR_EQ(act.token[0], "s.testtoken");
    free(out);
    free(err);
}

static void test_step_down_denied(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{403, "{\"errors\":[\"permission denied\"]}", NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("step-down", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_STR_EQ(out, "");
    CF_ASSERT_CONTAINS(err, "Error stepping down: Error making API request.");
    CF_ASSERT_CONTAINS(err, "URL: PUT http://127.0.0.1:");
    CF_ASSERT_CONTAINS(err, "Code: 403. Errors:\n\n* permission denied\n");
    free(out);
    free(err);
}

/* Vault's message when a standby knows no active node. */
static void test_step_down_no_leader(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {
        {500,
         "{\"errors\":[\"local node not active but active cluster node not found\"]}",
         NULL},
    };
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("step-down", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_CONTAINS(err, "* local node not active but active cluster node not found");
    free(out);
    free(err);
}

static void test_step_down_unreachable(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{204, NULL, NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    fake_stop(&f); /* the port is closed now */
    char *out, *err;
    int code = op("step-down", f.base, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_CONTAINS(err, "Error stepping down: ");
    CF_ASSERT_STR_EQ(out, "");
    free(out);
    free(err);
}

static void test_step_down_extra_argument(void)
{
    char *out, *err;
    int code = op("step-down", "http://127.0.0.1:1", "now", &out, &err);
    CF_ASSERT_INT_EQ(code, 1);
    CF_ASSERT_STR_EQ(err, "Too many arguments (expected 0, got 1)\n");
    free(out);
    free(err);
}

static void test_step_down_help(void)
{
    char *out, *err;
    int code = op("step-down", "http://127.0.0.1:1", "-h", &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "Usage: coffer operator step-down");
    free(out);
    free(err);
}

static void test_members_table(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{200, members_body, NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("members", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_STR_EQ(f.line[0], "GET /v1/sys/ha-status HTTP/1.1");
    CF_ASSERT_STR_EQ(f.token[0], "s.testtoken");
    static const char want[] =
        "Host Name    API Address              Cluster Address           Active Node    "
        "Version    Upgrade Version    Redundancy Zone    Last Echo\n"
        "---------    -----------              ---------------           -----------    "
        "-------    ---------------    ---------------    ---------\n"
        "n1           http://127.0.0.1:8200    https://127.0.0.1:8201    true           "
        "0.3.0      n/a                n/a                n/a\n"
        "n2           http://127.0.0.1:8210    https://127.0.0.1:8211    false          "
        "0.3.0      0.3.1              a                  2024-03-04T08:05:48Z\n"
        "n3           http://127.0.0.1:8220    https://127.0.0.1:8221    false          "
        "0.3.0      n/a                n/a                2024-03-04T08:05:48-05:00\n";
    CF_ASSERT_STR_EQ(out, want);
    CF_ASSERT_STR_EQ(err, "");
    free(out);
    free(err);
}

/* Nodes only under data (no top-level copy), as a plain envelope sends. */
static void test_members_from_data(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {
        {200, "{\"data\":{\"nodes\":[{\"hostname\":\"solo\",\"active_node\":true}]}}",
         NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("members", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "\nsolo         n/a            n/a                true  ");
    free(out);
    free(err);
}

static void test_members_json(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{200, members_body, NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("members", f.base, "-format=json", &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 0);
    yajl_val v;
    CU_ASSERT_FATAL(cf_json_parse(out, strlen(out), &v, NULL) == 0);
    yajl_val nodes = cf_json_get(v, "Nodes");
    CU_ASSERT_FATAL(nodes != NULL && nodes->type == yajl_t_array);
    CF_ASSERT_INT_EQ(nodes->u.array.len, 3);
    CF_ASSERT_STR_EQ(cf_json_get_str(nodes->u.array.values[1], "api_address"),
                     "http://127.0.0.1:8210");
    cf_json_free(v);
    free(out);
    free(err);
}

/* An empty list (no active node known): the header alone, as Vault's
 * tableOutput prints it, and an empty JSON array. */
static void test_members_empty(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{200, "{\"nodes\":[]}", NULL},
                                   {200, "{\"nodes\":[]}", NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 2) == 0);
    char *out, *err;
    int code = op("members", f.base, "-format=json", &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "\"Nodes\": []");
    free(out);
    free(err);
    code = op("members", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 0);
    static const char want[] =
        "Host Name    API Address    Cluster Address    Active Node    Version    "
        "Upgrade Version    Redundancy Zone    Last Echo\n"
        "---------    -----------    ---------------    -----------    -------    "
        "---------------    ---------------    ---------\n";
    CF_ASSERT_STR_EQ(out, want);
    free(out);
    free(err);
}

static void test_members_no_list(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{200, "{\"data\":{\"x\":1}}", NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("members", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_STR_EQ(out, "");
    CF_ASSERT_CONTAINS(err,
                       "Error retrieving HA status: the response holds no node list");
    free(out);
    free(err);
}

static void test_members_denied(void)
{
    struct fake_http f;
    const struct fake_reply r[] = {{403, "{\"errors\":[\"permission denied\"]}", NULL}};
    CU_ASSERT_FATAL(fake_start(&f, r, 1) == 0);
    char *out, *err;
    int code = op("members", f.base, NULL, &out, &err);
    fake_stop(&f);
    CF_ASSERT_INT_EQ(code, 2);
    CF_ASSERT_CONTAINS(err, "Error retrieving HA status: Error making API request.");
    CF_ASSERT_CONTAINS(err, "Code: 403.");
    free(out);
    free(err);
}

static void test_members_bad_flag(void)
{
    char *out, *err;
    int code = op("members", "http://127.0.0.1:1", "-nope", &out, &err);
    CF_ASSERT_INT_EQ(code, 1);
    CF_ASSERT_CONTAINS(err, "flag provided but not defined: -nope");
    CF_ASSERT_CONTAINS(err, "Usage: coffer operator members");
    free(out);
    free(err);
}

static void test_operator_help_lists_ha(void)
{
    char *out, *err;
    int code = fake_cli(cf_cmd_operator, "-h", 0, NULL, &out, &err);
    CF_ASSERT_INT_EQ(code, 0);
    CF_ASSERT_CONTAINS(out, "    step-down ");
    CF_ASSERT_CONTAINS(out, "    members ");
    free(out);
    free(err);
}

int main(void)
{
    fake_env();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const struct cf_test_case cases[] = {
        {"step-down ok", test_step_down_ok},
        {"step-down through a standby's 307", test_step_down_through_standby},
        {"step-down denied", test_step_down_denied},
        {"step-down without a leader", test_step_down_no_leader},
        {"step-down unreachable", test_step_down_unreachable},
        {"step-down extra argument", test_step_down_extra_argument},
        {"step-down -h", test_step_down_help},
        {"members table", test_members_table},
        {"members from data", test_members_from_data},
        {"members json", test_members_json},
        {"members empty", test_members_empty},
        {"members without a node list", test_members_no_list},
        {"members denied", test_members_denied},
        {"members bad flag", test_members_bad_flag},
        {"operator help lists HA commands", test_operator_help_lists_ha},
        {NULL, NULL},
    };
    int rc = cf_test_run("cli_operator", cases);
    curl_global_cleanup();
    return rc;
}
