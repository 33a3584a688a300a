/* The ha vtable: a distributed lock that elects the active node.
 *
 * Threading: open/close/lock/unlock/value/wait_change may be called from any
 * host thread. lock() blocks the calling thread; the others return promptly
 * (bounded by the plugin's request timeout). on_lost runs on a plugin
 * thread. */
#ifndef COFFER_HA_H
#define COFFER_HA_H

#include <stddef.h>
#include "errors.h"
#include "host.h"

/* Cancellation of a blocking call: the plugin calls cancelled(arg) at least
 * every 100 ms while it waits and returns CF_ECANCELED once it is non-zero. */
struct coffer_cancel {
    int (*cancelled)(void *arg);
    void *arg;
};

/* Fired when a held lock is lost (session expired, partition, deleted).
 * Runs at most once per lock, never after unlock() has returned, never for
 * a lock() that failed. It must not block or call back into the plugin; the
 * host reacts on its own thread and then calls unlock() to free the lock. */
typedef void (*coffer_lock_lost_cb)(void *arg);

struct coffer_ha {
    size_t struct_size;

    /* As storage.open: configured through host; on failure nothing is
     * allocated and err says why. */
    int (*open)(const struct coffer_host *host, void **inst, struct coffer_err *err);
    void (*close)(void *inst); /* inst may be NULL; every lock unlocked first */

    /* Blocks until this caller holds the lock named key (e.g. "core/lock"),
     * advertising value (borrowed; a UUID chosen by the host), or cancel
     * fires (CF_ECANCELED), or the backend fails (CF_EUNAVAIL, CF_EIO...).
     * On success *lock is an opaque handle owned by the caller: release it
     * with unlock(). on_lost/arg: see coffer_lock_lost_cb. */
    int (*lock)(void *inst, const char *key, const char *value,
                const struct coffer_cancel *cancel, coffer_lock_lost_cb on_lost,
                void *arg, void **lock, struct coffer_err *err);
    /* Releases (best effort if the backend is unreachable: the lock then
     * expires with the session) and frees lock. After it returns, on_lost
     * will not fire. */
    int (*unlock)(void *lock);
    /* Who holds key now: *held 0/1 and, when held, *value (allocated with
     * host->alloc, caller frees) is the holder's advertised value. */
    int (*value)(void *inst, const char *key, int *held, char **value);
    /* Optional (NULL = the host polls value()). Blocks up to timeout_ms
     * until the holder of key differs from known (NULL = none), then
     * returns 0 and sets *changed; CF_ETIMEDOUT when nothing changed. */
    int (*wait_change)(void *inst, const char *key, const char *known, int timeout_ms,
                       int *changed);
    /* -- ABI 1.1 ends here; later members are appended below. -- */
};

#endif
