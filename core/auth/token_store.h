/* The token store: service tokens kept barrier-encrypted in a view
 * (sys/token/), indexed by a salted HMAC of the id (never the id itself),
 * by accessor and by parent, with Vault's revocation semantics (revoking a
 * token revokes its children; orphans survive). Thread-safe. */
#ifndef CF_TOKEN_STORE_H
#define CF_TOKEN_STORE_H

#include <stddef.h>
#include "request/request.h"
#include "seal/view.h"
#include "util/log.h"

struct cf_token {
    char *id;        /* "hvs." + 24 base62. Secret. */
    char *accessor;  /* 24 base62 */
    char **policies; /* sorted, lower-case */
    size_t npolicies;
    char *parent;              /* parent token id, NULL when orphan. Secret. */
    char *display_name;        /* "token", "token-<name>", "root" */
    char *path;                /* creation path, "auth/token/create" */
    char *type;                /* "service" */
    long long creation_time;   /* unix s */
    long long creation_ttl;    /* s, the TTL given at creation */
    long long ttl_expire_time; /* unix s, 0 = never */
    long long explicit_max_ttl;
    long long period;
    long long num_uses; /* 0 = unlimited */
    int renewable;
    int orphan;
    int no_default_policy;
    struct cf_pair *meta;
    size_t nmeta;
    char *cubbyhole_id; /* 24 base62, names the token's cubbyhole */
    /* beyond the shared shape: */
    long long last_renewal_time; /* unix s, 0 = never renewed */
    long long lease_ttl;         /* s, TTL of the last issue or renewal */
};

struct cf_token_store;

/* view is borrowed (e.g. "sys/token/") and must outlive the store; the
 * barrier must be unsealed (the salt is read or created). log may be NULL. */
int cf_token_store_new(struct cf_view *view, const struct cf_logger *log,
                       struct cf_token_store **out);
void cf_token_store_free(struct cf_token_store *s);

/* Called for every token revoked (explicitly, as a child, by expiry or by
 * use count), with the store's lock held: cb must not call into the store.
 * t is borrowed for the call. */
void cf_token_store_on_revoke(struct cf_token_store *s,
                              void (*cb)(void *arg, const struct cf_token *t), void *arg);

/* What a new token is made of; everything borrowed. */
struct cf_token_params {
    const char *id;        /* NULL → random "hvs." id */
    char *const *policies; /* final, sanitized list, stored as given */
    size_t npolicies;
    const char *parent;       /* parent token id; NULL or "" = orphan */
    const char *display_name; /* NULL → "token" */
    const char *path;         /* NULL → "auth/token/create" */
    long long ttl;            /* s, 0 = never expires */
    long long explicit_max_ttl;
    long long period;
    long long num_uses;
    int renewable;
    int no_default_policy;
    const struct cf_pair *meta;
    size_t nmeta;
};

/* Stores a new token. CF_EEXIST if p->id is taken, CF_ENOENT if the parent
 * is unknown. *out (may be NULL) owned by the caller. */
int cf_token_create(struct cf_token_store *s, const struct cf_token_params *p,
                    struct cf_token **out);
/* Root token: policies ["root"], no expiry, orphan, display_name "root",
 * path "auth/token/root". *id_out (may be NULL) malloc'd, caller frees
 * with cf_free_secret_str. */
int cf_token_create_root(struct cf_token_store *s, const char *id, char **id_out);

/* CF_ENOENT when unknown, expired (revoked then, with its children), used
 * up, or when an ancestor has expired. Constant-time safe: found by salted
 * HMAC. *out owned by the caller (cf_token_free). */
int cf_token_lookup(struct cf_token_store *s, const char *id, struct cf_token **out);
int cf_token_lookup_accessor(struct cf_token_store *s, const char *accessor,
                             struct cf_token **out);
/* One use of t: decrements num_uses if > 0 and revokes at 0 (the request
 * in flight keeps its copy). CF_ENOENT if t is gone. */
int cf_token_use(struct cf_token_store *s, const struct cf_token *t);
/* Revokes id and all its descendants. CF_ENOENT if unknown. */
int cf_token_revoke(struct cf_token_store *s, const char *id);
/* Revokes id only; its children become orphans. CF_ENOENT if unknown. */
int cf_token_revoke_orphan(struct cf_token_store *s, const char *id);
/* Sets a new lease: expires ttl seconds from now (0 keeps no expiry),
 * records the renewal. *out (may be NULL): the updated token. */
int cf_token_renew(struct cf_token_store *s, const char *id, long long ttl,
                   struct cf_token **out);
/* Every accessor (LIST auth/token/accessors). *out: malloc'd strv,
 * free with cf_strv_free. */
int cf_token_list_accessors(struct cf_token_store *s, char ***out, size_t *n);
/* Revokes every expired token (and its children); *revoked may be NULL. */
int cf_token_store_tidy(struct cf_token_store *s, size_t *revoked);

void cf_token_free(struct cf_token *t);

/* Vault's framework.CalculateTTL: the TTL for an issue (increment 0) or a
 * renewal. backend_ttl: requested or previous TTL; sys_default/sys_max:
 * the mount's effective values; start: issue time (unix s). Returns 0 and
 * *ttl, maybe with a warning in warn (else ""); CF_EINVAL "past the max
 * TTL, cannot renew" in warn when nothing is left. */
int cf_token_calc_ttl(long long increment, long long backend_ttl, long long period,
                      long long explicit_max_ttl, long long sys_default,
                      long long sys_max, long long start, long long now, long long *ttl,
                      char *warn, size_t warnlen);

/* Vault's "auth" object for t: client_token (omitted value "" when
 * !with_token), accessor, policies, token_policies, metadata,
 * lease_duration, renewable, entity_id, token_type, orphan,
 * mfa_requirement, num_uses. *out malloc'd (secret: free with
 * cf_free_secret_str). */
int cf_token_auth_json(const struct cf_token *t, long long lease_duration, int renewable,
                       int with_token, char **out);

/* key, then t's metadata as an object, or null when it has none (Vault
 * marshals a nil map): the same in lookup data and in the auth object. */
struct cf_json;
void cf_token_meta_json(struct cf_json *j, const char *key, const struct cf_token *t);

#endif
