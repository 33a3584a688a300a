/* `coffer token create|lookup|renew|revoke` over auth/token/. The token
 * is printed only by create and renew, where Vault prints it too. */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

static const char token_help[] =
    "Usage: coffer token <subcommand> [options] [args]\n"
    "\n"
    "    create    token create [-policy=P ...] [-ttl=1h] [-explicit-max-ttl=D]\n"
    "              [-period=D] [-orphan] [-use-limit=N] [-display-name=S]\n"
    "              [-renewable=true] [-no-default-policy] [-metadata=k=v ...]\n"
    "              [-type=service|batch] [-id=S] [-role=R] [-field=K]\n"
    "    lookup    token lookup [-accessor] [TOKEN|ACCESSOR]\n"
    "    renew     token renew [-increment=D] [TOKEN]\n"
    "    revoke    token revoke [-self] [-accessor] [-mode=orphan] [TOKEN|ACCESSOR]\n";

static int kv_object(struct cf_json *j, const char *key, const struct cf_strlist *l,
                     struct cf_cli *cli)
{
    if (!l->n)
        return 0;
    cf_json_key(j, key);
    cf_json_obj_open(j);
    for (size_t i = 0; i < l->n; i++) {
        const char *eq = strchr(l->v[i], '=');
        if (!eq || eq == l->v[i]) {
            fprintf(cli->err, "invalid -metadata \"%s\": format must be key=value\n", l->v[i]);
            return CF_EINVAL;
        }
        cf_json_strn(j, l->v[i], (size_t)(eq - l->v[i]));
        cf_json_str(j, eq + 1);
    }
    cf_json_obj_close(j);
    return 0;
}

static int do_create(struct cf_cli *cli, int argc, char **argv)
{
    struct cf_strlist policies = {0}, meta = {0};
    const char *ttl = NULL, *maxttl = NULL, *period = NULL, *dname = NULL, *type = NULL,
               *id = NULL, *role = NULL, *field = NULL;
    int orphan = 0, renewable = 1, nodefault = 0;
    long long uses = 0;
    const struct cf_flag fl[] = {
        {"policy", CF_FLAG_STRLIST, &policies, NULL},
        {"ttl", CF_FLAG_DURATION, &ttl, NULL},
        {"explicit-max-ttl", CF_FLAG_DURATION, &maxttl, NULL},
        {"period", CF_FLAG_DURATION, &period, NULL},
        {"orphan", CF_FLAG_BOOL, &orphan, NULL},
        {"use-limit", CF_FLAG_INT, &uses, NULL},
        {"display-name", CF_FLAG_STR, &dname, NULL},
        {"renewable", CF_FLAG_BOOL, &renewable, NULL},
        {"no-default-policy", CF_FLAG_BOOL, &nodefault, NULL},
        {"metadata", CF_FLAG_STRARR, &meta, NULL},
        {"type", CF_FLAG_STR, &type, NULL},
        {"id", CF_FLAG_STR, &id, NULL},
        {"role", CF_FLAG_STR, &role, NULL},
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 0, 0)) {
        code = CF_EXIT_USAGE;
        goto out;
    }
    if (uses < 0) {
        fprintf(cli->err, "-use-limit must be 0 or more\n");
        code = CF_EXIT_USAGE;
        goto out;
    }
    struct cf_json j;
    char *body = NULL;
    if (cf_json_init(&j)) {
        code = CF_EXIT_USAGE;
        goto out;
    }
    cf_json_obj_open(&j);
    if (policies.n) {
        cf_json_key(&j, "policies");
        cf_json_arr_open(&j);
        for (size_t i = 0; i < policies.n; i++)
            cf_json_str(&j, policies.v[i]);
        cf_json_arr_close(&j);
    }
    if (ttl)
        cf_json_kstr(&j, "ttl", ttl);
    if (maxttl)
        cf_json_kstr(&j, "explicit_max_ttl", maxttl);
    if (period)
        cf_json_kstr(&j, "period", period);
    if (uses)
        cf_json_kint(&j, "num_uses", uses);
    if (dname)
        cf_json_kstr(&j, "display_name", dname);
    cf_json_kbool(&j, "renewable", renewable);
    if (nodefault)
        cf_json_kbool(&j, "no_default_policy", 1);
    if (type)
        cf_json_kstr(&j, "type", type);
    if (id)
        cf_json_kstr(&j, "id", id);
    if (kv_object(&j, "meta", &meta, cli)) {
        cf_json_abort(&j);
        code = CF_EXIT_USAGE;
        goto out;
    }
    cf_json_obj_close(&j);
    if (cf_json_finish(&j, &body)) {
        fprintf(cli->err, "Error encoding the request\n");
        code = CF_EXIT_USAGE;
        goto out;
    }
    struct cf_buf path = {0};
    if (role)
        cf_buf_printf(&path, "auth/token/create/%s", role);
    else
        cf_buf_puts(&path, orphan ? "auth/token/create-orphan" : "auth/token/create");
    struct cf_resp r;
    memset(&r, 0, sizeof r);
    code = path.data ? cf_cli_call(cli, "Error creating token", "POST", path.data, NULL,
                                   body, NULL, 0, &r)
                     : CF_EXIT_USAGE;
    cf_buf_free(&path);
    cf_free_secret_str(body);
    if (code == 0)
        code = cf_cli_print_secret(cli, r.json, NULL, field);
    cf_resp_free(&r);
out:
    cf_strlist_free(&policies);
    cf_strlist_free(&meta);
    return code;
}

/* {"<key>": "<value>"} for the token or accessor bodies. */
static char *one_field(const char *key, const char *value)
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

static int do_lookup(struct cf_cli *cli, int argc, char **argv)
{
    int accessor = 0;
    const char *field = NULL;
    const struct cf_flag fl[] = {
        {"accessor", CF_FLAG_BOOL, &accessor, NULL},
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, accessor ? 1 : 0, 1))
        return CF_EXIT_USAGE;
    struct cf_resp r;
    if (argc - pos == 0) {
        code = cf_cli_call(cli, "Error looking up token", "GET", "auth/token/lookup-self",
                           NULL, NULL, NULL, 0, &r);
    } else {
        char *body = one_field(accessor ? "accessor" : "token", argv[pos]);
        if (!body)
            return CF_EXIT_USAGE;
        code = cf_cli_call(cli, "Error looking up token", "POST",
                           accessor ? "auth/token/lookup-accessor" : "auth/token/lookup",
                           NULL, body, NULL, 0, &r);
        cf_free_secret_str(body);
    }
    if (!code)
        code = cf_cli_print_secret(cli, r.json, NULL, field);
    cf_resp_free(&r);
    return code;
}

static int do_renew(struct cf_cli *cli, int argc, char **argv)
{
    const char *incr = NULL, *field = NULL;
    const struct cf_flag fl[] = {
        {"increment", CF_FLAG_DURATION, &incr, NULL},
        {"i", CF_FLAG_DURATION, &incr, NULL},
        {"field", CF_FLAG_STR, &field, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 0, 1))
        return CF_EXIT_USAGE;
    struct cf_json j;
    char *body = NULL;
    if (cf_json_init(&j))
        return CF_EXIT_USAGE;
    cf_json_obj_open(&j);
    if (argc - pos == 1)
        cf_json_kstr(&j, "token", argv[pos]);
    if (incr)
        cf_json_kstr(&j, "increment", incr);
    cf_json_obj_close(&j);
    if (cf_json_finish(&j, &body))
        return CF_EXIT_USAGE;
    struct cf_resp r;
    code = cf_cli_call(cli, "Error renewing token", "POST",
                       argc - pos == 1 ? "auth/token/renew" : "auth/token/renew-self",
                       NULL, body, NULL, 0, &r);
    cf_free_secret_str(body);
    if (!code)
        code = cf_cli_print_secret(cli, r.json, NULL, field);
    cf_resp_free(&r);
    return code;
}

static int do_revoke(struct cf_cli *cli, int argc, char **argv)
{
    int self = 0, accessor = 0;
    const char *mode = NULL;
    const struct cf_flag fl[] = {
        {"self", CF_FLAG_BOOL, &self, NULL},
        {"accessor", CF_FLAG_BOOL, &accessor, NULL},
        {"mode", CF_FLAG_STR, &mode, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_flags(cli, fl, argc, argv, &pos, &code))
        return code;
    int n = argc - pos;
    if (self && n > 0) {
        fprintf(cli->err, "Too many arguments (expected 0, got %d)\n", n);
        return CF_EXIT_USAGE;
    }
    if (self && (accessor || mode)) {
        fprintf(cli->err, "Cannot use -self with -accessor or -mode\n");
        return CF_EXIT_USAGE;
    }
    if (!self && cf_cli_nargs(cli, n, 1, 1))
        return CF_EXIT_USAGE;
    if (mode && strcmp(mode, "orphan") && strcmp(mode, "path")) {
        fprintf(cli->err, "Invalid -mode \"%s\": use orphan or path\n", mode);
        return CF_EXIT_USAGE;
    }
    const char *path;
    char *body = NULL;
    if (self) {
        path = "auth/token/revoke-self";
    } else if (accessor) {
        path = "auth/token/revoke-accessor";
        body = one_field("accessor", argv[pos]);
    } else {
        path = mode && !strcmp(mode, "orphan") ? "auth/token/revoke-orphan" : "auth/token/revoke";
        body = one_field("token", argv[pos]);
    }
    if (!self && !body)
        return CF_EXIT_USAGE;
    struct cf_resp r;
    code = cf_cli_call(cli, "Error revoking token", "POST", path, NULL, body,
                       NULL, 0, &r);
    cf_free_secret_str(body);
    cf_resp_free(&r);
    if (!code)
        fprintf(cli->out, "Success! Revoked token (if it existed)\n");
    return code;
}

int cf_cmd_token(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    cli->help = token_help;
    if (!sub || !strcmp(sub, "-h")) {
        fputs(token_help, sub ? cli->out : cli->err);
        return sub ? CF_EXIT_OK : CF_EXIT_USAGE;
    }
    if (!strcmp(sub, "create"))
        return do_create(cli, argc, argv);
    if (!strcmp(sub, "lookup"))
        return do_lookup(cli, argc, argv);
    if (!strcmp(sub, "renew"))
        return do_renew(cli, argc, argv);
    if (!strcmp(sub, "revoke"))
        return do_revoke(cli, argc, argv);
    fprintf(cli->err, "Unknown subcommand: token %s\n\n%s", sub, token_help);
    return CF_EXIT_USAGE;
}
