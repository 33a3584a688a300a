/* sys/policy and sys/policies/acl: list, read, write and delete ACL
 * policies with Vault's response shapes (the legacy sys/policy returns
 * "rules" and is an inject route; sys/policies/acl returns "policy"). */
#include "sys/sys_internal.h"
#include "auth/policy_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "util/encode.h"
#include "util/json.h"

static int list_policies(struct cf_policy_store *ps, int legacy, struct cf_result *res)
{
    char **names;
    size_t n;
    int rc = cf_policy_store_list(ps, &names, &n);
    if (rc)
        return rc;
    struct cf_json j;
    rc = cf_json_init(&j);
    if (!rc) {
        cf_json_obj_open(&j);
        for (int k = 0; k < (legacy ? 2 : 1); k++) {
            cf_json_key(&j, k ? "policies" : "keys");
            cf_json_arr_open(&j);
            for (size_t i = 0; i < n; i++)
                cf_json_str(&j, names[i]);
            cf_json_str(&j, "root"); /* Vault appends the implicit root */
            cf_json_arr_close(&j);
        }
        cf_json_obj_close(&j);
        rc = cf_json_finish(&j, &res->data);
    }
    cf_strv_free(names, n);
    if (!rc && legacy)
        res->inject = 1;
    return rc;
}

static int read_policy(struct cf_policy_store *ps, const char *name, int legacy,
                       struct cf_result *res)
{
    struct cf_policy *p;
    int rc = cf_policy_store_get(ps, name, &p);
    if (rc == CF_ENOENT)
        return cf_result_error(res, 404, NULL);
    if (rc)
        return rc;
    struct cf_json j;
    rc = cf_json_init(&j);
    if (!rc) {
        cf_json_obj_open(&j);
        cf_json_kstr(&j, "name", p->name);
        cf_json_kstr(&j, legacy ? "rules" : "policy", p->raw);
        cf_json_obj_close(&j);
        rc = cf_json_finish(&j, &res->data);
    }
    cf_policy_free(p);
    if (!rc && legacy)
        res->inject = 1;
    return rc;
}

/* Vault decodes the text when it is valid base64 and keeps it as is
 * otherwise. */
static int maybe_b64(const char *raw, char **out, size_t *len)
{
    uint8_t *dec;
    size_t dl;
    if (*raw && !cf_b64_decode(raw, &dec, &dl) && !memchr(dec, 0, dl)) {
        char *s = malloc(dl + 1);
        if (!s) {
            free(dec);
            return CF_ENOMEM;
        }
        memcpy(s, dec, dl);
        s[dl] = 0;
        free(dec);
        *out = s;
        *len = dl;
        return 0;
    }
    if (*raw && !cf_b64_decode(raw, &dec, &dl))
        free(dec);
    *out = strdup(raw);
    *len = strlen(raw);
    return *out ? 0 : CF_ENOMEM;
}

static int write_policy(struct cf_policy_store *ps, struct cf_request *req,
                        const char *name, int legacy, struct cf_result *res)
{
    const char *raw = cf_req_param_str(req, "policy");
    if ((!raw || !*raw) && legacy) {
        raw = cf_req_param_str(req, "rules");
        if (raw && *raw)
            cf_result_warn(res,
                           "'rules' is deprecated, please use 'policy' "
                           "instead");
    }
    if (!raw || !*raw)
        return cf_result_error(res, 400,
                               "'policy' parameter not supplied or "
                               "empty");
    char *text;
    size_t len;
    int rc = maybe_b64(raw, &text, &len);
    if (rc)
        return rc;
    struct coffer_err err = {""};
    rc = cf_policy_store_put(ps, name, text, len, &err);
    free(text);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "%s", err.msg);
    if (rc)
        return rc;
    /* a warning makes a 200 with a body, as in Vault; otherwise 204 */
    if (!res->nwarnings)
        res->status = 204;
    return 0;
}

static int delete_policy(struct cf_policy_store *ps, const char *name,
                         struct cf_result *res)
{
    struct coffer_err err = {""};
    int rc = cf_policy_store_delete(ps, name, &err);
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "%s", err.msg);
    if (rc)
        return rc;
    res->status = 204;
    return 0;
}

int cf_sys_policy_handle(struct cf_policy_store *ps, struct cf_request *req,
                         const char *rel, struct cf_result *res)
{
    int legacy;
    const char *name;
    if (!strcmp(rel, "policy") || !strcmp(rel, "policy/")) {
        legacy = 1;
        name = NULL;
    } else if (!strncmp(rel, "policy/", 7)) {
        legacy = 1;
        name = rel + 7;
    } else if (!strcmp(rel, "policies/acl") || !strcmp(rel, "policies/acl/")) {
        legacy = 0;
        name = NULL;
    } else if (!strncmp(rel, "policies/acl/", 13)) {
        legacy = 0;
        name = rel + 13;
    } else if (!strncmp(rel, "policies/", 9) || !strcmp(rel, "policies")) {
        return cf_result_error(res, 404, NULL); /* rgp/egp: enterprise */
    } else {
        return CF_ENOENT;
    }
    if (name && strchr(name, '/'))
        return cf_result_error(res, 404, NULL);
    /* The ACL judged the path as spelled; only the spelling the store
     * keeps may reach the policy, or a rule on it is bypassed. */
    struct coffer_err err = {""};
    int rc = name ? cf_policy_name_canonical(name, &err) : 0;
    if (rc == CF_EINVAL)
        return cf_result_error(res, 400, "%s", err.msg);
    if (rc)
        return rc;
    if (!name) {
        /* sys/policy answers GET; sys/policies/acl answers LIST (and GET
         * with ?list=true, which the listener turns into LIST) */
        if (req->op == CF_OP_LIST || (legacy && req->op == CF_OP_READ))
            return list_policies(ps, legacy, res);
        return cf_result_error(res, 405, "unsupported operation");
    }
    switch (req->op) {
    case CF_OP_READ:
        return read_policy(ps, name, legacy, res);
    case CF_OP_CREATE:
    case CF_OP_UPDATE:
        return write_policy(ps, req, name, legacy, res);
    case CF_OP_DELETE:
        return delete_policy(ps, name, res);
    default:
        return cf_result_error(res, 405, "unsupported operation");
    }
}

int cf_sys_policies(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                    struct cf_result *res)
{
    return cf_sys_policy_handle(x->be->policies, req, rel, res);
}
