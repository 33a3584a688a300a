/* cf_request / cf_result ⇄ coffer_fwd_request / _response (see the header). */
#include "http/fwd_codec.h"
#include "http/envelope.h"
#include "http/request_parse.h"
#include "util/buf.h"
#include "util/encode.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cf_fwd_request_encode(const struct cf_request *req, struct coffer_fwd_request *out)
{
    struct cf_buf url = {0};
    if (cf_buf_puts(&url, "/v1/") || cf_url_path_encode(&url, req->path)) {
        cf_buf_free(&url);
        return CF_ENOMEM;
    }
    struct coffer_header *hs = calloc(req->nheaders + 1, sizeof *hs);
    if (!hs) {
        cf_buf_free(&url);
        return CF_ENOMEM;
    }
    size_t nh = 0;
    for (size_t i = 0; i < req->nheaders; i++)
        hs[nh++] = (struct coffer_header){req->headers[i].key, req->headers[i].value};
    if (req->token)
        hs[nh++] = (struct coffer_header){"x-vault-token", req->token};
    *out = (struct coffer_fwd_request){
        .method = req->method,
        .path = cf_buf_take(&url),
        .query = req->query_raw ? req->query_raw : "",
        .headers = hs,
        .nheaders = nh,
        .remote_addr = req->remote_addr ? req->remote_addr : "",
        .body = (const uint8_t *)req->body,
        .body_len = req->body_len,
    };
    return 0;
}

void cf_fwd_request_release(struct coffer_fwd_request *fr)
{
    free((char *)fr->path);
    free((struct coffer_header *)fr->headers);
    memset(fr, 0, sizeof *fr);
}

int cf_fwd_request_decode(const struct coffer_fwd_request *fr, struct cf_request **out,
                          struct cf_result *res)
{
    struct cf_request *req = NULL;
    int status = 500;
    struct coffer_err err = {"internal error"};
    int rc = cf_http_request_from_parts(fr->method, fr->path, fr->query, fr->headers,
                                        fr->nheaders, fr->remote_addr, fr->body,
                                        fr->body_len, &req, &status, &err);
    if (rc == CF_EINVAL) {
        if (err.msg[0])
            cf_result_error(res, status, "%s", err.msg);
        else
            res->status = status;
        return rc;
    }
    if (rc)
        return rc;
    /* The standby's listener held the body to its limits. */
    if (cf_http_request_body(req, NULL, &err)) {
        cf_result_error(res, 400, "%s", err.msg);
        cf_request_free(req);
        return CF_EINVAL;
    }
    req->forwarded = 1;
    *out = req;
    return 0;
}

static void add_header(struct coffer_fwd_response *out, const char *name,
                       const char *value)
{
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    out->headers[out->nheaders].name = n;
    out->headers[out->nheaders++].value = v;
}

void cf_fwd_response_encode(const struct cf_result *res, const char *request_id,
                            struct coffer_fwd_response *out)
{
    int status;
    char *body = NULL;
    size_t len = 0;
    int failed = cf_envelope_render_or_fail(res, request_id, &status, &body, &len);
    *out = (struct coffer_fwd_response){
        .status = status, .body = (uint8_t *)body, .body_len = len};
    out->headers = calloc(res->nheaders + 2, sizeof *out->headers);
    if (!out->headers)
        return;
    if (body)
        add_header(out, "content-type", "application/json");
    add_header(out, "cache-control", "no-store");
    for (size_t i = 0; !failed && i < res->nheaders; i++)
        add_header(out, res->headers[i].key, res->headers[i].value);
}

/* Headers that describe the hop, not the answer. */
static int hop_header(const char *name)
{
    static const char *const H[] = {"content-type",
                                    "cache-control",
                                    "content-length",
                                    "connection",
                                    "date",
                                    "transfer-encoding",
                                    NULL};
    for (const char *const *h = H; *h; h++)
        if (!strcasecmp(name, *h))
            return 1;
    return 0;
}

int cf_fwd_response_decode(const struct coffer_fwd_response *resp, struct cf_result *res)
{
    res->status = resp->status;
    if (resp->body_len) {
        res->raw = malloc(resp->body_len + 1);
        if (!res->raw)
            return CF_ENOMEM;
        memcpy(res->raw, resp->body, resp->body_len);
        res->raw[resp->body_len] = '\0';
    }
    for (size_t i = 0; i < resp->nheaders; i++)
        if (!hop_header(resp->headers[i].name))
            cf_result_header(res, resp->headers[i].name, resp->headers[i].value);
    return 0;
}
