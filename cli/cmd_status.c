/* `coffer status`: sys/seal-status plus sys/leader, printed as Vault's
 * OutputSealStatus table. Exit 0 unsealed, 1 error, 2 sealed (Vault's
 * documented codes for this command). */
#include "cli/cli.h"
#include "cli/output.h"
#include <coffer/errors.h>
#include "util/json.h"
#include <stdlib.h>
#include <string.h>

static const char status_help[] =
    "Usage: coffer status [options]\n"
    "\n"
    "  Prints the seal status and HA mode of the server. The exit code is 0\n"
    "  when unsealed, 1 on error and 2 when sealed.\n";

/* Vault's columnize prints an empty cell as "n/a". */
static void str_row(struct cf_table *t, const char *k, yajl_val obj, const char *key)
{
    const char *s = cf_json_get_str(obj, key);
    cf_table_add2(t, k, s && *s ? s : "n/a");
}

static void bool_row(struct cf_table *t, const char *k, yajl_val obj, const char *key)
{
    int b = 0;
    cf_json_get_bool(obj, key, &b);
    cf_table_add2(t, k, b ? "true" : "false");
}

static long long get_int(yajl_val obj, const char *key)
{
    long long v = 0;
    cf_json_get_int(obj, key, &v);
    return v;
}

/* Copies obj's members into j's open object, skipping those skip has. */
static void copy_members(struct cf_json *j, yajl_val obj, yajl_val skip)
{
    for (size_t i = 0; obj && obj->type == yajl_t_object && i < obj->u.object.len; i++) {
        if (skip && cf_json_get(skip, obj->u.object.keys[i]))
            continue;
        cf_json_key(j, obj->u.object.keys[i]);
        cf_json_value(j, obj->u.object.values[i]);
    }
}

/* Vault's SealStatusOutput: the seal status with the leader fields folded
 * in. */
static int print_status_json(struct cf_cli *cli, yajl_val st, yajl_val leader)
{
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_EXIT_USAGE;
    cf_json_obj_open(&j);
    copy_members(&j, st, NULL);
    copy_members(&j, leader, st);
    if (!leader)
        cf_json_kbool(&j, "ha_enabled", 0);
    cf_json_obj_close(&j);
    char *text = NULL;
    if (cf_json_finish(&j, &text))
        return CF_EXIT_USAGE;
    yajl_val v = NULL;
    cf_json_parse(text, strlen(text), &v, NULL);
    free(text);
    int code = cf_cli_print_json(cli, v);
    if (v)
        cf_json_free(v);
    return code;
}

static void int_row(struct cf_table *t, const char *k, long long v)
{
    char num[64];
    snprintf(num, sizeof num, "%lld", v);
    cf_table_add2(t, k, num);
}

/* The seal half of the table: type, shares, progress, version, cluster. */
static void seal_rows(struct cf_table *t, yajl_val st, int sealed)
{
    str_row(t, "Seal Type", st, "type");
    bool_row(t, "Initialized", st, "initialized");
    bool_row(t, "Sealed", st, "sealed");
    int_row(t, "Total Shares", get_int(st, "n"));
    int_row(t, "Threshold", get_int(st, "t"));
    if (sealed) {
        char num[64];
        snprintf(num, sizeof num, "%lld/%lld", get_int(st, "progress"), get_int(st, "t"));
        cf_table_add2(t, "Unseal Progress", num);
        str_row(t, "Unseal Nonce", st, "nonce");
    }
    str_row(t, "Version", st, "version");
    str_row(t, "Build Date", st, "build_date");
    str_row(t, "Storage Type", st, "storage_type");
    const char *cn = cf_json_get_str(st, "cluster_name");
    const char *cid = cf_json_get_str(st, "cluster_id");
    if (cn && *cn && cid && *cid) {
        cf_table_add2(t, "Cluster Name", cn);
        cf_table_add2(t, "Cluster ID", cid);
    }
}

/* The HA half: mode and active node, shown only on an unsealed HA node. */
static void ha_rows(struct cf_table *t, yajl_val leader, int sealed)
{
    int ha = 0;
    cf_json_get_bool(leader, "ha_enabled", &ha);
    cf_table_add2(t, "HA Enabled", ha ? "true" : "false");
    if (!ha || sealed)
        return;
    int self = 0;
    cf_json_get_bool(leader, "is_self", &self);
    str_row(t, "HA Cluster", leader, "leader_cluster_address");
    cf_table_add2(t, "HA Mode", self ? "active" : "standby");
    const char *at = cf_json_get_str(leader, "active_time");
    if (self && at && *at && strncmp(at, "0001-01-01", 10))
        cf_table_add2(t, "Active Since", at);
    if (!self) {
        const char *la = cf_json_get_str(leader, "leader_address");
        cf_table_add2(t, "Active Node Address", la && *la ? la : "<none>");
    }
    int perf = 0;
    cf_json_get_bool(leader, "performance_standby", &perf);
    if (perf) {
        cf_table_add2(t, "Performance Standby Node", "true");
        int_row(t, "Performance Standby Last Remote WAL",
                get_int(leader, "performance_standby_last_remote_wal"));
    }
}

/* Replication counters, shown only once they have moved. */
static void counter_rows(struct cf_table *t, yajl_val leader)
{
    static const char *const counters[][2] = {
        {"raft_committed_index", "Raft Committed Index"},
        {"raft_applied_index", "Raft Applied Index"},
        {"last_wal", "Last WAL"},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
        long long v = get_int(leader, counters[i][0]);
        if (v > 0)
            int_row(t, counters[i][1], v);
    }
}

int cf_cli_print_seal_status(struct cf_cli *cli, yajl_val st, yajl_val leader)
{
    if (cli->json)
        return print_status_json(cli, st, leader);
    struct cf_table t;
    int sealed = 0;
    cf_json_get_bool(st, "sealed", &sealed);
    cf_table_init(&t, 2);
    cf_table_add2(&t, "Key", "Value");
    seal_rows(&t, st, sealed);
    ha_rows(&t, leader, sealed);
    counter_rows(&t, leader);
    struct cf_buf b = {0};
    int rc = cf_table_render(&t, 1, &b);
    cf_table_free(&t);
    return cf_cli_emit(cli, rc, &b);
}

int cf_cmd_status(struct cf_cli *cli, int argc, char **argv)
{
    int pos, code;
    cli->help = status_help;
    if (cf_cli_flags(cli, NULL, argc, argv, &pos, &code))
        return code;
    if (cf_cli_nargs(cli, argc - pos, 0, 0))
        return CF_EXIT_USAGE;
    struct cf_resp st, ld;
    if (cf_cli_call(cli, "Error checking seal status", "GET", "sys/seal-status", NULL,
                    NULL, NULL, 0, &st)) {
        cf_resp_free(&st);
        return CF_EXIT_USAGE;
    }
    /* Like Vault, a sys/leader refused with "Vault is sealed" means HA is
     * on but the node cannot tell its role; any other failure leaves the
     * seal status to stand alone with HA reported off. */
    yajl_val leader = NULL, sealed_ha = NULL;
    struct cf_client *c = &cli->client;
    if (!cf_client_do(c, "GET", "sys/leader", NULL, NULL, NULL, &ld) && ld.json) {
        if (ld.status == 200)
            leader = ld.json;
        else if (ld.body && strstr(ld.body, "Vault is sealed")) {
            static const char ha_on[] = "{\"ha_enabled\":true}";
            if (!cf_json_parse(ha_on, sizeof ha_on - 1, &sealed_ha, NULL))
                leader = sealed_ha;
        }
    }
    int sealed = 1;
    cf_json_get_bool(st.json, "sealed", &sealed);
    code = cf_cli_print_seal_status(cli, st.json, leader);
    cf_resp_free(&st);
    cf_resp_free(&ld);
    if (sealed_ha)
        cf_json_free(sealed_ha);
    if (code)
        return code;
    return sealed ? CF_EXIT_API : CF_EXIT_OK;
}
