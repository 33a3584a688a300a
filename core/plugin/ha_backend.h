/* The host side of one ha instance: the plugin's coffer_ha vtable behind
 * plain calls, with NOTSUP for missing members, a polling fallback for
 * wait_change, and a free that ends blocked calls before closing. */
#ifndef CF_HA_BACKEND_H
#define CF_HA_BACKEND_H

#include <coffer/ha.h>
#include <stdatomic.h>

struct cf_ha_backend;

/* Wraps an open instance (owned from now on: free closes it). cancelled is
 * the flag behind the instance's host->cancelled; free sets it. on_free(arg)
 * runs after close (it frees the host table). name is copied. */
int cf_ha_backend_new(const struct coffer_ha *vt, void *inst, const char *name,
                      atomic_int *cancelled, void (*on_free)(void *), void *on_free_arg,
                      struct cf_ha_backend **out);

/* Blocks until held (0, *lock owned by the caller: release with
 * cf_ha_backend_unlock), cancel fires or the backend is freed
 * (CF_ECANCELED), or the backend fails (CF_EUNAVAIL, CF_EIO...; err says
 * why). key, value and cancel are borrowed; on_lost(arg) as in coffer/ha.h. */
int cf_ha_backend_lock(struct cf_ha_backend *b, const char *key, const char *value,
                       const struct coffer_cancel *cancel, coffer_lock_lost_cb on_lost,
                       void *arg, void **lock, struct coffer_err *err);
/* Releases and frees lock (NULL is a no-op); on_lost never fires after. */
int cf_ha_backend_unlock(struct cf_ha_backend *b, void *lock);
/* *held 0/1; when held, *value is the holder's value (malloc'd, caller
 * frees), else *value is NULL. */
int cf_ha_backend_value(struct cf_ha_backend *b, const char *key, int *held,
                        char **value);
/* Blocks up to timeout_ms until the holder of key differs from known (NULL =
 * no holder): 0 with *changed = 1, or CF_ETIMEDOUT with *changed = 0.
 * Polls value() every 100 ms when the plugin has no wait_change. Returns
 * CF_ECANCELED once the backend is being freed. */
int cf_ha_backend_wait_change(struct cf_ha_backend *b, const char *key, const char *known,
                              int timeout_ms, int *changed);
/* The plugin's name (borrowed, lives as long as b). */
const char *cf_ha_backend_name(const struct cf_ha_backend *b);
/* Sets the cancelled flag, waits for blocked calls to return, closes the
 * instance. Every lock must have been unlocked first. b may be NULL. */
void cf_ha_backend_free(struct cf_ha_backend *b);

#endif
