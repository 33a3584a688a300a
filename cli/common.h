/* What the CLI commands share: one invocation's state (struct cf_cli)
 * and the helpers of common.c. Included by every cmd_*.c; depends on no
 * command and not on the dispatcher. */
#ifndef CF_CLI_COMMON_H
#define CF_CLI_COMMON_H

#include <stdio.h>
#include "cli/args.h"
#include "cli/client.h"
#include "util/buf.h"

#define CF_EXIT_OK 0
#define CF_EXIT_USAGE 1
#define CF_EXIT_API 2

/* One invocation: streams, output format and the lazily made client. */
struct cf_cli {
    FILE *out, *err, *in;
    int json;            /* -format=json (or VAULT_FORMAT=json) */
    const char *cmdname; /* "kv get", for messages */
    const char *help;    /* the running command's help text */
    struct cf_client client;
    int have_client;
    /* common flags, filled by cf_cli_flags */
    const char *address, *cacert, *capath, *format;
    int skip_verify, skip_verify_set;
};

/* Parses the command's own flags plus the common ones (-address,
 * -ca-cert, -ca-path, -tls-skip-verify, -format). 0 to go on with the
 * positional arguments at argv[*pos]; CF_EINVAL to stop with *code
 * (0 after -h, 1 after a bad flag, message and help already printed). */
int cf_cli_flags(struct cf_cli *cli, const struct cf_flag *own, int argc, char **argv,
                 int *pos, int *code);
/* cf_cli_flags then cf_cli_nargs(min, max) on what follows the flags:
 * the opening of nearly every command. 0 to go on with argv[*pos];
 * CF_EINVAL to stop with *code (0 after -h, 1 on a usage error). */
int cf_cli_args(struct cf_cli *cli, const struct cf_flag *own, int argc, char **argv,
                int min, int max, int *pos, int *code);
/* Makes cli->client from the flags and environment on first use.
 * Returns 0, or exit code 1 after printing why it could not. */
int cf_cli_client(struct cf_cli *cli);
/* Sends one request and returns the exit code: 0 when the server answered
 * 2xx (or 404 when ok404); else 2 after printing "<what>: Error making API
 * request. ..." (1 for a local failure). r is initialised in every case;
 * the caller frees it with cf_resp_free. */
int cf_cli_call(struct cf_cli *cli, const char *what, const char *method,
                const char *path, const char *query, const char *body, const char *ctype,
                int ok404, struct cf_resp *r);
/* cf_cli_call with "<verb> <path>" as the error prefix ("Error reading
 * secret/app"), or verb alone when that text cannot be built. */
int cf_cli_call_at(struct cf_cli *cli, const char *verb, const char *method,
                   const char *path, const char *query, const char *body,
                   const char *ctype, int ok404, struct cf_resp *r);
/* cf_cli_call for a request whose answer only matters as success or
 * failure: the response is freed here. Returns the exit code. */
int cf_cli_send(struct cf_cli *cli, const char *what, const char *method,
                const char *path, const char *body);
/* Data arguments (k=v, k=@file, -) into d, freed by the caller with
 * cf_kvdata_free. 0, or CF_EXIT_USAGE after printing why. */
int cf_cli_kvdata(struct cf_cli *cli, char **args, int n, struct cf_kvdata *d);
/* Writes each "k=v" of l as a member of j's open object. CF_EINVAL after
 * printing `invalid -<flag> "<item>": format must be key=value`. */
int cf_cli_pairs(struct cf_cli *cli, struct cf_json *j, const char *flag,
                 const struct cf_strlist *l);
/* {"<key>": "<value>"} (no member when value is NULL) as malloc'd text,
 * freed by the caller with cf_free_secret_str; NULL on failure. */
char *cf_cli_json_field(const char *key, const char *value);
/* Prints Vault's answer to a LIST at path: the keys as a table (or JSON),
 * else "No value found at <path>" and exit code 2. */
int cf_cli_print_list(struct cf_cli *cli, const struct cf_resp *r, const char *path);
/* Prints buf's text to cli->out and frees it; 0 or CF_EXIT_USAGE when
 * rendering failed (rc != 0). */
int cf_cli_emit(struct cf_cli *cli, int rc, struct cf_buf *b);
/* Prints a whole value as JSON (-format=json). Returns the exit code. */
int cf_cli_print_json(struct cf_cli *cli, yajl_val v);
/* Prints a response as `vault read` would, honouring -field and -format.
 * data is where -field looks (NULL: the response's data). Exit code. */
int cf_cli_print_secret(struct cf_cli *cli, yajl_val secret, yajl_val data,
                        const char *field);
/* "Too many arguments (expected 1, got 2)" style check; 0 or CF_EINVAL
 * after printing the message. */
int cf_cli_nargs(struct cf_cli *cli, int got, int min, int max);

/* Shared by status and operator unseal: seal-status as Vault's table
 * (cmd_status.c). */
int cf_cli_print_seal_status(struct cf_cli *cli, yajl_val status, yajl_val leader);

#endif
