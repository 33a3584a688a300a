/* Flag parsing, data arguments, KV v2 path rewriting, and the exit codes
 * of the CLI for local errors (no server needed). */
#include "cf_test.h"
#include "cli/args.h"
#include "cli/cli.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct opts {
    int b;
    const char *s;
    long long n;
    const char *d;
    struct cf_strlist l;
    struct cf_strlist a;
    int s_set;
};

static int parse(struct opts *o, int argc, char **argv, int *pos, int *help,
                 struct coffer_err *err)
{
    const struct cf_flag fl[] = {
        {"bool", CF_FLAG_BOOL, &o->b, NULL},
        {"str", CF_FLAG_STR, &o->s, &o->s_set},
        {"num", CF_FLAG_INT, &o->n, NULL},
        {"dur", CF_FLAG_DURATION, &o->d, NULL},
        {"list", CF_FLAG_STRLIST, &o->l, NULL},
        {"arr", CF_FLAG_STRARR, &o->a, NULL},
        {NULL, 0, NULL, NULL},
    };
    const struct cf_flag *t[] = {fl, NULL};
    return cf_args_parse(t, argc, argv, pos, help, err);
}

static void free_opts(struct opts *o)
{
    cf_strlist_free(&o->l);
    cf_strlist_free(&o->a);
}

static void test_flag_forms(void)
{
    struct opts o = {0};
    char *argv[] = {"-bool", "-str=x=y", "--num", "42", "-dur=1h30m", "pos", "-str=late"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 7, argv, &pos, &help, &err), 0);
    CF_ASSERT_INT_EQ(o.b, 1);
    CF_ASSERT_STR_EQ(o.s, "x=y");
    CF_ASSERT_INT_EQ(o.s_set, 1);
    CF_ASSERT_INT_EQ(o.n, 42);
    CF_ASSERT_STR_EQ(o.d, "1h30m");
    CF_ASSERT_INT_EQ(pos, 5); /* stops at the first positional */
    CF_ASSERT_INT_EQ(help, 0);
    free_opts(&o);
}

static void test_flag_space_value(void)
{
    struct opts o = {0};
    char *argv[] = {"-str", "value", "-num=-3", "a"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 4, argv, &pos, &help, &err), 0);
    CF_ASSERT_STR_EQ(o.s, "value");
    CF_ASSERT_INT_EQ(o.n, -3);
    CF_ASSERT_INT_EQ(pos, 3);
    free_opts(&o);
}

static void test_bool_values(void)
{
    const char *vals[][2] = {{"-bool=false", "0"},
                             {"-bool=0", "0"},
                             {"-bool=T", "1"},
                             {"-bool=true", "1"},
                             {"--bool", "1"}};
    for (size_t i = 0; i < 5; i++) {
        struct opts o = {.b = 7};
        char *argv[] = {(char *)vals[i][0]};
        int pos, help;
        struct coffer_err err = {""};
        CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), 0);
        CF_ASSERT_INT_EQ(o.b, atoi(vals[i][1]));
        free_opts(&o);
    }
    /* Go's bool flags never take the next word as their value. */
    struct opts o = {0};
    char *argv[] = {"-bool", "false"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 2, argv, &pos, &help, &err), 0);
    CF_ASSERT_INT_EQ(o.b, 1);
    CF_ASSERT_INT_EQ(pos, 1);
}

static void test_bad_bool(void)
{
    struct opts o = {0};
    char *argv[] = {"-bool=maybe"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "invalid boolean value \"maybe\" for -bool");
}

static void test_unknown_flag(void)
{
    struct opts o = {0};
    char *argv[] = {"-list=a", "-nope=1", "x"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 3, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "flag provided but not defined: -nope");
    /* A failed parse leaves no list allocated. */
    CF_ASSERT_INT_EQ(o.l.n, 0);
    CU_ASSERT(o.l.v == NULL);
}

static void test_missing_value(void)
{
    struct opts o = {0};
    char *argv[] = {"-str"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "flag needs an argument: -str");
}

static void test_bad_int(void)
{
    struct opts o = {0};
    char *argv[] = {"-num=12x"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "invalid value \"12x\" for flag -num: parse error");
    char *argv2[] = {"-num="};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv2, &pos, &help, &err), CF_EINVAL);
}

static void test_bad_duration(void)
{
    struct opts o = {0};
    char *argv[] = {"-dur=soon"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "invalid duration \"soon\"");
}

static void test_bad_syntax(void)
{
    struct opts o = {0};
    char *argv[] = {"---bool"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv, &pos, &help, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "bad flag syntax");
    char *argv2[] = {"-=x"};
    CF_ASSERT_INT_EQ(parse(&o, 1, argv2, &pos, &help, &err), CF_EINVAL);
}

static void test_terminators(void)
{
    struct opts o = {0};
    char *argv[] = {"-bool", "--", "-str=x"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 3, argv, &pos, &help, &err), 0);
    CF_ASSERT_INT_EQ(pos, 2);
    CU_ASSERT(o.s == NULL);
    char *argv2[] = {"-", "-bool"};
    CF_ASSERT_INT_EQ(parse(&o, 2, argv2, &pos, &help, &err), 0);
    CF_ASSERT_INT_EQ(pos, 0); /* a lone "-" is positional (stdin) */
}

static void test_lists(void)
{
    struct opts o = {0};
    char *argv[] = {"-list=a,b", "-list", " c ", "-arr=k=v,w", "-arr", "x"};
    int pos, help;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(parse(&o, 6, argv, &pos, &help, &err), 0);
    CF_ASSERT_INT_EQ(o.l.n, 3);
    CF_ASSERT_STR_EQ(o.l.v[0], "a");
    CF_ASSERT_STR_EQ(o.l.v[1], "b");
    CF_ASSERT_STR_EQ(o.l.v[2], "c");
    CF_ASSERT_INT_EQ(o.a.n, 2);
    CF_ASSERT_STR_EQ(o.a.v[0], "k=v,w");
    CF_ASSERT_STR_EQ(o.a.v[1], "x");
    free_opts(&o);
}

static void test_help(void)
{
    struct opts o = {0};
    const char *forms[] = {"-h", "-help", "--help"};
    for (int i = 0; i < 3; i++) {
        char *argv[] = {"-list=a", (char *)forms[i], "-nope"};
        int pos, help;
        struct coffer_err err = {""};
        CF_ASSERT_INT_EQ(parse(&o, 3, argv, &pos, &help, &err), 0);
        CF_ASSERT_INT_EQ(help, 1);
        CF_ASSERT_INT_EQ(o.l.n, 0);
    }
}

/* --- data arguments --- */

static FILE *mem_in(const char *text)
{
    return fmemopen((void *)text, strlen(text), "r");
}

static char *emit(const struct cf_kvdata *d)
{
    struct cf_json j;
    char *out = NULL;
    cf_json_init(&j);
    cf_json_obj_open(&j);
    cf_kvdata_emit(d, &j);
    cf_json_obj_close(&j);
    if (cf_json_finish(&j, &out))
        return NULL;
    return out;
}

static void test_kv_pairs(void)
{
    char *args[] = {"a=1", "b=x=y", "c="};
    struct cf_kvdata d;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(args, 3, stdin, &d, &err), 0);
    char *s = emit(&d);
    CF_ASSERT_STR_EQ(s, "{\"a\":\"1\",\"b\":\"x=y\",\"c\":\"\"}");
    free(s);
    cf_kvdata_free(&d);
}

static void test_kv_file(void)
{
    char dir[] = "/tmp/cfcliXXXXXX";
    CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
    char path[256], arg[300];
    snprintf(path, sizeof path, "%s/v.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("line1\nline2\n", f);
    fclose(f);
    snprintf(arg, sizeof arg, "cert=@%s", path);
    char *args[] = {arg};
    struct cf_kvdata d;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(args, 1, stdin, &d, &err), 0);
    CF_ASSERT_INT_EQ(d.n, 1);
    CF_ASSERT_STR_EQ(d.vals[0], "line1\nline2\n"); /* file contents kept whole */
    cf_kvdata_free(&d);
    unlink(path);
    snprintf(arg, sizeof arg, "cert=@%s", path);
    CF_ASSERT_INT_EQ(cf_kvdata_parse(args, 1, stdin, &d, &err), CF_EIO);
    CF_ASSERT_CONTAINS(err.msg, "error reading file");
    rmdir(dir);
}

static void test_kv_stdin_value(void)
{
    FILE *in = mem_in("s3cret\n");
    char *args[] = {"pw=-", "u=me"};
    struct cf_kvdata d;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(args, 2, in, &d, &err), 0);
    CF_ASSERT_STR_EQ(d.vals[0], "s3cret");
    CF_ASSERT_STR_EQ(d.vals[1], "me");
    cf_kvdata_free(&d);
    fclose(in);
}

static void test_kv_stdin_json(void)
{
    FILE *in = mem_in("{\"n\": 5, \"s\": \"x\", \"o\": {\"k\": true}}");
    char *args[] = {"-", "extra=1"};
    struct cf_kvdata d;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(args, 2, in, &d, &err), 0);
    char *s = emit(&d);
    CF_ASSERT_STR_EQ(s, "{\"n\":5,\"s\":\"x\",\"o\":{\"k\":true},\"extra\":\"1\"}");
    free(s);
    cf_kvdata_free(&d);
    fclose(in);
}

static void test_kv_stdin_errors(void)
{
    struct cf_kvdata d;
    struct coffer_err err = {""};
    FILE *in = mem_in("[1,2]");
    char *a1[] = {"-"};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(a1, 1, in, &d, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "not a JSON object");
    fclose(in);
    in = mem_in("{bad");
    CF_ASSERT_INT_EQ(cf_kvdata_parse(a1, 1, in, &d, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "failed to parse JSON input");
    fclose(in);
    in = mem_in("x");
    char *a2[] = {"a=-", "b=-"};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(a2, 2, in, &d, &err), CF_EINVAL);
    CF_ASSERT_CONTAINS(err.msg, "only once");
    fclose(in);
}

static void test_kv_bad_pair(void)
{
    struct cf_kvdata d;
    struct coffer_err err = {""};
    char *a1[] = {"ok=1", "novalue"};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(a1, 2, stdin, &d, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg,
                     "invalid key/value pair \"novalue\": format must be key=value");
    char *a2[] = {"=v"};
    CF_ASSERT_INT_EQ(cf_kvdata_parse(a2, 1, stdin, &d, &err), CF_EINVAL);
}

/* --- KV v2 paths --- */

static void test_v2_paths(void)
{
    static const char *const cases[][4] = {
        {"secret/", "secret/app", "data", "secret/data/app"},
        {"secret", "secret/app/db", "metadata", "secret/metadata/app/db"},
        {"secret/", "/secret/app", "delete", "secret/delete/app"},
        {"secret/", "secret/app", "undelete", "secret/undelete/app"},
        {"secret/", "secret/app", "destroy", "secret/destroy/app"},
        {"secret/", "secret", "metadata", "secret/metadata/"},
        {"secret/", "secret/", "metadata", "secret/metadata/"},
        {"team/kv/", "team/kv/x", "data", "team/kv/data/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        CF_ASSERT_INT_EQ(cf_kv_v2_path(cases[i][0], cases[i][1], cases[i][2], &out), 0);
        CF_ASSERT_STR_EQ(out, cases[i][3]);
        free(out);
    }
}

static void test_v2_path_outside(void)
{
    char *out = NULL;
    CF_ASSERT_INT_EQ(cf_kv_v2_path("secret/", "secretx/app", "data", &out), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_kv_v2_path("secret/", "other/app", "data", &out), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_kv_v2_path("/", "app", "data", &out), CF_EINVAL);
    CU_ASSERT(out == NULL);
}

static void test_versions(void)
{
    struct cf_strlist l = {0};
    char *v1 = "1", *v2 = "22";
    char *vals[] = {v1, v2};
    l.v = vals;
    l.n = 2;
    long long *out;
    size_t n;
    CF_ASSERT_INT_EQ(cf_parse_versions(&l, &out, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    CF_ASSERT_INT_EQ(out[1], 22);
    free(out);
    char *bad[] = {"1", "x"};
    l.v = bad;
    CF_ASSERT_INT_EQ(cf_parse_versions(&l, &out, &n), CF_EINVAL);
    char *neg[] = {"-1"};
    l.v = neg;
    l.n = 1;
    CF_ASSERT_INT_EQ(cf_parse_versions(&l, &out, &n), CF_EINVAL);
    l.n = 0;
    CF_ASSERT_INT_EQ(cf_parse_versions(&l, &out, &n), CF_EINVAL);
}

/* --- the CLI's exit codes for local errors --- */

/* Runs cf_cli_main with stderr and stdout captured into files. */
static int run_cli(int argc, char **argv, char *errtext, size_t errlen)
{
    char path[] = "/tmp/cfcli-errXXXXXX";
    int fd = mkstemp(path);
    int saved = dup(2), saved1 = dup(1);
    fflush(stderr);
    fflush(stdout);
    dup2(fd, 2);
    dup2(fd, 1);
    int code = cf_cli_main(argc, argv);
    fflush(stderr);
    fflush(stdout);
    dup2(saved, 2);
    dup2(saved1, 1);
    close(saved);
    close(saved1);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, errtext, errlen - 1);
    errtext[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return code;
}

static void test_cli_bad_flag(void)
{
    char out[8192];
    char *argv[] = {"coffer", "kv", "get", "-bogus", "secret/x"};
    CF_ASSERT_INT_EQ(run_cli(5, argv, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "flag provided but not defined: -bogus");
    CF_ASSERT_CONTAINS(out, "Usage: coffer kv");
}

static void test_cli_usage_errors(void)
{
    char out[8192];
    char *a1[] = {"coffer", "nosuch"};
    CF_ASSERT_INT_EQ(run_cli(2, a1, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "Unknown command: nosuch");
    char *a2[] = {"coffer", "read"};
    CF_ASSERT_INT_EQ(run_cli(2, a2, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "Not enough arguments (expected 1, got 0)");
    char *a3[] = {"coffer", "status", "-format=xml"};
    CF_ASSERT_INT_EQ(run_cli(3, a3, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "Invalid output format: xml");
    char *a4[] = {"coffer", "kv", "put", "secret/x", "novalue"};
    CF_ASSERT_INT_EQ(run_cli(5, a4, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "format must be key=value");
    char *a5[] = {"coffer", "token"};
    CF_ASSERT_INT_EQ(run_cli(2, a5, out, sizeof out), 1);
    char *a6[] = {"coffer", "operator", "init", "-key-shares=x"};
    CF_ASSERT_INT_EQ(run_cli(4, a6, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "invalid value \"x\" for flag -key-shares");
    char *a7[] = {"coffer", "kv", "undelete", "secret/x"};
    CF_ASSERT_INT_EQ(run_cli(4, a7, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "No versions provided");
    char *a8[] = {"coffer", "write", "secret/x"};
    CF_ASSERT_INT_EQ(run_cli(3, a8, out, sizeof out), 1);
    CF_ASSERT_CONTAINS(out, "Must supply data or use -force");
}

static void test_cli_help(void)
{
    char out[8192];
    char *a1[] = {"coffer", "-h"};
    CF_ASSERT_INT_EQ(run_cli(2, a1, out, sizeof out), 0);
    CF_ASSERT_CONTAINS(out, "Usage: coffer <command>");
    char *a2[] = {"coffer", "kv", "get", "-h"};
    CF_ASSERT_INT_EQ(run_cli(4, a2, out, sizeof out), 0);
    CF_ASSERT_CONTAINS(out, "kv get");
}

/* A refused connection after a request attempt is a server error (2). */
static void test_cli_connection_refused(void)
{
    char out[8192];
    char *argv[] = {"coffer", "read", "-address=http://127.0.0.1:1", "secret/x"};
    unsetenv("VAULT_TOKEN");
    CF_ASSERT_INT_EQ(run_cli(4, argv, out, sizeof out), 2);
    CF_ASSERT_CONTAINS(out,
                       "Error reading secret/x: Get \"http://127.0.0.1:1/v1/secret/x\"");
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"flag forms", test_flag_forms},
        {"flag value in next word", test_flag_space_value},
        {"bool values", test_bool_values},
        {"bad bool", test_bad_bool},
        {"unknown flag", test_unknown_flag},
        {"missing value", test_missing_value},
        {"bad int", test_bad_int},
        {"bad duration", test_bad_duration},
        {"bad syntax", test_bad_syntax},
        {"-- and -", test_terminators},
        {"list flags", test_lists},
        {"help flag", test_help},
        {"k=v pairs", test_kv_pairs},
        {"k=@file", test_kv_file},
        {"k=- stdin", test_kv_stdin_value},
        {"- JSON stdin", test_kv_stdin_json},
        {"stdin errors", test_kv_stdin_errors},
        {"bad pair", test_kv_bad_pair},
        {"v2 paths", test_v2_paths},
        {"v2 path outside mount", test_v2_path_outside},
        {"versions", test_versions},
        {"cli bad flag exit 1", test_cli_bad_flag},
        {"cli usage errors exit 1", test_cli_usage_errors},
        {"cli help exit 0", test_cli_help},
        {"cli connection refused exit 2", test_cli_connection_refused},
        {NULL, NULL},
    };
    return cf_test_run("cli_args", cases);
}
