/* cf_json_parse / cf_json_free / cf_json_value: the tree has yajl_tree's
 * shape, and hostile texts (deep, wide, NUL, bad UTF-8) are refused with a
 * message that does not quote them. */
#include "cf_test.h"
#include "util/buf.h"
#include "util/json.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* 1 when two trees hold the same values in the same order. */
static int same(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case yajl_t_string:
        return !strcmp(a->u.string, b->u.string);
    case yajl_t_number:
        return !strcmp(a->u.number.r, b->u.number.r) &&
            a->u.number.flags == b->u.number.flags &&
            (!YAJL_IS_INTEGER(a) || a->u.number.i == b->u.number.i);
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) ||
                !same(a->u.object.values[i], b->u.object.values[i]))
                return 0;
        return 1;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!same(a->u.array.values[i], b->u.array.values[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

static void test_same_shape_as_yajl_tree(void)
{
    static const char *const texts[] = {
        "{\"a\":1,\"b\":[true,false,null,\"s\"],\"c\":{\"d\":-2.5e3}}",
        "{\"k\":\"v\",\"k\":\"w\"}", /* duplicates kept */
        "[1, 12345678901234567890, 1.5, -0, 1e99999, 0.1]",
        "\"top\"",
        "42",
        "null",
        "[]",
        "{}",
        "{\"esc\":\"a\\n\\\"b\\u00e9\\ud83d\\ude00\"} /* comment */",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char e[128] = "";
        yajl_val want = yajl_tree_parse(texts[i], e, sizeof e);
        yajl_val got = NULL;
        CF_ASSERT_INT_EQ(cf_json_parse(texts[i], strlen(texts[i]), &got, NULL), 0);
        CU_ASSERT(want != NULL);
        CF_ASSERT_INT_EQ(same(want, got), 1);
        yajl_tree_free(want);
        cf_json_free(got);
    }
}

static void test_syntax_error_first_line(void)
{
    struct coffer_err err = {""};
    yajl_val v = (yajl_val)0x1;
    const char *t = "{\"secret\": tru}";
    CF_ASSERT_INT_EQ(cf_json_parse(t, strlen(t), &v, &err), CF_EINVAL);
    CU_ASSERT(v == (yajl_val)0x1);
    CF_ASSERT_CONTAINS(err.msg, "error");
    CU_ASSERT(strchr(err.msg, '\n') == NULL);
    CU_ASSERT(strstr(err.msg, "secret") == NULL);
    CF_ASSERT_INT_EQ(cf_json_parse("{}x", 3, &v, &err), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_json_parse("{\"a\"\0:1}", 8, &v, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "NUL byte in JSON");
}

static char *nested(size_t depth)
{
    char *s = malloc(2 * depth + 1);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    return s;
}

static void test_depth_limit(void)
{
    struct coffer_err err = {""};
    yajl_val v = NULL;
    const struct cf_json_limits *rl = &cf_json_request_limits;
    char *ok = nested(CF_JSON_DEFAULT_DEPTH);
    CF_ASSERT_INT_EQ(cf_json_parse_limited(ok, strlen(ok), rl, &v, &err), 0);
    cf_json_free(v);
    free(ok);
    static const size_t deep[] = {CF_JSON_DEFAULT_DEPTH + 1, 400000, 1000000};
    for (size_t i = 0; i < 3; i++) {
        char *s = nested(deep[i]);
        CF_ASSERT_INT_EQ(cf_json_parse_limited(s, strlen(s), rl, &v, &err), CF_EINVAL);
        CF_ASSERT_STR_EQ(err.msg, "JSON input exceeds allowed nesting depth (64)");
        free(s);
    }
    /* stored JSON: the ceiling only */
    ok = nested(CF_JSON_MAX_DEPTH);
    CF_ASSERT_INT_EQ(cf_json_parse(ok, strlen(ok), &v, &err), 0);
    cf_json_free(v);
    free(ok);
    ok = nested(CF_JSON_MAX_DEPTH + 1);
    CF_ASSERT_INT_EQ(cf_json_parse(ok, strlen(ok), &v, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "JSON input exceeds allowed nesting depth (120)");
    free(ok);
    /* a listener's own depth */
    struct cf_json_limits three = {.depth = 3};
    CF_ASSERT_INT_EQ(cf_json_parse_limited("[[[1]]]", 7, &three, &v, &err), 0);
    cf_json_free(v);
    CF_ASSERT_INT_EQ(cf_json_parse_limited("[[[[1]]]]", 9, &three, &v, &err), CF_EINVAL);
    const char *obj = "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":"
                      "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":";
    char *s = malloc(strlen(obj) * 5 + 1);
    s[0] = '\0';
    for (int i = 0; i < 5; i++)
        strcat(s, obj);
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, strlen(s), &three, &v, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "JSON input exceeds allowed nesting depth (3)");
    free(s);
}

/* "[0,0,...]" with n zeros */
static char *zeros(size_t n, size_t *len)
{
    char *s = malloc(2 * n + 2);
    s[0] = '[';
    for (size_t i = 0; i < n; i++) {
        s[1 + 2 * i] = '0';
        s[2 + 2 * i] = ',';
    }
    s[2 * n] = ']';
    s[2 * n + 1] = '\0';
    *len = 2 * n + 1;
    return s;
}

static void test_value_budget(void)
{
    struct coffer_err err = {""};
    yajl_val v = NULL;
    size_t len;
    /* the per-container counts out of the way: the budget alone */
    struct cf_json_limits lim = cf_json_request_limits;
    lim.array_elements = 0;
    char *s = zeros(CF_JSON_MAX_VALUES - 1, &len); /* + the array itself */
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, len, &lim, &v, &err), 0);
    CF_ASSERT_INT_EQ(v->u.array.len, CF_JSON_MAX_VALUES - 1);
    cf_json_free(v);
    free(s);
    s = zeros(CF_JSON_MAX_VALUES, &len);
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, len, &lim, &v, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "too many JSON values in one text (100000)");
    free(s);
}

/* Vault's max_json_* defaults: 10,000 array elements and object entries,
 * 1 MiB strings (keys too); at the limit is fine, one past is a 400. */
static void test_vault_limits(void)
{
    struct coffer_err err = {""};
    yajl_val v = NULL;
    const struct cf_json_limits *rl = &cf_json_request_limits;
    size_t len;
    char *s = zeros(10000, &len);
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, len, rl, &v, &err), 0);
    cf_json_free(v);
    free(s);
    s = zeros(10001, &len);
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, len, rl, &v, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "JSON array exceeds allowed element count (10000)");
    free(s);
    struct cf_buf b = {0};
    for (int n = 10000; n <= 10001; n++) {
        b.len = 0;
        cf_buf_puts(&b, "{");
        for (int i = 0; i < n; i++)
            cf_buf_printf(&b, "%s\"k%d\":1", i ? "," : "", i);
        cf_buf_puts(&b, "}");
        int rc = cf_json_parse_limited(b.data, b.len, rl, &v, &err);
        CF_ASSERT_INT_EQ(rc, n == 10000 ? 0 : CF_EINVAL);
        if (!rc)
            cf_json_free(v);
        else
            CF_ASSERT_STR_EQ(err.msg, "JSON object exceeds allowed entry count (10000)");
    }
    for (size_t n = CF_JSON_DEFAULT_STRING_LENGTH; n <= CF_JSON_DEFAULT_STRING_LENGTH + 1;
         n++) {
        for (int key = 0; key <= 1; key++) {
            b.len = 0;
            cf_buf_puts(&b, key ? "{\"" : "{\"k\":\"");
            for (size_t i = 0; i < n; i++)
                cf_buf_puts(&b, "a");
            cf_buf_puts(&b, key ? "\":1}" : "\"}");
            int rc = cf_json_parse_limited(b.data, b.len, rl, &v, &err);
            CF_ASSERT_INT_EQ(rc, n == CF_JSON_DEFAULT_STRING_LENGTH ? 0 : CF_EINVAL);
            if (!rc)
                cf_json_free(v);
            else
                CF_ASSERT_STR_EQ(err.msg,
                                 "JSON string value exceeds allowed length (1048576)");
        }
    }
    /* stored JSON is not held to them */
    s = zeros(20000, &len);
    CF_ASSERT_INT_EQ(cf_json_parse(s, len, &v, &err), 0);
    cf_json_free(v);
    free(s);
    free(b.data);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* F5: the peak parser memory is a small multiple of the body. The body is
 * touched before the first reading so that only the parser's share counts. */
static void test_peak_memory(void)
{
    size_t n = 8u << 20, len; /* 16 MiB of "0," */
    char *s = zeros(n, &len);
    long before = maxrss_kb();
    yajl_val v = NULL;
    struct coffer_err err = {""};
    struct cf_json_limits lim = cf_json_request_limits;
    lim.array_elements = 0; /* the value budget is what stops it */
    CF_ASSERT_INT_EQ(cf_json_parse_limited(s, len, &lim, &v, &err), CF_EINVAL);
    long grew = maxrss_kb() - before;
    printf("\n  16 MiB [0,...]: peak grew %ld KiB (%.2fx the body) ", grew,
           grew * 1024.0 / (double)len);
    CU_ASSERT(grew * 1024.0 < 4.0 * (double)len);
    free(s);

    /* one long string: the tree holds one copy */
    s = malloc(len + 16);
    memcpy(s, "{\"a\":\"", 6);
    memset(s + 6, 'x', len);
    memcpy(s + 6 + len, "\"}", 3);
    before = maxrss_kb();
    CF_ASSERT_INT_EQ(cf_json_parse(s, len + 8, &v, &err), 0);
    cf_json_free(v);
    grew = maxrss_kb() - before;
    printf("16 MiB string: %.2fx ", grew * 1024.0 / (double)len);
    CU_ASSERT(grew * 1024.0 < 4.0 * (double)len);
    free(s);
}

static void test_nul_and_utf8(void)
{
    static const char *const bad[] = {
        "{\"k\":\"ab\\u0000cd\"}",
        "{\"k\\u0000x\":\"v\"}",
        "{\"k\":\"\xC0\xAF\"}",
        "{\"\xC0\xAF\":1}",             /* overlong */
        "{\"k\":\"\xE0\x80\xAF\"}",     /* overlong */
        "{\"k\":\"\xED\xA0\x80\"}",     /* surrogate */
        "{\"k\":\"\xF4\x90\x80\x80\"}", /* > U+10FFFF */
        "{\"k\":\"\xF8\x88\x80\x80\x80\"}",
        "{\"k\":\"\x80\"}",
        "[\"\xE2\x82\"]", /* truncated */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct coffer_err err = {""};
        yajl_val v = NULL;
        CF_ASSERT_INT_EQ(cf_json_parse(bad[i], strlen(bad[i]), &v, &err), CF_EINVAL);
        CU_ASSERT(v == NULL);
        CU_ASSERT(err.msg[0] != '\0');
        /* never echoed: the message has no byte of the string */
        CU_ASSERT(strstr(err.msg, "ab") == NULL && strchr(err.msg, '\x80') == NULL);
    }
    struct coffer_err err = {""};
    yajl_val v = NULL;
    const char *t = "{\"k\":\"ab\\u0000cd\"}";
    cf_json_parse(t, strlen(t), &v, &err);
    CF_ASSERT_STR_EQ(err.msg, "NUL character in JSON string");
    t = "{\"k\":\"\xED\xA0\x80\"}";
    cf_json_parse(t, strlen(t), &v, &err);
    CF_ASSERT_STR_EQ(err.msg, "invalid UTF-8 in JSON string");

    static const char *const good[] = {
        "{\"k\":\"\xF0\x9F\x98\x80\"}",
        "{\"k\":\"\xF4\x8F\xBF\xBF\"}",
        "{\"k\":\"\xEF\xBF\xBF\xC2\x80\x7F\"}",
        "{\"k\":\"\\ud83d\\ude00\"}",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        v = NULL;
        CF_ASSERT_INT_EQ(cf_json_parse(good[i], strlen(good[i]), &v, NULL), 0);
        cf_json_free(v);
    }
}

/* A chain of n arrays built by hand, deeper than the parser allows. */
static yajl_val chain(size_t n)
{
    yajl_val top = NULL;
    for (size_t i = 0; i < n; i++) {
        yajl_val a = calloc(1, sizeof *a);
        a->type = yajl_t_array;
        if (top) {
            a->u.array.values = malloc(sizeof top);
            a->u.array.values[0] = top;
            a->u.array.len = 1;
        }
        top = a;
    }
    return top;
}

/* Parsed and written back, t comes out as it went in. */
static void assert_roundtrip(const char *t)
{
    struct cf_json j;
    char *out = NULL;
    yajl_val v = NULL;
    CF_ASSERT_INT_EQ(cf_json_parse(t, strlen(t), &v, NULL), 0);
    CF_ASSERT_INT_EQ(cf_json_init(&j), 0);
    cf_json_value(&j, v);
    CF_ASSERT_INT_EQ(cf_json_finish(&j, &out), 0);
    CF_ASSERT_STR_EQ(out, t);
    free(out);
    cf_json_free(v);
}

static void test_free_and_write_deep(void)
{
    /* F1: a recursive free ran off the thread's stack here */
    cf_json_free(chain(1000000));
    cf_json_free(NULL);

    struct cf_json j;
    char *out = NULL;
    yajl_val deep = chain(CF_JSON_MAX_DEPTH + 1);
    CF_ASSERT_INT_EQ(cf_json_init(&j), 0);
    cf_json_value(&j, deep);
    CF_ASSERT_INT_EQ(cf_json_finish(&j, &out), CF_EINVAL);
    cf_json_free(deep);

    /* the limit counts containers: a scalar inside the deepest one is
     * written back (found by fuzz_json) */
    char *ok = nested(CF_JSON_MAX_DEPTH);
    char *leaf = malloc(2 * CF_JSON_MAX_DEPTH + 2);
    sprintf(leaf, "%.*s9%s", CF_JSON_MAX_DEPTH, ok, ok + CF_JSON_MAX_DEPTH);
    assert_roundtrip(leaf);
    free(leaf);
    free(ok);
    assert_roundtrip("{\"a\":[1,\"x\",{\"b\":null}],\"c\":true}");
}

/* A numeric string past 64 bits is refused, not clamped to LLONG_MAX. */
static void test_get_int_range(void)
{
    yajl_val v = NULL;
    const char *s = "{\"a\":\"9223372036854775807\",\"b\":\"9223372036854775808\","
                    "\"c\":\"-9223372036854775809\"}";
    CF_ASSERT_INT_EQ(cf_json_parse(s, strlen(s), &v, NULL), 0);
    long long x = 0;
    CF_ASSERT_INT_EQ(cf_json_get_int(v, "a", &x), 0);
    CF_ASSERT_INT_EQ(x == 9223372036854775807LL, 1);
    CF_ASSERT_INT_EQ(cf_json_get_int(v, "b", &x), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_json_get_int(v, "c", &x), CF_EINVAL);
    cf_json_free(v);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"same tree as yajl_tree_parse", test_same_shape_as_yajl_tree},
        {"cf_json_get_int range", test_get_int_range},
        {"syntax errors: one line, no input", test_syntax_error_first_line},
        {"nesting limit (F1)", test_depth_limit},
        {"Vault's max_json_* limits", test_vault_limits},
        {"value budget (F5)", test_value_budget},
        {"peak memory of 16 MiB bodies (F5)", test_peak_memory},
        {"NUL and invalid UTF-8 refused (F13)", test_nul_and_utf8},
        {"iterative free, bounded writer", test_free_and_write_deep},
        {NULL, NULL},
    };
    return cf_test_run("json", cases);
}
