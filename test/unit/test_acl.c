/* ACL matching: Vault's priority rules between glob and '+' patterns,
 * union and deny across policies, sudo, root, LIST and parameters. */
#include "auth/acl.h"
#include "auth/policy.h"
#include "util/json.h"
#include "cf_test.h"

#include <coffer/errors.h>
#include <stdlib.h>

/* Builds an ACL from up to three policy texts. */
static struct cf_acl *acl3(const char *a, const char *b, const char *c)
{
    const char *txt[3] = {a, b, c};
    struct cf_policy *p[3] = {0};
    size_t n = 0;
    struct coffer_err err = {""};
    for (int i = 0; i < 3; i++) {
        if (!txt[i])
            continue;
        int rc = cf_policy_parse("p", txt[i], strlen(txt[i]), &p[n], &err);
        CF_ASSERT_STR_EQ(rc ? err.msg : "", "");
        if (rc)
            return NULL;
        n++;
    }
    struct cf_acl *acl = NULL;
    CF_ASSERT_INT_EQ(cf_acl_from_policies(p, n, 0, &acl), 0);
    for (size_t i = 0; i < n; i++)
        cf_policy_free(p[i]);
    return acl;
}

#define ACL1(a) acl3(a, NULL, NULL)

static void test_exact_beats_glob(void)
{
    struct cf_acl *a = ACL1("path \"secret/foo\" { capabilities = [\"read\"] }\n"
                            "path \"secret/*\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo2"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "other/foo"), 0);
    cf_acl_free(a);
}

static void test_reaches_mount(void)
{
    struct cf_acl *a = ACL1("path \"secret/data/ro\" { capabilities = [\"read\"] }\n"
                            "path \"kv/*\" { capabilities = [\"list\"] }\n"
                            "path \"+/team/x\" { capabilities = [\"read\"] }\n"
                            "path \"closed/*\" { capabilities = [\"deny\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "secret/"), 1);
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "kv/"), 1);
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "any/"), 1);    /* via "+/team/x" */
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "closed/"), 1); /* via "+/team/x" */
    cf_acl_free(a);
    a = ACL1("path \"secret/data/ro\" { capabilities = [\"read\"] }\n"
             "path \"closed/*\" { capabilities = [\"deny\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "closed/"), 0);
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "other/"), 0);
    CF_ASSERT_INT_EQ(cf_acl_reaches(a, "secret/data/ro/deeper/"), 0);
    cf_acl_free(a);
}

static void test_longest_glob(void)
{
    struct cf_acl *a = ACL1("path \"secret/*\" { capabilities = [\"read\"] }\n"
                            "path \"secret/foo/*\" { capabilities = [\"update\"] }\n"
                            "path \"secret/fo*\" { capabilities = [\"list\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo/bar"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo"), CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/bar"), CF_CAP_READ);
    cf_acl_free(a);
}

/* Rule 1: the pattern whose first wildcard comes earlier loses. */
static void test_priority_first_wildcard(void)
{
    struct cf_acl *a = ACL1("path \"secret/+/bar\" { capabilities = [\"read\"] }\n"
                            "path \"secret/foo/*\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo/bar"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/zzz/bar"), CF_CAP_READ);
    cf_acl_free(a);
    /* and the other way round: '*' early, '+' late */
    a = ACL1("path \"secret/*\" { capabilities = [\"read\"] }\n"
             "path \"secret/foo/+\" { capabilities = [\"delete\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo/x"), CF_CAP_DELETE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo/x/y"), CF_CAP_READ);
    cf_acl_free(a);
}

/* Rule 2: ending in '*' loses against an exact end. */
static void test_priority_glob_end(void)
{
    struct cf_acl *a = ACL1("path \"secret/+/bar\" { capabilities = [\"read\"] }\n"
                            "path \"secret/+/ba*\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x/bar"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x/baz"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x/bar/deeper"), CF_CAP_UPDATE);
    cf_acl_free(a);
}

/* Rule 3: more '+' segments lose (the docs' own example). */
static void test_priority_more_plus(void)
{
    struct cf_acl *a =
        ACL1("path \"secret/*\" { capabilities = [\"read\"] }\n"
             "path \"secret/+/+/foo/*\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/b/foo/c"), CF_CAP_READ);
    cf_acl_free(a);
    a = ACL1("path \"secret/+/+/baz\" { capabilities = [\"read\"] }\n"
             "path \"secret/+/foo/baz\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/foo/baz"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/bar/baz"), CF_CAP_READ);
    cf_acl_free(a);
}

/* Rule 4: shorter loses; rule 5: lexicographically smaller loses. */
static void test_priority_length_and_lex(void)
{
    struct cf_acl *a = ACL1("path \"secret/+/fo*\" { capabilities = [\"read\"] }\n"
                            "path \"secret/+/foo*\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/foobar"), CF_CAP_UPDATE);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/fox"), CF_CAP_READ);
    cf_acl_free(a);
    a = ACL1("path \"x/+/a/+\" { capabilities = [\"read\"] }\n"
             "path \"x/+/+/b\" { capabilities = [\"update\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "x/1/a/b"), CF_CAP_READ);
    cf_acl_free(a);
}

static void test_plus_is_one_segment(void)
{
    struct cf_acl *a = ACL1("path \"secret/+/teamb\" { capabilities = [\"read\"] }\n"
                            "path \"+/config\" { capabilities = [\"list\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/teamb"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/b/teamb"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/teamb"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/teamb/x"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/config"), CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/config/x"), 0);
    cf_acl_free(a);
}

static void test_plus_with_glob(void)
{
    struct cf_acl *a = ACL1("path \"secret/+/foo*\" { capabilities = [\"read\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/foo"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/foobar"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/foo/b/c"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a/fo"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/foo"), 0);
    cf_acl_free(a);
}

static void test_star_in_middle_is_literal(void)
{
    struct cf_acl *a = ACL1("path \"secret/*/foo\" { capabilities = [\"read\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x/foo"), 0);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/*/foo"), CF_CAP_READ);
    cf_acl_free(a);
}

static void test_union_across_policies(void)
{
    struct cf_acl *a = acl3("path \"secret/*\" { capabilities = [\"read\"] }",
                            "path \"secret/*\" { capabilities = [\"list\"] }",
                            "path \"secret/a\" { capabilities = [\"create\"] }\n"
                            "path \"secret/a\" { capabilities = [\"update\"] }");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_READ | CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/a"), CF_CAP_CREATE | CF_CAP_UPDATE);
    cf_acl_free(a);
}

static void test_deny_wins(void)
{
    struct cf_acl *a = acl3("path \"secret/*\" { capabilities = [\"read\", \"list\"] }",
                            "path \"secret/*\" { capabilities = [\"deny\"] }",
                            "path \"secret/*\" { capabilities = [\"update\"] }");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_DENY);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/x", CF_OP_READ, 0), 0);
    cf_acl_free(a);
    /* deny given with other capabilities in one rule keeps only deny */
    a = ACL1("path \"secret/*\" { capabilities = [\"read\", \"deny\"] }\n"
             "path \"secret/super/*\" { capabilities = [\"deny\"] }\n"
             "path \"kv/*\" { capabilities = [\"read\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "secret/x"), CF_CAP_DENY);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/super/x", CF_OP_READ, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/x", CF_OP_READ, 0), 1);
    cf_acl_free(a);
}

static void test_ops_and_sudo(void)
{
    struct cf_acl *a =
        ACL1("path \"sys/audit*\" { capabilities = [\"read\", \"sudo\"] }\n"
             "path \"sys/mounts\" { capabilities = [\"read\"] }\n"
             "path \"kv/*\" { capabilities = [\"create\", \"patch\", \"delete\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/audit", CF_OP_READ, 1), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/audit/file", CF_OP_UPDATE, 1), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/mounts", CF_OP_READ, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/mounts", CF_OP_READ, 1), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_CREATE, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_UPDATE, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_PATCH, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_DELETE, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_READ, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "kv/a", CF_OP_LIST, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_is_root(a), 0);
    cf_acl_free(a);
}

static void test_list_trailing_slash(void)
{
    struct cf_acl *a = ACL1("path \"secret/dir\" { capabilities = [\"list\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/dir/", CF_OP_LIST, 0), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/dir/", CF_OP_READ, 0), 0);
    cf_acl_free(a);
}

static void test_root(void)
{
    struct cf_acl *a = NULL;
    CF_ASSERT_INT_EQ(cf_acl_from_policies(NULL, 0, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_is_root(a), 1);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/seal", CF_OP_UPDATE, 1), 1);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "x") & CF_CAP_SUDO, CF_CAP_SUDO);
    cf_acl_free(a);
    /* no policies: deny by default */
    CF_ASSERT_INT_EQ(cf_acl_from_policies(NULL, 0, 0, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "secret/x", CF_OP_READ, 0), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed(NULL, "secret/x", CF_OP_READ, 0), 0);
    cf_acl_free(a);
}

static void test_templated_paths_never_match(void)
{
    struct cf_acl *a = ACL1(
        "path \"identity/entity/id/{{identity.entity.id}}\" { capabilities = [\"read\"] }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "identity/entity/id/{{identity.entity.id}}"),
                     0);
    cf_acl_free(a);
}

static int allowed_body(const struct cf_acl *a, enum cf_op op, const char *body)
{
    yajl_val v = NULL;
    if (body)
        cf_json_parse(body, strlen(body), &v, NULL);
    int r = cf_acl_allowed_params(a, "sys/audit/file", op, 0, v);
    if (v)
        cf_json_free(v);
    return r;
}

static void test_parameters(void)
{
    struct cf_acl *a = ACL1(
        "path \"sys/audit/*\" {\n"
        "  capabilities = [\"create\", \"update\", \"read\"]\n"
        "  allowed_parameters = { \"type\" = [\"file\", \"sys*\"], \"description\" = [] }\n"
        "  denied_parameters = { \"description\" = [\"bad\"] }\n"
        "  required_parameters = [\"type\"]\n"
        "}\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"syslog\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"socket\"}"), 0);
    CF_ASSERT_INT_EQ(
        allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\",\"description\":\"x\"}"), 1);
    CF_ASSERT_INT_EQ(
        allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\",\"description\":\"bad\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\",\"x\":1}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"description\":\"x\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, NULL), 0); /* required */
    /* plain cf_acl_allowed ignores parameters */
    CF_ASSERT_INT_EQ(cf_acl_allowed(a, "sys/audit/file", CF_OP_UPDATE, 0), 1);
    cf_acl_free(a);

    a = ACL1("path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  denied_parameters = { \"*\" = [] } }\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{}"), 1);
    cf_acl_free(a);

    a = ACL1("path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  allowed_parameters = { \"*\" = [] } }\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"anything\":[1,2]}"), 1);
    cf_acl_free(a);

    /* merged across policies: an empty list ("any value") wins */
    a = acl3("path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  allowed_parameters = { \"type\" = [\"file\"] } }",
             "path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  allowed_parameters = { \"type\" = [] } }",
             NULL);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"socket\"}"), 1);
    cf_acl_free(a);
}

/* Globs at either end of a value, the "*" key beside named ones, and
 * required names matched as written (the backend reads them so). */
static void test_parameter_globs_and_star(void)
{
    struct cf_acl *a =
        ACL1("path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  allowed_parameters = { \"type\" = [\"*log\", \"fi*\", \"*ock*\"],\n"
             "                         \"*\" = [] }\n"
             "  denied_parameters = { \"path\" = [\"/etc/*\"] } }\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"syslog\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"a-socket\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"pipe\"}"), 0);
    /* "*" admits names not listed; listed ones keep their values */
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"other\":\"x\"}"), 1);
    /* denied wins over "*" in allowed; a name's case does not matter */
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"path\":\"/etc/passwd\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"PATH\":\"/etc/passwd\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"path\":\"/tmp/x\"}"), 1);
    /* delete and list carry no parameters to check */
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_DELETE, "{\"type\":\"pipe\"}"), 0);
    cf_acl_free(a);

    a = ACL1("path \"sys/audit/*\" { capabilities = [\"update\"]\n"
             "  required_parameters = [\"Type\"] }\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"type\":\"file\"}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"TYPE\":\"file\"}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{}"), 0);
    cf_acl_free(a);
}

/* A list value: denied when any element is, allowed only when all are. */
static void test_parameter_lists(void)
{
    struct cf_acl *a = ACL1(
        "path \"sys/audit/*\" { capabilities = [\"update\"]\n"
        "  allowed_parameters = { \"policies\" = [\"dev*\", \"ops\"], \"n\" = [3] }\n"
        "  denied_parameters = { \"policies\" = [\"*admin*\"] } }\n");
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":[\"dev1\",\"ops\"]}"),
                     1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":[\"dev1\",\"root\"]}"),
                     0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":[\"dev-admin\"]}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":[[\"ops\"]]}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":{\"a\":\"ops\"}}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"policies\":null}"), 0);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"n\":3}"), 1);
    CF_ASSERT_INT_EQ(allowed_body(a, CF_OP_UPDATE, "{\"n\":4}"), 0);
    cf_acl_free(a);
}

/* Query parameters count as data: backends fall back to them. */
static void test_parameters_in_query(void)
{
    struct cf_acl *a =
        ACL1("path \"secret/data/*\" { capabilities = [\"read\", \"update\"]\n"
             "  allowed_parameters = { \"version\" = [\"1\", \"2\"], \"data\" = [] }\n"
             "  denied_parameters = { \"cas\" = [] } }\n"
             "path \"secret/req\" { capabilities = [\"update\"]\n"
             "  required_parameters = [\"options\"] }\n");
    struct cf_pair q[1] = {{"version", "2"}};
    struct cf_request req = {
        .op = CF_OP_READ, .path = "secret/data/a", .query = q, .nquery = 1};
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 0), 1);
    q[0].value = "3";
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 0), 0);
    q[0] = (struct cf_pair){"cas", "0"};
    req.op = CF_OP_UPDATE;
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 0), 0);
    /* a required name may come from the query */
    q[0] = (struct cf_pair){"options", "x"};
    req.path = "secret/req";
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 0), 1);
    req.nquery = 0;
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 0), 0);
    cf_acl_free(a);

    /* root bypasses every constraint */
    CF_ASSERT_INT_EQ(cf_acl_from_policies(NULL, 0, 1, &a), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed_request(a, &req, 1), 1);
    cf_acl_free(a);
}

/* sudo is checked first; parameters still apply to a sudo holder. */
static void test_parameters_with_sudo(void)
{
    struct cf_acl *a =
        ACL1("path \"sys/audit/*\" { capabilities = [\"update\", \"sudo\"]\n"
             "  denied_parameters = { \"type\" = [\"socket\"] } }\n");
    const char *body = "{\"type\":\"socket\"}";
    yajl_val v = NULL;
    CF_ASSERT_INT_EQ(cf_json_parse(body, strlen(body), &v, NULL), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed_params(a, "sys/audit/x", CF_OP_UPDATE, 1, v), 0);
    cf_json_free(v);
    body = "{\"type\":\"file\"}";
    CF_ASSERT_INT_EQ(cf_json_parse(body, strlen(body), &v, NULL), 0);
    CF_ASSERT_INT_EQ(cf_acl_allowed_params(a, "sys/audit/x", CF_OP_UPDATE, 1, v), 1);
    cf_json_free(v);
    cf_acl_free(a);
}

static void test_legacy_policy_shorthand(void)
{
    struct cf_acl *a = ACL1("path \"a/*\" { policy = \"read\" }\n"
                            "path \"b/*\" { policy = \"write\" }\n"
                            "path \"c/*\" { policy = \"sudo\" }\n"
                            "path \"d/*\" { policy = \"deny\" }\n");
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "a/x"), CF_CAP_READ | CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "b/x"),
                     CF_CAP_CREATE | CF_CAP_READ | CF_CAP_UPDATE | CF_CAP_DELETE |
                         CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "c/x") & CF_CAP_SUDO, CF_CAP_SUDO);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "d/x"), CF_CAP_DENY);
    cf_acl_free(a);
}

static void test_many_rules_exact_lookup(void)
{
    char *txt = malloc(200 * 64);
    size_t off = 0;
    for (int i = 199; i >= 0; i--)
        off +=
            (size_t)sprintf(txt + off, "path \"kv/k%03d\" { capabilities = [\"%s\"] }\n",
                            i, i % 2 ? "read" : "list");
    struct cf_acl *a = ACL1(txt);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/k000"), CF_CAP_LIST);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/k101"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/k199"), CF_CAP_READ);
    CF_ASSERT_INT_EQ(cf_acl_capabilities(a, "kv/k200"), 0);
    cf_acl_free(a);
    free(txt);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"exact beats glob", test_exact_beats_glob},
        {"longest glob", test_longest_glob},
        {"priority: first wildcard", test_priority_first_wildcard},
        {"priority: glob end", test_priority_glob_end},
        {"priority: more +", test_priority_more_plus},
        {"priority: length and lexicographic", test_priority_length_and_lex},
        {"+ is one segment", test_plus_is_one_segment},
        {"+ with trailing glob", test_plus_with_glob},
        {"* in the middle is literal", test_star_in_middle_is_literal},
        {"union across policies", test_union_across_policies},
        {"deny wins", test_deny_wins},
        {"operations and sudo", test_ops_and_sudo},
        {"list with trailing slash", test_list_trailing_slash},
        {"root and empty", test_root},
        {"templated paths", test_templated_paths_never_match},
        {"parameters", test_parameters},
        {"parameter globs and \"*\"", test_parameter_globs_and_star},
        {"parameter list values", test_parameter_lists},
        {"query parameters are data", test_parameters_in_query},
        {"parameters with sudo", test_parameters_with_sudo},
        {"legacy policy shorthand", test_legacy_policy_shorthand},
        {"many exact rules", test_many_rules_exact_lookup},
        {"rules reaching a mount", test_reaches_mount},
        {NULL, NULL}};
    return cf_test_run("acl", cases);
}
