/* The backend types a node can mount: filled by the composition root
 * (core.c) with every engine, auth method and the system backend, read by
 * the mount table. The only place a type name meets its code. */
#ifndef CF_REGISTRY_H
#define CF_REGISTRY_H

#include <stddef.h>
#include "request/backend.h"

/* Mounted by the node itself, never through sys/mounts: enabling one is
 * "plugin not found in the catalog", disabling one is refused. */
#define CF_TYPE_BUILTIN 0x1u
/* Takes options.version (1 or 2), kept in cf_mount.kv_version. */
#define CF_TYPE_KV_VERSION 0x2u

struct cf_backend_type {
    const char *name; /* as sys/mounts' "type" names it: "kv-v2", "generic" */
    const char *type; /* kept in the mount table: "kv" (NULL: = name) */
    int kv_version;   /* an alias that fixes options.version (1, 2), else 0 */
    const struct cf_backend *backend;
    void *arg;                /* handed to init as env->type_arg */
    unsigned flags;           /* CF_TYPE_* */
    const char *view_prefix;  /* storage prefix; NULL: logical/<uuid>/ or auth/<uuid>/ */
    const char *default_path; /* mounted when the node writes its first table, or NULL */
    const char *default_description;
};

struct cf_registry;

int cf_registry_new(struct cf_registry **out);
/* NULL is fine. */
void cf_registry_free(struct cf_registry *r);
/* Adds t (borrowed: it must outlive the registry; usually static).
 * CF_EEXIST when the name is taken. */
int cf_registry_add(struct cf_registry *r, const struct cf_backend_type *t);
/* The type registered under name, or NULL (borrowed). */
const struct cf_backend_type *cf_registry_find(const struct cf_registry *r,
                                               const char *name);
/* Registration order, for the default mounts. NULL past the end. */
const struct cf_backend_type *cf_registry_at(const struct cf_registry *r, size_t i);

#endif
