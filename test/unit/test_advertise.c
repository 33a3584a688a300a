/* Tests for core/ha/advertise.c: JSON round trip with a real identity,
 * Vault's field names, and every malformed input rejected with nothing
 * allocated (ASan's leak check covers the latter). */
#include "ha/advertise.h"
#include "ha/identity.h"
#include "cf_test.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <stdlib.h>

#define SINCE_NS 1790000000123456789LL
#define SINCE_TXT "2026-09-21T14:13:20.123456789Z"

static const char *good_fields[][2] = {
    {"redirect_addr", "\"http://127.0.0.1:8200\""},
    {"cluster_addr", "\"https://127.0.0.1:8201\""},
    {"cluster_cert",
     "\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\""},
    {"cluster_key",
     "\"-----BEGIN EC PRIVATE KEY-----\\nBBBB\\n-----END EC PRIVATE KEY-----\\n\""},
    {"active_since", "\"" SINCE_TXT "\""},
    {"node_id", "\"n1\""},
    {"hostname", "\"host1\""},
};
#define NFIELDS (sizeof good_fields / sizeof good_fields[0])

/* A JSON object of the good fields, with field `skip` left out and field
 * `replace` (if >= 0) given the raw value `with`. */
static char *doc(int skip, int replace, const char *with)
{
    static char buf[4096];
    size_t n = 0;
    buf[n++] = '{';
    for (int i = 0; i < (int)NFIELDS; i++) {
        if (i == skip)
            continue;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"%s\":%s", n > 1 ? "," : "",
                              good_fields[i][0], i == replace ? with : good_fields[i][1]);
    }
    snprintf(buf + n, sizeof buf - n, "}");
    return buf;
}

static int decode_str(const char *s, struct cf_advert **out)
{
    return cf_advert_decode(s, strlen(s), out);
}

static void test_round_trip_real_identity(void)
{
    struct cf_cluster_identity *id = NULL;
    CF_ASSERT_INT_EQ(cf_identity_generate("node-1", &id), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(id);
    struct cf_advert a = {
        .api_addr = "https://node1.example.com:8200",
        .cluster_addr = "https://node1.example.com:8201",
        .cert_pem = id->cert_pem,
        .key_pem = id->key_pem,
        .active_since_ns = SINCE_NS,
        .node_id = "node-1",
        .hostname = "node1",
    };
    char *json = NULL;
    CF_ASSERT_INT_EQ(cf_advert_encode(&a, &json), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    CF_ASSERT_CONTAINS(json, "\"redirect_addr\":\"https://node1.example.com:8200\"");
    CF_ASSERT_CONTAINS(json, "\"cluster_addr\":\"https://node1.example.com:8201\"");
    CF_ASSERT_CONTAINS(json, "\"active_since\":\"" SINCE_TXT "\"");
    CF_ASSERT_CONTAINS(json, "\"cluster_cert\":\"-----BEGIN CERTIFICATE-----\\n");
    CF_ASSERT_CONTAINS(json, "\"cluster_key\":\"-----BEGIN EC PRIVATE KEY-----\\n");

    struct cf_advert *b = NULL;
    CF_ASSERT_INT_EQ(decode_str(json, &b), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CF_ASSERT_STR_EQ(b->api_addr, a.api_addr);
    CF_ASSERT_STR_EQ(b->cluster_addr, a.cluster_addr);
    CF_ASSERT_STR_EQ(b->cert_pem, id->cert_pem);
    CU_ASSERT(strcmp(b->key_pem, id->key_pem) == 0); /* don't print the key */
    CF_ASSERT_INT_EQ(b->active_since_ns, SINCE_NS);
    CF_ASSERT_STR_EQ(b->node_id, "node-1");
    CF_ASSERT_STR_EQ(b->hostname, "node1");
    /* What came back is still a usable identity. */
    CF_ASSERT_INT_EQ(cf_identity_verify_pair(b->cert_pem, b->key_pem), 0);
    cf_advert_free(b);
    cf_free_secret_str(json);
    cf_identity_free(id);
}

static void test_encode_defaults_and_errors(void)
{
    struct cf_advert a = {.api_addr = "http://a:8200",
                          .cert_pem = "C",
                          .key_pem = "K",
                          .active_since_ns = 0};
    char *json = NULL;
    CF_ASSERT_INT_EQ(cf_advert_encode(&a, &json), 0);
    CF_ASSERT_CONTAINS(json, "\"cluster_addr\":\"\"");
    CF_ASSERT_CONTAINS(json, "\"node_id\":\"\"");
    CF_ASSERT_CONTAINS(json, "\"hostname\":\"\"");
    CF_ASSERT_CONTAINS(json, "\"active_since\":\"1970-01-01T00:00:00Z\"");
    struct cf_advert *b = NULL;
    CF_ASSERT_INT_EQ(decode_str(json, &b), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CF_ASSERT_STR_EQ(b->cluster_addr, "");
    CF_ASSERT_INT_EQ(b->active_since_ns, 0);
    cf_advert_free(b);
    cf_free_secret_str(json);

    json = (char *)"untouched";
    struct cf_advert bad = a;
    bad.api_addr = NULL;
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    bad = a;
    bad.api_addr = "";
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    bad = a;
    bad.cert_pem = NULL;
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    bad = a;
    bad.key_pem = "";
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    bad = a;
    bad.active_since_ns = -1;
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    bad = a;
    bad.hostname = "\xff\xfe"; /* not UTF-8: yajl refuses */
    CF_ASSERT_INT_EQ(cf_advert_encode(&bad, &json), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_advert_encode(NULL, &json), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_advert_encode(&a, NULL), CF_EINVAL);
    CF_ASSERT_STR_EQ(json, "untouched");
}

static void test_decode_good_variants(void)
{
    struct cf_advert *a = NULL;
    CF_ASSERT_INT_EQ(decode_str(doc(-1, -1, NULL), &a), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CF_ASSERT_INT_EQ(a->active_since_ns, SINCE_NS);
    CF_ASSERT_STR_EQ(a->cert_pem,
                     "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    cf_advert_free(a);

    /* node_id and hostname are optional (Vault's advertisements lack them). */
    CF_ASSERT_INT_EQ(decode_str(doc(5, -1, NULL), &a), 0);
    CF_ASSERT_STR_EQ(a->node_id, "");
    cf_advert_free(a);
    CF_ASSERT_INT_EQ(decode_str(doc(6, -1, NULL), &a), 0);
    CF_ASSERT_STR_EQ(a->hostname, "");
    cf_advert_free(a);

    /* Unknown fields are ignored. */
    char *extra = strdup(doc(-1, 6, "\"h\",\"future\":{\"x\":[1,2]}"));
    CF_ASSERT_INT_EQ(decode_str(extra, &a), 0);
    CF_ASSERT_STR_EQ(a->hostname, "h");
    cf_advert_free(a);
    free(extra);

    /* Time forms: no fraction, short fraction, numeric offsets. */
    static const struct {
        const char *t;
        long long ns;
    } times[] = {
        {"\"2026-09-21T14:13:20Z\"", 1790000000000000000LL},
        {"\"2026-09-21T14:13:20.5Z\"", 1790000000500000000LL},
        {"\"2026-09-21T16:13:20.000000001+02:00\"", 1790000000000000001LL},
        {"\"2026-09-21T13:43:20-00:30\"", 1790000000000000000LL},
        {"\"2024-02-29T00:00:00Z\"", 1709164800000000000LL},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        a = NULL;
        CF_ASSERT_INT_EQ(decode_str(doc(-1, 4, times[i].t), &a), 0);
        if (a)
            CF_ASSERT_INT_EQ(a->active_since_ns, times[i].ns);
        cf_advert_free(a);
    }
    /* len is honoured: trailing garbage past len is not read. */
    char *d = strdup(doc(-1, -1, NULL));
    size_t n = strlen(d);
    char *longer = malloc(n + 8);
    memcpy(longer, d, n);
    memcpy(longer + n, "garbage", 8);
    CF_ASSERT_INT_EQ(cf_advert_decode(longer, n, &a), 0);
    cf_advert_free(a);
    free(longer);
    free(d);
    cf_advert_free(NULL);
}

static void expect_inval(const char *json, const char *what)
{
    struct cf_advert *a = (void *)&a;
    int rc = cf_advert_decode(json, strlen(json), &a);
    if (rc != CF_EINVAL)
        printf("\n    accepted: %s ", what);
    CF_ASSERT_INT_EQ(rc, CF_EINVAL);
    CU_ASSERT(a == (void *)&a);
}

static void test_decode_missing_fields(void)
{
    static const char *names[] = {"redirect_addr", "cluster_addr", "cluster_cert",
                                  "cluster_key", "active_since"};
    for (int i = 0; i < 5; i++)
        expect_inval(doc(i, -1, NULL), names[i]);
    /* Present but empty where a value is needed. */
    expect_inval(doc(-1, 0, "\"\""), "empty redirect_addr");
    expect_inval(doc(-1, 2, "\"\""), "empty cluster_cert");
    expect_inval(doc(-1, 3, "\"\""), "empty cluster_key");
    expect_inval(doc(-1, 4, "\"\""), "empty active_since");
}

static void test_decode_wrong_types(void)
{
    static const char *vals[] = {"1", "null", "true", "[\"x\"]", "{\"a\":\"b\"}", "1.5"};
    for (int f = 0; f < (int)NFIELDS; f++)
        for (size_t v = 0; v < sizeof vals / sizeof vals[0]; v++) {
            char what[64];
            snprintf(what, sizeof what, "%s=%s", good_fields[f][0], vals[v]);
            expect_inval(doc(-1, f, vals[v]), what);
        }
    expect_inval("[]", "array");
    expect_inval("\"str\"", "string");
    expect_inval("42", "number");
    expect_inval("null", "null");
    expect_inval("{}", "empty object");
}

static void test_decode_bad_times(void)
{
    static const char *bad[] = {
        "\"2026-09-21 14:13:20Z\"",
        "\"2026-09-21T14:13:20\"",
        "\"2026-09-21T14:13Z\"",
        "\"2026-13-01T00:00:00Z\"",
        "\"2026-00-01T00:00:00Z\"",
        "\"2026-02-30T00:00:00Z\"",
        "\"2026-09-21T24:00:00Z\"",
        "\"2026-09-21T14:60:00Z\"",
        "\"2026-09-21T14:13:60Z\"",
        "\"2026-09-21T14:13:20.Z\"",
        "\"2026-09-21T14:13:20.1234567891Z\"",
        "\"2026-09-21T14:13:20+0200\"",
        "\"2026-09-21T14:13:20Zjunk\"",
        "\"9999-12-31T23:59:59Z\"",
        "\"1000-01-01T00:00:00Z\"",
        "\"yesterday\"",
        "\"1790000000\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_inval(doc(-1, 4, bad[i]), bad[i]);
}

static void test_decode_truncated_and_garbage(void)
{
    char *full = strdup(doc(-1, -1, NULL));
    size_t n = strlen(full);
    /* Every proper prefix is malformed. */
    int accepted = 0;
    for (size_t cut = 0; cut < n; cut++) {
        struct cf_advert *a = NULL;
        if (cf_advert_decode(full, cut, &a) != CF_EINVAL || a)
            accepted++;
    }
    CF_ASSERT_INT_EQ(accepted, 0);
    /* An embedded NUL inside len. */
    full[10] = '\0';
    struct cf_advert *a = NULL;
    CF_ASSERT_INT_EQ(cf_advert_decode(full, n, &a), CF_EINVAL);
    free(full);
    expect_inval("{\"redirect_addr\":", "cut in a value");
    expect_inval("not json at all", "text");
    expect_inval("{\"a\":1}}", "trailing brace");
    CF_ASSERT_INT_EQ(cf_advert_decode(NULL, 0, &a), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_advert_decode("{}", 2, NULL), CF_EINVAL);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"round trip with a real identity", test_round_trip_real_identity},
        {"encode defaults and errors", test_encode_defaults_and_errors},
        {"decode good variants", test_decode_good_variants},
        {"decode missing fields", test_decode_missing_fields},
        {"decode wrong types", test_decode_wrong_types},
        {"decode bad times", test_decode_bad_times},
        {"decode truncated and garbage", test_decode_truncated_and_garbage},
        {NULL, NULL},
    };
    return cf_test_run("advertise", cases);
}
