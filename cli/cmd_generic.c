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

/* The data arguments of read and delete as a query string. 0;
 * CF_EXIT_USAGE after printing a parse error; CF_ENOMEM (nothing printed,
 * the callers word it differently). */
static int args_query(struct cf_cli *cli, char **args, int n, char **query)
{
    struct cf_kvdata d;
    int code = cf_cli_kvdata(cli, args, n, &d);
    if (code)
        return code;
    int rc = query_from(&d, query);
    cf_kvdata_free(&d);
    return rc;
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
    if (cf_cli_args(cli, fl, argc, argv, 1, -1, &pos, &code))
        return code;
    const char *path = trim_path(argv[pos]);
    char *query = NULL;
    int rc = args_query(cli, argv + pos + 1, argc - pos - 1, &query);
    if (rc == CF_ENOMEM)
        fprintf(cli->err, "Error: out of memory\n");
    if (rc)
        return CF_EXIT_USAGE;
    struct cf_resp r;
    code = cf_cli_call_at(cli, "Error reading", "GET", path, query, NULL, NULL, 1, &r);
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
    if (cf_cli_args(cli, fl, argc, argv, 1, -1, &pos, &code))
        return code;
    if (argc - pos == 1 && !force) {
        fprintf(cli->err, "Must supply data or use -force\n");
        return CF_EXIT_USAGE;
    }
    const char *path = trim_path(argv[pos]);
    struct cf_kvdata d;
    char *body = NULL;
    if ((code = cf_cli_kvdata(cli, argv + pos + 1, argc - pos - 1, &d)))
        return code;
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
    struct cf_resp r;
    code = cf_cli_call_at(cli, "Error writing data to", "PUT", path, NULL, body, NULL, 0,
                          &r);
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
    if (cf_cli_args(cli, NULL, argc, argv, 1, -1, &pos, &code))
        return code;
    const char *path = trim_path(argv[pos]);
    char *query = NULL;
    if (args_query(cli, argv + pos + 1, argc - pos - 1, &query))
        return CF_EXIT_USAGE;
    struct cf_resp r;
    code =
        cf_cli_call_at(cli, "Error deleting", "DELETE", path, query, NULL, NULL, 0, &r);
    cf_free_secret_str(query);
    if (!code)
        fprintf(cli->out, "Success! Data deleted (if it existed) at: %s\n", path);
    cf_resp_free(&r);
    return code;
}

static int do_list(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 1, 1, &pos, &code))
        return code;
    const char *path = trim_path(argv[pos]);
    struct cf_resp r;
    code = cf_cli_call_at(cli, "Error listing", "LIST", path, NULL, NULL, NULL, 1, &r);
    if (!code)
        code = cf_cli_print_list(cli, &r, path);
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
