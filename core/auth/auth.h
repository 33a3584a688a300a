/* What the auth area offers: the token auth backend (auth/token/) and,
 * through its headers, the token store, policies and ACLs. */
#ifndef CF_AUTH_H
#define CF_AUTH_H

#include "request/backend.h"
#include "request/request.h"
#include "auth/acl.h"
#include "auth/policy.h"
#include "auth/policy_store.h"
#include "auth/token_store.h"

/* Mounted at "auth/token/": init takes the token and policy stores and
 * the system TTLs from its environment (used when the mount sets none). */
extern const struct cf_backend cf_token_backend;

#endif
