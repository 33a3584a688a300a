/* AES-256-GCM through GnuTLS. A cipher handle is made per call: GnuTLS
 * handles keep the nonce in their state, so one shared handle would need a
 * lock around every value; the key schedule costs far less than that. */
#include "seal/aead.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <string.h>

static int open_handle(const uint8_t *key, gnutls_aead_cipher_hd_t *h)
{
    gnutls_datum_t k = {(unsigned char *)key, CF_AEAD_KEY_LEN};
    int rc = gnutls_aead_cipher_init(h, GNUTLS_CIPHER_AES_256_GCM, &k);
    return rc == GNUTLS_E_MEMORY_ERROR ? CF_ENOMEM : rc ? CF_EIO : 0;
}

int cf_aead_seal(const uint8_t *key, const void *ad, size_t adlen, const uint8_t *pt,
                 size_t ptlen, uint8_t *out)
{
    static const uint8_t empty[1];
    gnutls_aead_cipher_hd_t h;
    int rc = open_handle(key, &h);
    if (rc)
        return rc;
    /* A 96-bit random nonce per value: safe far beyond the number of
     * writes one term sees (rotate resets the count). */
    if (gnutls_rnd(GNUTLS_RND_NONCE, out, CF_AEAD_NONCE_LEN)) {
        gnutls_aead_cipher_deinit(h);
        return CF_EIO;
    }
    size_t clen = ptlen + CF_AEAD_TAG_LEN;
    rc = gnutls_aead_cipher_encrypt(h, out, CF_AEAD_NONCE_LEN, ad, adlen, CF_AEAD_TAG_LEN,
                                    ptlen ? pt : empty, ptlen, out + CF_AEAD_NONCE_LEN,
                                    &clen);
    gnutls_aead_cipher_deinit(h);
    if (rc || clen != ptlen + CF_AEAD_TAG_LEN) {
        cf_zero(out, ptlen + CF_AEAD_OVERHEAD);
        return rc == GNUTLS_E_MEMORY_ERROR ? CF_ENOMEM : CF_EIO;
    }
    return 0;
}

int cf_aead_open(const uint8_t *key, const void *ad, size_t adlen, const uint8_t *in,
                 size_t inlen, uint8_t *out)
{
    uint8_t scratch[1];
    if (inlen < CF_AEAD_OVERHEAD)
        return CF_EINVAL;
    gnutls_aead_cipher_hd_t h;
    int rc = open_handle(key, &h);
    if (rc)
        return rc;
    size_t plen = inlen - CF_AEAD_OVERHEAD;
    uint8_t *dst = plen ? out : scratch;
    size_t got = plen;
    rc = gnutls_aead_cipher_decrypt(h, in, CF_AEAD_NONCE_LEN, ad, adlen, CF_AEAD_TAG_LEN,
                                    in + CF_AEAD_NONCE_LEN, inlen - CF_AEAD_NONCE_LEN,
                                    dst, &got);
    gnutls_aead_cipher_deinit(h);
    if (rc || got != plen) {
        cf_zero(dst, plen ? plen : sizeof scratch);
        return rc == GNUTLS_E_MEMORY_ERROR ? CF_ENOMEM : CF_EIO;
    }
    return 0;
}
