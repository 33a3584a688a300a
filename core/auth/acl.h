/* An ACL: the policies of one token merged into exact, glob and segment
 * wildcard rule tables, answering "may this token do op on path" with
 * Vault's matching and priority rules. Immutable once built. */
#ifndef CF_ACL_H
#define CF_ACL_H

#include <stddef.h>
#include <yajl/yajl_tree.h>
#include "auth/policy.h"
#include "request/request.h"

struct cf_acl;
struct cf_policy_store;

/* Builds the ACL for a token's policy names (borrowed). "root" among them
 * allows everything. Unknown policy names are skipped, as Vault does.
 * *out owned by the caller (cf_acl_free). */
int cf_acl_new(struct cf_policy_store *ps, char *const *policies, size_t n,
               struct cf_acl **out);
/* Builds from already parsed policies (borrowed; the ACL takes its own
 * references). */
int cf_acl_from_policies(struct cf_policy *const *pols, size_t n, int is_root,
                         struct cf_acl **out);
/* Drops one reference (the builder's, or one from cf_acl_ref); the last
 * frees. NULL is fine. An ACL is immutable, so references may be used
 * from any thread. */
void cf_acl_free(struct cf_acl *a);
struct cf_acl *cf_acl_ref(struct cf_acl *a);

/* Capabilities on path (a request path below /v1/, no leading '/'):
 * the exact rule, else the highest-priority glob / '+' rule. Root: all. */
unsigned cf_acl_capabilities(const struct cf_acl *a, const char *path);
/* 1 if op on path is allowed (and sudo is held when needs_sudo), else 0.
 * LIST also tries the exact rule without a trailing '/'. */
int cf_acl_allowed(const struct cf_acl *a, const char *path, enum cf_op op,
                   int needs_sudo);
/* As cf_acl_allowed, and also enforces allowed_/denied_/required_parameters
 * against the request body (data, borrowed, may be NULL) for read, create,
 * update and patch, as Vault does. A list value is checked element by
 * element (Vault 1.21). */
int cf_acl_allowed_params(const struct cf_acl *a, const char *path, enum cf_op op,
                          int needs_sudo, yajl_val data);
/* cf_acl_allowed_params on req's path and op, with the query parameters
 * counted as data too: backends read them when the body lacks a name
 * (cf_req_param_str), so a constraint must see them. req is borrowed. */
int cf_acl_allowed_request(const struct cf_acl *a, const struct cf_request *req,
                           int needs_sudo);
int cf_acl_is_root(const struct cf_acl *a);
/* 1 if some rule grants a capability at or below prefix (a mount path). */
int cf_acl_reaches(const struct cf_acl *a, const char *prefix);

#endif
