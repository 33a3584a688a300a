/* `coffer operator init|unseal|seal|rotate|key-status|step-down|members`:
 * the sys/ calls an operator makes, with Vault's wording. Unseal keys are
 * read without echo when typed, and every buffer that held one is zeroed. */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static const char operator_help[] =
    "Usage: coffer operator <subcommand> [options] [args]\n"
    "\n"
    "    init          Initializes a server (-key-shares=5 -key-threshold=3, -status)\n"
    "    unseal        Unseals the server with one key share (argument or stdin; -reset)\n"
    "    seal          Seals the server\n"
    "    rotate        Rotates the barrier encryption key\n"
    "    key-status    Prints the current key term and install time\n"
    "    step-down     Forces the active node to give up the HA lock\n"
    "    members       Lists the active node and the standbys it knows of\n";

static const char step_down_help[] =
    "Usage: coffer operator step-down [options]\n"
    "\n"
    "  Forces the server at the given address to step down from active duty.\n"
    "  On a standby the request is redirected to the active node. The node\n"
    "  waits before racing for the lock again, so another node normally wins;\n"
    "  if none does, the same node may become active again.\n";

static const char members_help[] =
    "Usage: coffer operator members [options]\n"
    "\n"
    "  Lists the nodes of the HA cluster (sys/ha-status): the active node and\n"
    "  the standbys it has heard from since it became active.\n";

static int do_init(struct cf_cli *cli, int argc, char **argv)
{
    long long shares = 5, threshold = 3;
    int status = 0;
    const struct cf_flag fl[] = {
        {"key-shares", CF_FLAG_INT, &shares, NULL},
        {"n", CF_FLAG_INT, &shares, NULL},
        {"key-threshold", CF_FLAG_INT, &threshold, NULL},
        {"t", CF_FLAG_INT, &threshold, NULL},
        {"status", CF_FLAG_BOOL, &status, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_args(cli, fl, argc, argv, 0, 0, &pos, &code))
        return code;
    struct cf_resp r;
    if (status) {
        if ((code = cf_cli_call(cli, "Error checking init status", "GET", "sys/init",
                                NULL, NULL, NULL, 0, &r))) {
            cf_resp_free(&r);
            return code;
        }
        int init = 0;
        cf_json_get_bool(r.json, "initialized", &init);
        cf_resp_free(&r);
        fprintf(cli->out, "%s\n",
                init ? "Vault is initialized" : "Vault is not initialized");
        return init ? CF_EXIT_OK : CF_EXIT_API;
    }
    if (shares < 1 || threshold < 1 || threshold > shares) {
        fprintf(cli->err,
                "Error initializing: invalid -key-shares/-key-threshold "
                "(need 1 <= threshold <= shares)\n");
        return CF_EXIT_USAGE;
    }
    char body[128];
    snprintf(body, sizeof body, "{\"secret_shares\":%lld,\"secret_threshold\":%lld}",
             shares, threshold);
    if ((code = cf_cli_call(cli, "Error initializing", "PUT", "sys/init", NULL, body,
                            NULL, 0, &r))) {
        cf_resp_free(&r);
        return code;
    }
    yajl_val b64 = cf_json_get(r.json, "keys_base64");
    yajl_val hex = cf_json_get(r.json, "keys");
    const char *root = cf_json_get_str(r.json, "root_token");
    if (cli->json) {
        struct cf_json j;
        char *text = NULL;
        if (cf_json_init(&j)) {
            cf_resp_free(&r);
            return CF_EXIT_USAGE;
        }
        cf_json_obj_open(&j);
        cf_json_key(&j, "unseal_keys_b64");
        cf_json_value(&j, b64);
        cf_json_key(&j, "unseal_keys_hex");
        cf_json_value(&j, hex);
        cf_json_kint(&j, "unseal_shares", shares);
        cf_json_kint(&j, "unseal_threshold", threshold);
        cf_json_key(&j, "recovery_keys_b64");
        cf_json_arr_open(&j);
        cf_json_arr_close(&j);
        cf_json_key(&j, "recovery_keys_hex");
        cf_json_arr_open(&j);
        cf_json_arr_close(&j);
        cf_json_kint(&j, "recovery_keys_shares", 0);
        cf_json_kint(&j, "recovery_keys_threshold", 0);
        cf_json_kstr(&j, "root_token", root ? root : "");
        cf_json_obj_close(&j);
        code = CF_EXIT_USAGE;
        if (!cf_json_finish(&j, &text)) {
            yajl_val v = NULL;
            cf_json_parse(text, strlen(text), &v, NULL);
            code = cf_cli_print_json(cli, v);
            if (v)
                cf_json_free(v);
            cf_free_secret_str(text);
        }
        cf_resp_free(&r);
        return code;
    }
    yajl_val keys = b64 && b64->type == yajl_t_array ? b64 : hex;
    for (size_t i = 0; keys && keys->type == yajl_t_array && i < keys->u.array.len; i++) {
        yajl_val k = keys->u.array.values[i];
        fprintf(cli->out, "Unseal Key %zu: %s\n", i + 1,
                k->type == yajl_t_string ? k->u.string : "");
    }
    fprintf(cli->out, "\nInitial Root Token: %s\n\n", root ? root : "");
    fprintf(
        cli->out,
        "Vault initialized with %lld key shares and a key threshold of %lld. Please securely\n"
        "distribute the key shares printed above. When the Vault is re-sealed,\n"
        "restarted, or stopped, you must supply at least %lld of these keys to unseal it\n"
        "before it can start servicing requests.\n"
        "\n"
        "Vault does not store the generated root key. Without at least %lld\n"
        "keys to reconstruct the root key, Vault will remain permanently sealed!\n",
        shares, threshold, threshold, threshold);
    cf_resp_free(&r);
    return CF_EXIT_OK;
}

/* One line from in; on a terminal the echo is off while it is typed.
 * Returns a malloc'd string (caller frees with cf_free_secret_str) or NULL. */
static char *read_key(struct cf_cli *cli)
{
    int fd = fileno(cli->in);
    int tty = isatty(fd);
    struct termios old, quiet;
    if (tty) {
        fputs("Unseal Key (will be hidden): ", cli->err);
        fflush(cli->err);
        if (tcgetattr(fd, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(fd, TCSAFLUSH, &quiet);
        } else {
            tty = 0;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, cli->in);
    if (tty) {
        tcsetattr(fd, TCSAFLUSH, &old);
        fputs("\n", cli->err);
    }
    if (n < 0) {
        if (line)
            cf_free_secret(line, cap);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    char *key = strdup(line);
    cf_free_secret(line, cap);
    return key;
}

static int do_unseal(struct cf_cli *cli, int argc, char **argv)
{
    int reset = 0;
    const struct cf_flag fl[] = {
        {"reset", CF_FLAG_BOOL, &reset, NULL},
        {NULL, 0, NULL, NULL},
    };
    int pos, code;
    if (cf_cli_args(cli, fl, argc, argv, 0, 1, &pos, &code))
        return code;
    char *body = NULL;
    if (reset) {
        body = strdup("{\"reset\":true}");
    } else {
        char *key = argc - pos == 1 ? strdup(argv[pos]) : read_key(cli);
        if (!key || !*key) {
            cf_free_secret_str(key);
            fprintf(cli->err, "Error unsealing: no unseal key given\n");
            return CF_EXIT_USAGE;
        }
        body = cf_cli_json_field("key", key);
        cf_free_secret_str(key);
    }
    if (!body) {
        fprintf(cli->err, "Error unsealing: out of memory\n");
        return CF_EXIT_USAGE;
    }
    struct cf_resp r;
    code =
        cf_cli_call(cli, "Error unsealing", "PUT", "sys/unseal", NULL, body, NULL, 0, &r);
    cf_free_secret_str(body);
    if (!code)
        code = cf_cli_print_seal_status(cli, r.json, NULL);
    cf_resp_free(&r);
    return code;
}

static int simple(struct cf_cli *cli, int argc, char **argv, const char *what,
                  const char *method, const char *path, struct cf_resp *r)
{
    int pos, code;
    memset(r, 0, sizeof *r);
    if (cf_cli_args(cli, NULL, argc, argv, 0, 0, &pos, &code))
        return code;
    return cf_cli_call(cli, what, method, path, NULL, NULL, NULL, 0, r);
}

/* Vault prints the install time with Go's RFC822 layout. */
static void install_time(const char *s, char out[64])
{
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (end)
        strftime(out, 64, "%d %b %y %H:%M UTC", &tm);
    else
        snprintf(out, 64, "%s", s ? s : "");
}

static int print_key_status(struct cf_cli *cli, struct cf_resp *r)
{
    yajl_val d = cf_resp_data(r);
    if (cli->json)
        return cf_cli_print_json(cli, d);
    struct cf_table t;
    char num[64], when[64];
    long long v = 0;
    cf_table_init(&t, 2);
    cf_json_get_int(d, "term", &v);
    snprintf(num, sizeof num, "%lld", v);
    cf_table_add2(&t, "Key Term", num);
    install_time(cf_json_get_str(d, "install_time"), when);
    cf_table_add2(&t, "Install Time", when);
    if (!cf_json_get_int(d, "encryptions", &v)) {
        snprintf(num, sizeof num, "%lld", v);
        cf_table_add2(&t, "Encryption Count", num);
    }
    struct cf_buf b = {0};
    int rc = cf_table_render(&t, 0, &b);
    cf_table_free(&t);
    return cf_cli_emit(cli, rc, &b);
}

static int do_step_down(struct cf_cli *cli, int argc, char **argv)
{
    struct cf_resp r;
    cli->help = step_down_help;
    int code = simple(cli, argc, argv, "Error stepping down", "PUT", "sys/step-down", &r);
    /* r.status 0 with code 0 means -h was given. */
    if (!code && r.status)
        fprintf(cli->out, "Success! Stepped down: %s\n", cli->client.addr);
    cf_resp_free(&r);
    return code;
}

/* Vault prints last_echo with Go's RFC3339 layout: the server's
 * RFC3339Nano text without its fraction of a second. */
static void echo_time(const char *s, char out[64])
{
    const char *t = s ? strchr(s, 'T') : NULL;
    const char *dot = t ? strchr(t, '.') : NULL;
    if (!dot) {
        snprintf(out, 64, "%s", s ? s : "");
        return;
    }
    const char *zone = dot + 1;
    while (*zone >= '0' && *zone <= '9')
        zone++;
    snprintf(out, 64, "%.*s%s", (int)(dot - s), s, zone);
}

/* A node field as the table shows it: Vault's columnize prints an empty
 * cell as "n/a". */
static const char *cell(yajl_val node, const char *key)
{
    const char *s = cf_json_get_str(node, key);
    return s && *s ? s : "n/a";
}

static int print_members(struct cf_cli *cli, yajl_val nodes)
{
    if (cli->json) {
        /* Vault marshals api.HAStatusResponse, whose field has no tag. */
        struct cf_json j;
        char *text = NULL;
        int code = CF_EXIT_USAGE;
        if (cf_json_init(&j))
            return code;
        cf_json_obj_open(&j);
        cf_json_key(&j, "Nodes");
        cf_json_value(&j, nodes);
        cf_json_obj_close(&j);
        if (!cf_json_finish(&j, &text)) {
            yajl_val v = NULL;
            cf_json_parse(text, strlen(text), &v, NULL);
            code = cf_cli_print_json(cli, v);
            if (v)
                cf_json_free(v);
            free(text);
        }
        return code;
    }
    static const char *const head[] = {
        "Host Name", "API Address",     "Cluster Address", "Active Node",
        "Version",   "Upgrade Version", "Redundancy Zone", "Last Echo",
    };
    struct cf_table t;
    int rc;
    cf_table_init(&t, 8);
    rc = cf_table_add(&t, head);
    for (size_t i = 0; !rc && i < nodes->u.array.len; i++) {
        yajl_val n = nodes->u.array.values[i];
        int active = 0;
        char when[64];
        cf_json_get_bool(n, "active_node", &active);
        echo_time(cf_json_get_str(n, "last_echo"), when);
        const char *row[] = {
            cell(n, "hostname"),        cell(n, "api_address"),
            cell(n, "cluster_address"), active ? "true" : "false",
            cell(n, "version"),         cell(n, "upgrade_version"),
            cell(n, "redundancy_zone"), *when ? when : "n/a",
        };
        rc = cf_table_add(&t, row);
    }
    struct cf_buf b = {0};
    if (!rc && t.nrows == 1) {
        /* cf_table_render skips a lone header; Vault prints it. */
        for (int dashes = 0; dashes < 2 && !rc; dashes++)
            for (size_t c = 0; c < 8 && !rc; c++) {
                if (!dashes)
                    rc = cf_buf_puts(&b, head[c]);
                for (size_t k = strlen(head[c]); dashes && k > 0 && !rc; k--)
                    rc = cf_buf_puts(&b, "-");
                if (!rc)
                    rc = cf_buf_puts(&b, c < 7 ? "    " : "\n");
            }
    } else if (!rc) {
        rc = cf_table_render(&t, 1, &b);
    }
    cf_table_free(&t);
    return cf_cli_emit(cli, rc, &b);
}

static int do_members(struct cf_cli *cli, int argc, char **argv)
{
    struct cf_resp r;
    cli->help = members_help;
    int code =
        simple(cli, argc, argv, "Error retrieving HA status", "GET", "sys/ha-status", &r);
    if (code || !r.status) {
        cf_resp_free(&r);
        return code;
    }
    /* sys/ha-status is an inject route: nodes sit at the top level and
     * under data; Go's decoder also takes "Nodes". */
    yajl_val nodes = cf_json_get(r.json, "nodes");
    if (!nodes)
        nodes = cf_json_get(cf_resp_data(&r), "nodes");
    if (!nodes)
        nodes = cf_json_get(r.json, "Nodes");
    if (!nodes || nodes->type != yajl_t_array) {
        fprintf(cli->err,
                "Error retrieving HA status: the response holds no node list\n");
        cf_resp_free(&r);
        return CF_EXIT_API;
    }
    code = print_members(cli, nodes);
    cf_resp_free(&r);
    return code;
}

int cf_cmd_operator(struct cf_cli *cli, const char *sub, int argc, char **argv)
{
    struct cf_resp r;
    int code;
    cli->help = operator_help;
    if (!sub || !strcmp(sub, "-h")) {
        fputs(operator_help, sub ? cli->out : cli->err);
        return sub ? CF_EXIT_OK : CF_EXIT_USAGE;
    }
    if (!strcmp(sub, "init"))
        return do_init(cli, argc, argv);
    if (!strcmp(sub, "unseal"))
        return do_unseal(cli, argc, argv);
    if (!strcmp(sub, "seal")) {
        code = simple(cli, argc, argv, "Error sealing", "PUT", "sys/seal", &r);
        cf_resp_free(&r);
        if (!code && r.status) /* status 0: -h was given */
            fprintf(cli->out, "Success! Vault is sealed.\n");
        return code;
    }
    if (!strcmp(sub, "rotate")) {
        code = simple(cli, argc, argv, "Error rotating key", "PUT", "sys/rotate", &r);
        cf_resp_free(&r);
        if (code || !r.status)
            return code;
        code = cf_cli_call(cli, "Error reading key status", "GET", "sys/key-status", NULL,
                           NULL, NULL, 0, &r);
        if (!code) {
            if (!cli->json)
                fprintf(cli->out, "Success! Rotated key\n\n");
            code = print_key_status(cli, &r);
        }
        cf_resp_free(&r);
        return code;
    }
    if (!strcmp(sub, "key-status")) {
        code = simple(cli, argc, argv, "Error reading key status", "GET",
                      "sys/key-status", &r);
        if (!code && r.status)
            code = print_key_status(cli, &r);
        cf_resp_free(&r);
        return code;
    }
    if (!strcmp(sub, "step-down"))
        return do_step_down(cli, argc, argv);
    if (!strcmp(sub, "members"))
        return do_members(cli, argc, argv);
    fprintf(cli->err, "Unknown subcommand: operator %s\n\n%s", sub, operator_help);
    return CF_EXIT_USAGE;
}
