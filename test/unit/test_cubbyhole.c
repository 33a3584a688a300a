/* Cubbyhole through the real barrier: per-token isolation, no lease, the
 * refusal without a cubbyhole id, and destruction on revocation. */
#include "engine_fixture.h"
#include "auth/token_store.h"
#include "engines/engines.h"

static struct fx f;
static struct cf_result res;

/* A token as the router hands it to the backend (req->auth): only the
 * cubbyhole id matters here. */
static struct cf_token *token(const char *cubbyhole_id)
{
    static struct cf_token t;
    memset(&t, 0, sizeof t);
    t.cubbyhole_id = (char *)cubbyhole_id;
    return &t;
}

static int as(const char *id, enum cf_op op, const char *rel, const char *body)
{
    struct cf_request *r = fx_req(op, rel, body, NULL);
    r->auth = id ? token(id) : NULL;
    CF_ASSERT_INT_EQ(fx_run(&f, r, &res), 0);
    r->auth = NULL;
    cf_request_free(r);
    return fx_status(&res);
}

static void revoke(const char *id) { f.be->on_token_revoked(&f.m, token(id)); }

static void up(void)
{
    memset(&res, 0, sizeof res);
    fx_open(&f, &cf_cubbyhole_backend, 0);
}

static void down(void)
{
    cf_result_free(&res);
    fx_close(&f);
}

static void test_roundtrip(void)
{
    up();
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_UPDATE, "s", "{\"k\":\"v\",\"ttl\":\"1h\"}"), 204);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "s", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"k\":\"v\",\"ttl\":\"1h\"}");
    CF_ASSERT_INT_EQ(res.lease_duration, 0);
    CF_ASSERT_STR_EQ(res.mount_type, "cubbyhole");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_DELETE, "s", NULL), 204);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "s", NULL), 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_UPDATE, "s", "{}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing data fields");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_UPDATE, "", "{\"a\":1}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing path");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_PATCH, "s", "{\"a\":1}"), 405);
    down();
}

static void test_isolation(void)
{
    up();
    as("tokA", CF_OP_UPDATE, "shared", "{\"owner\":\"a\"}");
    as("tokA", CF_OP_UPDATE, "dir/x", "{\"owner\":\"a\"}");
    CF_ASSERT_INT_EQ(as("tokB", CF_OP_READ, "shared", NULL), 404);
    CF_ASSERT_INT_EQ(as("tokB", CF_OP_LIST, "", NULL), 404);
    as("tokB", CF_OP_UPDATE, "shared", "{\"owner\":\"b\"}");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "shared", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"owner\":\"a\"}");
    CF_ASSERT_INT_EQ(as("tokB", CF_OP_READ, "shared", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"owner\":\"b\"}");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_LIST, "", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"dir/\",\"shared\"]}");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_LIST, "dir", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"x\"]}");
    CF_ASSERT_INT_EQ(as("tokB", CF_OP_LIST, "", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"shared\"]}");
    /* B deleting its key leaves A's alone. */
    as("tokB", CF_OP_DELETE, "shared", NULL);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "shared", NULL), 200);

    /* exists() is per token too. */
    struct cf_request *r = fx_req(CF_OP_UPDATE, "shared", "{\"a\":1}", NULL);
    r->auth = token("tokA");
    int ex = -1;
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    r->auth = token("tokB");
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 0);
    r->auth = NULL;
    cf_request_free(r);
    down();
}

static void test_no_token(void)
{
    up();
    CF_ASSERT_INT_EQ(as(NULL, CF_OP_READ, "s", NULL), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "cubbyhole operations are only supported by tokens");
    CF_ASSERT_INT_EQ(as(NULL, CF_OP_UPDATE, "s", "{\"a\":1}"), 400);
    CF_ASSERT_INT_EQ(as("", CF_OP_LIST, "", NULL), 400);
    /* An id must not reach into another id's folder. */
    CF_ASSERT_INT_EQ(as("a/b", CF_OP_READ, "s", NULL), 400);
    down();
}

static void test_destroy(void)
{
    up();
    as("tokA", CF_OP_UPDATE, "one", "{\"a\":1}");
    as("tokA", CF_OP_UPDATE, "deep/er/two", "{\"a\":1}");
    as("tokAB", CF_OP_UPDATE, "keep", "{\"a\":1}");
    revoke("tokA");
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "one", NULL), 404);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_READ, "deep/er/two", NULL), 404);
    CF_ASSERT_INT_EQ(as("tokA", CF_OP_LIST, "", NULL), 404);
    CF_ASSERT_INT_EQ(as("tokAB", CF_OP_READ, "keep", NULL), 200);
    /* Revoking an emptied, unknown or id-less token touches nothing else. */
    revoke("tokA");
    revoke("never");
    revoke("");
    revoke(NULL);
    CF_ASSERT_INT_EQ(as("tokAB", CF_OP_READ, "keep", NULL), 200);
    down();
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"write/read/delete", test_roundtrip},
        {"isolation between tokens", test_isolation},
        {"refused without a token", test_no_token},
        {"destroy on revocation", test_destroy},
        {NULL, NULL},
    };
    return cf_test_run("cubbyhole", cases);
}
