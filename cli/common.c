/* The helpers every CLI command uses: common flags, one request with
 * Vault's error text, printing a secret or a list in table or JSON form. */
#include "cli/common.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int cf_cli_flags(struct cf_cli *cli, const struct cf_flag *own, int argc, char **argv,
                 int *pos, int *code)
{
    const struct cf_flag common[] = {
        {"address", CF_FLAG_STR, &cli->address, NULL},
        {"ca-cert", CF_FLAG_STR, &cli->cacert, NULL},
        {"ca-path", CF_FLAG_STR, &cli->capath, NULL},
        {"tls-skip-verify", CF_FLAG_BOOL, &cli->skip_verify, &cli->skip_verify_set},
        {"format", CF_FLAG_STR, &cli->format, NULL},
        {NULL, 0, NULL, NULL},
    };
    const struct cf_flag none[] = {{NULL, 0, NULL, NULL}};
    const struct cf_flag *tables[] = {own ? own : none, common, NULL};
    struct coffer_err err = {""};
    int help = 0;
    if (cf_args_parse(tables, argc, argv, pos, &help, &err)) {
        fprintf(cli->err, "%s\n\n%s", err.msg, cli->help ? cli->help : "");
        *code = CF_EXIT_USAGE;
        return CF_EINVAL;
    }
    if (help) {
        fputs(cli->help ? cli->help : "", cli->out);
        *code = CF_EXIT_OK;
        return CF_EINVAL;
    }
    const char *fmt = cli->format;
    if (!fmt || !*fmt)
        fmt = getenv("VAULT_FORMAT");
    if (!fmt || !*fmt || !strcasecmp(fmt, "table"))
        cli->json = 0;
    else if (!strcasecmp(fmt, "json"))
        cli->json = 1;
    else {
        fprintf(cli->err, "Invalid output format: %s\n", fmt);
        *code = CF_EXIT_USAGE;
        return CF_EINVAL;
    }
    return 0;
}

int cf_cli_nargs(struct cf_cli *cli, int got, int min, int max)
{
    if (got < min) {
        fprintf(cli->err, "Not enough arguments (expected %d, got %d)\n", min, got);
        return CF_EINVAL;
    }
    if (max >= 0 && got > max) {
        fprintf(cli->err, "Too many arguments (expected %d, got %d)\n", max, got);
        return CF_EINVAL;
    }
    return 0;
}

int cf_cli_args(struct cf_cli *cli, const struct cf_flag *own, int argc, char **argv,
                int min, int max, int *pos, int *code)
{
    if (cf_cli_flags(cli, own, argc, argv, pos, code))
        return CF_EINVAL;
    if (cf_cli_nargs(cli, argc - *pos, min, max)) {
        *code = CF_EXIT_USAGE;
        return CF_EINVAL;
    }
    return 0;
}

int cf_cli_client(struct cf_cli *cli)
{
    if (cli->have_client)
        return CF_EXIT_OK;
    struct cf_client_opts o = {
        .address = cli->address,
        .cacert = cli->cacert,
        .capath = cli->capath,
        .skip_verify = cli->skip_verify_set ? cli->skip_verify : -1,
    };
    struct coffer_err err = {""};
    if (cf_client_init(&cli->client, &o, &err)) {
        fprintf(cli->err, "Error initializing client: %s\n", err.msg);
        return CF_EXIT_USAGE;
    }
    cli->have_client = 1;
    return CF_EXIT_OK;
}

int cf_cli_call(struct cf_cli *cli, const char *what, const char *method,
                const char *path, const char *query, const char *body, const char *ctype,
                int ok404, struct cf_resp *r)
{
    memset(r, 0, sizeof *r);
    if (cf_cli_client(cli))
        return CF_EXIT_USAGE;
    int rc = cf_client_do(&cli->client, method, path, query, body, ctype, r);
    if (rc == CF_ENOMEM) {
        fprintf(cli->err, "%s: out of memory\n", what);
        return CF_EXIT_USAGE;
    }
    if (rc || r->status >= 400 || r->status < 200) {
        if (!rc && ok404 && r->status == 404)
            return CF_EXIT_OK;
        cf_client_print_error(cli->err, what, r);
        return CF_EXIT_API;
    }
    return CF_EXIT_OK;
}

int cf_cli_call_at(struct cf_cli *cli, const char *verb, const char *method,
                   const char *path, const char *query, const char *body,
                   const char *ctype, int ok404, struct cf_resp *r)
{
    struct cf_buf what = {0};
    cf_buf_printf(&what, "%s %s", verb, path);
    int code = cf_cli_call(cli, what.data ? what.data : verb, method, path, query, body,
                           ctype, ok404, r);
    cf_buf_free(&what);
    return code;
}

int cf_cli_send(struct cf_cli *cli, const char *what, const char *method,
                const char *path, const char *body)
{
    struct cf_resp r;
    int code = cf_cli_call(cli, what, method, path, NULL, body, NULL, 0, &r);
    cf_resp_free(&r);
    return code;
}

int cf_cli_kvdata(struct cf_cli *cli, char **args, int n, struct cf_kvdata *d)
{
    struct coffer_err err = {""};
    if (cf_kvdata_parse(args, n, cli->in, d, &err)) {
        fprintf(cli->err, "Failed to parse K=V data: %s\n", err.msg);
        return CF_EXIT_USAGE;
    }
    return 0;
}

int cf_cli_pairs(struct cf_cli *cli, struct cf_json *j, const char *flag,
                 const struct cf_strlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *eq = strchr(l->v[i], '=');
        if (!eq || eq == l->v[i]) {
            fprintf(cli->err, "invalid -%s \"%s\": format must be key=value\n", flag,
                    l->v[i]);
            return CF_EINVAL;
        }
        cf_json_strn(j, l->v[i], (size_t)(eq - l->v[i]));
        cf_json_str(j, eq + 1);
    }
    return 0;
}

char *cf_cli_json_field(const char *key, const char *value)
{
    struct cf_json j;
    char *out = NULL;
    if (cf_json_init(&j))
        return NULL;
    cf_json_obj_open(&j);
    if (value)
        cf_json_kstr(&j, key, value);
    cf_json_obj_close(&j);
    if (cf_json_finish(&j, &out))
        return NULL;
    return out;
}

int cf_cli_print_list(struct cf_cli *cli, const struct cf_resp *r, const char *path)
{
    yajl_val keys = cf_json_get(cf_json_get(r->json, "data"), "keys");
    if (r->status == 404 || !keys || keys->type != yajl_t_array) {
        fprintf(cli->err, "No value found at %s\n", path);
        return CF_EXIT_API;
    }
    if (cli->json)
        return cf_cli_print_json(cli, keys);
    struct cf_buf b = {0};
    return cf_cli_emit(cli, cf_render_keys(keys, &b), &b);
}

int cf_cli_emit(struct cf_cli *cli, int rc, struct cf_buf *b)
{
    if (!rc && b->data)
        fputs(b->data, cli->out);
    cf_buf_free(b);
    if (rc) {
        fprintf(cli->err, "Error formatting output: %s\n",
                rc == CF_ENOMEM ? "out of memory" : "bad value");
        return CF_EXIT_USAGE;
    }
    return CF_EXIT_OK;
}

int cf_cli_print_json(struct cf_cli *cli, yajl_val v)
{
    struct cf_buf b = {0};
    return cf_cli_emit(cli, cf_format_json(v, &b), &b);
}

int cf_cli_print_secret(struct cf_cli *cli, yajl_val secret, yajl_val data,
                        const char *field)
{
    struct cf_buf b = {0};
    if (!data)
        data = cf_json_get(secret, "data");
    if (field && *field) {
        if (cli->json) {
            yajl_val v = cf_json_get(data, field);
            if (!v) {
                fprintf(cli->err, "Field \"%s\" not present in secret\n", field);
                return CF_EXIT_USAGE;
            }
            return cf_cli_print_json(cli, v);
        }
        int rc = cf_render_field(secret, data, field, &b);
        if (rc == CF_ENOENT) {
            cf_buf_free(&b);
            fprintf(cli->err, "Field \"%s\" not present in secret\n", field);
            return CF_EXIT_USAGE;
        }
        /* Like Vault: no newline when piped, so $(...) and files get the
         * bare value. */
        if (!rc && isatty(fileno(cli->out)))
            rc = cf_buf_puts(&b, "\n");
        return cf_cli_emit(cli, rc, &b);
    }
    if (cli->json)
        return cf_cli_print_json(cli, secret);
    return cf_cli_emit(cli, cf_render_secret(secret, &b), &b);
}
