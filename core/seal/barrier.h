/* The barrier: AES-256-GCM over every value written to the physical layer,
 * under a keyring of terms. The keyring itself is encrypted with the root
 * key, which the seal (seal/seal.h) recovers from the unseal keys.
 * Thread-safe; sealing waits for in-flight operations. */
#ifndef CF_BARRIER_H
#define CF_BARRIER_H

#include <stddef.h>
#include <stdint.h>
#include "plugin/physical.h"

#define CF_ROOT_KEY_LEN 32

struct cf_barrier;

/* phys is borrowed and must outlive the barrier. Starts sealed. */
int cf_barrier_new(struct cf_physical *phys, struct cf_barrier **out);
void cf_barrier_free(struct cf_barrier *b);

/* Whether a keyring has been written (the store is initialized). */
int cf_barrier_initialized(struct cf_barrier *b, int *out);
/* Writes a fresh keyring (term 1) encrypted under root_key. CF_EEXIST if
 * already initialized. Leaves the barrier sealed. */
int cf_barrier_initialize(struct cf_barrier *b, const uint8_t *root_key,
                          size_t len);
/* Decrypts the keyring with root_key. CF_EDENIED when the key is wrong. */
int cf_barrier_unseal(struct cf_barrier *b, const uint8_t *root_key,
                      size_t len);
/* Drops (and zeroes) the keyring. Idempotent. */
int cf_barrier_seal(struct cf_barrier *b);
int cf_barrier_sealed(struct cf_barrier *b);

/* Each returns CF_ESEALED while sealed. get: *val malloc'd, caller frees
 * with cf_free_secret; CF_ENOENT when missing; CF_EIO if a value fails
 * authentication (tampered or wrong key). */
int cf_barrier_get(struct cf_barrier *b, const char *key, uint8_t **val,
                   size_t *len);
int cf_barrier_put(struct cf_barrier *b, const char *key, const uint8_t *val,
                   size_t len);
int cf_barrier_delete(struct cf_barrier *b, const char *key);
int cf_barrier_list(struct cf_barrier *b, const char *prefix, char ***keys,
                    size_t *n);

/* Applies puts and deletes (keys and values borrowed) through
 * cf_physical_txn: in one storage transaction when the plugin offers one,
 * else one by one in order, so order ops so that a partial write is still
 * consistent. */
int cf_barrier_txn(struct cf_barrier *b, const struct coffer_txn_op *ops, size_t n);

/* Adds a new term and makes it the encryption key (sys/rotate). */
int cf_barrier_rotate(struct cf_barrier *b);
/* sys/key-status: current term, its install time, encryptions under it. */
int cf_barrier_key_status(struct cf_barrier *b, unsigned *term,
                          int64_t *install_time_ns,
                          unsigned long long *encryptions);

#endif
