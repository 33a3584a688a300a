/* cf_envelope_render: each shape of Vault response, byte for byte. */
#include "cf_test.h"
#include "http/envelope.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

#define ID "11111111-2222-4333-8444-555555555555"

static char *render(struct cf_result *r, int *status, size_t *len)
{
    char *body = (char *)"unset";
    int rc = cf_envelope_render(r, ID, status, &body, len);
    CF_ASSERT_INT_EQ(rc, 0);
    return rc ? NULL : body;
}

static void test_data(void)
{
    struct cf_result r = {0};
    r.data = strdup("{\"k\":\"v\",\"n\":1.50}");
    r.mount_type = "kv";
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 200);
    CF_ASSERT_STR_EQ(b,
                     "{\"request_id\":\"" ID "\",\"lease_id\":\"\",\"renewable\":false,"
                     "\"lease_duration\":0,\"data\":{\"k\":\"v\",\"n\":1.50},"
                     "\"wrap_info\":null,\"warnings\":null,\"auth\":null,"
                     "\"mount_type\":\"kv\"}");
    CF_ASSERT_INT_EQ(len, b ? strlen(b) : 0);
    free(b);
    cf_result_free(&r);
}

static void test_lease_and_no_mount_type(void)
{
    struct cf_result r = {0};
    r.data = strdup("{}");
    r.lease_id = strdup("sec/\"x\"");
    r.lease_duration = 3600;
    r.renewable = 1;
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_STR_EQ(b,
                     "{\"request_id\":\"" ID "\",\"lease_id\":\"sec/\\\"x\\\"\","
                     "\"renewable\":true,\"lease_duration\":3600,\"data\":{},"
                     "\"wrap_info\":null,\"warnings\":null,\"auth\":null}");
    free(b);
    cf_result_free(&r);
}

static void test_auth(void)
{
    struct cf_result r = {0};
    r.auth = strdup("{\"client_token\":\"s.x\",\"policies\":[\"root\"]}");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 200);
    CF_ASSERT_CONTAINS(b, "\"data\":null,");
    CF_ASSERT_CONTAINS(b,
                       ",\"auth\":{\"client_token\":\"s.x\",\"policies\":[\"root\"]}}");
    free(b);
    cf_result_free(&r);
}

static void test_warnings(void)
{
    struct cf_result r = {0};
    r.data = strdup("{\"a\":1}");
    cf_result_warn(&r, "first \"one\"");
    cf_result_warn(&r, "second");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_CONTAINS(b, ",\"warnings\":[\"first \\\"one\\\"\",\"second\"],");
    free(b);
    cf_result_free(&r);
}

static void test_warnings_only_is_200(void)
{
    struct cf_result r = {0};
    cf_result_warn(&r, "w");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 200);
    CF_ASSERT_CONTAINS(b, "\"data\":null");
    free(b);
    cf_result_free(&r);
}

static void test_inject(void)
{
    struct cf_result r = {0};
    r.data =
        strdup("{\"keys\":[\"a\"],\"sub\":{\"x\":true},\"data\":\"shadow\",\"n\":2}");
    r.inject = 1;
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 200);
    CF_ASSERT_STR_EQ(
        b,
        "{\"request_id\":\"" ID "\",\"lease_id\":\"\",\"renewable\":false,"
        "\"lease_duration\":0,\"data\":{\"keys\":[\"a\"],\"sub\":{\"x\":true},"
        "\"data\":\"shadow\",\"n\":2},\"wrap_info\":null,\"warnings\":null,"
        "\"auth\":null,\"keys\":[\"a\"],\"sub\":{\"x\":true},\"n\":2}");
    free(b);
    cf_result_free(&r);
}

static void test_inject_bad_data(void)
{
    struct cf_result r = {0};
    r.data = strdup("{not json");
    r.inject = 1;
    int st = -1;
    size_t len = 7;
    char *b = (char *)"unset";
    CF_ASSERT_INT_EQ(cf_envelope_render(&r, ID, &st, &b, &len), CF_EINVAL);
    CF_ASSERT_STR_EQ(b, "unset"); /* failed call sets nothing */
    CF_ASSERT_INT_EQ(st, -1);
    cf_result_free(&r);
}

static void test_raw(void)
{
    struct cf_result r = {0};
    r.raw = strdup("{\"initialized\":true,\"sealed\":false}");
    r.status = 429;
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 429);
    CF_ASSERT_STR_EQ(b, "{\"initialized\":true,\"sealed\":false}");
    free(b);
    r.status = 0;
    b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 200);
    free(b);
    cf_result_free(&r);
}

static void test_error(void)
{
    struct cf_result r = {0};
    cf_result_error(&r, 403, "permission denied");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 403);
    CF_ASSERT_STR_EQ(b, "{\"errors\":[\"permission denied\"]}");
    free(b);
    cf_result_free(&r);
}

static void test_error_without_status_is_400(void)
{
    struct cf_result r = {0};
    r.errors[r.nerrors++] = strdup("a \"quoted\"\nline");
    r.errors[r.nerrors++] = strdup("two");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 400);
    CF_ASSERT_STR_EQ(b, "{\"errors\":[\"a \\\"quoted\\\"\\nline\",\"two\"]}");
    free(b);
    cf_result_free(&r);
}

static void test_error_with_data(void)
{
    struct cf_result r = {0};
    cf_result_error(&r, 400, "check-and-set parameter did not match");
    r.data = strdup("{\"version\":3}");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_STR_EQ(b,
                     "{\"errors\":[\"check-and-set parameter did not match\"],"
                     "\"data\":{\"version\":3}}");
    free(b);
    cf_result_free(&r);
}

static void test_404_empty(void)
{
    struct cf_result r = {0};
    cf_result_error(&r, 404, NULL);
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 404);
    CF_ASSERT_STR_EQ(b, "{\"errors\":[]}");
    free(b);
    cf_result_free(&r);
}

static void test_404_envelope(void)
{
    /* KV v2: a deleted version answers 404 with its metadata. */
    struct cf_result r = {0};
    r.status = 404;
    r.data = strdup("{\"data\":null,\"metadata\":{\"deletion_time\":\"x\"}}");
    int st;
    size_t len;
    char *b = render(&r, &st, &len);
    CF_ASSERT_INT_EQ(st, 404);
    CF_ASSERT_CONTAINS(b, "{\"request_id\":\"" ID "\"");
    CF_ASSERT_CONTAINS(b,
                       "\"data\":{\"data\":null,\"metadata\":{\"deletion_time\":\"x\"}}");
    CF_ASSERT_INT_EQ(b && strstr(b, "errors") != NULL, 0);
    free(b);
    cf_result_free(&r);
}

static void test_204(void)
{
    struct cf_result r = {0};
    int st;
    size_t len = 9;
    char *b = (char *)"unset";
    CF_ASSERT_INT_EQ(cf_envelope_render(&r, ID, &st, &b, &len), 0);
    CF_ASSERT_INT_EQ(st, 204);
    CF_ASSERT_INT_EQ(b == NULL, 1);
    CF_ASSERT_INT_EQ(len, 0);
    /* An explicit 204 drops the body even with data. */
    r.status = 204;
    r.data = strdup("{}");
    b = (char *)"unset";
    CF_ASSERT_INT_EQ(cf_envelope_render(&r, ID, &st, &b, &len), 0);
    CF_ASSERT_INT_EQ(st, 204);
    CF_ASSERT_INT_EQ(b == NULL, 1);
    cf_result_free(&r);
}

static void test_invalid_utf8_warning(void)
{
    struct cf_result r = {0};
    cf_result_warn(&r, "bad \xff byte");
    int st = -1;
    size_t len;
    char *b = (char *)"unset";
    CF_ASSERT_INT_EQ(cf_envelope_render(&r, ID, &st, &b, &len), CF_EINVAL);
    CF_ASSERT_STR_EQ(b, "unset");
    cf_result_free(&r);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"data envelope exact", test_data},
        {"lease fields, mount_type omitted", test_lease_and_no_mount_type},
        {"auth spliced", test_auth},
        {"warnings list", test_warnings},
        {"warnings only is 200", test_warnings_only_is_200},
        {"inject repeats data keys", test_inject},
        {"inject with bad data fails", test_inject_bad_data},
        {"raw body as is", test_raw},
        {"error", test_error},
        {"error without status is 400", test_error_without_status_is_400},
        {"error keeps data", test_error_with_data},
        {"404 empty errors", test_404_empty},
        {"404 with data is an envelope", test_404_envelope},
        {"204 without body", test_204},
        {"invalid UTF-8 warning", test_invalid_utf8_warning},
        {NULL, NULL},
    };
    return cf_test_run("envelope", cases);
}
