/* The Shamir seal behind sys/init, sys/unseal, sys/seal-status and sys/seal.
 * The root key is stored at "core/root-key" encrypted under an unseal key
 * (KEK) that exists only as shares held by operators; t of them rebuild it
 * and unseal the barrier. Thread-safe (one mutex). */
#ifndef CF_SEAL_H
#define CF_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <coffer/errors.h>
#include "seal/barrier.h"
#include "plugin/physical.h"

struct cf_seal;

/* sys/seal-status. t and n are 0 until initialized; nonce is "" while no
 * unseal attempt is in progress. */
struct cf_seal_status {
    int initialized, sealed, t, n, progress;
    char nonce[37];
};

/* Unseal keys from cf_seal_initialize: n raw shares of len bytes each (the
 * HTTP layer hex/base64-encodes them). */
struct cf_seal_keys {
    size_t n;
    size_t len;
    uint8_t **keys;
};

/* phys and b are borrowed and must outlive the seal. */
int cf_seal_new(struct cf_physical *phys, struct cf_barrier *b, struct cf_seal **out);
/* Zeroes pending shares. Does not seal the barrier. NULL is fine. */
void cf_seal_free(struct cf_seal *s);

/* Fills *out (caller's struct). */
int cf_seal_status(struct cf_seal *s, struct cf_seal_status *out);

/* Zeroes and frees the keys. NULL is fine. */
void cf_seal_keys_free(struct cf_seal_keys *k);

/* sys/init. *keys belongs to the caller (cf_seal_keys_free). CF_EEXIST
 * "Vault is already initialized"; CF_EINVAL "invalid seal configuration:
 * ..." with Vault's wording for bad shares/threshold. Leaves the barrier
 * sealed: to mint a root token, submit t of the keys, then cf_seal_seal.
 * err (caller's, may be NULL) gets the message on failure. */
int cf_seal_initialize(struct cf_seal *s, int shares, int threshold,
                       struct cf_seal_keys **keys, struct coffer_err *err);

/* sys/unseal with one key share as text, hex or else base64 (borrowed).
 * 0 with *unsealed = 1 once unsealed (also when already unsealed), 0 with
 * *unsealed = 0 while more shares are needed (a repeated share is ignored).
 * CF_EINVAL: malformed or wrong-length key ("'key' must be a valid hex or
 * base64 string"), progress kept; or "Vault is not initialized".
 * CF_EDENIED: the t shares do not open the root key; progress is reset. */
int cf_seal_submit(struct cf_seal *s, const char *key_text, int *unsealed,
                   struct coffer_err *err);
/* cf_seal_submit's first step, apart so that it can be fuzzed alone: key
 * text (borrowed) as hex, else base64, into *key of *len bytes, the
 * caller's (cf_free_secret). CF_EINVAL with cf_seal_submit's messages for
 * an empty or undecodable key; no length check (cf_seal_submit_raw's). */
int cf_seal_decode_key(const char *key_text, uint8_t **key, size_t *len,
                       struct coffer_err *err);
/* As cf_seal_submit with the raw share bytes (borrowed). */
int cf_seal_submit_raw(struct cf_seal *s, const uint8_t *key, size_t len, int *unsealed,
                       struct coffer_err *err);

/* Drops the shares submitted so far (progress 0, nonce ""). CF_EINVAL when
 * unsealed (Vault answers 400 "vault is unsealed"). */
int cf_seal_reset(struct cf_seal *s);
/* sys/seal: seals the barrier (zeroing its keys) and drops any progress. */
int cf_seal_seal(struct cf_seal *s);

#endif
