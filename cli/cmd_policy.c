/* `coffer policy write|read|list|delete` over sys/policies/acl, the paths
 * Vault's own client uses. */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char policy_help[] = "Usage: coffer policy <subcommand> [options] [args]\n"
                                  "\n"
                                  "    write     policy write NAME FILE|-\n"
                                  "    read      policy read NAME\n"
                                  "    list      policy list\n"
                                  "    delete    policy delete NAME\n";

static char *read_all(FILE *f)
{
    struct cf_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (cf_buf_append(&b, chunk, n)) {
            cf_buf_free(&b);
            return NULL;
        }
    if (ferror(f)) {
        cf_buf_free(&b);
        return NULL;
    }
    if (!b.data && cf_buf_append(&b, "", 0))
        return NULL;
    return cf_buf_take(&b);
}

static int policy_path(const char *name, struct cf_buf *b)
{
    return cf_buf_printf(b, "sys/policies/acl/%s", name);
}

static int do_write(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 2, 2, &pos, &code))
        return code;
    const char *name = argv[pos], *file = argv[pos + 1];
    char *rules;
    if (!strcmp(file, "-")) {
        rules = read_all(cli->in);
    } else {
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(cli->err, "Error opening policy file: %s: %s\n", file,
                    strerror(errno));
            return CF_EXIT_USAGE;
        }
        rules = read_all(f);
        fclose(f);
    }
    if (!rules) {
        fprintf(cli->err, "Error reading policy: %s\n", file);
        return CF_EXIT_USAGE;
    }
    char *body = cf_cli_json_field("policy", rules);
    free(rules);
    if (!body) {
        fprintf(cli->err, "Error reading policy: not valid UTF-8\n");
        return CF_EXIT_USAGE;
    }
    struct cf_buf p = {0};
    code = policy_path(name, &p)
        ? CF_EXIT_USAGE
        : cf_cli_send(cli, "Error uploading policy", "PUT", p.data, body);
    cf_buf_free(&p);
    free(body);
    if (!code)
        fprintf(cli->out, "Success! Uploaded policy: %s\n", name);
    return code;
}

static int do_read(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 1, 1, &pos, &code))
        return code;
    const char *name = argv[pos];
    struct cf_buf p = {0};
    struct cf_resp r;
    memset(&r, 0, sizeof r);
    code = policy_path(name, &p) ? CF_EXIT_USAGE
                                 : cf_cli_call(cli, "Error reading policy named", "GET",
                                               p.data, NULL, NULL, NULL, 1, &r);
    cf_buf_free(&p);
    if (!code) {
        yajl_val d = cf_json_get(r.json, "data");
        const char *rules = cf_json_get_str(d, "policy");
        if (!rules)
            rules = cf_json_get_str(d, "rules");
        if (r.status == 404 || !rules) {
            fprintf(cli->err, "No policy named: %s\n", name);
            code = CF_EXIT_API;
        } else if (cli->json) {
            code = cf_cli_print_json(cli, d);
        } else {
            size_t l = strlen(rules);
            fprintf(cli->out, "%s%s", rules, l && rules[l - 1] == '\n' ? "" : "\n");
        }
    }
    cf_resp_free(&r);
    return code;
}

static int do_list(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 0, 0, &pos, &code))
        return code;
    struct cf_resp r;
    code = cf_cli_call(cli, "Error listing policies", "LIST", "sys/policies/acl", NULL,
                       NULL, NULL, 0, &r);
    if (!code) {
        yajl_val keys = cf_json_get(cf_json_get(r.json, "data"), "keys");
        if (!keys)
            keys = cf_json_get(r.json, "keys");
        if (cli->json) {
            code = cf_cli_print_json(cli, keys);
        } else {
            for (size_t i = 0;
                 keys && keys->type == yajl_t_array && i < keys->u.array.len; i++) {
                yajl_val k = keys->u.array.values[i];
                if (k->type == yajl_t_string)
                    fprintf(cli->out, "%s\n", k->u.string);
            }
        }
    }
    cf_resp_free(&r);
    return code;
}

static int do_delete(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    if (cf_cli_args(cli, NULL, argc, argv, 1, 1, &pos, &code))
        return code;
    struct cf_buf p = {0};
    code = policy_path(argv[pos], &p)
        ? CF_EXIT_USAGE
        : cf_cli_send(cli, "Error deleting", "DELETE", p.data, NULL);
    cf_buf_free(&p);
    if (!code)
        fprintf(cli->out, "Success! Deleted policy: %s\n", argv[pos]);
    return code;
}

int cf_cmd_policy(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    cli->help = policy_help;
    if (!sub || !strcmp(sub, "-h")) {
        fputs(policy_help, sub ? cli->out : cli->err);
        return sub ? CF_EXIT_OK : CF_EXIT_USAGE;
    }
    if (!strcmp(sub, "write"))
        return do_write(cli, argc, argv);
    if (!strcmp(sub, "read"))
        return do_read(cli, argc, argv);
    if (!strcmp(sub, "list"))
        return do_list(cli, argc, argv);
    if (!strcmp(sub, "delete"))
        return do_delete(cli, argc, argv);
    fprintf(cli->err, "Unknown subcommand: policy %s\n\n%s", sub, policy_help);
    return CF_EXIT_USAGE;
}
