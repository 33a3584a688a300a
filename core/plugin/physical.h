/* The physical layer: a storage plugin instance behind core-friendly calls.
 * Values here are ciphertext; the barrier sits above. Thread-safe. */
#ifndef CF_PHYSICAL_H
#define CF_PHYSICAL_H

#include <stddef.h>
#include <stdint.h>
#include <coffer/errors.h>
#include <coffer/storage.h>

struct cf_physical;

/* *val is malloc'd, owned by the caller (free with cf_free_secret).
 * CF_ENOENT when missing. */
int cf_physical_get(struct cf_physical *p, const char *key, uint8_t **val, size_t *len);
int cf_physical_put(struct cf_physical *p, const char *key, const uint8_t *val,
                    size_t len);
int cf_physical_delete(struct cf_physical *p, const char *key);
/* Children of prefix (folders end in '/'), sorted. *keys is a malloc'd
 * array of malloc'd strings, free with cf_strv_free. */
int cf_physical_list(struct cf_physical *p, const char *prefix, char ***keys, size_t *n);
/* Applies ops (borrowed) atomically when the plugin offers txn, else one by
 * one in order, stopping at the first failure: callers order ops so that
 * any prefix that lands is still consistent. CF_EINVAL, nothing applied,
 * for an op kind other than put and delete. */
int cf_physical_txn(struct cf_physical *p, const struct coffer_txn_op *ops, size_t n);
/* The read cache (plugin/cache.h): made once with room for entries
 * (CF_ENOMEM), off until enabled. Enabling or disabling empties it; the
 * core keeps it on only while this node is the one writer (a non-HA node
 * once built, an HA node while active). */
int cf_physical_cache_init(struct cf_physical *p, size_t entries);
void cf_physical_cache_enable(struct cf_physical *p, int on);
/* CF_ENOENT when there is no cache or it is off. */
int cf_physical_cache_stats(struct cf_physical *p, size_t *entries, uint64_t *hits,
                            uint64_t *misses);
/* Plugin name ("bdb", "inmem"...), borrowed. */
const char *cf_physical_name(const struct cf_physical *p);
/* Waits for calls inside the plugin to return (later calls get
 * CF_ECANCELED), then closes the instance. p may be NULL. */
void cf_physical_free(struct cf_physical *p);

/* Wraps an open plugin instance. vt is borrowed (static in the plugin),
 * name is copied; inst is owned: cf_physical_free calls vt->close(inst),
 * then on_free(on_free_arg) if given (host.c frees its host table there). */
int cf_physical_new(const struct coffer_storage *vt, void *inst, const char *name,
                    void (*on_free)(void *), void *on_free_arg, struct cf_physical **out);
#endif
