/* Accessors and destructors for cf_request / cf_result. */
#include "request/request.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cf_pairs_free(struct cf_pair *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].key);
        cf_free_secret_str(p[i].value);
    }
    free(p);
}

void cf_request_free(struct cf_request *r)
{
    if (!r)
        return;
    free(r->method);
    free(r->path);
    free(r->query_raw);
    cf_pairs_free(r->query, r->nquery);
    cf_pairs_free(r->headers, r->nheaders);
    cf_free_secret_str(r->token);
    if (r->body)
        cf_free_secret(r->body, r->body_len);
    if (r->data)
        cf_json_free(r->data);
    free(r->content_type);
    free(r->remote_addr);
    free(r);
}

static const char *find(const struct cf_pair *p, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].key, k))
            return p[i].value;
    return NULL;
}

const char *cf_req_query(const struct cf_request *r, const char *name)
{
    return find(r->query, r->nquery, name);
}

const char *cf_req_header(const struct cf_request *r, const char *name)
{
    return find(r->headers, r->nheaders, name);
}

const char *cf_req_param_str(const struct cf_request *r, const char *name)
{
    yajl_val v = cf_json_get(r->data, name);
    if (v && v->type == yajl_t_string)
        return v->u.string;
    if (v && v->type == yajl_t_number)
        return v->u.number.r;
    if (v)
        return NULL;
    return cf_req_query(r, name);
}

/* A whole decimal string; one past long long is CF_EINVAL, not a clamp
 * to LLONG_MAX that would pass for the caller's number. */
static int parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE)
        return CF_EINVAL;
    *out = v;
    return 0;
}

int cf_req_param_int(const struct cf_request *r, const char *name, long long *out)
{
    yajl_val v = cf_json_get(r->data, name);
    if (v && v->type == yajl_t_string)
        return parse_ll(v->u.string, out);
    if (v)
        return cf_json_get_int(r->data, name, out);
    const char *q = cf_req_query(r, name);
    if (!q)
        return CF_ENOENT;
    return parse_ll(q, out);
}

int cf_req_param_bool(const struct cf_request *r, const char *name, int *out)
{
    if (cf_json_get(r->data, name))
        return cf_json_get_bool(r->data, name, out);
    const char *q = cf_req_query(r, name);
    if (!q)
        return CF_ENOENT;
    if (!strcmp(q, "true") || !strcmp(q, "1") || !*q) {
        *out = 1;
        return 0;
    }
    if (!strcmp(q, "false") || !strcmp(q, "0")) {
        *out = 0;
        return 0;
    }
    return CF_EINVAL;
}

static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        return NULL;
    return s;
}

int cf_result_error(struct cf_result *r, int status, const char *fmt, ...)
{
    r->status = status;
    if (fmt && r->nerrors < CF_RESULT_MAX_MSGS) {
        va_list ap;
        va_start(ap, fmt);
        char *s = vfmt(fmt, ap);
        va_end(ap);
        if (s)
            r->errors[r->nerrors++] = s;
    }
    return 0;
}

int cf_result_warn(struct cf_result *r, const char *fmt, ...)
{
    if (r->nwarnings >= CF_RESULT_MAX_MSGS)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    if (!s)
        return CF_ENOMEM;
    r->warnings[r->nwarnings++] = s;
    return 0;
}

int cf_result_header(struct cf_result *r, const char *name, const char *value)
{
    if (r->nheaders >= CF_RESULT_MAX_HEADERS)
        return CF_ENOMEM;
    char *k = strdup(name), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return CF_ENOMEM;
    }
    r->headers[r->nheaders].key = k;
    r->headers[r->nheaders].value = v;
    r->nheaders++;
    return 0;
}

void cf_result_free(struct cf_result *r)
{
    if (!r)
        return;
    /* Results carry secrets (tokens, KV values): zero them. */
    cf_free_secret_str(r->data);
    cf_free_secret_str(r->auth);
    cf_free_secret_str(r->raw);
    free(r->lease_id);
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    for (size_t i = 0; i < r->nerrors; i++)
        free(r->errors[i]);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].key);
        free(r->headers[i].value);
    }
    memset(r, 0, sizeof *r);
}

int cf_result_from_rc(struct cf_result *r, int rc)
{
    cf_result_free(r);
    switch (rc) {
    case CF_ENOENT:
        cf_result_error(r, 404, NULL);
        return 0;
    case CF_EINVAL:
        cf_result_error(r, 400, "invalid request");
        return 0;
    case CF_EDENIED:
        cf_result_error(r, 403, "permission denied");
        return 0;
    case CF_ESEALED:
        cf_result_error(r, 503, "Vault is sealed");
        return 0;
    case CF_EEXIST:
        cf_result_error(r, 400, "already exists");
        return 0;
    default:
        cf_result_error(r, 500, "internal error");
        return 1;
    }
}
