/* sys/health and sys/leader: what load balancers and clients poll. */
#include "sys/sys_internal.h"
#include "config/config.h"
#include "ha/ha.h"
#include "seal/barrier.h"
#include "seal/seal.h"
#include "util/json.h"
#include "util/timeutil.h"
#include <coffer/version.h>
#include <stdlib.h>
#include <string.h>

/* Reads an HTTP status code parameter; def when absent, -1 when malformed
 * or outside 200..999. Under 100 the listener cannot send the status line
 * at all and drops the connection (Go's net/http panics); a 1xx is only an
 * interim answer, so the client would wait for one that never comes. */
static int code_param(const struct cf_request *req, const char *name, int def)
{
    const char *v = cf_req_query(req, name);
    if (!v)
        return def;
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end || x < 200 || x > 999)
        return -1;
    return (int)x;
}

int cf_sys_health(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    (void)rel;
    const struct cf_sys *s = x->sys;
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    static const struct {
        const char *name;
        int def;
    } P[] = {{"activecode", 200},      {"standbycode", 429},
             {"drsecondarycode", 472}, {"performancestandbycode", 473},
             {"sealedcode", 503},      {"uninitcode", 501},
             {"removedcode", 530},     {"haunhealthycode", 474}};
    int codes[8];
    for (int i = 0; i < 8; i++) {
        codes[i] = code_param(req, P[i].name, P[i].def);
        if (codes[i] < 0)
            return cf_result_error(res, 400, "unable to parse %s code: %s", P[i].name,
                                   cf_req_query(req, P[i].name));
    }
    int standbyok = 0, perfok = 0;
    if (cf_req_param_bool(req, "standbyok", &standbyok) == CF_EINVAL ||
        cf_req_param_bool(req, "perfstandbyok", &perfok) == CF_EINVAL)
        return cf_result_error(res, 400, "standbyok and perfstandbyok must be booleans");
    struct cf_seal_status st;
    int rc = cf_seal_status(s->env.seal, &st);
    if (rc)
        return rc;
    char name[128], id[37];
    s->env.node.cluster(s->env.node.arg, 0, name, id);
    int sealed = st.sealed || cf_barrier_sealed(s->env.barrier);
    int standby = !sealed && s->ha && !cf_ha_serving(s->ha);
    /* Order as Vault: uninitialized, sealed, DR secondary (never), perf
     * standby (never yet), standby unless standbyok, active. */
    res->status = !st.initialized ? codes[5]
        : sealed                  ? codes[4]
        : standby && !standbyok   ? codes[1]
                                  : codes[0];
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kbool(&j, "initialized", st.initialized);
    cf_json_kbool(&j, "sealed", sealed);
    cf_json_kbool(&j, "standby", standby);
    cf_json_kbool(&j, "performance_standby", 0);
    cf_json_kstr(&j, "replication_performance_mode", "disabled");
    cf_json_kstr(&j, "replication_dr_mode", "disabled");
    cf_json_kint(&j, "server_time_utc", cf_now_ms() / 1000);
    cf_json_kstr(&j, "version", COFFER_VERSION);
    cf_json_kbool(&j, "enterprise", 0);
    if (!sealed && id[0]) {
        cf_json_kstr(&j, "cluster_name", name);
        cf_json_kstr(&j, "cluster_id", id);
    }
    cf_json_kint(&j, "echo_duration_ms", 0);
    cf_json_kint(&j, "clock_skew_ms", 0);
    cf_json_kint(&j, "replication_primary_canary_age_ms", 0);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, &res->raw);
}

int cf_sys_leader(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res)
{
    (void)rel;
    const struct cf_sys *s = x->sys;
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    if (cf_barrier_sealed(s->env.barrier))
        return cf_result_error(res, 500, "Vault is sealed"); /* as Vault */
    struct cf_ha_view v = {0};
    if (s->ha)
        cf_ha_view(s->ha, &v);
    char since[40] = "0001-01-01T00:00:00Z";
    if (v.active && v.active_since_ns)
        cf_time_rfc3339nano(v.active_since_ns, since);
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kbool(&j, "ha_enabled", s->ha != NULL);
    cf_json_kbool(&j, "is_self", v.active);
    cf_json_kstr(&j, "active_time", since);
    cf_json_kstr(&j, "leader_address", v.leader_known ? v.leader_api : "");
    cf_json_kstr(&j, "leader_cluster_address", v.leader_known ? v.leader_cluster : "");
    cf_json_kbool(&j, "performance_standby", 0);
    cf_json_kint(&j, "performance_standby_last_remote_wal", 0);
    cf_json_kint(&j, "last_wal", 0);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, &res->raw);
}

int cf_sys_ha_status(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                     struct cf_result *res)
{
    (void)rel;
    const struct cf_sys *s = x->sys;
    if (req->op != CF_OP_READ)
        return cf_result_error(res, 405, NULL);
    if (!s->ha)
        return cf_result_error(res, 400, "high availability is not enabled on this node");
    struct cf_ha_view v;
    cf_ha_view(s->ha, &v);
    const struct cf_config *cfg = s->env.cfg;
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    /* The active node, then the standbys whose heartbeat arrived within
     * three heartbeat intervals (Vault's rule). */
    cf_json_obj_open(&j);
    cf_json_key(&j, "nodes");
    cf_json_arr_open(&j);
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "hostname", s->hostname);
    cf_json_kstr(&j, "api_address", v.leader_api);
    cf_json_kstr(&j, "cluster_address",
                 cfg->cluster_addr ? cfg->cluster_addr : v.leader_cluster);
    cf_json_kbool(&j, "active_node", 1);
    cf_json_kstr(&j, "last_echo", NULL);
    cf_json_kint(&j, "echo_duration_ms", 0);
    cf_json_kint(&j, "clock_skew_ms", 0);
    cf_json_kstr(&j, "version", COFFER_VERSION);
    cf_json_kstr(&j, "node_id", s->node_id);
    cf_json_obj_close(&j);
    struct cf_ha_peer *peers = NULL;
    size_t np = 0;
    if (s->env.node.peers &&
        s->env.node.peers(s->env.node.arg, 15000, &peers, &np) == 0) {
        for (size_t i = 0; i < np; i++) {
            char when[40];
            cf_time_rfc3339nano(peers[i].last_echo_ns, when);
            cf_json_obj_open(&j);
            cf_json_kstr(&j, "hostname", peers[i].hostname);
            cf_json_kstr(&j, "api_address", peers[i].api_addr);
            cf_json_kstr(&j, "cluster_address", peers[i].cluster_addr);
            cf_json_kbool(&j, "active_node", 0);
            cf_json_kstr(&j, "last_echo", when);
            cf_json_kint(&j, "echo_duration_ms", 0);
            cf_json_kint(&j, "clock_skew_ms", 0);
            cf_json_kstr(&j, "version", peers[i].version);
            cf_json_kstr(&j, "node_id", peers[i].node_id);
            cf_json_obj_close(&j);
        }
        free(peers);
    }
    cf_json_arr_close(&j);
    cf_json_obj_close(&j);
    res->inject = 1;
    return cf_json_finish(&j, &res->data);
}
