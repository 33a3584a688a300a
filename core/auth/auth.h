/* What the core wires up from the auth area: the token auth backend
 * (auth/token/) and the sys/policy handlers. Reachable without core.h. */
#ifndef CF_AUTH_H
#define CF_AUTH_H

#include "request/backend.h"
#include "request/request.h"
#include "auth/acl.h"
#include "auth/policy.h"
#include "auth/policy_store.h"
#include "auth/token_store.h"

/* Mounted at "auth/token/". handle() reads m->state, made by
 * cf_token_backend_state; init is NULL, cleanup frees the state. */
extern const struct cf_backend cf_token_backend;

/* State for the token backend: ts and ps borrowed (must outlive it);
 * default_ttl/max_ttl: the system lease TTLs in seconds, used when the
 * mount sets none. *state freed by cf_token_backend.cleanup
 * (= cf_token_backend_state_free). */
int cf_token_backend_state(struct cf_token_store *ts, struct cf_policy_store *ps,
                           long long default_ttl, long long max_ttl,
                           void **state);
void cf_token_backend_state_free(void *state);

/* sys/policy, sys/policy/<name>, sys/policies/acl, sys/policies/acl/<name>
 * (rel = the path after "sys/"). Returns 0 with res filled (including
 * error results), or CF_ENOENT when rel is none of these (the caller tries
 * its other sys routes). */
int cf_sys_policy_handle(struct cf_policy_store *ps, struct cf_request *req,
                         const char *rel, struct cf_result *res);

#endif
