/* Fuzz entry for the tls plugin's frame decoders (plugins/tls/wire.c), the
 * first code that reads what a cluster peer sends. The input is a frame
 * after its u32 length, as cf_tls_read_frame hands it on: type, id,
 * payload. Every decoder sees every input; what one accepts must encode
 * back to the same bytes. Built with the plugin's include path only (SDK
 * headers); see fuzz.h for the two ways it is built. */
#include "fuzz.h"
#include "tls.h"
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("frame",
               "\x01\x02\x03\x04\x00\x00\x00\x00\x00\xff\xff\xff\xff"
               "GETPOST/v1/secret?X-Vault-Token127.0.0.1:8200\x00\x01\x00\x02");

static void *h_alloc(size_t n) { return malloc(n); }
static void *h_realloc(void *p, size_t n) { return realloc(p, n); }
static void h_free(void *p) { free(p); }

static const struct coffer_host HOST = {
    .struct_size = sizeof HOST,
    .alloc = h_alloc,
    .realloc = h_realloc,
    .free = h_free,
};

static uint64_t id_of(const uint8_t *data)
{
    uint64_t id = 0;
    for (int i = 1; i <= 8; i++)
        id = id << 8 | data[i];
    return id;
}

/* b, plus the tail it leaves to send after it, must be the input frame:
 * the same length, id and payload (the type byte is the decoder's choice). */
static void same_bytes(const struct tls_wbuf *b, const uint8_t *tail, size_t tail_len,
                       const uint8_t *data, size_t size)
{
    const uint8_t *payload = data + FRAME_HEAD - 4;
    size_t plen = size - (FRAME_HEAD - 4);
    if (b->oom || b->len < FRAME_HEAD || b->len - FRAME_HEAD + tail_len != plen)
        abort();
    uint32_t n = (uint32_t)b->p[0] << 24 | (uint32_t)b->p[1] << 16 |
        (uint32_t)b->p[2] << 8 | b->p[3];
    size_t inl = b->len - FRAME_HEAD;
    if (n != size || memcmp(b->p + 5, data + 1, 8) ||
        memcmp(b->p + FRAME_HEAD, payload, inl) ||
        (tail_len && memcmp(tail, payload + inl, tail_len)))
        abort();
}

static void request(const uint8_t *data, size_t size)
{
    uint8_t *frame = malloc(size);
    if (!frame)
        return;
    memcpy(frame, data, size);
    struct tls_req r;
    if (cf_tls_decode_request(frame, size, &r)) {
        if (r.frame || r.arena || r.hdrs)
            abort(); /* a refusal leaves nothing behind */
        return;
    }
    const uint8_t *tail;
    size_t tail_len;
    struct tls_wbuf b = {0};
    if (cf_tls_encode_request(&r.req, &b, &tail, &tail_len))
        abort();
    cf_tls_frame_set_id(&b, id_of(data)); /* as the serving side answers */
    same_bytes(&b, tail, tail_len, data, size);
    cf_tls_wbuf_free(&b);
    cf_tls_req_free(&r);
}

static void response(const uint8_t *data, size_t size)
{
    const uint8_t *payload = data + FRAME_HEAD - 4;
    size_t plen = size - (FRAME_HEAD - 4);
    struct coffer_fwd_response r = {0};
    if (cf_tls_decode_response(&HOST, payload, plen, &r))
        return;
    const uint8_t *tail;
    size_t tail_len;
    struct tls_wbuf b = {0};
    if (cf_tls_encode_response(id_of(data), &r, &b, &tail, &tail_len))
        abort();
    same_bytes(&b, tail, tail_len, data, size);
    cf_tls_wbuf_free(&b);
    cf_tls_response_clear(&HOST, &r);
    if (r.headers || r.body || r.nheaders)
        abort();
}

static void ping(const uint8_t *data, size_t size)
{
    const uint8_t *payload = data + FRAME_HEAD - 4;
    size_t plen = size - (FRAME_HEAD - 4);
    uint64_t t;
    const uint8_t *info;
    uint32_t ilen;
    if (cf_tls_decode_ping(payload, plen, &t, &info, &ilen))
        return;
    if (info < payload || info + ilen > payload + plen)
        abort();
    struct tls_wbuf b = {0};
    if (cf_tls_encode_ping(data[0], id_of(data), t, info, ilen, &b))
        abort();
    same_bytes(&b, NULL, 0, data, size);
    cf_tls_wbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* cf_tls_read_frame refuses anything shorter than type + id */
    if (size < FRAME_HEAD - 4)
        return 0;
    request(data, size);
    response(data, size);
    ping(data, size);
    return 0;
}
