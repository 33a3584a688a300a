/* cf_result → Vault's wire format. res->data and res->auth are already JSON
 * text and are spliced in verbatim (no re-parse) except for inject routes,
 * whose data keys must also appear at the top level. */
#include "http/envelope.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

/* Keys of the envelope itself: an injected data key never shadows them. */
static const char *const ENVELOPE_KEYS[] = {
    "request_id", "lease_id", "renewable", "lease_duration", "data",
    "wrap_info",  "warnings", "auth",      "mount_type",     NULL};

/* Appends one JSON value written by a cf_json writer (escaping and UTF-8
 * validation stay in one place). v NULL: the string s; else the tree v. */
static int put_json(struct cf_buf *b, const char *s, yajl_val v)
{
    struct cf_json j;
    char *t = NULL;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    if (v)
        cf_json_value(&j, v);
    else
        cf_json_str(&j, s);
    int rc = cf_json_finish(&j, &t);
    if (rc)
        return rc;
    rc = cf_buf_puts(b, t);
    cf_free_secret_str(t);
    return rc;
}

static int put_strlist(struct cf_buf *b, char *const *msgs, size_t n)
{
    int rc = cf_buf_puts(b, "[");
    for (size_t i = 0; !rc && i < n; i++) {
        if (i)
            rc = cf_buf_puts(b, ",");
        if (!rc)
            rc = put_json(b, msgs[i], NULL);
    }
    return rc ? rc : cf_buf_puts(b, "]");
}

static int render_errors(const struct cf_result *res, struct cf_buf *b)
{
    int rc = cf_buf_puts(b, "{\"errors\":");
    if (!rc)
        rc = put_strlist(b, res->errors, res->nerrors);
    /* Vault keeps data next to the errors when the response had some
     * (e.g. KV v2 check-and-set mismatches). */
    if (!rc && res->nerrors && res->data) {
        rc = cf_buf_puts(b, ",\"data\":");
        if (!rc)
            rc = cf_buf_puts(b, res->data);
    }
    return rc ? rc : cf_buf_puts(b, "}");
}

static int is_envelope_key(const char *k)
{
    for (const char *const *e = ENVELOPE_KEYS; *e; e++)
        if (!strcmp(*e, k))
            return 1;
    return 0;
}

static int render_injected(const struct cf_result *res, struct cf_buf *b)
{
    yajl_val d;
    if (cf_json_parse(res->data, strlen(res->data), &d, NULL))
        return CF_EINVAL;
    int rc = 0;
    if (d->type == yajl_t_object) {
        for (size_t i = 0; !rc && i < d->u.object.len; i++) {
            const char *k = d->u.object.keys[i];
            if (is_envelope_key(k))
                continue;
            rc = cf_buf_puts(b, ",");
            if (!rc)
                rc = put_json(b, k, NULL);
            if (!rc)
                rc = cf_buf_puts(b, ":");
            if (!rc)
                rc = put_json(b, NULL, d->u.object.values[i]);
        }
    }
    cf_json_free(d);
    return rc;
}

static int render_envelope(const struct cf_result *res, const char *request_id,
                           struct cf_buf *b)
{
    int rc = cf_buf_puts(b, "{\"request_id\":");
    if (!rc)
        rc = put_json(b, request_id ? request_id : "", NULL);
    if (!rc)
        rc = cf_buf_puts(b, ",\"lease_id\":");
    if (!rc)
        rc = put_json(b, res->lease_id ? res->lease_id : "", NULL);
    if (!rc)
        rc = cf_buf_printf(b, ",\"renewable\":%s,\"lease_duration\":%lld,\"data\":",
                           res->renewable ? "true" : "false", res->lease_duration);
    if (!rc)
        rc = cf_buf_puts(b, res->data ? res->data : "null");
    if (!rc)
        rc = cf_buf_puts(b, ",\"wrap_info\":null,\"warnings\":");
    if (!rc)
        rc = res->nwarnings ? put_strlist(b, res->warnings, res->nwarnings)
                            : cf_buf_puts(b, "null");
    if (!rc)
        rc = cf_buf_puts(b, ",\"auth\":");
    if (!rc)
        rc = cf_buf_puts(b, res->auth ? res->auth : "null");
    if (!rc && res->mount_type) {
        rc = cf_buf_puts(b, ",\"mount_type\":");
        if (!rc)
            rc = put_json(b, res->mount_type, NULL);
    }
    if (!rc && res->inject && res->data)
        rc = render_injected(res, b);
    return rc ? rc : cf_buf_puts(b, "}");
}

int cf_envelope_render(const struct cf_result *res, const char *request_id, int *status,
                       char **body, size_t *len)
{
    struct cf_buf b = {0};
    int st = res->status, rc;
    if (res->nerrors) {
        /* An error without a status is a bad request, as Vault's
         * logical.ErrorResponse is. */
        if (!st)
            st = 400;
        rc = render_errors(res, &b);
    } else if (res->raw) {
        if (!st)
            st = 200;
        rc = cf_buf_puts(&b, res->raw);
    } else if (st >= 400 && !res->data) {
        rc = render_errors(res, &b);
    } else {
        int any =
            res->data || res->auth || res->nwarnings || (res->lease_id && *res->lease_id);
        if (st == 204 || (!st && !any)) {
            *status = 204;
            *body = NULL;
            *len = 0;
            return 0;
        }
        if (!st)
            st = 200;
        rc = render_envelope(res, request_id, &b);
    }
    if (rc) {
        if (b.data)
            cf_free_secret(b.data, b.len);
        return rc;
    }
    *len = b.len;
    *body = cf_buf_take(&b);
    *status = st;
    return 0;
}

int cf_envelope_render_or_fail(const struct cf_result *res, const char *request_id,
                               int *status, char **body, size_t *len)
{
    if (!cf_envelope_render(res, request_id, status, body, len))
        return 0;
    static const char FAIL[] =
        "{\"errors\":[\"internal error: cannot render response\"]}";
    *body = strdup(FAIL);
    *len = *body ? sizeof FAIL - 1 : 0;
    *status = 500;
    return 1;
}
