/* The router: one request past the gate → token → mount → ACL → backend.
 * It runs on the active node with the node's state held shared (the gate
 * sees to that), over the unsealed state it was built with. */
#ifndef CF_ROUTER_H
#define CF_ROUTER_H

#include "request/request.h"
#include "router/mounts.h"

struct cf_router;
struct cf_token_store;
struct cf_policy_store;
struct cf_logger;

/* Everything borrowed; it must outlive the router. */
int cf_router_new(struct cf_mount_table *mounts, struct cf_token_store *tokens,
                  struct cf_policy_store *policies, const struct cf_logger *log,
                  struct cf_router **out);
/* NULL is fine. */
void cf_router_free(struct cf_router *r);

/* Serves req into res (zeroed by the caller). Never fails: a backend's
 * CF_E* code becomes its status, internal errors a logged 500. Sets
 * req->mount_path, rel and auth for the backend call and clears them
 * before it returns. Thread-safe. */
void cf_router_handle(struct cf_router *r, struct cf_request *req, struct cf_result *res);

#endif
