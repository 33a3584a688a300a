/* AES-256-GCM with a random 96-bit nonce: the one sealing primitive under
 * the barrier (values and keyring) and the seal (root key under the unseal
 * key), so both use the same GnuTLS calls and the same failure mapping. */
#ifndef CF_AEAD_H
#define CF_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define CF_AEAD_KEY_LEN 32
#define CF_AEAD_NONCE_LEN 12
#define CF_AEAD_TAG_LEN 16
#define CF_AEAD_OVERHEAD (CF_AEAD_NONCE_LEN + CF_AEAD_TAG_LEN)

/* Writes nonce || ciphertext || tag into out, which must hold
 * ptlen + CF_AEAD_OVERHEAD bytes. Everything is borrowed. */
int cf_aead_seal(const uint8_t *key, const void *ad, size_t adlen, const uint8_t *pt,
                 size_t ptlen, uint8_t *out);
/* Reverse of cf_aead_seal into out (inlen - CF_AEAD_OVERHEAD bytes).
 * CF_EIO if authentication fails (out is zeroed then), CF_EINVAL if in
 * is too short. Everything is borrowed. */
int cf_aead_open(const uint8_t *key, const void *ad, size_t adlen, const uint8_t *in,
                 size_t inlen, uint8_t *out);

#endif
