/* The client half of the coffer binary: every command but `server`, with
 * Vault's CLI behaviour. cli.c dispatches; cmd_*.c hold one command group
 * each and share the helpers of common.h. Exit codes as Vault's: 0 ok,
 * 1 local or usage error, 2 error from (or reaching) the server. */
#ifndef CF_CLI_H
#define CF_CLI_H

#include <stdio.h>
#include "cli/common.h"

/* argv[0] = "coffer", argv[1] = the command. Returns the exit code. */
int cf_cli_main(int argc, char **argv);
/* The top-level help (`coffer -h`). */
void cf_cli_usage(FILE *out);

/* Command groups; argv holds the words after the command name. */
int cf_cmd_status(struct cf_cli *cli, int argc, char **argv);
int cf_cmd_operator(struct cf_cli *cli, const char *sub, int argc, char **argv);
int cf_cmd_kv(struct cf_cli *cli, const char *sub, int argc, char **argv);
int cf_cmd_generic(struct cf_cli *cli, const char *cmd, int argc, char **argv);
int cf_cmd_token(struct cf_cli *cli, const char *sub, int argc, char **argv);
int cf_cmd_policy(struct cf_cli *cli, const char *sub, int argc, char **argv);
int cf_cmd_secrets(struct cf_cli *cli, const char *sub, int argc, char **argv);

#endif
