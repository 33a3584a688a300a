/* ACLs by policy set: the router asks for the ACL of a token's policies on
 * every request, and building one sorts and merges every rule of every
 * policy. A built ACL is shared until a policy changes (the policy
 * store's generation), so a steady load builds each set once. */
#ifndef CF_ACL_CACHE_H
#define CF_ACL_CACHE_H

#include <stddef.h>
#include "auth/acl.h"

struct cf_acl_cache;

int cf_acl_cache_new(struct cf_acl_cache **out);
void cf_acl_cache_free(struct cf_acl_cache *c);
/* cf_acl_new's answer for policies (borrowed, any order), shared: *out is
 * a reference the caller releases with cf_acl_free. */
int cf_acl_cache_get(struct cf_acl_cache *c, struct cf_policy_store *ps,
                     char *const *policies, size_t n, struct cf_acl **out);

#endif
