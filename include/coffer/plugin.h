/* The plugin contract: one exported function, coffer_plugin_entry, returns a
 * static const descriptor. Nothing else happens in it.
 *
 * ABI log (a minor only appends; a major breaks):
 *   1.0  2026-11-22  descriptor, config-key table, coffer_host, storage
 *                    vtable (get/put/del/list/txn). ha and transport
 *                    pointers reserved (must be NULL until their vtables
 *                    land under this same major).
 *   1.1  2026-11-22  ha vtable (coffer/ha.h): lock/unlock/value/wait_change
 *                    with cancellation and an at-most-once on_lost. The
 *                    descriptor's ha pointer is now typed; layout unchanged.
 *                    transport still reserved.
 *   1.2  2026-11-22  transport vtable (coffer/transport.h): listen/stop,
 *                    dial/roundtrip/echo/hangup over a documented frame
 *                    format. The descriptor's transport pointer is typed.
 */
#ifndef COFFER_PLUGIN_H
#define COFFER_PLUGIN_H

#include <stdint.h>
#include <stddef.h>
#include "errors.h"
#include "host.h"
#include "storage.h"
#include "ha.h"
#include "transport.h"
#include <coffer/version.h>

#define COFFER_PLUGIN_MAGIC 0x43465047u /* "CFPG" */

#define COFFER_PLUGIN_EXPORT __attribute__((visibility("default")))

enum coffer_config_type {
    CF_CFG_STRING = 1,
    CF_CFG_INT = 2,
    CF_CFG_BOOL = 3,
    CF_CFG_DURATION = 4 /* "15s", "2m" or an integer of seconds */
};

struct coffer_config_key {
    const char *name; /* NULL name ends the table */
    enum coffer_config_type type;
    int required;
    const char *help; /* one line, shown when the key is wrong */
};

struct coffer_plugin {
    /* These four never move: the host reads them before trusting the rest. */
    uint32_t magic;     /* COFFER_PLUGIN_MAGIC */
    uint16_t abi_major; /* COFFER_PLUGIN_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;
    /* uint32_t where the vtables and coffer_host use size_t: historical
     * (1.0 laid it out so), and these four fields never move in ABI 1.x. */
    uint32_t struct_size; /* sizeof(struct coffer_plugin) at build time */

    const char *name;    /* must equal the name in the config */
    const char *version; /* the plugin's own version, free text */
    const struct coffer_config_key *config_keys;

    const struct coffer_storage *storage;     /* NULL: not offered */
    const struct coffer_ha *ha;               /* NULL: not offered (ABI >= 1.1) */
    const struct coffer_transport *transport; /* NULL: not offered (ABI >= 1.2) */
};

typedef const struct coffer_plugin *(*coffer_plugin_entry_fn)(void);

/* Tables only grow at their end (STYLE.md §4.3), so a table built against
 * an older SDK is shorter than today's struct: a member past its
 * struct_size must never be read. These two hold that rule for the host and
 * for plugin authors alike; vt is any pointer to a vtable, the descriptor
 * or struct coffer_host.
 *
 * COFFER_VT_END(vt, member): the struct_size a table needs to hold member,
 * a constant; vt is not evaluated, so a typed NULL names the type
 * (COFFER_VT_END((struct coffer_storage *)0, list)).
 * COFFER_VT_HAS(vt, member): true when vt's struct_size covers member and
 * member is non-NULL, i.e. the table offers it. vt (non-NULL) is evaluated
 * more than once. */
#define COFFER_VT_END(vt, member)                                                        \
    (offsetof(__typeof__(*(vt)), member) + sizeof((vt)->member))
#define COFFER_VT_HAS(vt, member)                                                        \
    ((size_t)(vt)->struct_size >= COFFER_VT_END(vt, member) && (vt)->member != NULL)

#define COFFER_PLUGIN_ENTRY_SYMBOL "coffer_plugin_entry"

#endif
