/* The token auth backend (everything under auth/token/): create, lookup, renew and revoke
 * tokens with Vault's rules and response shapes (vault/token_store.go).
 * Its state holds the stores and system TTLs of the environment it was
 * mounted with. */
#include "auth/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "auth/policy_store.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"

struct tb_state {
    struct cf_token_store *ts;
    struct cf_policy_store *ps;
    long long default_ttl;
    long long max_ttl;
};

static int tb_init(const struct cf_backend_env *env, struct cf_mount *m, void **state,
                   struct coffer_err *err)
{
    (void)m;
    (void)err;
    struct tb_state *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->ts = env->tokens;
    s->ps = env->policies;
    s->default_ttl = env->default_lease_ttl;
    s->max_ttl = env->max_lease_ttl;
    *state = s;
    return 0;
}

static void tb_cleanup(void *state) { free(state); }

/* The mount's effective TTLs: its own when tuned, else the system's; the
 * default never exceeds the max. */
static void mount_ttls(const struct tb_state *st, const struct cf_mount *m,
                       long long *def, long long *max)
{
    *max = m && m->max_lease_ttl > 0 ? m->max_lease_ttl : st->max_ttl;
    *def = m && m->default_lease_ttl > 0 ? m->default_lease_ttl : st->default_ttl;
    if (*max > 0 && *def > *max)
        *def = *max;
}

static const char *mount_path(const struct cf_request *req)
{
    return req->mount_path ? req->mount_path : "auth/token/";
}

static int has_sudo(const struct tb_state *st, const struct cf_request *req)
{
    const struct cf_token *t = req->auth;
    if (!t)
        return 0;
    struct cf_acl *acl;
    if (cf_acl_new(st->ps, t->policies, t->npolicies, &acl))
        return 0;
    char path[512];
    snprintf(path, sizeof path, "%s%s", mount_path(req), req->rel ? req->rel : "");
    int r = cf_acl_is_root(acl) || (cf_acl_capabilities(acl, path) & CF_CAP_SUDO);
    cf_acl_free(acl);
    return r;
}

static int has_policy(const struct cf_token *t, const char *p)
{
    for (size_t i = 0; i < t->npolicies; i++)
        if (!strcmp(t->policies[i], p))
            return 1;
    return 0;
}

/* A duration field: JSON number (seconds) or a string ("1h", "30").
 * *present 0 when absent. A malformed value, or one longer than
 * CF_DURATION_MAX_SECS (so later seconds-to-ns arithmetic cannot
 * overflow), is answered with a 400 in res and *bad set. */
static int param_duration(const struct cf_request *req, const char *name, long long *out,
                          int *present, struct cf_result *res, int *bad)
{
    *present = 0;
    *out = 0;
    yajl_val v = cf_json_get(req->data, name);
    const char *s = NULL;
    int too_long = 0;
    if (v && YAJL_IS_INTEGER(v)) {
        *out = YAJL_GET_INTEGER(v);
        *present = 1;
        too_long = *out > CF_DURATION_MAX_SECS || *out < -CF_DURATION_MAX_SECS;
        if (!too_long)
            return 0;
    } else if (v && YAJL_IS_STRING(v)) {
        s = v->u.string;
    } else if (v && !YAJL_IS_NULL(v)) {
        goto refuse;
    } else if (!v) {
        s = cf_req_query(req, name);
    }
    if (!too_long) {
        if (!s || !*s)
            return 0;
        *present = 1;
        /* negative values parse, so the caller can say "must be positive" */
        int neg = s[0] == '-';
        if (!cf_duration_parse(s + neg, out)) {
            if (neg)
                *out = -*out;
            return 0;
        }
        too_long = cf_duration_too_long(s + neg);
    }
refuse:
    *bad = 1;
    *out = 0;
    if (too_long)
        return cf_result_error(res, 400,
                               "invalid value for \"%s\": longer than "
                               "the maximum duration of " CF_DURATION_MAX_TEXT,
                               name);
    return cf_result_error(res, 400, "invalid value for \"%s\"", name);
}

static int unsupported(struct cf_result *res)
{
    return cf_result_error(res, 405, "unsupported operation");
}

static int is_write(const struct cf_request *req)
{
    return req->op == CF_OP_CREATE || req->op == CF_OP_UPDATE;
}

/* ---- responses ---- */

static int auth_result(const struct cf_token *t, long long ttl, int renewable,
                       int with_token, struct cf_result *res)
{
    char *js;
    int rc = cf_token_auth_json(t, ttl, renewable, with_token, &js);
    if (rc)
        return rc;
    res->auth = js;
    return 0;
}

static void write_strv(struct cf_json *j, const char *k, char *const *v, size_t n)
{
    cf_json_key(j, k);
    cf_json_arr_open(j);
    for (size_t i = 0; i < n; i++)
        cf_json_str(j, v[i]);
    cf_json_arr_close(j);
}

static int lookup_result(const struct cf_token *t, int with_id, struct cf_result *res)
{
    struct cf_json j;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    long long now = cf_now_ns() / 1000000000LL;
    int leased = t->ttl_expire_time != 0;
    char ts[40];
    /* keys in Go's sorted map order, as Vault prints them */
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "accessor", t->accessor);
    cf_json_kint(&j, "creation_time", t->creation_time);
    cf_json_kint(&j, "creation_ttl", t->creation_ttl);
    cf_json_kstr(&j, "display_name", t->display_name);
    cf_json_kstr(&j, "entity_id", "");
    cf_json_key(&j, "expire_time");
    if (leased) {
        cf_time_rfc3339(t->ttl_expire_time, ts);
        cf_json_str(&j, ts);
    } else {
        cf_json_null(&j);
    }
    cf_json_kint(&j, "explicit_max_ttl", t->explicit_max_ttl);
    cf_json_kstr(&j, "id", with_id ? t->id : "");
    if (leased) {
        cf_time_rfc3339(t->creation_time, ts);
        cf_json_kstr(&j, "issue_time", ts);
        if (t->last_renewal_time) {
            cf_time_rfc3339(t->last_renewal_time, ts);
            cf_json_kstr(&j, "last_renewal", ts);
            cf_json_kint(&j, "last_renewal_time", t->last_renewal_time);
        }
    }
    cf_token_meta_json(&j, "meta", t);
    cf_json_kint(&j, "num_uses", t->num_uses);
    cf_json_kbool(&j, "orphan", t->orphan);
    cf_json_kstr(&j, "path", t->path);
    if (t->period)
        cf_json_kint(&j, "period", t->period);
    write_strv(&j, "policies", t->policies, t->npolicies);
    if (leased)
        cf_json_kbool(&j, "renewable", t->renewable && t->ttl_expire_time > now);
    long long left = leased ? t->ttl_expire_time - now : 0;
    cf_json_kint(&j, "ttl", left > 0 ? left : 0);
    cf_json_kstr(&j, "type", t->type ? t->type : "service");
    cf_json_obj_close(&j);
    return cf_json_finish(&j, &res->data);
}

/* ---- create ---- */

static void sanitize_display(const char *in, char *out, size_t n)
{
    int w = snprintf(out, n, "token-%s", in);
    if (w < 0)
        return;
    for (char *p = out; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-')
            *p = '-';
    size_t l = strlen(out);
    if (l && out[l - 1] == '-')
        out[l - 1] = 0; /* Go's TrimSuffix: one dash only */
}

static int read_meta(const struct cf_request *req, struct cf_pair **out, size_t *n,
                     struct cf_result *res, int *bad)
{
    *out = NULL;
    *n = 0;
    *bad = 0;
    yajl_val m = cf_json_get(req->data, "meta");
    if (!m || YAJL_IS_NULL(m))
        return 0;
    if (!YAJL_IS_OBJECT(m)) {
        *bad = 1;
        return cf_result_error(res, 400, "meta must be a map of strings");
    }
    if (!m->u.object.len)
        return 0;
    struct cf_pair *p = calloc(m->u.object.len, sizeof *p);
    if (!p)
        return CF_ENOMEM;
    for (size_t i = 0; i < m->u.object.len; i++) {
        yajl_val v = m->u.object.values[i];
        const char *s = YAJL_IS_STRING(v) ? v->u.string
            : YAJL_IS_NUMBER(v)           ? v->u.number.r
            : YAJL_IS_TRUE(v)             ? "true"
            : YAJL_IS_FALSE(v)            ? "false"
                                          : NULL;
        if (!s) {
            cf_pairs_free(p, i);
            *bad = 1;
            return cf_result_error(res, 400, "meta must be a map of strings");
        }
        p[i].key = strdup(m->u.object.keys[i]);
        p[i].value = strdup(s);
        if (!p[i].key || !p[i].value) {
            cf_pairs_free(p, i + 1);
            return CF_ENOMEM;
        }
    }
    *out = p;
    *n = m->u.object.len;
    return 0;
}

static int subset(char *const *parent, size_t np, char *const *child, size_t nc)
{
    for (size_t i = 0; i < nc; i++) {
        int found = 0;
        for (size_t k = 0; k < np && !found; k++)
            found = !strcmp(parent[k], child[i]);
        if (!found)
            return 0;
    }
    return 1;
}

/* What a create request asks for, as parsed and then resolved step by
 * step. Strings in final/policies/meta are owned; id is borrowed from the
 * request. */
struct create_args {
    const char *id;
    char display[256];
    long long num_uses, explicit_max, period, ttl;
    int sudo, orphan, root, no_parent, no_default, renewable;
    char **policies;
    size_t npolicies;
    char **final;
    size_t nfinal;
    struct cf_pair *meta;
    size_t nmeta;
};

static void create_args_free(struct create_args *a)
{
    cf_strv_free(a->policies, a->npolicies);
    cf_strv_free(a->final, a->nfinal);
    cf_pairs_free(a->meta, a->nmeta);
}

/* Marks the request answered (by rc's cf_result_error) and passes rc on. */
static int refuse(int *bad, int rc)
{
    *bad = 1;
    return rc;
}

static int get_bool(const struct cf_request *req, const char *name, int *out, int def,
                    struct cf_result *res, int *bad)
{
    int rc = cf_req_param_bool(req, name, out);
    if (rc == CF_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "invalid value for \"%s\": "
                                      "expected a boolean",
                                      name));
    return 0;
}

/* Step 1: the request's fields into a, checked in Vault's order. Each step
 * returns rc and sets *bad when res already holds the (400) answer. */
static int parse_create(const struct cf_request *req, struct create_args *a,
                        struct cf_result *res, int *bad)
{
    const char *type = cf_req_param_str(req, "type");
    if (type && *type && strcmp(type, "service"))
        return refuse(bad,
                      cf_result_error(res, 400,
                                      !strcmp(type, "batch")
                                          ? "batch tokens are not supported"
                                          : "invalid 'token_type' value"));
    int rc = cf_req_param_int(req, "num_uses", &a->num_uses);
    if (rc == CF_EINVAL)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "invalid value for "
                                      "\"num_uses\": expected an integer"));
    if (a->num_uses < 0)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "number of uses cannot be "
                                      "negative"));
    if ((rc = get_bool(req, "no_parent", &a->no_parent, 0, res, bad)) || *bad ||
        (rc = get_bool(req, "no_default_policy", &a->no_default, 0, res, bad)) || *bad ||
        (rc = get_bool(req, "renewable", &a->renewable, 1, res, bad)) || *bad)
        return rc;

    snprintf(a->display, sizeof a->display, "token");
    const char *dn = cf_req_param_str(req, "display_name");
    if (dn && *dn)
        sanitize_display(dn, a->display, sizeof a->display);

    a->id = cf_req_param_str(req, "id");
    if (a->id && *a->id && !a->sudo)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "root or sudo privileges "
                                      "required to specify token id"));
    if (a->id && !*a->id)
        a->id = NULL;

    rc = cf_json_get_strv(req->data, "policies", &a->policies, &a->npolicies);
    if (rc == CF_EINVAL)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "policies must be a list "
                                      "of strings"));
    if (rc && rc != CF_ENOENT)
        return rc;
    /* Spelled as stored, element by element: a denied_parameters glob such
     * as "*admin*" sees the request's text, so "ADMIN" or " admin" must not
     * reach a token as "admin" behind its back. */
    for (size_t i = 0; i < a->npolicies; i++) {
        struct coffer_err err = {""};
        rc = cf_policy_name_canonical(a->policies[i], &err);
        if (rc == CF_EINVAL)
            return refuse(bad, cf_result_error(res, 400, "%s", err.msg));
        if (rc)
            return rc;
    }
    return read_meta(req, &a->meta, &a->nmeta, res, bad);
}

/* Step 2: the token's policy set (a->final). Without policies the child
 * inherits the parent's; a non-sudo caller may only ask for a subset of
 * the parent's, and gets "default" only if the parent has it. */
static int choose_policies(const struct cf_token *parent, struct create_args *a,
                           struct cf_result *res, int *bad)
{
    int add_default = 0, rc = 0;
    char **in = a->policies;
    size_t nin = a->npolicies;
    if (!nin) {
        in = parent->policies;
        nin = parent->npolicies;
    } else if (!a->sudo) {
        char **tmp = NULL, **sp = NULL;
        size_t ntmp = 0, nsp = 0;
        rc = cf_policies_sanitize(a->policies, a->npolicies, 0, &tmp, &ntmp);
        if (!rc)
            rc = cf_policies_sanitize(parent->policies, parent->npolicies, 0, &sp, &nsp);
        int ok = !rc && subset(sp, nsp, tmp, ntmp);
        cf_strv_free(sp, nsp);
        cf_strv_free(tmp, ntmp);
        if (rc)
            return rc;
        if (!ok)
            return refuse(bad,
                          cf_result_error(res, 400,
                                          "child policies must be "
                                          "subset of parent"));
        add_default = !a->no_default && has_policy(parent, "default");
    } else {
        add_default = !a->no_default;
    }
    if ((rc = cf_policies_sanitize(in, nin, add_default, &a->final, &a->nfinal)))
        return rc;
    if (a->no_default) {
        size_t w = 0;
        for (size_t i = 0; i < a->nfinal; i++) {
            if (!strcmp(a->final[i], "default")) {
                free(a->final[i]);
                continue;
            }
            a->final[w++] = a->final[i];
        }
        a->nfinal = w;
    }
    return 0;
}

/* Step 3: what the chosen policies and no_parent demand of the parent. */
static int check_privileges(const struct cf_token *parent, struct create_args *a,
                            struct cf_result *res, int *bad)
{
    for (size_t i = 0; i < a->nfinal; i++) {
        if (!strcmp(a->final[i], "response-wrapping") ||
            !strcmp(a->final[i], "control-group"))
            return refuse(bad,
                          cf_result_error(res, 400,
                                          "cannot assign policy "
                                          "\"%s\"",
                                          a->final[i]));
        if (!strcmp(a->final[i], "root"))
            a->root = 1;
    }
    if (a->root && !has_policy(parent, "root"))
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "root tokens may not be "
                                      "created without parent token "
                                      "being root"));
    if (a->no_parent) {
        if (!a->sudo)
            return refuse(bad,
                          cf_result_error(res, 400,
                                          "root or sudo privileges "
                                          "required to create orphan token"));
        a->orphan = 1;
    }
    return 0;
}

/* Step 4a: explicit_max_ttl, period and ttl (or the older "lease"). */
static int parse_ttls(const struct cf_request *req, struct create_args *a,
                      struct cf_result *res, int *bad)
{
    int present, rc;
    if ((rc = param_duration(req, "explicit_max_ttl", &a->explicit_max, &present, res,
                             bad)) ||
        *bad)
        return rc;
    if (a->explicit_max < 0)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "explicit_max_ttl must be "
                                      "positive"));
    if ((rc = param_duration(req, "period", &a->period, &present, res, bad)) || *bad)
        return rc;
    if (a->period < 0)
        return refuse(bad, cf_result_error(res, 400, "period must be positive"));
    if (a->period > 0 && !a->sudo)
        return refuse(bad,
                      cf_result_error(res, 400,
                                      "root or sudo privileges "
                                      "required to create periodic token"));
    if ((rc = param_duration(req, "ttl", &a->ttl, &present, res, bad)) || *bad)
        return rc;
    if (!present &&
        ((rc = param_duration(req, "lease", &a->ttl, &present, res, bad)) || *bad))
        return rc;
    if (a->ttl < 0)
        return refuse(bad, cf_result_error(res, 400, "ttl must be positive"));
    return 0;
}

/* Step 4b: the token's TTL against the mount's limits. Only a root token
 * asking for no TTL skips the limits; a token left without one is not
 * renewable, and only a non-expiring parent may make it. */
static int resolve_ttl(const struct tb_state *st, const struct cf_mount *m,
                       const struct cf_token *parent, struct create_args *a,
                       struct cf_result *res, int *bad)
{
    long long def, max;
    mount_ttls(st, m, &def, &max);
    long long now = cf_now_ns() / 1000000000LL;
    if (a->period > 0 || a->ttl > 0 || !a->root) {
        char warn[256];
        if (cf_token_calc_ttl(0, a->ttl, a->period, a->explicit_max, def, max, now, now,
                              &a->ttl, warn, sizeof warn))
            return refuse(bad, cf_result_error(res, 400, "%s", warn));
        if (warn[0])
            cf_result_warn(res, "%s", warn);
    }
    if (!a->ttl && a->explicit_max > 0)
        a->ttl = a->explicit_max;
    if (!a->ttl) {
        if (parent->ttl_expire_time)
            return refuse(bad,
                          cf_result_error(res, 400,
                                          "expiring root tokens "
                                          "cannot create non-expiring root "
                                          "tokens"));
        a->renewable = 0;
    }
    return 0;
}

/* Step 5: stores the token and answers with its auth block, warning about
 * policies that do not exist (yet). */
static int persist_token(struct tb_state *st, const struct cf_request *req,
                         const struct cf_token *parent, const struct create_args *a,
                         struct cf_result *res)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", mount_path(req), req->rel);
    struct cf_token_params p = {
        .id = a->id,
        .policies = a->final,
        .npolicies = a->nfinal,
        .parent = a->orphan ? NULL : parent->id,
        .display_name = a->display,
        .path = path,
        .ttl = a->ttl,
        .explicit_max_ttl = a->explicit_max,
        .period = a->period,
        .num_uses = a->num_uses,
        .renewable = a->renewable,
        .no_default_policy = a->no_default,
        .meta = a->meta,
        .nmeta = a->nmeta,
    };
    struct cf_token *t;
    int rc = cf_token_create(st->ts, &p, &t);
    if (rc == CF_EEXIST)
        return cf_result_error(res, 400, "cannot create a token with a duplicate ID");
    if (rc == CF_ENOENT)
        return cf_result_error(res, 400, "parent token lookup failed: no parent found");
    if (rc)
        return rc;
    rc = auth_result(t, a->ttl, a->renewable, 1, res);
    cf_token_free(t);
    for (size_t i = 0; !rc && i < a->nfinal; i++) {
        struct cf_policy *pol;
        if (!strcmp(a->final[i], "root"))
            continue;
        if (cf_policy_store_get(st->ps, a->final[i], &pol) == CF_ENOENT)
            cf_result_warn(res, "Policy \"%s\" does not exist", a->final[i]);
        else
            cf_policy_free(pol);
    }
    return rc;
}

static int do_create(struct tb_state *st, struct cf_mount *m, struct cf_request *req,
                     struct cf_result *res, int orphan)
{
    const struct cf_token *parent = req->auth;
    if (!parent)
        return cf_result_error(res, 400, "parent token lookup failed: no parent found");
    if (parent->num_uses > 0)
        return cf_result_error(res, 400,
                               "restricted use token cannot generate "
                               "child tokens");
    struct create_args a = {.sudo = has_sudo(st, req), .orphan = orphan};
    int bad = 0;
    int rc = parse_create(req, &a, res, &bad);
    if (!rc && !bad)
        rc = choose_policies(parent, &a, res, &bad);
    if (!rc && !bad)
        rc = check_privileges(parent, &a, res, &bad);
    if (!rc && !bad)
        rc = parse_ttls(req, &a, res, &bad);
    if (!rc && !bad)
        rc = resolve_ttl(st, m, parent, &a, res, &bad);
    if (!rc && !bad)
        rc = persist_token(st, req, parent, &a, res);
    create_args_free(&a);
    return rc;
}

/* ---- lookup / renew / revoke ---- */

/* The token named by a body/query field, else by the path suffix
 * ("lookup/<token>", older clients), else NULL. */
static const char *target(const struct cf_request *req, const char *field,
                          const char *suffix)
{
    const char *v = cf_req_param_str(req, field);
    if (v && *v)
        return v;
    return suffix && *suffix ? suffix : NULL;
}

static int do_lookup(struct tb_state *st, struct cf_request *req, struct cf_result *res,
                     const char *id, int self)
{
    if (!id && req->auth)
        id = req->auth->id;
    if (!id)
        return cf_result_error(res, 400, "missing token ID");
    struct cf_token *t;
    int rc = cf_token_lookup(st->ts, id, &t);
    if (rc == CF_ENOENT && self && req->auth && cf_ct_streq(req->auth->id, id))
        /* its last use was this very request: show what it was */
        return lookup_result(req->auth, 1, res);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 403, "bad token");
    if (rc)
        return rc;
    rc = lookup_result(t, 1, res);
    cf_token_free(t);
    return rc;
}

/* The token an accessor names, with Vault's answers for a missing or
 * unknown accessor. *t is NULL on every failure (res may hold the answer);
 * the return is what the handler returns then. */
static int by_accessor(struct tb_state *st, struct cf_result *res, const char *acc,
                       struct cf_token **t)
{
    *t = NULL;
    if (!acc)
        return cf_result_error(res, 400, "missing accessor");
    int rc = cf_token_lookup_accessor(st->ts, acc, t);
    if (rc)
        *t = NULL;
    if (rc == CF_ENOENT)
        return cf_result_error(res, 400, "invalid accessor");
    return rc;
}

static int do_lookup_accessor(struct tb_state *st, struct cf_result *res, const char *acc)
{
    struct cf_token *t;
    int rc = by_accessor(st, res, acc, &t);
    if (!t)
        return rc;
    rc = lookup_result(t, 0, res);
    cf_token_free(t);
    return rc;
}

static int renew_token(struct tb_state *st, struct cf_mount *m, struct cf_request *req,
                       struct cf_result *res, struct cf_token *t, int with_token)
{
    long long inc = 0;
    int present, bad = 0;
    int rc = param_duration(req, "increment", &inc, &present, res, &bad);
    if (rc || bad)
        return rc;
    if (inc < 0)
        return cf_result_error(res, 400, "increment must be positive");
    long long now = cf_now_ns() / 1000000000LL;
    if (!t->ttl_expire_time || !t->renewable)
        return cf_result_error(res, 400, "lease is not renewable");
    if (t->ttl_expire_time <= now)
        return cf_result_error(res, 400, "lease expired");
    long long def, max, ttl;
    char warn[256];
    mount_ttls(st, m, &def, &max);
    if (cf_token_calc_ttl(inc, t->lease_ttl, t->period, t->explicit_max_ttl, def, max,
                          t->creation_time, now, &ttl, warn, sizeof warn))
        return cf_result_error(res, 400, "%s", warn);
    if (warn[0])
        cf_result_warn(res, "%s", warn);
    struct cf_token *nt;
    rc = cf_token_renew(st->ts, t->id, ttl, &nt);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 400, "token not found");
    if (rc)
        return rc;
    rc = auth_result(nt, ttl, 1, with_token, res);
    cf_token_free(nt);
    return rc;
}

/* Renews the token named by id or, with by_acc, by accessor; only the
 * token's own holder sees it again in the answer. */
static int do_renew(struct tb_state *st, struct cf_mount *m, struct cf_request *req,
                    struct cf_result *res, const char *key, int by_acc)
{
    struct cf_token *t = NULL;
    int rc;
    if (by_acc) {
        rc = by_accessor(st, res, key, &t);
    } else if (!key) {
        rc = cf_result_error(res, 400, "missing token ID");
    } else {
        rc = cf_token_lookup(st->ts, key, &t);
        if (rc)
            t = NULL;
        if (rc == CF_ENOENT)
            rc = cf_result_error(res, 400, "token not found");
    }
    if (!t)
        return rc;
    rc = renew_token(st, m, req, res, t, !by_acc);
    cf_token_free(t);
    return rc;
}

static int do_revoke(struct tb_state *st, struct cf_result *res, const char *id)
{
    if (!id)
        return cf_result_error(res, 400, "missing token ID");
    int rc = cf_token_revoke(st->ts, id);
    if (rc == CF_ENOENT)
        rc = 0; /* revoking an unknown token is not an error in Vault */
    if (!rc)
        res->status = 204;
    return rc;
}

static int do_revoke_accessor(struct tb_state *st, struct cf_result *res, const char *acc)
{
    struct cf_token *t;
    int rc = by_accessor(st, res, acc, &t);
    if (!t)
        return rc;
    rc = do_revoke(st, res, t->id);
    cf_token_free(t);
    return rc;
}

static int do_revoke_orphan(struct tb_state *st, struct cf_request *req,
                            struct cf_result *res, const char *id)
{
    if (!id)
        return cf_result_error(res, 400, "missing token ID");
    if (!has_sudo(st, req))
        return cf_result_error(res, 400,
                               "root or sudo privileges required to "
                               "revoke and orphan");
    int rc = cf_token_revoke_orphan(st->ts, id);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 400, "token to revoke not found");
    if (!rc)
        res->status = 204;
    return rc;
}

static int do_list_accessors(struct tb_state *st, struct cf_result *res)
{
    char **keys;
    size_t n;
    int rc = cf_token_list_accessors(st->ts, &keys, &n);
    if (rc)
        return rc;
    if (!n) {
        cf_strv_free(keys, n);
        return cf_result_error(res, 404, NULL);
    }
    struct cf_json j;
    rc = cf_json_init(&j);
    if (!rc) {
        cf_json_obj_open(&j);
        write_strv(&j, "keys", keys, n);
        cf_json_obj_close(&j);
        rc = cf_json_finish(&j, &res->data);
    }
    cf_strv_free(keys, n);
    return rc;
}

/* "name" or "name/<suffix>": returns the suffix ("" for an exact match) or
 * NULL when rel is another path. */
static const char *route(const char *rel, const char *name)
{
    size_t l = strlen(name);
    if (strncmp(rel, name, l))
        return NULL;
    if (!rel[l])
        return "";
    if (rel[l] == '/')
        return rel + l + 1;
    return NULL;
}

static int handle(struct cf_mount *m, struct cf_request *req, struct cf_result *res)
{
    struct tb_state *st = m ? m->state : NULL;
    if (!st)
        return CF_EINVAL;
    const char *rel = req->rel ? req->rel : "";
    const char *sfx;
    int w = is_write(req);

    if (!strcmp(rel, "create") || !strcmp(rel, "create-orphan"))
        return w ? do_create(st, m, req, res, rel[6] == '-') : unsupported(res);
    if ((sfx = route(rel, "create")) && *sfx)
        return w ? cf_result_error(res, 400, "unknown role %s", sfx) : unsupported(res);
    if ((sfx = route(rel, "lookup-self")) && !*sfx) {
        if (!w && req->op != CF_OP_READ)
            return unsupported(res);
        return do_lookup(st, req, res, req->auth ? req->auth->id : NULL, 1);
    }
    if ((sfx = route(rel, "lookup-accessor")))
        return w ? do_lookup_accessor(st, res, target(req, "accessor", sfx))
                 : unsupported(res);
    if ((sfx = route(rel, "lookup"))) {
        if (!w && req->op != CF_OP_READ)
            return unsupported(res);
        const char *id = target(req, "token", sfx);
        return do_lookup(st, req, res, id, id == NULL);
    }
    if ((sfx = route(rel, "renew-self")) && !*sfx)
        return w ? do_renew(st, m, req, res, req->auth ? req->auth->id : NULL, 0)
                 : unsupported(res);
    if ((sfx = route(rel, "renew-accessor")))
        return w ? do_renew(st, m, req, res, target(req, "accessor", sfx), 1)
                 : unsupported(res);
    if ((sfx = route(rel, "renew")))
        return w ? do_renew(st, m, req, res, target(req, "token", sfx), 0)
                 : unsupported(res);
    if ((sfx = route(rel, "revoke-self")) && !*sfx)
        return w ? do_revoke(st, res, req->auth ? req->auth->id : NULL)
                 : unsupported(res);
    if ((sfx = route(rel, "revoke-accessor")))
        return w ? do_revoke_accessor(st, res, target(req, "accessor", sfx))
                 : unsupported(res);
    if ((sfx = route(rel, "revoke-orphan")))
        return w ? do_revoke_orphan(st, req, res, target(req, "token", sfx))
                 : unsupported(res);
    if ((sfx = route(rel, "revoke")))
        return w ? do_revoke(st, res, target(req, "token", sfx)) : unsupported(res);
    if (!strcmp(rel, "accessors") || !strcmp(rel, "accessors/"))
        return req->op == CF_OP_LIST ? do_list_accessors(st, res) : unsupported(res);
    if (!strcmp(rel, "roles") || !strcmp(rel, "roles/"))
        return req->op == CF_OP_LIST ? cf_result_error(res, 404, NULL) : unsupported(res);
    if ((sfx = route(rel, "roles")) && *sfx)
        return req->op == CF_OP_READ ? cf_result_error(res, 404, NULL)
                                     : cf_result_error(res, 400,
                                                       "token roles "
                                                       "are not supported");
    if (!strcmp(rel, "tidy")) {
        if (!w)
            return unsupported(res);
        int rc = cf_token_store_tidy(st->ts, NULL);
        if (rc)
            return rc;
        res->status = 202;
        cf_result_warn(res,
                       "Tidy operation successfully started. Any "
                       "information from the operation will be printed to "
                       "Vault's server logs.");
        return 0;
    }
    return cf_result_error(res, 404, "unsupported path");
}

static const char *const sudo_paths[] = {"revoke-orphan/*", "accessors*", NULL};

const struct cf_backend cf_token_backend = {
    .init = tb_init,
    .cleanup = tb_cleanup,
    .handle = handle,
    .sudo_paths = sudo_paths,
};
