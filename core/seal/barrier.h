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
int cf_barrier_initialize(struct cf_barrier *b, const uint8_t *root_key, size_t len);
/* Decrypts the keyring with root_key. CF_EDENIED when the key is wrong. */
int cf_barrier_unseal(struct cf_barrier *b, const uint8_t *root_key, size_t len);
/* Drops (and zeroes) the keyring. Idempotent. */
int cf_barrier_seal(struct cf_barrier *b);
int cf_barrier_sealed(struct cf_barrier *b);

/* Each returns CF_ESEALED while sealed. get: *val malloc'd, caller frees
 * with cf_free_secret; CF_ENOENT when missing; CF_EIO if a value fails
 * authentication (tampered or wrong key). */
int cf_barrier_get(struct cf_barrier *b, const char *key, uint8_t **val, size_t *len);
int cf_barrier_put(struct cf_barrier *b, const char *key, const uint8_t *val, size_t len);
int cf_barrier_delete(struct cf_barrier *b, const char *key);
int cf_barrier_list(struct cf_barrier *b, const char *prefix, char ***keys, size_t *n);

/* Applies puts and deletes (keys and values borrowed) through
 * cf_physical_txn: in one storage transaction when the plugin offers one,
 * else one by one in order, so order ops so that a partial write is still
 * consistent. */
int cf_barrier_txn(struct cf_barrier *b, const struct coffer_txn_op *ops, size_t n);

/* Adds a new term and makes it the encryption key (sys/rotate). */
int cf_barrier_rotate(struct cf_barrier *b);

/* Automatic rotation (sys/rotate/config). The barrier keeps it encrypted at
 * "core/rotate-config" together with the encryption count of the active
 * term, so neither a restart nor a failover resets the count to zero.
 * The barrier takes any max_operations >= 1; Vault's bounds are the
 * caller's to enforce (the CF_ROTATE_* below). */
#define CF_ROTATE_MAX_OPS_DEFAULT 3865470566ULL /* about 0.9 * 2^32 */
#define CF_ROTATE_MAX_OPS_MIN 1000000ULL
#define CF_ROTATE_INTERVAL_MIN (24LL * 3600) /* seconds */

struct cf_rotate_config {
    unsigned long long max_operations;
    long long interval_secs; /* 0: no age limit */
    int enabled;             /* 0: only count, never rotate */
};

/* Vault's defaults: enabled, CF_ROTATE_MAX_OPS_DEFAULT, no interval. */
void cf_rotate_config_default(struct cf_rotate_config *out);
/* Whether a term with this many encryptions, installed at install_ns,
 * is due under cfg at now_ns. */
int cf_rotate_due(const struct cf_rotate_config *cfg, unsigned long long encryptions,
                  int64_t install_ns, int64_t now_ns);
/* The config in force. CF_ESEALED while sealed. */
int cf_barrier_rotate_config(struct cf_barrier *b, struct cf_rotate_config *out);
/* Stores cfg (borrowed) and puts it in force. CF_EINVAL on max_operations 0
 * or a negative interval. */
int cf_barrier_set_rotate_config(struct cf_barrier *b,
                                 const struct cf_rotate_config *cfg);
/* Rotates when the active term is due under cfg (NULL: the config in
 * force); *rotated says whether it did. Takes the exclusive lock, so never
 * call it from inside another barrier call. */
int cf_barrier_rotate_if_due(struct cf_barrier *b, const struct cf_rotate_config *cfg,
                             int *rotated);
/* The active node's periodic work: merges the stored count and config
 * (another node may have been active), stores this node's count, then
 * rotates if due. *rotated as above. */
int cf_barrier_housekeep(struct cf_barrier *b, int *rotated);
/* sys/key-status: current term, its install time, encryptions under it. */
int cf_barrier_key_status(struct cf_barrier *b, unsigned *term, int64_t *install_time_ns,
                          unsigned long long *encryptions);

#endif
