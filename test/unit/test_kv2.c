/* KV v2 through the real barrier: every row of Vault's KV v2 table (data,
 * metadata, delete/undelete/destroy, config, subkeys), CAS, max_versions,
 * delete_version_after, the two kinds of 404, and concurrent writers. */
#include "engine_fixture.h"
#include "engines/engines.h"
#include <pthread.h>
#include <unistd.h>

#define S(path) fx_str(&res, path, sb, sizeof sb)

static struct fx f;
static struct cf_result res;
static char sb[512];

static void up(void)
{
    memset(&res, 0, sizeof res);
    fx_open(&f, &cf_kv_backend, 2);
}

static void down(void)
{
    cf_result_free(&res);
    fx_close(&f);
}

static int call(enum cf_op op, const char *rel, const char *body)
{
    CF_ASSERT_INT_EQ(fx_call(&f, op, rel, body, &res), 0);
    return fx_status(&res);
}

static int callq(enum cf_op op, const char *rel, const char *q)
{
    struct cf_request *r = fx_req(op, rel, NULL, q, NULL);
    CF_ASSERT_INT_EQ(fx_run(&f, r, &res), 0);
    cf_request_free(r);
    return fx_status(&res);
}

static int patch(const char *rel, const char *body, const char *ct)
{
    struct cf_request *r = fx_req(CF_OP_PATCH, rel, body, NULL);
    if (ct)
        r->content_type = strdup(ct);
    CF_ASSERT_INT_EQ(fx_run(&f, r, &res), 0);
    cf_request_free(r);
    return fx_status(&res);
}

static int stored(const char *key)
{
    uint8_t *v;
    size_t l;
    int rc = cf_view_get(f.view, key, &v, &l);
    if (!rc)
        free(v);
    return rc == 0;
}

static void test_write_read(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_CREATE, "data/app", "{\"data\":{\"k\":\"v1\"}}"), 200);
    CF_ASSERT_STR_EQ(S("version"), "1");
    CF_ASSERT_CONTAINS(S("created_time"), "T");
    CF_ASSERT_CONTAINS(S("created_time"), "Z");
    CF_ASSERT_STR_EQ(S("deletion_time"), "");
    CF_ASSERT_STR_EQ(S("destroyed"), "false");
    CF_ASSERT_STR_EQ(S("custom_metadata"), "null");
    CF_ASSERT_STR_EQ(res.mount_type, "kv");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/app", "{\"data\":{\"k\":\"v2\"}}"), 200);
    CF_ASSERT_STR_EQ(S("version"), "2");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/app", NULL), 200);
    CF_ASSERT_STR_EQ(S("data/k"), "v2");
    CF_ASSERT_STR_EQ(S("metadata/version"), "2");
    CF_ASSERT_STR_EQ(S("metadata/deletion_time"), "");
    CF_ASSERT_STR_EQ(S("metadata/destroyed"), "false");
    CF_ASSERT_STR_EQ(S("metadata/custom_metadata"), "null");
    CF_ASSERT_INT_EQ(res.lease_duration, 0);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/app", "version=1"), 200);
    CF_ASSERT_STR_EQ(S("data/k"), "v1");
    CF_ASSERT_STR_EQ(S("metadata/version"), "1");
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/app", "version=0"), 200);
    CF_ASSERT_STR_EQ(S("data/k"), "v2");
    /* A version that never existed: plain 404. */
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/app", "version=9"), 404);
    CU_ASSERT_PTR_NULL(res.data);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/app", "version=x"), 400);
    /* Nested folders work as keys. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/a/b/c", "{\"data\":{}}"), 200);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/a/b/c", NULL), 200);
    CF_ASSERT_STR_EQ(S("data"), "{object}");
    down();
}

static void test_missing_and_bad_input(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/none", NULL), 404);
    CU_ASSERT_PTR_NULL(res.data);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/x", "{\"k\":\"v\"}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "no data provided");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/x", NULL), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "no data provided");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/x", "{\"data\":null}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/x", "{\"data\":\"str\"}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/x", "{\"data\":{},\"options\":5}"), 400);
    /* Nothing was created by the refusals. */
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/x", NULL), 404);
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "data/x", NULL), 405);
    CF_ASSERT_STR_EQ(res.errors[0], "unsupported operation");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "foo", NULL), 404);
    CF_ASSERT_STR_EQ(res.errors[0], "unsupported path");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/", NULL), 404);
    CF_ASSERT_STR_EQ(res.errors[0], "unsupported path");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/dir/", "{\"data\":{}}"), 404);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "delete/x", NULL), 405);
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "config", NULL), 405);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "subkeys/x", "{}"), 405);
    down();
}

static void test_cas(void)
{
    up();
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":1},\"options\":{\"cas\":0}}"),
        200);
    CF_ASSERT_STR_EQ(S("version"), "1");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":2},\"options\":{\"cas\":0}}"),
        400);
    CF_ASSERT_STR_EQ(res.errors[0],
                     "check-and-set parameter did not match the current version");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":2},\"options\":{\"cas\":1}}"),
        200);
    CF_ASSERT_STR_EQ(S("version"), "2");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":3},\"options\":{\"cas\":\"2\"}}"),
        200);
    CF_ASSERT_STR_EQ(S("version"), "3");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":3},\"options\":{\"cas\":7}}"),
        400);
    CF_ASSERT_STR_EQ(res.errors[0],
                     "check-and-set parameter did not match the current version");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":3},\"options\":{\"cas\":\"x\"}}"),
        400);
    CF_ASSERT_STR_EQ(res.errors[0], "error parsing check-and-set parameter");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":3},\"options\":{\"cas\":-1}}"),
        400);
    /* Required at the key level. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/c", "{\"cas_required\":true}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":4}}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "check-and-set parameter required for this call");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/c", "{\"data\":{\"a\":4},\"options\":{\"cas\":3}}"),
        200);
    /* Other keys are free until the mount requires it. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1}}"), 200);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"cas_required\":true}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1}}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "check-and-set parameter required for this call");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1},\"options\":{\"cas\":1}}"),
        200);
    CF_ASSERT_STR_EQ(S("version"), "2");
    /* Turning it off on a key under a mount that mandates it warns. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/d", "{\"cas_required\":false}"), 204);
    CF_ASSERT_INT_EQ(res.nwarnings, 1);
    CF_ASSERT_CONTAINS(res.warnings[0], "mandated by backend config");
    down();
}

/* n writes of {"i":1}..{"i":n} to rel. */
static void write_versions(const char *rel, int n)
{
    for (int i = 1; i <= n; i++) {
        char body[64];
        snprintf(body, sizeof body, "{\"data\":{\"i\":%d}}", i);
        CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, rel, body), 200);
    }
}

static void test_max_versions(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"max_versions\":3}"), 204);
    write_versions("data/m", 5);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/m", NULL), 200);
    CF_ASSERT_STR_EQ(S("current_version"), "5");
    CF_ASSERT_STR_EQ(S("oldest_version"), "3");
    CF_ASSERT_STR_EQ(S("versions/1"), "(absent)");
    CF_ASSERT_STR_EQ(S("versions/2"), "(absent)");
    CF_ASSERT_STR_EQ(S("versions/3"), "{object}");
    CF_ASSERT_STR_EQ(S("versions/5"), "{object}");
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/m", "version=2"), 404);
    CU_ASSERT_PTR_NULL(res.data);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/m", "version=3"), 200);
    CF_ASSERT_STR_EQ(S("data/i"), "3");
    CU_ASSERT(!stored("versions/m/1"));
    CU_ASSERT(!stored("versions/m/2"));
    CU_ASSERT(stored("versions/m/3"));

    /* Default window is 10. Vault's window starts at oldest_version 0, so
     * the 10th write moves it to 1 without dropping anything yet. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"max_versions\":0}"), 204);
    for (int i = 1; i <= 9; i++)
        call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1}}");
    call(CF_OP_READ, "metadata/d", NULL);
    CF_ASSERT_STR_EQ(S("oldest_version"), "0");
    call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1}}");
    call(CF_OP_READ, "metadata/d", NULL);
    CF_ASSERT_STR_EQ(S("oldest_version"), "1");
    CF_ASSERT_STR_EQ(S("versions/1"), "{object}");
    call(CF_OP_UPDATE, "data/d", "{\"data\":{\"a\":1}}");
    call(CF_OP_READ, "metadata/d", NULL);
    CF_ASSERT_STR_EQ(S("current_version"), "11");
    CF_ASSERT_STR_EQ(S("oldest_version"), "2");
    CF_ASSERT_STR_EQ(S("versions/1"), "(absent)");
    CF_ASSERT_STR_EQ(S("versions/2"), "{object}");
    CU_ASSERT(!stored("versions/d/1"));
    CU_ASSERT(stored("versions/d/2"));

    /* Per-key max_versions. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/k", "{\"max_versions\":2}"), 204);
    for (int i = 0; i < 4; i++)
        call(CF_OP_UPDATE, "data/k", "{\"data\":{\"a\":1}}");
    call(CF_OP_READ, "metadata/k", NULL);
    CF_ASSERT_STR_EQ(S("max_versions"), "2");
    CF_ASSERT_STR_EQ(S("oldest_version"), "3");
    CF_ASSERT_STR_EQ(S("versions/2"), "(absent)");
    CF_ASSERT_STR_EQ(S("versions/3"), "{object}");
    CU_ASSERT(!stored("versions/k/2"));
    down();
}

static void test_delete_undelete_destroy(void)
{
    up();
    call(CF_OP_UPDATE, "data/s", "{\"data\":{\"v\":1}}");
    call(CF_OP_UPDATE, "data/s", "{\"data\":{\"v\":2}}");
    /* DELETE data/ soft-deletes the latest: 404 with the envelope. */
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "data/s", NULL), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/s", NULL), 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CU_ASSERT_PTR_NOT_NULL(res.data);
    CF_ASSERT_STR_EQ(S("data"), "null");
    CF_ASSERT_STR_EQ(S("metadata/version"), "2");
    CF_ASSERT_CONTAINS(S("metadata/deletion_time"), "Z");
    CF_ASSERT_STR_EQ(S("metadata/destroyed"), "false");
    /* The older version is still readable. */
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/s", "version=1"), 200);
    CF_ASSERT_STR_EQ(S("data/v"), "1");
    /* Deleting an already deleted latest changes nothing. */
    call(CF_OP_READ, "metadata/s", NULL);
    char dt[512];
    snprintf(dt, sizeof dt, "%s", S("versions/2/deletion_time"));
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "data/s", NULL), 204);
    call(CF_OP_READ, "metadata/s", NULL);
    CF_ASSERT_STR_EQ(S("versions/2/deletion_time"), dt);

    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "undelete/s", "{\"versions\":[2]}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/s", NULL), 200);
    CF_ASSERT_STR_EQ(S("data/v"), "2");
    CF_ASSERT_STR_EQ(S("metadata/deletion_time"), "");

    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "delete/s", "{\"versions\":\"1,2\"}"), 204);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/s", "version=1"), 404);
    CU_ASSERT_PTR_NOT_NULL(res.data);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/s", NULL), 404);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "undelete/s", "{\"versions\":[1]}"), 204);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/s", "version=1"), 200);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/s", NULL), 404);

    /* Destroy removes the data for good; undelete cannot bring it back. */
    CU_ASSERT(stored("versions/s/1"));
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "destroy/s", "{\"versions\":[1]}"), 204);
    CU_ASSERT(!stored("versions/s/1"));
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/s", "version=1"), 404);
    CF_ASSERT_STR_EQ(S("data"), "null");
    CF_ASSERT_STR_EQ(S("metadata/destroyed"), "true");
    CF_ASSERT_STR_EQ(S("metadata/deletion_time"), "");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "undelete/s", "{\"versions\":[1]}"), 204);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/s", "version=1"), 404);
    call(CF_OP_READ, "metadata/s", NULL);
    CF_ASSERT_STR_EQ(S("versions/1/destroyed"), "true");
    CF_ASSERT_STR_EQ(S("versions/2/destroyed"), "false");
    /* Deleting a destroyed latest is a no-op. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "destroy/s", "{\"versions\":[2]}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "data/s", NULL), 204);
    call(CF_OP_READ, "metadata/s", NULL);
    CF_ASSERT_STR_EQ(S("versions/2/destroyed"), "true");

    /* Bad input and unknown keys. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "delete/s", "{}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "No version number provided");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "undelete/s", "{\"versions\":[]}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "No version number provided");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "destroy/s", NULL), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "no version number provided");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "destroy/s", "{\"versions\":[\"a\"]}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "delete/s", "{\"versions\":\"1,x\"}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "delete/none", "{\"versions\":[1]}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "destroy/none", "{\"versions\":[1]}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "data/none", NULL), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/none", NULL), 404);
    down();
}

static void test_metadata(void)
{
    up();
    /* A write without settings creates nothing. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/m", NULL), 404);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m",
                          "{\"max_versions\":5,\"delete_version_after\":\"1h\","
                          "\"custom_metadata\":{\"owner\":\"ops\",\"n\":3}}"),
                     204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/m", NULL), 200);
    CF_ASSERT_STR_EQ(S("current_version"), "0");
    CF_ASSERT_STR_EQ(S("oldest_version"), "0");
    CF_ASSERT_STR_EQ(S("max_versions"), "5");
    CF_ASSERT_STR_EQ(S("cas_required"), "false");
    CF_ASSERT_STR_EQ(S("delete_version_after"), "1h0m0s");
    CF_ASSERT_STR_EQ(S("custom_metadata/owner"), "ops");
    CF_ASSERT_STR_EQ(S("custom_metadata/n"), "3");
    CF_ASSERT_CONTAINS(S("created_time"), "Z");
    CF_ASSERT_CONTAINS(S("updated_time"), "Z");
    CF_ASSERT_STR_EQ(S("versions"), "{object}");
    /* Metadata without a version: data reads stay an empty 404. */
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/m", NULL), 404);
    CU_ASSERT_PTR_NULL(res.data);
    /* custom_metadata shows up on writes and reads. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/m", "{\"data\":{\"a\":1}}"), 200);
    CF_ASSERT_STR_EQ(S("custom_metadata/owner"), "ops");
    CF_ASSERT_CONTAINS(S("deletion_time"), "Z"); /* delete_version_after */
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/m", NULL), 200);
    CF_ASSERT_STR_EQ(S("metadata/custom_metadata/owner"), "ops");
    /* A later write without custom_metadata keeps it. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{\"max_versions\":6}"), 204);
    call(CF_OP_READ, "metadata/m", NULL);
    CF_ASSERT_STR_EQ(S("custom_metadata/owner"), "ops");
    CF_ASSERT_STR_EQ(S("max_versions"), "6");
    CF_ASSERT_STR_EQ(S("current_version"), "1");
    /* Replacing custom_metadata drops old keys. */
    call(CF_OP_UPDATE, "metadata/m", "{\"custom_metadata\":{\"team\":\"x\"}}");
    call(CF_OP_READ, "metadata/m", NULL);
    CF_ASSERT_STR_EQ(S("custom_metadata/owner"), "(absent)");
    CF_ASSERT_STR_EQ(S("custom_metadata/team"), "x");

    /* DELETE metadata removes the key and every version. */
    call(CF_OP_UPDATE, "data/m", "{\"data\":{\"a\":2}}");
    CU_ASSERT(stored("versions/m/1"));
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "metadata/m", NULL), 204);
    CU_ASSERT(!stored("versions/m/1"));
    CU_ASSERT(!stored("versions/m/2"));
    CU_ASSERT(!stored("metadata/m"));
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/m", NULL), 404);
    CU_ASSERT_PTR_NULL(res.data);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/m", NULL), 404);
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "metadata/m", NULL), 204);
    /* A rewritten key starts again at version 1. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/m", "{\"data\":{\"a\":3}}"), 200);
    CF_ASSERT_STR_EQ(S("version"), "1");
    down();
}

static void test_metadata_bad_input(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/", "{\"max_versions\":1}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "missing path");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{\"max_versions\":\"x\"}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{\"max_versions\":-1}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{\"cas_required\":\"maybe\"}"),
                     400);
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "metadata/m", "{\"delete_version_after\":\"soon\"}"), 400);
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "metadata/m", "{\"custom_metadata\":{\"k\":\"\"}}"), 400);
    CF_ASSERT_STR_EQ(res.errors[0],
                     "1 error occurred:\n\t* custom_metadata validation failed: "
                     "length of value for key \"k\" is 0 but must be "
                     "0 < len(value) <= 512\n\n");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m",
                          "{\"custom_metadata\":{\"a\":\"\\u0001\",\"\":\"v\"}}"),
                     400);
    CF_ASSERT_CONTAINS(res.errors[0], "2 errors occurred:\n\t* ");
    CF_ASSERT_CONTAINS(res.errors[0], "contains unprintable characters");
    CF_ASSERT_CONTAINS(res.errors[0], "length of key \"\" is 0");
    CF_ASSERT_INT_EQ(
        call(CF_OP_UPDATE, "metadata/m", "{\"custom_metadata\":{\"a\":{\"b\":1}}}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", "{\"custom_metadata\":[1]}"), 400);
    char big[2048] = "{\"custom_metadata\":{";
    for (int i = 0; i < 65; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s\"k%d\":\"v\"",
                 i ? "," : "", i);
    strcat(big, "}}");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/m", big), 400);
    CF_ASSERT_CONTAINS(res.errors[0],
                       "payload must contain at most 64 keys, provided 65");
    /* None of it created the key. */
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/m", NULL), 404);
    down();
}

static void test_metadata_list(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata/", NULL), 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    call(CF_OP_UPDATE, "data/a", "{\"data\":{\"x\":1}}");
    call(CF_OP_UPDATE, "data/dir/b", "{\"data\":{\"x\":1}}");
    call(CF_OP_UPDATE, "data/dir/sub/c", "{\"data\":{\"x\":1}}");
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata/", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"a\",\"dir/\"]}");
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"a\",\"dir/\"]}");
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata/dir", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"b\",\"sub/\"]}");
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata/dir/", NULL), 200);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"b\",\"sub/\"]}");
    CF_ASSERT_INT_EQ(call(CF_OP_LIST, "metadata/zzz/", NULL), 404);
    /* Soft-deleted keys are still listed; destroyed-all keys too. */
    call(CF_OP_DELETE, "data/a", NULL);
    call(CF_OP_LIST, "metadata/", NULL);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"a\",\"dir/\"]}");
    call(CF_OP_DELETE, "metadata/a", NULL);
    call(CF_OP_LIST, "metadata/", NULL);
    CF_ASSERT_STR_EQ(res.data, "{\"keys\":[\"dir/\"]}");
    down();
}

static void test_metadata_patch(void)
{
    up();
    CF_ASSERT_INT_EQ(
        patch("metadata/p", "{\"max_versions\":3}", "application/merge-patch+json"), 404);
    CU_ASSERT_PTR_NULL(res.data);
    call(CF_OP_UPDATE, "metadata/p",
         "{\"max_versions\":4,\"custom_metadata\":{\"a\":\"1\",\"b\":\"2\"}}");
    CF_ASSERT_INT_EQ(patch("metadata/p", "{\"max_versions\":3}", "application/json"),
                     415);
    CF_ASSERT_CONTAINS(res.errors[0], "application/merge-patch+json");
    CF_ASSERT_INT_EQ(patch("metadata/p",
                           "{\"cas_required\":true,\"custom_metadata\":"
                           "{\"a\":null,\"c\":\"3\"}}",
                           "application/merge-patch+json; charset=utf-8"),
                     204);
    call(CF_OP_READ, "metadata/p", NULL);
    CF_ASSERT_STR_EQ(S("max_versions"), "4");
    CF_ASSERT_STR_EQ(S("cas_required"), "true");
    CF_ASSERT_STR_EQ(S("custom_metadata/a"), "(absent)");
    CF_ASSERT_STR_EQ(S("custom_metadata/b"), "2");
    CF_ASSERT_STR_EQ(S("custom_metadata/c"), "3");
    CF_ASSERT_INT_EQ(
        patch("metadata/p", "{\"custom_metadata\":null}", "application/merge-patch+json"),
        204);
    call(CF_OP_READ, "metadata/p", NULL);
    CF_ASSERT_STR_EQ(S("custom_metadata"), "null");
    CF_ASSERT_STR_EQ(S("max_versions"), "4");
    CF_ASSERT_INT_EQ(patch("metadata/p", "{\"custom_metadata\":{\"x\":\"\"}}",
                           "application/merge-patch+json"),
                     400);
    down();
}

static void test_data_patch(void)
{
    up();
    const char *mp = "application/merge-patch+json";
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":1}}", mp), 404);
    CU_ASSERT_PTR_NULL(res.data);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    call(CF_OP_UPDATE, "data/p",
         "{\"data\":{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":\"x\"}}");
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":5}}", NULL), 415);
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":5}}", "application/json"), 415);
    CF_ASSERT_INT_EQ(patch("data/p", "{\"options\":{}}", mp), 400);
    CF_ASSERT_STR_EQ(res.errors[0], "no data provided");
    CF_ASSERT_INT_EQ(patch("data/p",
                           "{\"data\":{\"a\":5,\"b\":{\"c\":null,\"z\":{\"q\":null,"
                           "\"r\":1}},\"e\":null,\"f\":[1]}}",
                           mp),
                     200);
    CF_ASSERT_STR_EQ(S("version"), "2");
    call(CF_OP_READ, "data/p", NULL);
    CF_ASSERT_STR_EQ(S("data/a"), "5");
    CF_ASSERT_STR_EQ(S("data/b/c"), "(absent)");
    CF_ASSERT_STR_EQ(S("data/b/d"), "3");
    CF_ASSERT_STR_EQ(S("data/b/z/q"), "(absent)");
    CF_ASSERT_STR_EQ(S("data/b/z/r"), "1");
    CF_ASSERT_STR_EQ(S("data/e"), "(absent)");
    CF_ASSERT_STR_EQ(S("data/f"), "(absent)" /* arrays aren't objects */);
    CF_ASSERT_CONTAINS(res.data, "\"f\":[1]");
    /* CAS applies to PATCH too. */
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":6},\"options\":{\"cas\":1}}", mp),
                     400);
    CF_ASSERT_STR_EQ(res.errors[0],
                     "check-and-set parameter did not match the current version");
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":6},\"options\":{\"cas\":2}}", mp),
                     200);
    CF_ASSERT_STR_EQ(S("version"), "3");
    /* A deleted latest: 404 carrying the version's metadata. */
    call(CF_OP_DELETE, "data/p", NULL);
    CF_ASSERT_INT_EQ(patch("data/p", "{\"data\":{\"a\":7}}", mp), 404);
    CF_ASSERT_INT_EQ(res.nerrors, 0);
    CF_ASSERT_STR_EQ(S("version"), "3");
    CF_ASSERT_CONTAINS(S("deletion_time"), "Z");
    call(CF_OP_READ, "metadata/p", NULL);
    CF_ASSERT_STR_EQ(S("current_version"), "3");
    down();
}

static void test_config(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "config", NULL), 200);
    CF_ASSERT_STR_EQ(S("max_versions"), "0");
    CF_ASSERT_STR_EQ(S("cas_required"), "false");
    CF_ASSERT_STR_EQ(S("delete_version_after"), "0s");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config",
                          "{\"max_versions\":7,\"delete_version_after\":\"90s\"}"),
                     204);
    call(CF_OP_READ, "config", NULL);
    CF_ASSERT_STR_EQ(S("max_versions"), "7");
    CF_ASSERT_STR_EQ(S("delete_version_after"), "1m30s");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"delete_version_after\":-5}"), 204);
    call(CF_OP_READ, "config", NULL);
    CF_ASSERT_STR_EQ(S("delete_version_after"), "-1s");
    CF_ASSERT_STR_EQ(S("max_versions"), "7");
    /* Disabled at the mount: no deletion time even with a key setting. */
    call(CF_OP_UPDATE, "metadata/k", "{\"delete_version_after\":\"1h\"}");
    call(CF_OP_UPDATE, "data/k", "{\"data\":{\"a\":1}}");
    CF_ASSERT_STR_EQ(S("deletion_time"), "");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"delete_version_after\":0}"), 204);
    call(CF_OP_READ, "config", NULL);
    CF_ASSERT_STR_EQ(S("delete_version_after"), "0s");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"max_versions\":\"x\"}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"cas_required\":3}"), 400);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"delete_version_after\":\"x\"}"),
                     400);
    call(CF_OP_READ, "config", NULL);
    CF_ASSERT_STR_EQ(S("max_versions"), "7");
    down();
}

static void test_delete_version_after(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/t", "{\"delete_version_after\":1}"),
                     204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/t", "{\"data\":{\"a\":1}}"), 200);
    CF_ASSERT_CONTAINS(S("deletion_time"), "Z");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/t", NULL), 200);
    CF_ASSERT_CONTAINS(S("metadata/deletion_time"), "Z");
    /* The mount's shorter setting wins over the key's. */
    call(CF_OP_UPDATE, "metadata/u", "{\"delete_version_after\":\"1h\"}");
    call(CF_OP_UPDATE, "config", "{\"delete_version_after\":\"1s\"}");
    call(CF_OP_UPDATE, "data/u", "{\"data\":{\"a\":1}}");
    usleep(1200 * 1000);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/t", NULL), 404);
    CF_ASSERT_STR_EQ(S("data"), "null");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/u", NULL), 404);
    CU_ASSERT_PTR_NOT_NULL(res.data);
    /* Undelete restarts the clock. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "undelete/t", "{\"versions\":[1]}"), 204);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/t", NULL), 200);
    CF_ASSERT_CONTAINS(S("metadata/deletion_time"), "Z");
    down();
}

static void test_subkeys(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "subkeys/s", NULL), 404);
    CU_ASSERT_PTR_NULL(res.data);
    call(CF_OP_UPDATE, "data/s",
         "{\"data\":{\"a\":1,\"b\":{\"c\":\"x\",\"d\":{\"e\":true}},\"f\":{}}}");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "subkeys/s", NULL), 200);
    CF_ASSERT_CONTAINS(res.data,
                       "\"subkeys\":{\"a\":null,\"b\":{\"c\":null,\"d\":{\"e\":null}},"
                       "\"f\":null}");
    CF_ASSERT_STR_EQ(S("metadata/version"), "1");
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "subkeys/s", "depth=1"), 200);
    CF_ASSERT_CONTAINS(res.data, "\"subkeys\":{\"a\":null,\"b\":null,\"f\":null}");
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "subkeys/s", "depth=2"), 200);
    CF_ASSERT_CONTAINS(res.data, "\"b\":{\"c\":null,\"d\":null}");
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "subkeys/s", "depth=x"), 400);
    call(CF_OP_DELETE, "data/s", NULL);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "subkeys/s", NULL), 404);
    CF_ASSERT_STR_EQ(S("subkeys"), "null");
    CF_ASSERT_CONTAINS(S("metadata/deletion_time"), "Z");
    down();
}

static void test_exists(void)
{
    up();
    struct cf_request *r = fx_req(CF_OP_UPDATE, "data/e", "{\"data\":{}}", NULL);
    int ex = -1;
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 0);
    fx_run(&f, r, &res);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    cf_request_free(r);
    r = fx_req(CF_OP_UPDATE, "metadata/e", "{}", NULL);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    cf_request_free(r);
    r = fx_req(CF_OP_UPDATE, "metadata/other", "{}", NULL);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 0);
    cf_request_free(r);
    r = fx_req(CF_OP_UPDATE, "config", "{}", NULL);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    cf_request_free(r);
    down();
}

/* The mount config is cached after first use: a config write must replace
 * the cached copy, or the writes below would keep the default window. */
static void test_config_cache_invalidated(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "config", NULL), 200);
    CF_ASSERT_STR_EQ(S("max_versions"), "0");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/warm", "{\"data\":{\"a\":1}}"), 200);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"max_versions\":2}"), 204);
    write_versions("data/c", 3);
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/c", NULL), 200);
    CF_ASSERT_STR_EQ(S("current_version"), "3");
    CF_ASSERT_STR_EQ(S("oldest_version"), "2");
    CF_ASSERT_STR_EQ(S("versions/1"), "(absent)");
    CF_ASSERT_STR_EQ(S("versions/2"), "{object}");
    CF_ASSERT_STR_EQ(S("versions/3"), "{object}");
    CU_ASSERT(!stored("versions/c/1"));
    CU_ASSERT(stored("versions/c/2"));
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "config", NULL), 200);
    CF_ASSERT_STR_EQ(S("max_versions"), "2");
    down();
}

/* A key the existence check has seen must read as missing again once its
 * metadata is deleted. */
static void test_exists_after_delete(void)
{
    up();
    struct cf_request *r = fx_req(CF_OP_UPDATE, "data/gone", "{\"data\":{}}", NULL);
    int ex = -1;
    fx_run(&f, r, &res);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    CF_ASSERT_INT_EQ(call(CF_OP_DELETE, "metadata/gone", NULL), 204);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 0);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/gone", "{\"max_versions\":1}"), 204);
    CF_ASSERT_INT_EQ(f.be->exists(&f.m, r, &ex), 0);
    CF_ASSERT_INT_EQ(ex, 1);
    cf_request_free(r);
    down();
}

#define NTHREADS 8
#define NWRITES 25

struct worker {
    int cas0; /* all try a create-only write */
    int ok;
    int versions[NWRITES];
};

static void *writer(void *arg)
{
    struct worker *w = arg;
    struct cf_result r = {0};
    for (int i = 0; i < (w->cas0 ? 1 : NWRITES); i++) {
        const char *body = w->cas0 ? "{\"data\":{\"w\":1},\"options\":{\"cas\":0}}"
                                   : "{\"data\":{\"w\":1}}";
        struct cf_request *req =
            fx_req(CF_OP_UPDATE, w->cas0 ? "data/once" : "data/hot", body, NULL);
        int rc = f.be->handle(&f.m, req, &r);
        cf_request_free(req);
        if (!rc && fx_status(&r) == 200) {
            char v[32];
            fx_str(&r, "version", v, sizeof v);
            w->versions[w->ok++] = atoi(v);
        }
        cf_result_free(&r);
    }
    return NULL;
}

static void test_concurrent_writers(void)
{
    up();
    call(CF_OP_UPDATE, "config", "{\"max_versions\":1000}");
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++)
        CF_ASSERT_INT_EQ(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    int seen[NTHREADS * NWRITES + 1] = {0};
    int total = 0;
    for (int i = 0; i < NTHREADS; i++)
        for (int k = 0; k < w[i].ok; k++) {
            int v = w[i].versions[k];
            CU_ASSERT(v >= 1 && v <= NTHREADS * NWRITES);
            if (v >= 1 && v <= NTHREADS * NWRITES)
                seen[v]++;
            total++;
        }
    CF_ASSERT_INT_EQ(total, NTHREADS * NWRITES);
    for (int v = 1; v <= NTHREADS * NWRITES; v++)
        CF_ASSERT_INT_EQ(seen[v], 1);
    call(CF_OP_READ, "metadata/hot", NULL);
    CF_ASSERT_INT_EQ(atoi(S("current_version")), NTHREADS * NWRITES);

    /* cas=0 from everyone at once: exactly one creates the key. */
    memset(w, 0, sizeof w);
    for (int i = 0; i < NTHREADS; i++) {
        w[i].cas0 = 1;
        CF_ASSERT_INT_EQ(pthread_create(&t[i], NULL, writer, &w[i]), 0);
    }
    int winners = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        winners += w[i].ok;
    }
    CF_ASSERT_INT_EQ(winners, 1);
    down();
}

static void test_handle_without_init(void)
{
    up();
    void *st = f.m.state;
    f.m.state = NULL;
    CF_ASSERT_INT_EQ(fx_call(&f, CF_OP_READ, "config", NULL, &res), CF_EINVAL);
    f.m.state = st;
    down();
}

/* Numbers at and past their limits: each is a 400 or is kept without
 * wrapping, and the key is still read and written afterwards. */
static void test_number_limits(void)
{
    up();
    CF_ASSERT_INT_EQ(call(CF_OP_CREATE, "data/n", "{\"data\":{\"k\":\"v\"}}"), 200);
    static const struct {
        const char *rel, *body, *msg;
    } bad[] = {
        {"config", "{\"delete_version_after\":\"99999999999999999999h\"}",
         "invalid delete_version_after: must be a duration of at most "
         "9223372036s (about 292 years)"},
        {"config", "{\"delete_version_after\":9000000000000000000}",
         "invalid delete_version_after: must be a duration of at most "
         "9223372036s (about 292 years)"},
        {"metadata/n", "{\"delete_version_after\":\"9223372037s\"}",
         "invalid delete_version_after: must be a non-negative duration of at "
         "most 9223372036s (about 292 years)"},
        {"config", "{\"max_versions\":9223372036854775808}",
         "invalid max_versions: must be a non-negative integer"},
        {"data/n", "{\"options\":{\"cas\":9223372036854775808},\"data\":{}}",
         "error parsing check-and-set parameter"},
        {"data/n", "{\"options\":{\"cas\":9223372036854775807},\"data\":{}}",
         "check-and-set parameter did not match the current version"},
        {"data/n", "{\"options\":{\"cas\":-9223372036854775807},\"data\":{}}",
         "check-and-set parameter did not match the current version"},
        {"destroy/n", "{\"versions\":[\"9223372036854775808\"]}",
         "error converting input for field \"versions\": expected a list of integers"},
        {"delete/n", "{\"versions\":\"1,99999999999999999999\"}",
         "error converting input for field \"versions\": expected a list of integers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, bad[i].rel, bad[i].body), 400);
        CF_ASSERT_STR_EQ(res.nerrors ? res.errors[0] : "", bad[i].msg);
    }
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/n", "version=9223372036854775808"), 400);
    CF_ASSERT_INT_EQ(callq(CF_OP_READ, "data/n", "version=9223372036854775807"), 404);

    /* The longest delete_version_after: a deadline in 2262, not in 1677. */
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "metadata/n",
                          "{\"delete_version_after\":9223372036,"
                          "\"max_versions\":1099511627776}"),
                     204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/n", "{\"data\":{\"k\":\"v2\"}}"), 200);
    CF_ASSERT_CONTAINS(S("deletion_time"), "2262-04-11T23:47:16");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "data/n", NULL), 200);
    CF_ASSERT_STR_EQ(S("data/k"), "v2");
    CF_ASSERT_INT_EQ(call(CF_OP_READ, "metadata/n", NULL), 200);
    CF_ASSERT_STR_EQ(S("max_versions"), "1099511627776");
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "config", "{\"max_versions\":1099511627776}"),
                     204);
    CF_ASSERT_INT_EQ(call(CF_OP_UPDATE, "data/n",
                          "{\"options\":{\"cas\":2},"
                          "\"data\":{\"k\":\"v3\"}}"),
                     200);
    CF_ASSERT_STR_EQ(S("version"), "3");
    down();
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"write and read versions", test_write_read},
        {"missing keys and bad input", test_missing_and_bad_input},
        {"check-and-set", test_cas},
        {"max_versions trimming", test_max_versions},
        {"delete, undelete, destroy", test_delete_undelete_destroy},
        {"metadata read/write/delete", test_metadata},
        {"metadata bad input", test_metadata_bad_input},
        {"metadata list", test_metadata_list},
        {"metadata patch", test_metadata_patch},
        {"data patch", test_data_patch},
        {"config", test_config},
        {"delete_version_after", test_delete_version_after},
        {"subkeys", test_subkeys},
        {"exists", test_exists},
        {"exists after a metadata delete", test_exists_after_delete},
        {"config write replaces the cached config", test_config_cache_invalidated},
        {"concurrent writers", test_concurrent_writers},
        {"handle without init", test_handle_without_init},
        {"number limits", test_number_limits},
        {NULL, NULL},
    };
    return cf_test_run("kv2", cases);
}
