/* The physical read cache (Vault's cache_size / disable_cache): the last
 * max_entries values read or written, ciphertext as the plugin holds it,
 * and the keys known missing, so that the active node does not pay a
 * storage round trip (a network one on ZooKeeper) for every read. The
 * physical layer writes through it under per-key stripe locks. */
#ifndef CF_CACHE_H
#define CF_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cf_cache;

/* Values longer than this are passed through, never held. */
#define CF_CACHE_MAX_VALUE (1u << 20)

/* max_entries >= 1. *out is the caller's (cf_cache_free). CF_ENOMEM. */
int cf_cache_new(size_t max_entries, struct cf_cache **out);
void cf_cache_free(struct cf_cache *c);

/* The stripe lock for key: readers hold it shared across the storage call
 * and the fill, writers exclusive across the write and the update, so a
 * slow read can never put back a value a write replaced. */
void cf_cache_lock(struct cf_cache *c, const char *key, int exclusive);
void cf_cache_unlock(struct cf_cache *c, const char *key);
/* Locks every stripe that the keys fall in, in one order (a transaction). */
void cf_cache_lock_keys(struct cf_cache *c, const char *const *keys, size_t n);
void cf_cache_unlock_keys(struct cf_cache *c, const char *const *keys, size_t n);

/* 1 and a copy in *val (malloc'd, caller frees) when key is held, with
 * *val NULL when it is held as missing; 0 when not held; CF_ENOMEM. Only
 * while enabled. */
int cf_cache_get(struct cf_cache *c, const char *key, uint8_t **val, size_t *len);
/* Holds key's value (val NULL: known missing), evicting the least recently
 * used entry past max_entries; drops it instead when val is too long or
 * memory is short. Caller holds key's stripe. No-op while disabled. */
void cf_cache_set(struct cf_cache *c, const char *key, const uint8_t *val, size_t len);
/* Forgets key (a write whose outcome is unknown). */
void cf_cache_drop(struct cf_cache *c, const char *key);
/* Empties the cache and turns it on or off, with every stripe held so that
 * no call in flight fills it afterwards. */
void cf_cache_enable(struct cf_cache *c, int on);
int cf_cache_enabled(struct cf_cache *c);
/* Entries held, hits and misses since creation (for tests and metrics). */
void cf_cache_stats(struct cf_cache *c, size_t *entries, uint64_t *hits,
                    uint64_t *misses);

#endif
