/* The storage vtable: a flat key/value store with '/'-separated keys.
 * Threading: every call may come from any host thread, concurrently; an
 * instance must be safe for that. */
#ifndef COFFER_STORAGE_H
#define COFFER_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "host.h"

#define CF_STORAGE_CAP_TXN 0x1u     /* txn() is atomic */
#define CF_STORAGE_CAP_DURABLE 0x2u /* acknowledged writes survive a crash */

enum coffer_txn_kind { CF_TXN_PUT = 1, CF_TXN_DELETE = 2 };

struct coffer_txn_op {
    enum coffer_txn_kind kind;
    const char *key;      /* borrowed */
    const uint8_t *value; /* borrowed; PUT only */
    size_t value_len;
};

/* Called once per child by list(); name is borrowed for the call only.
 * Return non-zero to stop the listing early (list then returns 0). */
typedef int (*coffer_list_cb)(void *arg, const char *name);

struct coffer_storage {
    size_t struct_size;
    unsigned caps;

    /* Open an instance configured through host (its config getters).
     * On failure nothing is allocated, *inst is untouched and err says why. */
    int (*open)(const struct coffer_host *host, void **inst, struct coffer_err *err);
    /* Frees everything the instance holds. inst may be NULL. */
    void (*close)(void *inst);

    /* *val is allocated with host->alloc and owned by the caller (free with
     * host->free_secret, it may be key material). Missing key: CF_ENOENT and
     * *val untouched. A zero-length value is a present key. */
    int (*get)(void *inst, const char *key, uint8_t **val, size_t *len);
    /* key and val are borrowed. Durable before it returns if CAP_DURABLE. */
    int (*put)(void *inst, const char *key, const uint8_t *val, size_t len);
    /* Deleting a missing key succeeds (as Vault's physical backends do). */
    int (*del)(void *inst, const char *key);
    /* Immediate children of prefix (which is "" or ends in '/'), sorted,
     * each once: a key "prefix/a" gives "a", any key "prefix/d/..." gives
     * "d/". An empty listing returns 0 with no callback. */
    int (*list)(void *inst, const char *prefix, coffer_list_cb cb, void *arg);
    /* All ops or none. NULL (or CAP_TXN unset) means NOTSUP. */
    int (*txn)(void *inst, const struct coffer_txn_op *ops, size_t n);
    /* -- ABI 1.0 ends here; later members are appended below. -- */
};

#endif
