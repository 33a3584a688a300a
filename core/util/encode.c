/* Hex/base64 codecs and random identifiers (GnuTLS RNG). */
#include "util/encode.h"
#include <coffer/errors.h>
#include "util/secret.h"
#include "util/buf.h"
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_random_bytes(void *p, size_t n)
{
    return gnutls_rnd(GNUTLS_RND_KEY, p, n) == 0 ? 0 : CF_EIO;
}

int cf_hex_encode(const uint8_t *in, size_t n, char **out)
{
    static const char d[] = "0123456789abcdef";
    char *s = malloc(n * 2 + 1);
    if (!s)
        return CF_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = d[in[i] >> 4];
        s[2 * i + 1] = d[in[i] & 15];
    }
    s[n * 2] = '\0';
    *out = s;
    return 0;
}

int cf_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int cf_hex_decode(const char *in, uint8_t **out, size_t *outlen)
{
    size_t n = strlen(in);
    if (n % 2)
        return CF_EINVAL;
    uint8_t *b = malloc(n / 2 + 1);
    if (!b)
        return CF_ENOMEM;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = cf_hexval(in[2 * i]), lo = cf_hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            cf_free_secret(b, n / 2 + 1);
            return CF_EINVAL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = b;
    *outlen = n / 2;
    return 0;
}

static const char B64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int cf_b64_encode(const uint8_t *in, size_t n, char **out)
{
    char *s = malloc((n + 2) / 3 * 4 + 1), *p = s;
    if (!s)
        return CF_ENOMEM;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *p++ = B64[v >> 18];
        *p++ = B64[(v >> 12) & 63];
        *p++ = B64[(v >> 6) & 63];
        *p++ = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        *p++ = B64[v >> 18];
        *p++ = B64[(v >> 12) & 63];
        *p++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    *p = '\0';
    *out = s;
    return 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int cf_b64_decode(const char *in, uint8_t **out, size_t *outlen)
{
    size_t n = strlen(in);
    while (n && in[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return CF_EINVAL;
    uint8_t *b = malloc(n * 3 / 4 + 1);
    if (!b)
        return CF_ENOMEM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(in[i]);
        if (v < 0) {
            cf_free_secret(b, n * 3 / 4 + 1);
            return CF_EINVAL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            b[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = b;
    *outlen = o;
    return 0;
}

int cf_random_base62(size_t n, char **out)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char *s = malloc(n + 1);
    if (!s)
        return CF_ENOMEM;
    size_t i = 0;
    while (i < n) {
        unsigned char r[32];
        if (cf_random_bytes(r, sizeof r)) {
            free(s);
            return CF_EIO;
        }
        for (size_t j = 0; j < sizeof r && i < n; j++)
            if (r[j] < 248) /* 248 = 4*62: keeps the draw unbiased */
                s[i++] = a[r[j] % 62];
    }
    s[n] = '\0';
    *out = s;
    return 0;
}

int cf_uuid(char out[37])
{
    unsigned char r[16];
    if (cf_random_bytes(r, sizeof r))
        return CF_EIO;
    r[6] = (r[6] & 0x0f) | 0x40;
    r[8] = (r[8] & 0x3f) | 0x80;
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
    return 0;
}

int cf_url_path_encode(struct cf_buf *b, const char *p)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        int plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || strchr("-._~/", ch);
        char e[3] = {'%', hex[ch >> 4], hex[ch & 15]};
        if (plain ? cf_buf_append(b, p, 1) : cf_buf_append(b, e, 3))
            return CF_ENOMEM;
    }
    return 0;
}

void cf_str_oneline(char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}
