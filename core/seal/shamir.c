/* Split and combine unseal key shares with libgfshare, drawing every random
 * coefficient and x coordinate from GnuTLS's key-grade generator. */
#include "seal/shamir.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <libgfshare.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECRET 65536

static void gnutls_fill(unsigned char *p, unsigned int n)
{
    /* The library offers no way to report failure, and predictable
     * polynomial coefficients would leak the secret: stop instead. */
    if (n && gnutls_rnd(GNUTLS_RND_KEY, p, n))
        abort();
}

/* gfshare_fill_rand is a global of the library itself (its default is NULL
 * or random()), used by splitting and by every gfshare_ctx_free. We must set
 * it, once and before any context exists; this pthread_once is the one
 * file-scope state in the core, forced on us by libgfshare's API. Setting it
 * to the same function is harmless to other users in the process. */
static pthread_once_t rand_once = PTHREAD_ONCE_INIT;

static void set_rand(void) { gfshare_fill_rand = gnutls_fill; }

void cf_shamir_shares_free(uint8_t **shares, size_t n, size_t share_len)
{
    if (!shares)
        return;
    for (size_t i = 0; i < n; i++)
        cf_free_secret(shares[i], share_len);
    free(shares);
}

/* n distinct non-zero x coordinates, chosen at random as Vault does. */
static int pick_xs(unsigned char *xs, int n)
{
    unsigned char all[255];
    for (int i = 0; i < 255; i++)
        all[i] = (unsigned char)(i + 1);
    for (int i = 0; i < n; i++) {
        /* Partial Fisher-Yates; rejection keeps the draw unbiased. */
        int span = 255 - i, limit = 256 - 256 % span;
        uint8_t r;
        do {
            if (gnutls_rnd(GNUTLS_RND_NONCE, &r, 1))
                return CF_EIO;
        } while (r >= limit);
        int j = i + r % span;
        unsigned char tmp = all[i];
        all[i] = all[j];
        all[j] = tmp;
        xs[i] = all[i];
    }
    return 0;
}

int cf_shamir_split(const uint8_t *secret, size_t len, int n, int t, uint8_t ***shares)
{
    if (!secret || !len || len > MAX_SECRET || n < 1 || n > 255 || t < 1 || t > n)
        return CF_EINVAL;
    pthread_once(&rand_once, set_rand);
    unsigned char xs[255];
    int rc = pick_xs(xs, n);
    if (rc)
        return rc;
    uint8_t **out = calloc((size_t)n, sizeof *out);
    if (!out)
        return CF_ENOMEM;
    for (int i = 0; i < n; i++)
        if (!(out[i] = malloc(len + 1))) {
            cf_shamir_shares_free(out, (size_t)i, len + 1);
            return CF_ENOMEM;
        }
    /* The library takes non-const secrets but only copies them. */
    uint8_t *copy = malloc(len);
    gfshare_ctx *g = copy
        ? gfshare_ctx_init_enc(xs, (unsigned)n, (unsigned char)t, (unsigned)len)
        : NULL;
    if (!g) {
        cf_free_secret(copy, len);
        cf_shamir_shares_free(out, (size_t)n, len + 1);
        return CF_ENOMEM;
    }
    memcpy(copy, secret, len);
    gfshare_ctx_enc_setsecret(g, copy);
    cf_free_secret(copy, len);
    for (int i = 0; i < n; i++) {
        gfshare_ctx_enc_getshare(g, (unsigned char)i, out[i]);
        out[i][len] = xs[i];
    }
    gfshare_ctx_free(g);
    *shares = out;
    return 0;
}

int cf_shamir_combine(const uint8_t *const *shares, size_t n, size_t share_len,
                      uint8_t **secret, size_t *len)
{
    if (!shares || !n || n > 255 || share_len < 2 || share_len - 1 > MAX_SECRET)
        return CF_EINVAL;
    unsigned char xs[255];
    int seen[256] = {0};
    for (size_t i = 0; i < n; i++) {
        unsigned char x = shares[i][share_len - 1];
        if (!x || seen[x])
            return CF_EINVAL;
        seen[x] = 1;
        xs[i] = x;
    }
    size_t slen = share_len - 1;
    pthread_once(&rand_once, set_rand);
    uint8_t *out = malloc(slen), *y = malloc(slen);
    gfshare_ctx *g =
        out && y ? gfshare_ctx_init_dec(xs, (unsigned)n, (unsigned)slen) : NULL;
    if (!g) {
        free(out);
        free(y);
        return CF_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        memcpy(y, shares[i], slen);
        gfshare_ctx_dec_giveshare(g, (unsigned char)i, y);
    }
    cf_free_secret(y, slen);
    gfshare_ctx_dec_extract(g, out);
    gfshare_ctx_free(g);
    *secret = out;
    *len = slen;
    return 0;
}
