/* Shared between the kv (v1, v2) and cubbyhole engine files: the mount
 * state (striped per-key locks), the pass-through store both kv v1 and
 * cubbyhole are, and kv v2's metadata record.
 * KV v2 storage layout under the mount view:
 *   config                  {"max_versions","cas_required","delete_version_after"}
 *   metadata/<path>         the key's metadata record (JSON, below)
 *   versions/<path>/<n>     version n's data object (JSON text) */
#ifndef CF_KV_INTERNAL_H
#define CF_KV_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "request/backend.h"
#include "seal/view.h"
#include "util/json.h"

#define CF_KV_NLOCKS 64
#define CF_KV_DEFAULT_MAX_VERSIONS 10
/* Vault's system default lease TTL (768h), shown when the mount has none. */
#define CF_KV_SYSTEM_DEFAULT_TTL 2764800LL

/* Mount-level configuration (kv2.c). dva: -1 disabled, 0 unset. */
struct cf_kv2_config {
    long long max_versions;
    int cas_required;
    long long dva;
};

#define CF_KV_KNOWN_BUCKETS 256
/* Past this many keys the known set stops growing: a key left out only
 * costs its existence check one record read. */
#define CF_KV_KNOWN_MAX 65536
struct cf_kv_known;

/* Per-mount state. A key's metadata read-modify-write happens under its
 * stripe's write lock, so concurrent writers get distinct versions and a
 * check-and-set compares against the version it replaces.
 * The caches below are sound because the state lives only on the active
 * node (a standby builds no mounts) and every write to the mount's storage
 * goes through this engine there. */
struct cf_kv_state {
    pthread_rwlock_t locks[CF_KV_NLOCKS];
    pthread_mutex_t cfg_mu; /* config read-modify-write; cfg, cfg_loaded */
    int cfg_loaded;         /* cfg mirrors the stored "config" */
    struct cf_kv2_config cfg;
    /* Keys known to have a metadata record: added once one is read or
     * written, removed (under the key's write lock) before it is deleted. */
    pthread_mutex_t known_mu;
    struct cf_kv_known *known[CF_KV_KNOWN_BUCKETS];
    size_t nknown;
};

/* A fresh state for one mount (*out owned by the caller, freed with
 * cf_kv_state_free); err (may be NULL) says why on failure. */
int cf_kv_state_new(struct cf_kv_state **out, struct coffer_err *err);
void cf_kv_state_free(struct cf_kv_state *s);

/* The stripe guarding key (borrowed from s). */
pthread_rwlock_t *cf_kv_lock(struct cf_kv_state *s, const char *key);

/* The known set (path borrowed). add is best effort: on allocation failure
 * or past CF_KV_KNOWN_MAX the key is simply not remembered. forget must run
 * under the key's write lock, before its record goes. */
int cf_kv_known_has(struct cf_kv_state *s, const char *path);
void cf_kv_known_add(struct cf_kv_state *s, const char *path);
void cf_kv_known_forget(struct cf_kv_state *s, const char *path);

/* {"keys":[...]} of the children of prefix, or 404 {"errors":[]} when
 * there are none. */
int cf_kv_list(const struct cf_view *v, const char *prefix, struct cf_result *res);
/* Vault's framework answers: 405 "unsupported operation", 404
 * "unsupported path". Both return 0. */
int cf_kv_unsupported_op(struct cf_result *res);
int cf_kv_unsupported_path(struct cf_result *res);
/* Parses a Vault duration (seconds as a number or numeric string, or
 * "1h30m"). allow_negative: "-1s" / -1 accepted. CF_EINVAL otherwise. */
int cf_kv_parse_duration(yajl_val v, int allow_negative, long long *secs);

/* The pass-through store: kv v1 and, with a per-token prefix, cubbyhole. */
struct cf_kv_passthrough {
    const char *prefix;     /* "" (kv v1) or "<cubbyhole id>/" */
    int lease;              /* reads carry a lease duration (kv v1) */
    long long default_ttl;  /* seconds, when lease is set */
    const char *mount_type; /* static, e.g. "kv" */
};
int cf_kv1_serve(const struct cf_view *v, const struct cf_kv_passthrough *o,
                 struct cf_request *req, struct cf_result *res);
int cf_kv1_exists(const struct cf_view *v, const char *prefix, const char *rel,
                  int *exists);

/* KV v2 entry points (kv2.c). */
int cf_kv2_handle(struct cf_mount *m, struct cf_kv_state *s, struct cf_request *req,
                  struct cf_result *res);
int cf_kv2_exists(struct cf_mount *m, struct cf_request *req, int *exists);

/* The mount's config into *c, read from storage on first use and cached
 * in s after that; config writes replace the cached copy (kv2.c). */
int cf_kv2_config_get(struct cf_mount *m, struct cf_kv_state *s, struct cf_kv2_config *c);

/* One key's metadata record (kv2_record.c). */
struct cf_kv2_version {
    unsigned long long num;
    int64_t created_ns;
    int64_t deletion_ns; /* 0: none */
    int destroyed;
};

struct cf_kv2_meta {
    unsigned long long current, oldest;
    int64_t created_ns, updated_ns;
    long long max_versions;
    int cas_required;
    long long dva;          /* seconds; 0 unset */
    struct cf_pair *custom; /* sorted by key; none = JSON null */
    size_t ncustom;
    struct cf_kv2_version *v; /* sorted by num */
    size_t nv;
};

/* A fresh, empty record; NULL on allocation failure. */
struct cf_kv2_meta *cf_kv2_meta_new(void);
void cf_kv2_meta_free(struct cf_kv2_meta *m);
/* Loads metadata/<path>: *out owned by the caller; CF_ENOENT if none. */
int cf_kv2_meta_load(const struct cf_view *v, const char *path, struct cf_kv2_meta **out);
/* The stored JSON form of m (caller frees with cf_free_secret_str). */
int cf_kv2_meta_encode(const struct cf_kv2_meta *m, char **out);
int cf_kv2_meta_save(const struct cf_view *v, const char *path,
                     const struct cf_kv2_meta *m);
/* Version n's entry (borrowed) or NULL. */
struct cf_kv2_version *cf_kv2_meta_version(struct cf_kv2_meta *m, unsigned long long n);
/* Appends version current+1 and slides the max_versions window as Vault
 * does. *trim_upto: version data up to this number must be removed (0:
 * none). *out is borrowed from m. */
int cf_kv2_meta_add_version(struct cf_kv2_meta *m, int64_t created_ns,
                            int64_t deletion_ns, long long config_max,
                            unsigned long long *trim_upto, struct cf_kv2_version **out);
/* Whether the version reads as deleted now. */
int cf_kv2_version_deleted(const struct cf_kv2_version *v, int64_t now_ns);
/* Replaces custom_metadata with the string pairs of obj (copied). */
int cf_kv2_meta_set_custom(struct cf_kv2_meta *m, struct cf_pair *pairs, size_t n);
/* "versions/<path>/<n>", malloc'd; NULL on allocation failure. */
char *cf_kv2_version_key(const char *path, unsigned long long n);
/* "metadata/<path>", malloc'd; NULL on allocation failure. */
char *cf_kv2_meta_key(const char *path);
/* Removes version n's data; 0 also when it was already gone. */
int cf_kv2_delete_version(const struct cf_view *v, const char *path,
                          unsigned long long n);
/* When a version written (or undeleted) at now is to be deleted by
 * delete_version_after: the shorter of the mount's and the key's, 0 for
 * never (unset, or disabled by the mount). */
int64_t cf_kv2_deletion_time(const struct cf_kv2_config *c, const struct cf_kv2_meta *m,
                             int64_t now);

/* Changes an existing key's metadata: fn runs under the key's write lock
 * with the loaded record (borrowed). A key without metadata is left alone
 * and the call succeeds, as Vault's deletes of a missing key do. */
typedef int (*cf_kv2_edit_fn)(struct cf_mount *m, const char *path,
                              struct cf_kv2_meta *meta, void *arg);
int cf_kv2_edit_meta(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                     cf_kv2_edit_fn fn, void *arg);
/* PATCH needs Vault's merge-patch Content-Type: 0 when req has it, else 1
 * with res filled (415). */
int cf_kv2_bad_patch_type(const struct cf_request *req, struct cf_result *res);

/* JSON writers for the response shapes. */
void cf_kv2_write_time(struct cf_json *j, const char *key, int64_t ns);
void cf_kv2_write_custom(struct cf_json *j, const struct cf_kv2_meta *m);
/* An object {version, created_time, deletion_time, destroyed,
 * custom_metadata}. */
void cf_kv2_write_version_meta(struct cf_json *j, const struct cf_kv2_meta *m,
                               const struct cf_kv2_version *v);

/* kv2_data.c / kv2_metadata.c handlers: path is below "data/" etc. */
int cf_kv2_data(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                struct cf_request *req, struct cf_result *res);
int cf_kv2_subkeys(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                   struct cf_request *req, struct cf_result *res);
int cf_kv2_metadata(struct cf_mount *m, struct cf_kv_state *s, const char *path,
                    struct cf_request *req, struct cf_result *res);
/* Custom metadata from a request value, validated as Vault does. On a
 * validation failure fills res (400) and returns 1; 0 on success. With
 * drop_nulls (PATCH) null values are left out. */
int cf_kv2_parse_custom(yajl_val obj, int drop_nulls, struct cf_pair **out, size_t *n,
                        struct cf_result *res);

#endif
