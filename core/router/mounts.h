/* The mount table: which backend serves which path prefix. Persisted
 * through the barrier at "core/mounts"; read-mostly, behind a rwlock. */
#ifndef CF_MOUNTS_H
#define CF_MOUNTS_H

#include <pthread.h>
#include <yajl/yajl_tree.h>
#include "request/backend.h"
#include "router/registry.h"

struct cf_barrier;

/* The fields are the router's and sys/'s to read under lock. */
struct cf_mount_table {
    pthread_rwlock_t lock;
    struct cf_mount **m; /* sorted by path length, longest first */
    size_t n;
    struct cf_barrier *barrier;         /* borrowed */
    const struct cf_registry *registry; /* borrowed */
    struct cf_backend_env env; /* handed to every init (mounts, type_arg set per mount) */
};

/* Loads the persisted table, or writes the first one (every registered
 * type's default_path) when there is none. reg, b and env's pointers are
 * borrowed and must outlive the table. */
int cf_mounts_load(const struct cf_registry *reg, struct cf_barrier *b,
                   const struct cf_backend_env *env, struct cf_mount_table **out,
                   struct coffer_err *err);
void cf_mounts_free(struct cf_mount_table *t);

/* Mounts type at path (normalized to end in '/'). CF_EEXIST when the path
 * or a parent/child of it is mounted, CF_EINVAL for an unknown or builtin
 * type or a reserved path. options: the request body ("description", "config",
 * "options"), borrowed. */
int cf_mounts_enable(struct cf_mount_table *t, const char *path, const char *type,
                     yajl_val options, struct coffer_err *err);
/* CF_ENOENT when nothing is mounted there; CF_EINVAL for sys/ etc. */
int cf_mounts_disable(struct cf_mount_table *t, const char *path, struct coffer_err *err);
int cf_mounts_tune(struct cf_mount_table *t, const char *path, yajl_val body,
                   struct coffer_err *err);

/* Longest-prefix match of path; returns the mount with the table read-locked:
 * call cf_mounts_release when done with it. NULL (and no lock) if none. */
struct cf_mount *cf_mounts_match(struct cf_mount_table *t, const char *path);
void cf_mounts_release(struct cf_mount_table *t);

/* Tells every mount's backend that tok was revoked (the cubbyhole drops
 * the token's data). */
void cf_mounts_token_revoked(struct cf_mount_table *t, const struct cf_token *tok);

/* Serializes one mount's public description as Vault's sys/mounts entry;
 * with_path adds its "path" (sys/internal/ui/mounts). */
struct cf_json;
void cf_mount_describe(const struct cf_mount *m, int with_path, struct cf_json *j);

#endif
