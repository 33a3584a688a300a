/* `coffer read|write|delete|list PATH`: the raw logical API, as Vault's
 * generic commands (read takes k=v as query parameters, write as the
 * body, list uses the LIST method). */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

static const char read_help[] =
    "Usage: coffer read [-field=K] PATH [k=v ...]\n\n"
    "  Reads data from the server at PATH (k=v pairs become query parameters).\n";
static const char write_help[] =
    "Usage: coffer write [-force] [-field=K] PATH [k=v|k=@file|k=-|- ...]\n\n"
    "  Writes data to the server at PATH.\n";
static const char delete_help[] =
    "Usage: coffer delete PATH [k=v ...]\n\n  Deletes data at PATH.\n";
static const char list_help[] =
    "Usage: coffer list PATH\n\n  Lists the keys under PATH.\n";

/* k=v pairs as a URL query string (malloc'd; "" when there are none). */
static int query_from(const struct cf_kvdata *d, char **out)
{
    struct cf_buf b = {0};
    int rc = cf_buf_puts(&b, "");
    for (size_t i = 0; i < d->n && !rc; i++) {
        char *k = cf_url_escape(d->keys[i]), *v = cf_url_escape(d->vals[i]);
        rc = k && v ? cf_buf_printf(&b, "%s%s=%s", i ? "&" : "", k, v) : CF_ENOMEM;
        free(k);
        cf_free_secret_str(v);
    }
    if (rc) {
        if (b.data)
            cf_free_secret(b.data, b.cap);
        return rc;
    }
    *out = cf_buf_take(&b);
    return 0;
}

static const char *trim_path(const char *p)
{
    while (*p == '/')
        p++;
    return p;
}

static int do_read(struct cf_cli *cli, int argc, char **argv)
{
    const char *field = NULL;
    const struct cf_flag fl[] = {
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 1, -1))
        return CF_EXIT_USAGE;
    const char *path = trim_path(argv[pos]);
    struct cf_kvdata d;
    char err[512], *query = NULL;
    if (cf_kvdata_parse(argv + pos + 1, argc - pos - 1, cli->in, &d, err, sizeof err)) {
        fprintf(cli->err, "Failed to parse K=V data: %s\n", err);
        return CF_EXIT_USAGE;
    }
    int rc = query_from(&d, &query);
    cf_kvdata_free(&d);
    if (rc) {
        fprintf(cli->err, "Error: out of memory\n");
        return CF_EXIT_USAGE;
    }
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error reading %s", path);
    struct cf_resp r;
    code = cf_cli_call(cli, what.data ? what.data : "Error reading", "GET", path, query,
                       NULL, NULL, 1, &r);
    cf_buf_free(&what);
    cf_free_secret_str(query);
    if (!code && (r.status == 404 || r.status == 204 || !r.json)) {
        fprintf(cli->err, "No value found at %s\n", path);
        code = CF_EXIT_API;
    } else if (!code) {
        code = cf_cli_print_secret(cli, r.json, NULL, field);
    }
    cf_resp_free(&r);
    return code;
}

static int do_write(struct cf_cli *cli, int argc, char **argv)
{
    const char *field = NULL;
    int force = 0;
    const struct cf_flag fl[] = {
        {"field", CF_FLAG_STR, &field, NULL},
        {"force", CF_FLAG_BOOL, &force, NULL},
        {"f", CF_FLAG_BOOL, &force, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 1, -1))
        return CF_EXIT_USAGE;
    if (argc - pos == 1 && !force) {
        fprintf(cli->err, "Must supply data or use -force\n");
        return CF_EXIT_USAGE;
    }
    const char *path = trim_path(argv[pos]);
    struct cf_kvdata d;
    char err[512], *body = NULL;
    if (cf_kvdata_parse(argv + pos + 1, argc - pos - 1, cli->in, &d, err, sizeof err)) {
        fprintf(cli->err, "Failed to parse K=V data: %s\n", err);
        return CF_EXIT_USAGE;
    }
    struct cf_json j;
    int rc = cf_json_init(&j);
    if (!rc) {
        cf_json_obj_open(&j);
        cf_kvdata_emit(&d, &j);
        cf_json_obj_close(&j);
        rc = cf_json_finish(&j, &body);
    }
    cf_kvdata_free(&d);
    if (rc) {
        fprintf(cli->err, "Error encoding data: values must be valid UTF-8\n");
        return CF_EXIT_USAGE;
    }
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error writing data to %s", path);
    struct cf_resp r;
    code = cf_cli_call(cli, what.data ? what.data : "Error writing data", "PUT", path,
                       NULL, body, NULL, 0, &r);
    cf_buf_free(&what);
    cf_free_secret_str(body);
    if (!code) {
        yajl_val data = cf_json_get(r.json, "data");
        yajl_val auth = cf_json_get(r.json, "auth");
        int has = (data && data->type == yajl_t_object) ||
                  (auth && auth->type == yajl_t_object);
        if (!r.json || !has) {
            if (cli->json && r.json)
                code = cf_cli_print_json(cli, r.json);
            else
                fprintf(cli->out, "Success! Data written to: %s\n", path);
        } else {
            code = cf_cli_print_secret(cli, r.json, NULL, field);
        }
    }
    cf_resp_free(&r);
    return code;
}

static int do_delete(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_flags(cli, NULL, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 1, -1))
        return CF_EXIT_USAGE;
    const char *path = trim_path(argv[pos]);
    struct cf_kvdata d;
    char err[512], *query = NULL;
    if (cf_kvdata_parse(argv + pos + 1, argc - pos - 1, cli->in, &d, err, sizeof err)) {
        fprintf(cli->err, "Failed to parse K=V data: %s\n", err);
        return CF_EXIT_USAGE;
    }
    int rc = query_from(&d, &query);
    cf_kvdata_free(&d);
    if (rc)
        return CF_EXIT_USAGE;
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error deleting %s", path);
    struct cf_resp r;
    code = cf_cli_call(cli, what.data ? what.data : "Error deleting", "DELETE", path, query,
                       NULL, NULL, 0, &r);
    cf_buf_free(&what);
    cf_free_secret_str(query);
    if (!code)
        fprintf(cli->out, "Success! Data deleted (if it existed) at: %s\n", path);
    cf_resp_free(&r);
    return code;
}

static int do_list(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_flags(cli, NULL, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 1, 1))
        return CF_EXIT_USAGE;
    const char *path = trim_path(argv[pos]);
    struct cf_buf what = {0};
    cf_buf_printf(&what, "Error listing %s", path);
    struct cf_resp r;
    code = cf_cli_call(cli, what.data ? what.data : "Error listing", "LIST", path, NULL,
                       NULL, NULL, 1, &r);
    cf_buf_free(&what);
    if (!code) {
        yajl_val keys = cf_json_get(cf_json_get(r.json, "data"), "keys");
        if (r.status == 404 || !keys || keys->type != yajl_t_array) {
            fprintf(cli->err, "No value found at %s\n", path);
            code = CF_EXIT_API;
        } else if (cli->json) {
            code = cf_cli_print_json(cli, keys);
        } else {
            struct cf_buf b = {0};
            code = cf_cli_emit(cli, cf_render_keys(keys, &b), &b);
        }
    }
    cf_resp_free(&r);
    return code;
}

int cf_cmd_generic(struct cf_cli *cli, const char *cmd, int argc, char **argv)
{
    if (!strcmp(cmd, "read")) {
        cli->help = read_help;
        return do_read(cli, argc, argv);
    }
    if (!strcmp(cmd, "write")) {
        cli->help = write_help;
        return do_write(cli, argc, argv);
    }
    if (!strcmp(cmd, "delete")) {
        cli->help = delete_help;
        return do_delete(cli, argc, argv);
    }
    cli->help = list_help;
    return do_list(cli, argc, argv);
}
