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

/* Sends a token request and prints the answer as `vault token` does.
 * body (may be NULL) holds a token, so it is freed zeroed here. */
static int call_print(struct cf_cli *cli, const char *what, const char *method,
                      const char *path, char *body, const char *field)
{
    struct cf_resp r;
    int code = cf_cli_call(cli, what, method, path, NULL, body, NULL, 0, &r);
    cf_free_secret_str(body);
    if (!code)
        code = cf_cli_print_secret(cli, r.json, NULL, field);
    cf_resp_free(&r);
    return code;
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
    if (cf_cli_args(cli, fl, argc, argv, 0, 0, &pos, &code))
        goto out;
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
    int bad = 0;
    if (meta.n) {
        cf_json_key(&j, "meta");
        cf_json_obj_open(&j);
        bad = cf_cli_pairs(cli, &j, "metadata", &meta);
        cf_json_obj_close(&j);
    }
    if (bad) {
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
    if (path.data) {
        code = call_print(cli, "Error creating token", "POST", path.data, body, field);
    } else {
        cf_free_secret_str(body);
        code = CF_EXIT_USAGE;
    }
    cf_buf_free(&path);
out:
    cf_strlist_free(&policies);
    cf_strlist_free(&meta);
    return code;
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
    /* -accessor, known only after parsing, makes the argument required. */
    if (cf_cli_nargs(cli, argc - pos, accessor ? 1 : 0, 1))
        return CF_EXIT_USAGE;
    if (argc - pos == 0)
        return call_print(cli, "Error looking up token", "GET", "auth/token/lookup-self",
                          NULL, field);
    char *body = cf_cli_json_field(accessor ? "accessor" : "token", argv[pos]);
    if (!body)
        return CF_EXIT_USAGE;
    return call_print(cli, "Error looking up token", "POST",
                      accessor ? "auth/token/lookup-accessor" : "auth/token/lookup", body,
                      field);
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
    if (cf_cli_args(cli, fl, argc, argv, 0, 1, &pos, &code))
        return code;
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
    return call_print(cli, "Error renewing token", "POST",
                      argc - pos == 1 ? "auth/token/renew" : "auth/token/renew-self",
                      body, field);
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
        body = cf_cli_json_field("accessor", argv[pos]);
    } else {
        path = mode && !strcmp(mode, "orphan") ? "auth/token/revoke-orphan"
                                               : "auth/token/revoke";
        body = cf_cli_json_field("token", argv[pos]);
    }
    if (!self && !body)
        return CF_EXIT_USAGE;
    code = cf_cli_send(cli, "Error revoking token", "POST", path, body);
    cf_free_secret_str(body);
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
