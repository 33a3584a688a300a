/* The frame codec of coffer/transport.h: big-endian integers,
 * length-prefixed strings without NUL, one frame per REQUEST, RESPONSE,
 * PING or PONG. Decoding trusts nothing: every length is checked against
 * what is left of the frame. */
#include "tls.h"
#include <stdlib.h>
#include <string.h>

/* Bodies up to this size travel in the same buffer as the frame head, so
 * that a small request is one TLS record; larger ones are sent from the
 * caller's memory without a copy. */
#define INLINE_BODY (16u * 1024)

static void reserve(struct tls_wbuf *b, size_t n)
{
    if (b->oom)
        return;
    if (n > TLS_MAX_FRAME + 64 || b->len + n > TLS_MAX_FRAME + 64) {
        b->oom = 1;
        return;
    }
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void put(struct tls_wbuf *b, const void *p, size_t n)
{
    reserve(b, n);
    if (b->oom || !n)
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_be(struct tls_wbuf *b, uint64_t v, int bytes)
{
    uint8_t t[8];
    for (int i = 0; i < bytes; i++)
        t[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    put(b, t, (size_t)bytes);
}

static void put_str(struct tls_wbuf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n > TLS_MAX_FRAME) {
        b->oom = 1;
        return;
    }
    put_be(b, n, 4);
    put(b, s, n);
}

void cf_tls_wbuf_free(struct tls_wbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void cf_tls_frame_begin(struct tls_wbuf *b, uint8_t type, uint64_t id)
{
    put_be(b, 0, 4);
    put_be(b, type, 1);
    put_be(b, id, 8);
}

static void store_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

void cf_tls_frame_end(struct tls_wbuf *b, size_t extra)
{
    if (b->oom || b->len < FRAME_HEAD)
        return;
    size_t rest = b->len - 4 + extra;
    if (rest > TLS_MAX_FRAME) {
        b->oom = 1;
        return;
    }
    store_be(b->p, rest, 4);
}

void cf_tls_frame_set_id(struct tls_wbuf *b, uint64_t id)
{
    if (!b->oom && b->len >= FRAME_HEAD)
        store_be(b->p + 5, id, 8);
}

static int headers_out(struct tls_wbuf *b, const struct coffer_header *h, size_t n)
{
    if (n > 0xffff || (n && !h))
        return CF_EINVAL;
    put_be(b, n, 2);
    for (size_t i = 0; i < n; i++) {
        put_str(b, h[i].name);
        put_str(b, h[i].value);
    }
    return 0;
}

/* The body goes last in both REQUEST and RESPONSE. */
static int body_out(struct tls_wbuf *b, const uint8_t *body, size_t len,
                    const uint8_t **tail, size_t *tail_len)
{
    if (len > TLS_MAX_FRAME || (len && !body))
        return CF_EINVAL;
    put_be(b, len, 4);
    *tail = NULL;
    *tail_len = 0;
    if (len <= INLINE_BODY) {
        put(b, body, len);
        cf_tls_frame_end(b, 0);
    } else {
        *tail = body;
        *tail_len = len;
        cf_tls_frame_end(b, len);
    }
    return b->oom ? CF_EINVAL : 0;
}

int cf_tls_encode_request(const struct coffer_fwd_request *req, struct tls_wbuf *b,
                          const uint8_t **tail, size_t *tail_len)
{
    if (!req->method || !req->path)
        return CF_EINVAL;
    cf_tls_frame_begin(b, FRAME_REQUEST, 0);
    put_str(b, req->method);
    put_str(b, req->path);
    put_str(b, req->query);
    if (headers_out(b, req->headers, req->nheaders))
        return CF_EINVAL;
    put_str(b, req->remote_addr);
    return body_out(b, req->body, req->body_len, tail, tail_len);
}

int cf_tls_encode_response(uint64_t id, const struct coffer_fwd_response *resp,
                           struct tls_wbuf *b, const uint8_t **tail, size_t *tail_len)
{
    if (resp->status < 0 || resp->status > 0xffff)
        return CF_EINVAL;
    cf_tls_frame_begin(b, FRAME_RESPONSE, id);
    put_be(b, (uint64_t)resp->status, 2);
    if (headers_out(b, resp->headers, resp->nheaders))
        return CF_EINVAL;
    return body_out(b, resp->body, resp->body_len, tail, tail_len);
}

int cf_tls_encode_ping(uint8_t type, uint64_t id, uint64_t mono_us, const uint8_t *info,
                       size_t info_len, struct tls_wbuf *b)
{
    if (info_len > TLS_MAX_FRAME / 2)
        return CF_EINVAL;
    cf_tls_frame_begin(b, type, id);
    put_be(b, mono_us, 8);
    put_be(b, info_len, 4);
    put(b, info, info_len);
    cf_tls_frame_end(b, 0);
    return b->oom ? CF_EINVAL : 0;
}

/* ---- decoding ---- */

static uint64_t get_be(struct tls_rbuf *r, int bytes)
{
    if (r->bad || r->len - r->off < (size_t)bytes) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = (v << 8) | r->p[r->off + (size_t)i];
    r->off += (size_t)bytes;
    return v;
}

static const uint8_t *get_bytes(struct tls_rbuf *r, size_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

/* A string field: NUL inside would let "a\0b" pass as "a" downstream. */
static const uint8_t *get_str(struct tls_rbuf *r, uint32_t *n)
{
    *n = (uint32_t)get_be(r, 4);
    const uint8_t *p = get_bytes(r, *n);
    if (p && memchr(p, 0, *n)) {
        r->bad = 1;
        return NULL;
    }
    return p;
}

/* Copies a string field into the arena, NUL-terminated. */
static const char *arena_str(struct tls_rbuf *r, char **at)
{
    uint32_t n;
    const uint8_t *p = get_str(r, &n);
    if (!p)
        return NULL;
    char *s = *at;
    memcpy(s, p, n);
    s[n] = '\0';
    *at += n + 1;
    return s;
}

void cf_tls_req_free(struct tls_req *r)
{
    free(r->hdrs);
    free(r->arena);
    free(r->frame);
    memset(r, 0, sizeof *r);
}

int cf_tls_decode_request(uint8_t *frame, size_t len, struct tls_req *out)
{
    memset(out, 0, sizeof *out);
    out->frame = frame;
    struct tls_rbuf r = {frame, len, FRAME_HEAD - 4, 0};
    /* A first pass only to size the header table: nheaders is fixed after
     * three strings. Each string costs at least its 4-byte length, so the
     * arena never needs more than len bytes plus one NUL per string. */
    uint32_t n;
    get_str(&r, &n);
    get_str(&r, &n);
    get_str(&r, &n);
    size_t nh = (size_t)get_be(&r, 2);
    if (r.bad)
        goto bad;
    size_t nstr = 4 + 2 * nh;
    out->arena = malloc(len + nstr);
    out->hdrs = nh ? calloc(nh, sizeof *out->hdrs) : NULL;
    if (!out->arena || (nh && !out->hdrs))
        goto bad;
    char *at = out->arena;
    r = (struct tls_rbuf){frame, len, FRAME_HEAD - 4, 0};
    struct coffer_fwd_request *q = &out->req;
    q->method = arena_str(&r, &at);
    q->path = arena_str(&r, &at);
    q->query = arena_str(&r, &at);
    get_be(&r, 2);
    for (size_t i = 0; i < nh && !r.bad; i++) {
        out->hdrs[i].name = arena_str(&r, &at);
        out->hdrs[i].value = arena_str(&r, &at);
    }
    q->headers = out->hdrs;
    q->nheaders = nh;
    q->remote_addr = arena_str(&r, &at);
    size_t blen = (size_t)get_be(&r, 4);
    q->body = get_bytes(&r, blen);
    q->body_len = blen;
    if (!blen)
        q->body = NULL;
    if (r.bad || r.off != len)
        goto bad;
    return 0;
bad:
    cf_tls_req_free(out);
    return CF_EINVAL;
}

static char *host_strndup(const struct coffer_host *h, const uint8_t *p, size_t n)
{
    char *s = h->alloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

void cf_tls_response_clear(const struct coffer_host *host, struct coffer_fwd_response *r)
{
    for (size_t i = 0; r->headers && i < r->nheaders; i++) {
        host->free((void *)r->headers[i].name);
        host->free((void *)r->headers[i].value);
    }
    host->free(r->headers);
    host->free(r->body);
    memset(r, 0, sizeof *r);
}

int cf_tls_decode_response(const struct coffer_host *host, const uint8_t *payload,
                           size_t len, struct coffer_fwd_response *out)
{
    struct tls_rbuf r = {payload, len, 0, 0};
    struct coffer_fwd_response x = {0};
    x.status = (int)get_be(&r, 2);
    size_t nh = (size_t)get_be(&r, 2);
    int rc = CF_EINVAL;
    if (r.bad || nh * 8 > len)
        return CF_EINVAL;
    if (nh) {
        if (!(x.headers = host->alloc(nh * sizeof *x.headers)))
            return CF_ENOMEM;
        memset(x.headers, 0, nh * sizeof *x.headers);
        x.nheaders = nh;
    }
    for (size_t i = 0; i < nh; i++) {
        uint32_t kn, vn;
        const uint8_t *k = get_str(&r, &kn);
        const uint8_t *v = get_str(&r, &vn);
        if (r.bad)
            goto out;
        x.headers[i].name = host_strndup(host, k, kn);
        x.headers[i].value = host_strndup(host, v, vn);
        if (!x.headers[i].name || !x.headers[i].value) {
            rc = CF_ENOMEM;
            goto out;
        }
    }
    size_t blen = (size_t)get_be(&r, 4);
    const uint8_t *body = get_bytes(&r, blen);
    if (r.bad || r.off != len)
        goto out;
    if (blen) {
        if (!(x.body = host->alloc(blen))) {
            rc = CF_ENOMEM;
            goto out;
        }
        memcpy(x.body, body, blen);
        x.body_len = blen;
    }
    *out = x;
    return 0;
out:
    cf_tls_response_clear(host, &x);
    return rc;
}

int cf_tls_decode_ping(const uint8_t *payload, size_t len, uint64_t *mono_us,
                       const uint8_t **info, uint32_t *info_len)
{
    struct tls_rbuf r = {payload, len, 0, 0};
    *mono_us = get_be(&r, 8);
    *info = get_str(&r, info_len);
    return r.bad || r.off != len ? CF_EINVAL : 0;
}
