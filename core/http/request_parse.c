/* HTTP → cf_request: the listener hands over what MHD parsed (raw URL,
 * raw query pairs, headers, body) and this file decodes and checks it the
 * way Vault's http/logical.go does. */
#include "http/request_parse.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

size_t cf_http_unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* %XX decoding; plus: '+' is a space (query strings). strict: a malformed
 * escape is an error (paths, as Go's URL parser), else it stays literal
 * (query strings, as Go's Query() keeps going). A decoded NUL is always an
 * error: every consumer treats these as C strings. */
static int pct_decode(const char *s, size_t n, int plus, int strict, char **out)
{
    char *d = malloc(n + 1), *p = d;
    if (!d)
        return CF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = cf_hexval(s[i + 1])) >= 0 &&
            (lo = cf_hexval(s[i + 2])) >= 0) {
            *p = (char)(hi << 4 | lo);
            if (!*p) {
                free(d);
                return CF_EINVAL;
            }
            p++;
            i += 2;
        } else if (s[i] == '%' && strict) {
            free(d);
            return CF_EINVAL;
        } else if (s[i] == '+' && plus) {
            *p++ = ' ';
        } else if (!s[i]) {
            free(d);
            return CF_EINVAL;
        } else {
            *p++ = s[i];
        }
    }
    *p = '\0';
    *out = d;
    return 0;
}

/* Vault (>= 1.19.16) and OpenBao refuse uncleaned paths: ".." would climb
 * out of a mount's storage view, "." and empty segments would name one
 * secret or mount twice. A single trailing '/' stays, LIST needs it.
 * Control bytes are refused so that a path can go into a log line. */
static int clean_path(const char *p)
{
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return 0;
    if (!*p)
        return 1;
    for (const char *seg = p; seg;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 && end)
            return 0;
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        seg = end ? end + 1 : NULL;
    }
    return 1;
}

int cf_http_route(const char *url, char **path)
{
    if (strncmp(url, "/v1/", 4))
        return CF_ENOENT;
    char *p;
    int rc = pct_decode(url + 4, strlen(url + 4), 0, 1, &p);
    if (rc)
        return rc;
    if (!clean_path(p)) {
        free(p);
        return CF_EINVAL;
    }
    *path = p;
    return 0;
}

/* Go's strconv.ParseBool true forms, which Vault uses for ?list=. */
static int truthy(const char *v)
{
    static const char *const T[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
    for (const char *const *t = T; *t; t++)
        if (!strcmp(v, *t))
            return 1;
    return 0;
}

int cf_http_method_op(const char *method, const char *list_param, enum cf_op *op)
{
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
        *op = list_param && truthy(list_param) ? CF_OP_LIST : CF_OP_READ;
    else if (!strcmp(method, "LIST"))
        *op = CF_OP_LIST;
    else if (!strcmp(method, "POST") || !strcmp(method, "PUT"))
        *op = CF_OP_UPDATE; /* the core turns it into CREATE */
    else if (!strcmp(method, "PATCH"))
        *op = CF_OP_PATCH;
    else if (!strcmp(method, "DELETE"))
        *op = CF_OP_DELETE;
    else
        return CF_ENOTSUP;
    return 0;
}

/* A growing pair vector; takes ownership of what is pushed. */
struct pairs {
    struct cf_pair *p;
    size_t n, cap;
    int err;
};

static void push(struct pairs *v, char *k, char *val)
{
    if (!v->err && (!k || !val))
        v->err = CF_ENOMEM;
    if (!v->err && v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct cf_pair *np = realloc(v->p, cap * sizeof *np);
        if (np) {
            v->p = np;
            v->cap = cap;
        } else {
            v->err = CF_ENOMEM;
        }
    }
    if (v->err) {
        free(k);
        free(val);
        return;
    }
    v->p[v->n].key = k;
    v->p[v->n].value = val;
    v->n++;
}

static void pairs_free(struct pairs *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->p[i].key);
        cf_free_secret_str(v->p[i].value);
    }
    free(v->p);
    memset(v, 0, sizeof *v);
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t klen, const char *value, size_t vlen)
{
    (void)kind;
    struct pairs *v = cls;
    /* The token travels in req->token only (zeroed on free); keeping a
     * second copy among plain headers would leak it into anything that
     * dumps headers. */
    if (!strcasecmp(key, "x-vault-token") || !strcasecmp(key, "authorization"))
        return MHD_YES;
    char *k = strndup(key, klen);
    if (k)
        for (char *p = k; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    push(v, k, strndup(value ? value : "", value ? vlen : 0));
    return v->err ? MHD_NO : MHD_YES;
}

struct query_ctx {
    struct pairs v;
    struct cf_buf raw;
    int bad;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              size_t klen, const char *value, size_t vlen)
{
    (void)kind;
    struct query_ctx *q = cls;
    if (q->raw.len && cf_buf_puts(&q->raw, "&"))
        q->v.err = CF_ENOMEM;
    size_t start = q->raw.len;
    if (cf_buf_append(&q->raw, key, klen) ||
        (value && (cf_buf_puts(&q->raw, "=") || cf_buf_append(&q->raw, value, vlen))))
        q->v.err = CF_ENOMEM;
    /* MHD turns '+' into ' ' even without unescaping; a raw query cannot
     * hold a space, so this restores the original text. */
    for (size_t i = start; !q->v.err && i < q->raw.len; i++)
        if (q->raw.data[i] == ' ')
            q->raw.data[i] = '+';
    char *k = NULL, *val = NULL;
    int rc = pct_decode(key, klen, 1, 0, &k);
    if (!rc)
        rc = pct_decode(value ? value : "", value ? vlen : 0, 1, 0, &val);
    if (rc == CF_EINVAL) {
        free(k);
        q->bad = 1;
        return MHD_NO;
    }
    push(&q->v, k, val);
    return q->v.err ? MHD_NO : MHD_YES;
}

static char *remote_addr(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[NI_MAXHOST], serv[NI_MAXSERV], *out = NULL;
    if (!ci || !ci->client_addr)
        return strdup("");
    const struct sockaddr *sa = ci->client_addr;
    socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV))
        return strdup("");
    if (asprintf(&out, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv) < 0)
        return NULL;
    return out;
}

/* X-Vault-Token, else "Authorization: Bearer <t>" (Vault's order). */
static char *find_token(struct MHD_Connection *c)
{
    const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vault-Token");
    if (t && *t)
        return strdup(t);
    const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (a && !strncasecmp(a, "Bearer ", 7)) {
        a += 7;
        while (*a == ' ')
            a++;
        if (*a)
            return strdup(a);
    }
    return NULL;
}

/* The refusal shape the header describes; msg NULL for {"errors":[]}. */
static int refuse(int *status, struct coffer_err *err, int code, const char *msg)
{
    *status = code;
    coffer_err_set(err, "%s", msg ? msg : "");
    return CF_EINVAL;
}

/* cf_http_route's verdict as a refusal; rc passes through otherwise. */
static int refuse_route(int rc, int *status, struct coffer_err *err)
{
    if (rc == CF_ENOENT)
        return refuse(status, err, 404, NULL);
    if (rc == CF_EINVAL)
        return refuse(status, err, 400, "invalid request path");
    return rc;
}

int cf_http_request_new(struct MHD_Connection *c, const char *method, const char *url,
                        struct cf_request **out, int *status, struct coffer_err *err)
{
    char *path = NULL;
    int rc = cf_http_route(url, &path);
    if (rc)
        return refuse_route(rc, status, err);

    struct query_ctx q = {0};
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, on_arg, &q);
    if (q.bad || q.v.err) {
        free(path);
        pairs_free(&q.v);
        cf_buf_free(&q.raw);
        if (!q.bad)
            return CF_ENOMEM;
        return refuse(status, err, 400, "invalid query string: NUL byte");
    }

    enum cf_op op;
    const char *list = NULL;
    for (size_t i = 0; i < q.v.n; i++)
        if (!strcmp(q.v.p[i].key, "list")) {
            list = q.v.p[i].value;
            break;
        }
    if (cf_http_method_op(method, list, &op)) {
        free(path);
        pairs_free(&q.v);
        cf_buf_free(&q.raw);
        return refuse(status, err, 405, NULL);
    }

    struct cf_request *r = calloc(1, sizeof *r);
    struct pairs h = {0};
    if (!r)
        goto nomem;
    r->op = op;
    r->path = path;
    path = NULL;
    r->query = q.v.p;
    r->nquery = q.v.n;
    q.v.p = NULL;
    r->query_raw = q.raw.len ? cf_buf_take(&q.raw) : NULL;
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, on_header, &h);
    r->headers = h.p;
    r->nheaders = h.n;
    if (h.err)
        goto nomem;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (ct && !(r->content_type = strdup(ct)))
        goto nomem;
    r->token = find_token(c);
    r->method = strdup(method);
    r->remote_addr = remote_addr(c);
    if (!r->method || !r->remote_addr || cf_uuid(r->id))
        goto nomem;
    *out = r;
    return 0;
nomem:
    free(path);
    pairs_free(&q.v);
    cf_buf_free(&q.raw);
    cf_request_free(r);
    return CF_ENOMEM;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr(" \t\r\n", s[i]) || !s[i])
            return 0;
    return 1;
}

static int is_form(const char *ct)
{
    static const char F[] = "application/x-www-form-urlencoded";
    if (!ct || strncasecmp(ct, F, sizeof F - 1))
        return 0;
    char next = ct[sizeof F - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* Orders field indices by key, then by position, so that equal keys are
 * adjacent and in body order. */
struct by_key {
    const struct cf_pair *p;
    size_t i;
};

static int cmp_key(const void *a, const void *b)
{
    const struct by_key *x = a, *y = b;
    int c = strcmp(x->p[x->i].key, y->p[y->i].key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Joins each run of equal keys into the slot of its first field: joined[i]
 * is set for first fields only. Sorting keeps this O(n log n). */
static int join_repeats(const struct pairs *v, char **joined)
{
    struct by_key *o = malloc((v->n ? v->n : 1) * sizeof *o);
    if (!o)
        return CF_ENOMEM;
    for (size_t i = 0; i < v->n; i++)
        o[i] = (struct by_key){v->p, i};
    qsort(o, v->n, sizeof *o, cmp_key);
    int rc = 0;
    for (size_t a = 0, b; a < v->n && !rc; a = b) {
        struct cf_buf out = {0};
        for (b = a; b < v->n && !rc && !strcmp(v->p[o[b].i].key, v->p[o[a].i].key); b++)
            rc =
                (b > a && cf_buf_puts(&out, ",")) || cf_buf_puts(&out, v->p[o[b].i].value)
                ? CF_ENOMEM
                : 0;
        if (!rc && !out.data && !(out.data = strdup("")))
            rc = CF_ENOMEM;
        if (rc)
            cf_free_secret(out.data, out.len);
        else
            joined[o[a].i] = out.data;
    }
    free(o);
    return rc;
}

/* Splits a form body into decoded pairs; refuses more than the field cap
 * before decoding anything past it. */
static int form_pairs(const char *body, size_t len, struct pairs *v,
                      struct coffer_err *err)
{
    const char *p = body, *end = body + len;
    while (p < end && !v->err) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        char *k = NULL, *val = NULL;
        if (stop > p) {
            if (v->n == CF_HTTP_MAX_FORM_FIELDS) {
                coffer_err_set(err, "too many fields (limit %d)",
                               CF_HTTP_MAX_FORM_FIELDS);
                return CF_EINVAL;
            }
            const char *kend = eq ? eq : stop;
            int rc = pct_decode(p, (size_t)(kend - p), 1, 0, &k);
            if (!rc)
                rc = eq ? pct_decode(eq + 1, (size_t)(stop - eq - 1), 1, 0, &val)
                        : ((val = strdup("")) ? 0 : CF_ENOMEM);
            /* refused here, as in JSON bodies, rather than stored */
            if (!rc &&
                (!cf_json_utf8_valid(k, strlen(k)) ||
                 !cf_json_utf8_valid(val, strlen(val))))
                rc = CF_EINVAL;
            if (rc) {
                free(k);
                cf_free_secret_str(val);
                coffer_err_set(err, "%s",
                               rc == CF_ENOMEM ? "out of memory" : "invalid encoding");
                return rc;
            }
            push(v, k, val);
        }
        p = stop + 1;
    }
    if (v->err)
        coffer_err_set(err, "out of memory");
    return v->err;
}

int cf_http_form_to_json(const char *body, size_t len, char **json,
                         struct coffer_err *err)
{
    struct pairs v = {0};
    char **joined = NULL;
    struct cf_json j = {0};
    int rc = form_pairs(body, len, &v, err);
    if (!rc && !(joined = calloc(v.n ? v.n : 1, sizeof *joined)))
        rc = CF_ENOMEM;
    if (!rc)
        rc = join_repeats(&v, joined);
    if (!rc)
        rc = cf_json_init(&j);
    if (!rc) {
        cf_json_obj_open(&j);
        for (size_t i = 0; i < v.n; i++)
            if (joined[i])
                cf_json_kstr(&j, v.p[i].key, joined[i]);
        cf_json_obj_close(&j);
        rc = cf_json_finish(&j, json);
        if (rc == CF_EINVAL)
            coffer_err_set(err, "invalid encoding");
    }
    if (rc == CF_ENOMEM)
        coffer_err_set(err, "out of memory");
    for (size_t i = 0; joined && i < v.n; i++)
        cf_free_secret_str(joined[i]);
    free(joined);
    pairs_free(&v);
    return rc;
}

int cf_http_request_body(struct cf_request *r, const struct cf_json_limits *lim,
                         struct coffer_err *err)
{
    if (!r->body || blank(r->body, r->body_len))
        return 0;
    struct coffer_err perr = {""};
    yajl_val v = NULL;
    /* curl sends bodies as form-urlencoded by default; Vault treats a form
     * body that starts with '{' as JSON, so `curl --data '{...}'` works. */
    const char *first = r->body;
    while (first < r->body + r->body_len && strchr(" \t\r\n", *first))
        first++;
    if (is_form(r->content_type) && *first != '{') {
        char *json = NULL;
        int rc = cf_http_form_to_json(r->body, r->body_len, &json, &perr);
        if (rc) {
            coffer_err_set(err, "failed to parse form input: %s", perr.msg);
            return rc;
        }
        cf_json_parse_limited(json, strlen(json), lim, &v, &perr);
        cf_free_secret_str(json);
    } else {
        cf_json_parse_limited(r->body, r->body_len, lim, &v, &perr);
    }
    if (!v) {
        coffer_err_set(err, "failed to parse JSON input: %s", perr.msg);
        return CF_EINVAL;
    }
    if (v->type == yajl_t_null) {
        /* Go decodes null into a nil map without complaint. */
        cf_json_free(v);
        return 0;
    }
    if (v->type != yajl_t_object) {
        cf_json_free(v);
        coffer_err_set(err, "failed to parse JSON input: body must be a JSON object");
        return CF_EINVAL;
    }
    r->data = v;
    return 0;
}

/* Splits a raw query string into the same pairs MHD would hand on_arg. */
static int parse_raw_query(const char *query, struct query_ctx *q)
{
    const char *p = query ? query : "";
    while (*p && !q->bad && !q->v.err) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (n)
            on_arg(q, MHD_GET_ARGUMENT_KIND, p, eq ? (size_t)(eq - p) : n,
                   eq ? eq + 1 : NULL, eq ? n - (size_t)(eq - p) - 1 : 0);
        p += n + (amp ? 1 : 0);
    }
    return q->bad ? CF_EINVAL : q->v.err;
}

int cf_http_request_from_parts(const char *method, const char *url, const char *query,
                               const struct coffer_header *headers, size_t nheaders,
                               const char *remote, const uint8_t *body, size_t body_len,
                               struct cf_request **out, int *status,
                               struct coffer_err *err)
{
    char *path = NULL;
    int rc = cf_http_route(url, &path);
    if (rc)
        return refuse_route(rc, status, err);
    struct query_ctx q = {0};
    rc = parse_raw_query(query, &q);
    const char *list = NULL;
    for (size_t i = 0; !rc && i < q.v.n; i++)
        if (!strcmp(q.v.p[i].key, "list"))
            list = q.v.p[i].value;
    enum cf_op op = CF_OP_READ;
    if (!rc && cf_http_method_op(method, list, &op))
        rc = refuse(status, err, 405, NULL);
    else if (rc == CF_EINVAL)
        refuse(status, err, 400, "invalid query string");
    struct cf_request *r = rc ? NULL : calloc(1, sizeof *r);
    if (!rc && !r)
        rc = CF_ENOMEM;
    if (rc) {
        free(path);
        pairs_free(&q.v);
        cf_buf_free(&q.raw);
        return rc;
    }
    r->op = op;
    r->path = path;
    r->query = q.v.p;
    r->nquery = q.v.n;
    r->query_raw = q.raw.len ? cf_buf_take(&q.raw) : NULL;
    cf_buf_free(&q.raw);
    struct pairs h = {0};
    for (size_t i = 0; i < nheaders; i++) {
        const char *k = headers[i].name, *v = headers[i].value ? headers[i].value : "";
        if (!strcasecmp(k, "x-vault-token") && *v && !r->token) {
            r->token = strdup(v);
        } else if (!strcasecmp(k, "authorization") && !strncasecmp(v, "Bearer ", 7)) {
            if (!r->token && v[7])
                r->token = strdup(v + 7);
        } else {
            on_header(&h, MHD_HEADER_KIND, k, strlen(k), v, strlen(v));
            if (!strcasecmp(k, "content-type") && !r->content_type)
                r->content_type = strdup(v);
        }
    }
    r->headers = h.p;
    r->nheaders = h.n;
    r->method = strdup(method);
    r->remote_addr = strdup(remote ? remote : "");
    if (body_len) {
        r->body = malloc(body_len + 1);
        if (r->body) {
            memcpy(r->body, body, body_len);
            r->body[body_len] = '\0';
            r->body_len = body_len;
        }
    }
    if (h.err || !r->method || !r->remote_addr || (body_len && !r->body) ||
        cf_uuid(r->id)) {
        cf_request_free(r);
        return CF_ENOMEM;
    }
    *out = r;
    return 0;
}
