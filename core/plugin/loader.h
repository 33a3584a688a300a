/* Loading plugins: dlopen, the ABI checks of STYLE.md §4, and opening an
 * instance with a config block. Every refusal is one line naming the file
 * and both versions, returned in err. */
#ifndef CF_PLUGIN_LOADER_H
#define CF_PLUGIN_LOADER_H

#include <coffer/plugin.h>
#include "config/hcl.h"
#include "util/log.h"

struct cf_plugin;
struct cf_physical;
struct cf_ha_backend;
struct cf_transport_backend;

#define CF_KIND_STORAGE   0x1u
#define CF_KIND_HA        0x2u
#define CF_KIND_TRANSPORT 0x4u

/* Loads "<dir>/<name>.so" and checks, in order: dlopen, entry symbol, magic,
 * equal major, plugin minor <= host minor, struct size, name, each requested
 * kind present, every key of cfg declared, every required key set.
 * cfg is the block's object node (may be NULL = empty). On failure nothing is
 * left loaded. */
int cf_plugin_load(const char *dir, const char *name, unsigned kinds,
                   const struct cf_hcl_node *cfg, struct cf_plugin **out,
                   struct coffer_err *err);
/* Same checks on an explicit file path (tests, fixtures). */
int cf_plugin_load_file(const char *path, const char *name, unsigned kinds,
                        const struct cf_hcl_node *cfg, struct cf_plugin **out,
                        struct coffer_err *err);
const struct coffer_plugin *cf_plugin_descriptor(const struct cf_plugin *p);
/* dlcloses; every instance opened from p must be freed first. */
void cf_plugin_free(struct cf_plugin *p);

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
                      const struct cf_logger *log,
                      struct cf_transport_backend **out,
                      struct coffer_err *err);

#endif
