/* The server core: one instance per server (tests may run several in one
 * process). Owns storage, barrier, seal, mounts, tokens and policies, and
 * routes a request through HA gate → router → ACL → backend. */
#ifndef CF_CORE_H
#define CF_CORE_H

#include "request.h"
#include "config/config.h"
#include "util/log.h"

struct cf_core;
struct cf_barrier;
struct cf_token_store;
struct cf_policy_store;
struct cf_mount;

/* Accessors for backends; all borrowed. */
const struct cf_logger *cf_core_log(const struct cf_core *c);
struct cf_barrier *cf_core_barrier(struct cf_core *c);
struct cf_token_store *cf_core_tokens(struct cf_core *c);
struct cf_policy_store *cf_core_policies(struct cf_core *c);
const struct cf_config *cf_core_config(const struct cf_core *c);
/* System default and max lease TTLs (seconds), for mounts that set none. */
long long cf_core_default_ttl(const struct cf_core *c);
long long cf_core_max_ttl(const struct cf_core *c);

/* Runs one request to completion: fills res. Never fails: internal errors
 * become a 500 result. Thread-safe. */
void cf_core_handle(struct cf_core *c, struct cf_request *req,
                    struct cf_result *res);

#endif
