/* The plugin host's API: loading a plugin (loader.c: dlopen, the ABI checks
 * of STYLE.md §4, config keys) and opening its instances with a config
 * block (host.c). Every refusal is one line naming the file and both
 * versions, returned in err. */
#ifndef CF_PLUGIN_LOADER_H
#define CF_PLUGIN_LOADER_H

#include <coffer/plugin.h>
#include "config/hcl.h"
#include "util/log.h"

struct cf_plugin;
struct cf_physical;
struct cf_ha_backend;
struct cf_transport_backend;

#define CF_KIND_STORAGE 0x1u
#define CF_KIND_HA 0x2u
#define CF_KIND_TRANSPORT 0x4u

/* Who may have put a plugin's code where it is (review F18): the file and
 * its directory must be owned by root, the server's user or uid, and
 * either have exactly mode perms or, perms 0, no group or other write.
 * Vault's plugin_file_uid and plugin_file_permissions. */
struct cf_plugin_trust {
    long long uid;  /* 0: root and the server's user only */
    unsigned perms; /* 0: any mode without go-w */
};

/* Loads "<dir>/<name>.so" and checks, in order: the trust of the
 * directory and the file (trust NULL: the defaults above), dlopen, entry symbol, magic,
 * equal major, plugin minor <= host minor, struct size, name, each requested
 * kind present, every key of cfg declared, every required key set.
 * cfg is the block's object node (may be NULL = empty). On failure nothing is
 * left loaded. */
int cf_plugin_load(const char *dir, const char *name, unsigned kinds,
                   const struct cf_hcl_node *cfg, const struct cf_plugin_trust *trust,
                   struct cf_plugin **out, struct coffer_err *err);
/* Same checks on an explicit file path (tests, fixtures): the file's
 * trust only. */
int cf_plugin_load_file(const char *path, const char *name, unsigned kinds,
                        const struct cf_hcl_node *cfg,
                        const struct cf_plugin_trust *trust, struct cf_plugin **out,
                        struct coffer_err *err);
const struct coffer_plugin *cf_plugin_descriptor(const struct cf_plugin *p);
/* dlcloses; every instance opened from p must be freed first. */
void cf_plugin_free(struct cf_plugin *p);
/* The name p was loaded as and its file (borrowed, live as long as p). */
const char *cf_plugin_name(const struct cf_plugin *p);
const char *cf_plugin_path(const struct cf_plugin *p);
/* The vtable checks of one kind (a single CF_KIND_*) that loading with it
 * makes; the kind's vtable pointer must be non-NULL. 0 or CF_ECONFIG. */
int cf_plugin_check_kind(const struct cf_plugin *p, unsigned kind,
                         struct coffer_err *err);
/* value (of key, borrowed) as an integer the way p declared key: a
 * DURATION key gives seconds, so "15s" works too. CF_EINVAL otherwise. */
int cf_plugin_config_int(const struct cf_plugin *p, const struct cf_hcl_node *value,
                         const char *key, long long *out);

/* ---- host.c: instances, each with its own struct coffer_host ---- */

/* Opens a storage instance of p with cfg (borrowed; must outlive the
 * instance). log receives the plugin's lines prefixed with its name. */
int cf_physical_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
                     const struct cf_logger *log, struct cf_physical **out,
                     struct coffer_err *err);

/* Opens an ha instance of p with cfg (borrowed; must outlive the
 * instance). *out is freed with cf_ha_backend_free, which also sets the
 * instance's host->cancelled so that blocked calls end. */
int cf_ha_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
               const struct cf_logger *log, struct cf_ha_backend **out,
               struct coffer_err *err);

/* Opens a transport instance of p with cfg (borrowed; must outlive the
 * instance), after the same vtable checks as loading with
 * CF_KIND_TRANSPORT. *out is freed with cf_transport_backend_free once
 * every listener is stopped and every conn hung up. */
int cf_transport_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
                      const struct cf_logger *log, struct cf_transport_backend **out,
                      struct coffer_err *err);

#endif
