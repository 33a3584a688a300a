/* Tests of the HCL v1 / JSON parser: every syntax form, every error
 * message with its file:line, the typed readers and the suggestions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "config/hcl.h"
#include "cf_test.h"

static struct cf_hcl_node *ok(const char *text)
{
    struct cf_hcl_node *n = NULL;
    struct coffer_err err = {""};
    int rc = cf_hcl_parse(text, strlen(text), "t.hcl", &n, &err);
    CF_ASSERT_INT_EQ(rc, 0);
    CF_ASSERT_STR_EQ(err.msg, "");
    return n;
}

/* Returns the message in a static-free way: the caller's struct. */
static int bad(const char *text, size_t len, struct coffer_err *err)
{
    struct cf_hcl_node *n = (struct cf_hcl_node *)0x1;
    int rc = cf_hcl_parse(text, len, "t.hcl", &n, err);
    CU_ASSERT_PTR_EQUAL(n, (struct cf_hcl_node *)0x1); /* untouched */
    return rc;
}

#define EXPECT_ERR(text, want)                                                           \
    do {                                                                                 \
        struct coffer_err e_ = {""};                                                     \
        CF_ASSERT_INT_EQ(bad(text, strlen(text), &e_), CF_EINVAL);                       \
        CF_ASSERT_STR_EQ(e_.msg, want);                                                  \
    } while (0)

static const struct cf_hcl_node *val(const struct cf_hcl_node *o, const char *k)
{
    const struct cf_hcl_entry *e = cf_hcl_get(o, k);
    CU_ASSERT_PTR_NOT_NULL(e);
    return e ? e->value : NULL;
}

static void test_scalars(void)
{
    struct cf_hcl_node *n = ok("a = \"x\"\nb = 42\nc = -7\nd = 1.5\ne = true\n"
                               "f = false\ng = 2e3\nh = \"\"\n");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(n->type, CF_HCL_OBJECT);
    CF_ASSERT_INT_EQ(n->nentries, 8);
    CF_ASSERT_STR_EQ(val(n, "a")->str, "x");
    CF_ASSERT_INT_EQ(val(n, "a")->line, 1);
    CF_ASSERT_INT_EQ(val(n, "b")->type, CF_HCL_NUMBER);
    CF_ASSERT_INT_EQ(val(n, "b")->is_int, 1);
    CF_ASSERT_INT_EQ(val(n, "b")->inum, 42);
    CF_ASSERT_INT_EQ(val(n, "c")->inum, -7);
    CF_ASSERT_INT_EQ(val(n, "d")->is_int, 0);
    CU_ASSERT_DOUBLE_EQUAL(val(n, "d")->num, 1.5, 1e-9);
    CF_ASSERT_STR_EQ(val(n, "d")->str, "1.5");
    CF_ASSERT_INT_EQ(val(n, "e")->type, CF_HCL_BOOL);
    CF_ASSERT_INT_EQ(val(n, "e")->boolean, 1);
    CF_ASSERT_INT_EQ(val(n, "f")->boolean, 0);
    CU_ASSERT_DOUBLE_EQUAL(val(n, "g")->num, 2000, 1e-9);
    CF_ASSERT_STR_EQ(val(n, "h")->str, "");
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "h")->line, 8);
    CU_ASSERT_PTR_NULL(cf_hcl_get(n, "zz"));
    cf_hcl_free(n);
}

static void test_escapes(void)
{
    struct cf_hcl_node *n =
        ok("s = \"a\\nb\\tc\\\"d\\\\e\\/f\\u00e9\\u20ac\\ud83d\\ude00\"");
    if (!n)
        return;
    CF_ASSERT_STR_EQ(val(n, "s")->str,
                     "a\nb\tc\"d\\e/f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    cf_hcl_free(n);
}

static void test_heredoc(void)
{
    struct cf_hcl_node *n = ok("a = <<EOF\nline 1\n  line 2\nEOF\n"
                               "b = <<-EOT\n    x\n      y\n\n    EOT\n"
                               "c = <<E\nE\n"
                               "d = 1\n");
    if (!n)
        return;
    CF_ASSERT_STR_EQ(val(n, "a")->str, "line 1\n  line 2\n");
    CF_ASSERT_STR_EQ(val(n, "b")->str, "x\n  y\n\n");
    CF_ASSERT_STR_EQ(val(n, "c")->str, "");
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "b")->line, 5);
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "c")->line, 10);
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "d")->line, 12);
    cf_hcl_free(n);
}

static void test_lists(void)
{
    struct cf_hcl_node *n = ok("l = [\"a\", 2,\n  true, [1], {x = 1},]\ne = []\n");
    if (!n)
        return;
    const struct cf_hcl_node *l = val(n, "l");
    CF_ASSERT_INT_EQ(l->type, CF_HCL_LIST);
    CF_ASSERT_INT_EQ(l->nitems, 5);
    CF_ASSERT_STR_EQ(l->items[0]->str, "a");
    CF_ASSERT_INT_EQ(l->items[1]->inum, 2);
    CF_ASSERT_INT_EQ(l->items[2]->line, 2);
    CF_ASSERT_INT_EQ(l->items[3]->type, CF_HCL_LIST);
    CF_ASSERT_INT_EQ(l->items[4]->type, CF_HCL_OBJECT);
    CF_ASSERT_INT_EQ(val(n, "e")->nitems, 0);
    cf_hcl_free(n);
}

static void test_blocks(void)
{
    struct cf_hcl_node *n =
        ok("listener \"tcp\" {\n  address = \"a:1\"\n}\n"
           "listener \"tcp\" { address = \"b:2\" tls_disable = true }\n"
           "telemetry { x = 1, y = 2 }\n"
           "obj = { k = \"v\" }\n"
           "a \"b\" c { d = 1 }\n");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(n->nentries, 5);
    CF_ASSERT_STR_EQ(n->entries[0].key, "listener");
    CF_ASSERT_STR_EQ(n->entries[1].key, "listener");
    CF_ASSERT_INT_EQ(n->entries[1].line, 4);
    const struct cf_hcl_node *l = n->entries[1].value;
    CF_ASSERT_INT_EQ(l->type, CF_HCL_OBJECT);
    CF_ASSERT_INT_EQ(l->nentries, 1);
    CF_ASSERT_STR_EQ(l->entries[0].key, "tcp");
    CF_ASSERT_STR_EQ(val(l->entries[0].value, "address")->str, "b:2");
    CF_ASSERT_INT_EQ(val(l->entries[0].value, "tls_disable")->boolean, 1);
    const struct cf_hcl_node *first = val(val(n, "listener"), "tcp");
    CF_ASSERT_STR_EQ(val(first, "address")->str, "a:1");
    CF_ASSERT_INT_EQ(cf_hcl_get(first, "address")->line, 2);
    CF_ASSERT_INT_EQ(val(val(n, "telemetry"), "y")->inum, 2);
    CF_ASSERT_STR_EQ(val(val(n, "obj"), "k")->str, "v");
    CF_ASSERT_INT_EQ(val(val(val(val(n, "a"), "b"), "c"), "d")->inum, 1);
    cf_hcl_free(n);
}

static void test_bare_keys(void)
{
    struct cf_hcl_node *n =
        ok("key-1.x_y = 1\nlistener tcp { a = 2 }\n\"quoted key\" = 3\n");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(val(n, "key-1.x_y")->inum, 1);
    CF_ASSERT_INT_EQ(val(val(val(n, "listener"), "tcp"), "a")->inum, 2);
    CF_ASSERT_INT_EQ(val(n, "quoted key")->inum, 3);
    cf_hcl_free(n);
}

static void test_err_no_secret_echo(void)
{
    struct coffer_err e = {""};
    const char *t = "user = \"u\"\npassword = hunter2\n";
    CF_ASSERT_INT_EQ(bad(t, strlen(t), &e), CF_EINVAL);
    CF_ASSERT_STR_EQ(e.msg, "t.hcl:2: unexpected bare word (strings need double quotes)");
    t = "password = 9hunter2\n";
    CF_ASSERT_INT_EQ(bad(t, strlen(t), &e), CF_EINVAL);
    CU_ASSERT_PTR_NULL(strstr(e.msg, "hunter"));
}

static void test_comments_separators(void)
{
    struct cf_hcl_node *n = ok("# hash\n// slashes\n/* block\n spanning */ a = 1, b = 2\n"
                               "c = 3 /* inline */ d = \"#not a comment\" # tail\n"
                               "e = \"//x\"\r\n");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(n->nentries, 5);
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "a")->line, 4);
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "d")->line, 5);
    CF_ASSERT_STR_EQ(val(n, "d")->str, "#not a comment");
    CF_ASSERT_STR_EQ(val(n, "e")->str, "//x");
    cf_hcl_free(n);
}

static void test_empty_input(void)
{
    struct cf_hcl_node *n = ok("");
    if (n)
        CF_ASSERT_INT_EQ(n->nentries, 0);
    cf_hcl_free(n);
    n = ok("  # only a comment\n\n");
    if (n)
        CF_ASSERT_INT_EQ(n->nentries, 0);
    cf_hcl_free(n);
    n = ok("{}");
    if (n)
        CF_ASSERT_INT_EQ(n->nentries, 0);
    cf_hcl_free(n);
}

static void test_policy_hcl(void)
{
    const char *pol =
        "# app policy\n"
        "path \"secret/data/app/*\" {\n"
        "  capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"]\n"
        "}\n"
        "path \"secret/+/teamb\" { capabilities = [\"read\"] }\n"
        "path \"sys/audit*\" {\n"
        "  capabilities = [\"read\", \"sudo\"]\n"
        "  allowed_parameters = { \"type\" = [\"file\"] }\n"
        "}\n";
    struct cf_hcl_node *n = ok(pol);
    if (!n)
        return;
    CF_ASSERT_INT_EQ(n->nentries, 3);
    const char *paths[] = {"secret/data/app/*", "secret/+/teamb", "sys/audit*"};
    int lines[] = {2, 5, 6};
    size_t ncaps[] = {5, 1, 2};
    for (int i = 0; i < 3; i++) {
        CF_ASSERT_STR_EQ(n->entries[i].key, "path");
        const struct cf_hcl_node *p = n->entries[i].value;
        CF_ASSERT_STR_EQ(p->entries[0].key, paths[i]);
        CF_ASSERT_INT_EQ(p->entries[0].line, lines[i]);
        CF_ASSERT_INT_EQ(val(p->entries[0].value, "capabilities")->nitems, ncaps[i]);
    }
    const struct cf_hcl_node *ap =
        val(n->entries[2].value->entries[0].value, "allowed_parameters");
    CF_ASSERT_STR_EQ(val(ap, "type")->items[0]->str, "file");
    cf_hcl_free(n);
}

static void test_policy_json(void)
{
    const char *pol =
        "{\n"
        "  \"path\": {\n"
        "    \"secret/data/app/*\": {\"capabilities\": [\"read\", \"list\"]},\n"
        "    \"sys/*\": {\n"
        "      \"capabilities\": [\"deny\"]\n"
        "    }\n"
        "  }\n"
        "}\n";
    struct cf_hcl_node *n = ok(pol);
    if (!n)
        return;
    const struct cf_hcl_node *p = val(n, "path");
    CF_ASSERT_INT_EQ(p->nentries, 2);
    CF_ASSERT_STR_EQ(p->entries[1].key, "sys/*");
    CF_ASSERT_INT_EQ(p->entries[1].line, 4);
    CF_ASSERT_INT_EQ(cf_hcl_get(p->entries[1].value, "capabilities")->line, 5);
    CF_ASSERT_STR_EQ(val(p->entries[1].value, "capabilities")->items[0]->str, "deny");
    CF_ASSERT_INT_EQ(val(p->entries[0].value, "capabilities")->nitems, 2);
    cf_hcl_free(n);
}

static void test_json_values(void)
{
    struct cf_hcl_node *n =
        ok("  \n{\"a\": 1, \"a\": -2.5e1, \"b\": [true, false, \"\\u00e9\"],\n"
           " \"c\": {}, \"d\": []}");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(n->nentries, 5);
    CF_ASSERT_INT_EQ(n->entries[0].value->inum, 1);
    CU_ASSERT_DOUBLE_EQUAL(n->entries[1].value->num, -25, 1e-9);
    CF_ASSERT_STR_EQ(val(n, "b")->items[2]->str, "\xc3\xa9");
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "c")->line, 3);
    cf_hcl_free(n);
}

static void test_err_missing_equals(void)
{
    EXPECT_ERR("a = 1\nb = 2\naddress \"x\" = 3\n",
               "t.hcl:3: expected '{' after the labels of block \"address\", got '='");
    EXPECT_ERR("a = 1\n\naddress 5\n",
               "t.hcl:3: expected '=' or '{' after key \"address\"");
    EXPECT_ERR("address\n", "t.hcl:1: expected '=' or '{' after key \"address\"");
}

static void test_err_strings(void)
{
    EXPECT_ERR("a = 1\nb = \"abc", "t.hcl:2: unterminated string (missing closing '\"')");
    EXPECT_ERR("b = \"abc\nd\"",
               "t.hcl:1: unterminated string (newline before the closing '\"')");
    EXPECT_ERR("\n\nb = \"a\\qb\"", "t.hcl:3: bad escape in string: \\q");
    EXPECT_ERR("b = \"\\u12\"", "t.hcl:1: bad escape in string: \\u needs 4 hex digits");
    EXPECT_ERR("b = \"\\ud800x\"",
               "t.hcl:1: bad escape in string: lone UTF-16 surrogate \\uD800");
    EXPECT_ERR("b = \"\\udc00\"",
               "t.hcl:1: bad escape in string: lone UTF-16 surrogate \\uDC00");
    EXPECT_ERR("b = \"\\u0000\"",
               "t.hcl:1: bad escape in string: \\u0000 is not allowed");
    EXPECT_ERR("b = \"x\\", "t.hcl:1: unterminated string");
    EXPECT_ERR("b = word", "t.hcl:1: unexpected bare word (strings need double quotes)");
}

static void test_err_eof(void)
{
    EXPECT_ERR("a {\n b = 1\n",
               "t.hcl:3: unexpected end of input: '{' on line 1 is not closed");
    EXPECT_ERR(
        "a = [1,\n2",
        "t.hcl:2: expected ',' or ']' in the list opened on line 1, got end of input");
    EXPECT_ERR("a = [1,\n",
               "t.hcl:2: unexpected end of input: '[' on line 1 is not closed");
    EXPECT_ERR("a =", "t.hcl:1: expected a value, got end of input");
    EXPECT_ERR("a = }", "t.hcl:1: expected a value, got '}'");
    EXPECT_ERR("}", "t.hcl:1: expected a key, got '}'");
    EXPECT_ERR("a = 1 /* open\n\n", "t.hcl:1: unterminated /* comment");
    EXPECT_ERR("x \"y\" \n",
               "t.hcl:2: expected '{' after the labels of block \"x\", got end of input");
}

static void test_err_heredoc(void)
{
    EXPECT_ERR("a = <<EOF\nabc\n",
               "t.hcl:1: unterminated heredoc: no line \"EOF\" closes <<EOF");
    EXPECT_ERR("a = <<-EOF\nabc\n  EOX\n",
               "t.hcl:1: unterminated heredoc: no line \"EOF\" closes <<-EOF");
    /* plain << wants the marker at the start of the line */
    EXPECT_ERR("a = <<EOF\nabc\n  EOF\n",
               "t.hcl:1: unterminated heredoc: no line \"EOF\" closes <<EOF");
    EXPECT_ERR("a = << EOF\n", "t.hcl:1: heredoc needs a marker after '<<' (e.g. <<EOF)");
    EXPECT_ERR("a = <<EOF x\nEOF\n", "t.hcl:1: heredoc marker <<EOF must end its line");
}

static void test_err_numbers(void)
{
    EXPECT_ERR("a = 12ab", "t.hcl:1: bad number (quote it if it is a string)");
    EXPECT_ERR("a = -", "t.hcl:1: bad number (quote it if it is a string)");
    EXPECT_ERR("a = 1.", "t.hcl:1: bad number (quote it if it is a string)");
    EXPECT_ERR("a = 99999999999999999999",
               "t.hcl:1: integer 99999999999999999999 is out of range");
}

static void test_err_chars(void)
{
    EXPECT_ERR("a = 1\n@", "t.hcl:2: unexpected character '@'");
    EXPECT_ERR("a = \x01", "t.hcl:1: unexpected byte 0x01");
    char nul[] = "a = 1\nb\0 = 2";
    struct coffer_err e = {""};
    CF_ASSERT_INT_EQ(bad(nul, sizeof nul - 1, &e), CF_EINVAL);
    CF_ASSERT_STR_EQ(e.msg, "t.hcl:2: unexpected NUL byte");
    char nul2[] = "a = \"x\0y\"";
    CF_ASSERT_INT_EQ(bad(nul2, sizeof nul2 - 1, &e), CF_EINVAL);
    CF_ASSERT_STR_EQ(e.msg, "t.hcl:1: NUL byte in string");
    char nul3[] = "\0";
    CF_ASSERT_INT_EQ(bad(nul3, 1, &e), CF_EINVAL);
    CF_ASSERT_STR_EQ(e.msg, "t.hcl:1: unexpected NUL byte");
    /* len is honoured: the text need not be NUL-terminated */
    struct cf_hcl_node *n = NULL;
    CF_ASSERT_INT_EQ(cf_hcl_parse("a = 1xyz", 5, "t", &n, &e), 0);
    if (n)
        CF_ASSERT_INT_EQ(val(n, "a")->inum, 1);
    cf_hcl_free(n);
}

static void test_err_json(void)
{
    EXPECT_ERR("{\"a\" = 1}", "t.hcl:1: expected ':' after key \"a\"");
    EXPECT_ERR("{\n\"a\": 1,\n}", "t.hcl:3: trailing ',' before '}' is not valid JSON");
    EXPECT_ERR("{\"a\": 1 \"b\": 2}",
               "t.hcl:1: expected ',' or '}' after the value of \"a\", got a string");
    EXPECT_ERR("{a: 1}", "t.hcl:1: JSON keys must be quoted strings, got \"a\"");
    EXPECT_ERR("{\"a\": null}", "t.hcl:1: null values are not supported");
    EXPECT_ERR("{\"a\": 1} x",
               "t.hcl:1: a bare word after the end of the JSON object is not allowed");
    EXPECT_ERR("{\n\"a\": {\n\"b\": 1\n",
               "t.hcl:4: unexpected end of input: '{' on line 2 is not closed");
    EXPECT_ERR("{\"a\": <<EOF\nx\nEOF\n}", "t.hcl:1: unexpected character '<'");
}

static void test_err_depth(void)
{
    char buf[1024];
    size_t n = 0;
    /* 64 levels are fine, 65 are not */
    for (int i = 0; i < CF_HCL_MAX_DEPTH; i++)
        buf[n++] = '[';
    buf[n++] = '1';
    for (int i = 0; i < CF_HCL_MAX_DEPTH; i++)
        buf[n++] = ']';
    char text[1100];
    snprintf(text, sizeof text, "a = %.*s", (int)n, buf);
    struct cf_hcl_node *ok_n = ok(text);
    cf_hcl_free(ok_n);
    snprintf(text, sizeof text, "a = [%.*s]", (int)n, buf);
    EXPECT_ERR(text, "t.hcl:1: nesting too deep (more than 64 levels)");

    /* object nesting via blocks and labels, and JSON */
    struct {
        char d[4096];
        size_t n;
    } b = {.n = 0};
    for (int i = 0; i < 70; i++)
        b.n += (size_t)snprintf(b.d + b.n, sizeof b.d - b.n, "a%d {\n", i);
    EXPECT_ERR(b.d, "t.hcl:65: nesting too deep (more than 64 levels)");
    b.n = 0;
    b.n += (size_t)snprintf(b.d, sizeof b.d, "x");
    for (int i = 0; i < 70; i++)
        b.n += (size_t)snprintf(b.d + b.n, sizeof b.d - b.n, " \"l\"");
    b.n += (size_t)snprintf(b.d + b.n, sizeof b.d - b.n, " {}");
    EXPECT_ERR(b.d, "t.hcl:1: nesting too deep (more than 64 levels)");
    b.n = 0;
    for (int i = 0; i < 100; i++)
        b.n += (size_t)snprintf(b.d + b.n, sizeof b.d - b.n, "{\"k\":");
    EXPECT_ERR(b.d, "t.hcl:1: nesting too deep (more than 64 levels)");
    /* very deep input fails quickly, without recursing to its depth */
    size_t big = 1 << 20;
    char *deep = malloc(big + 5);
    if (!deep)
        return;
    memcpy(deep, "a = ", 4);
    memset(deep + 4, '[', big);
    struct coffer_err e = {""};
    CF_ASSERT_INT_EQ(bad(deep, big + 4, &e), CF_EINVAL);
    CF_ASSERT_CONTAINS(e.msg, "nesting too deep");
    free(deep);
}

/* A name longer than the message cuts it, NUL-terminated, mid-prefix. */
static void test_err_name_and_truncation(void)
{
    struct cf_hcl_node *n;
    struct coffer_err e = {""};
    char name[sizeof e.msg + 32];
    memset(name, 'f', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CF_ASSERT_INT_EQ(cf_hcl_parse("a = ", 4, name, &n, &e), CF_EINVAL);
    CF_ASSERT_INT_EQ(strlen(e.msg), sizeof e.msg - 1);
    CF_ASSERT_INT_EQ(strncmp(e.msg, name, sizeof e.msg - 1), 0);
    struct coffer_err e2 = {""};
    CF_ASSERT_INT_EQ(cf_hcl_parse("a = ", 4, NULL, &n, &e2), CF_EINVAL);
    CF_ASSERT_STR_EQ(e2.msg, "<input>:1: expected a value, got end of input");
    CF_ASSERT_INT_EQ(cf_hcl_parse("a = ", 4, NULL, &n, NULL), CF_EINVAL);
}

static void test_as_readers(void)
{
    struct cf_hcl_node *n =
        ok("s = \"hi\"\nt = \"true\"\nf = \"false\"\none = \"1\"\nzero = \"0\"\n"
           "num = \"123\"\nneg = \"-5\"\nbad = \"12x\"\nb = true\ni = 7\n"
           "fl = 1.5\nl = [1]\nbig = \"99999999999999999999\"\nsp = \" 1\"\n");
    if (!n)
        return;
    const char *s;
    long long v;
    int b;
    CF_ASSERT_INT_EQ(cf_hcl_as_string(val(n, "s"), &s), 0);
    CF_ASSERT_STR_EQ(s, "hi");
    CF_ASSERT_INT_EQ(cf_hcl_as_string(val(n, "b"), &s), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_string(val(n, "l"), &s), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_string(NULL, &s), CF_EINVAL);

    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "t"), &b), 0);
    CF_ASSERT_INT_EQ(b, 1);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "f"), &b), 0);
    CF_ASSERT_INT_EQ(b, 0);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "one"), &b), 0);
    CF_ASSERT_INT_EQ(b, 1);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "zero"), &b), 0);
    CF_ASSERT_INT_EQ(b, 0);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "b"), &b), 0);
    CF_ASSERT_INT_EQ(b, 1);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "s"), &b), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "i"), &b), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_bool(val(n, "l"), &b), CF_EINVAL);

    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "i"), &v), 0);
    CF_ASSERT_INT_EQ(v, 7);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "num"), &v), 0);
    CF_ASSERT_INT_EQ(v, 123);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "neg"), &v), 0);
    CF_ASSERT_INT_EQ(v, -5);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "bad"), &v), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "fl"), &v), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "b"), &v), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "big"), &v), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "sp"), &v), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_hcl_as_int(val(n, "s"), &v), CF_EINVAL);
    cf_hcl_free(n);
}

static void test_suggest(void)
{
    const char *const keys[] = {"address", "cluster_address", "tls_disable", NULL};
    CF_ASSERT_STR_EQ(cf_hcl_suggest("adress", keys), "address");
    CF_ASSERT_STR_EQ(cf_hcl_suggest("addresss", keys), "address");
    CF_ASSERT_STR_EQ(cf_hcl_suggest("tls_disabel", keys), "tls_disable");
    CF_ASSERT_STR_EQ(cf_hcl_suggest("address", keys), "address");
    CU_ASSERT_PTR_NULL(cf_hcl_suggest("adr", keys));
    CU_ASSERT_PTR_NULL(cf_hcl_suggest("completely_different", keys));
    CU_ASSERT_PTR_NULL(cf_hcl_suggest("", keys));
    const char *const short_keys[] = {"ui", NULL};
    CU_ASSERT_PTR_NULL(cf_hcl_suggest("x", short_keys)); /* 2 edits, 1 letter */
    CF_ASSERT_STR_EQ(cf_hcl_suggest("uii", short_keys), "ui");
    char longw[300];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    CU_ASSERT_PTR_NULL(cf_hcl_suggest(longw, keys));
    CU_ASSERT_PTR_NULL(cf_hcl_suggest(NULL, keys));
}

static void test_cf_hcl_get(void)
{
    struct cf_hcl_node *n = ok("k = 1\nk = 2\nl = [1]\n");
    if (!n)
        return;
    CF_ASSERT_INT_EQ(cf_hcl_get(n, "k")->value->inum, 1); /* the first */
    CU_ASSERT_PTR_NULL(cf_hcl_get(val(n, "l"), "x"));     /* not an object */
    CU_ASSERT_PTR_NULL(cf_hcl_get(NULL, "x"));
    cf_hcl_free(n);
    cf_hcl_free(NULL);
}

/* Random bytes and random token soup: only clean errors or trees. */
static void test_garbage(void)
{
    static const char *const toks[] = {
        "{",     "}",  "[",   "]",    "=",       ":",     ",",      "\"",    "\\", "a",
        "\"s\"", "1",  "-",   ".5",   "<<EOF\n", "EOF\n", "\n",     " ",     "#",  "/*",
        "*/",    "//", "\\u", "true", "\0",      "\xff",  "<<-X\n", "  X\n", "e9",
    };
    uint64_t s = 88172645463325252ull;
    char buf[512];
    int parsed = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        size_t want = s % 200;
        int soup = round & 1;
        while (n < want) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if (soup) {
                const char *t = toks[s % (sizeof toks / sizeof *toks)];
                size_t tl = t[0] ? strlen(t) : 1;
                if (n + tl > sizeof buf)
                    break;
                memcpy(buf + n, t, tl);
                n += tl;
            } else {
                buf[n++] = (char)(s >> 24);
            }
        }
        struct cf_hcl_node *t = NULL;
        struct coffer_err e = {""};
        e.msg[0] = 'x';
        int rc = cf_hcl_parse(buf, n, "g", &t, &e);
        if (rc == 0) {
            parsed++;
            cf_hcl_free(t);
        } else {
            CF_ASSERT_INT_EQ(rc, CF_EINVAL);
            if (strncmp(e.msg, "g:", 2))
                CF_ASSERT_STR_EQ(e.msg, "g:<line>: ...");
        }
    }
    CU_ASSERT(parsed > 0);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"scalars", test_scalars},
        {"escapes", test_escapes},
        {"heredoc", test_heredoc},
        {"lists", test_lists},
        {"blocks", test_blocks},
        {"comments and separators", test_comments_separators},
        {"bare keys and labels", test_bare_keys},
        {"error: secrets not echoed", test_err_no_secret_echo},
        {"empty input", test_empty_input},
        {"policy hcl", test_policy_hcl},
        {"policy json", test_policy_json},
        {"json values", test_json_values},
        {"error: missing =", test_err_missing_equals},
        {"error: strings", test_err_strings},
        {"error: eof", test_err_eof},
        {"error: heredoc", test_err_heredoc},
        {"error: numbers", test_err_numbers},
        {"error: characters and NUL", test_err_chars},
        {"error: json", test_err_json},
        {"error: depth", test_err_depth},
        {"error: name and truncation", test_err_name_and_truncation},
        {"as_* readers", test_as_readers},
        {"suggest", test_suggest},
        {"get", test_cf_hcl_get},
        {"garbage", test_garbage},
        {NULL, NULL}};
    return cf_test_run("hcl", cases);
}
