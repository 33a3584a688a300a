/* The CLI's entry point: picks the command group from argv. The helpers
 * the commands share are in common.c, so calls only go dispatcher ->
 * command -> helper. */
#include "cli/cli.h"
#include <coffer/version.h>
#include <curl/curl.h>
#include <string.h>

void cf_cli_usage(FILE *out)
{
    fputs("Usage: coffer <command> [args]\n"
          "\n"
          "Common commands:\n"
          "    read        Read data and retrieve secrets\n"
          "    write       Write data, configuration, and secrets\n"
          "    delete      Delete secrets and configuration\n"
          "    list        List data or secrets\n"
          "    server      Start a Coffer server\n"
          "    status      Print seal and HA status\n"
          "\n"
          "Other commands:\n"
          "    kv          Interact with Coffer's Key-Value storage\n"
          "    operator    Perform operator-specific tasks\n"
          "    policy      Interact with policies\n"
          "    secrets     Interact with secrets engines\n"
          "    token       Interact with tokens\n"
          "    version     Print the version\n"
          "\n"
          "Environment: VAULT_ADDR, VAULT_TOKEN (else ~/.vault-token), VAULT_CACERT,\n"
          "VAULT_CAPATH, VAULT_SKIP_VERIFY, VAULT_FORMAT, VAULT_CLIENT_TIMEOUT.\n"
          "Exit codes: 0 success, 1 local or usage error, 2 server error.\n",
          out);
}

static int is_help(const char *s)
{
    return !strcmp(s, "-h") || !strcmp(s, "-help") || !strcmp(s, "--help") ||
        !strcmp(s, "help");
}

typedef int (*group_fn)(struct cf_cli *, const char *, int, char **);

static int run(struct cf_cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        cf_cli_usage(cli->err);
        return CF_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (is_help(cmd)) {
        cf_cli_usage(cli->out);
        return CF_EXIT_OK;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "-v") || !strcmp(cmd, "-version") ||
        !strcmp(cmd, "--version")) {
        fprintf(cli->out, "Coffer v%s\n", COFFER_VERSION);
        return CF_EXIT_OK;
    }
    if (!strcmp(cmd, "status")) {
        cli->cmdname = "status";
        return cf_cmd_status(cli, argc - 2, argv + 2);
    }
    static const char *const generic[] = {"read", "write", "delete", "list", NULL};
    for (int i = 0; generic[i]; i++)
        if (!strcmp(cmd, generic[i])) {
            cli->cmdname = cmd;
            return cf_cmd_generic(cli, cmd, argc - 2, argv + 2);
        }
    static const struct {
        const char *name;
        group_fn fn;
    } groups[] = {
        {"operator", cf_cmd_operator}, {"kv", cf_cmd_kv},
        {"token", cf_cmd_token},       {"policy", cf_cmd_policy},
        {"secrets", cf_cmd_secrets},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (!strcmp(cmd, groups[i].name)) {
            const char *sub = argc > 2 ? argv[2] : NULL;
            cli->cmdname = cmd;
            if (sub && is_help(sub))
                sub = "-h";
            return groups[i].fn(cli, sub, argc > 2 ? argc - 3 : 0,
                                argv + (argc > 2 ? 3 : 2));
        }
    fprintf(cli->err, "Unknown command: %s\n\n", cmd);
    cf_cli_usage(cli->err);
    return CF_EXIT_USAGE;
}

int cf_cli_main(int argc, char **argv)
{
    struct cf_cli cli = {0};
    cli.out = stdout;
    cli.err = stderr;
    cli.in = stdin;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int code = run(&cli, argc, argv);
    if (cli.have_client)
        cf_client_free(&cli.client);
    curl_global_cleanup();
    fflush(cli.out);
    return code;
}
