/* The server core: one instance per server (tests may run several in one
 * process). Owns storage, barrier, seal, mounts, tokens and policies, and
 * routes a request through HA gate → router → ACL → backend. */
#ifndef CF_CORE_H
#define CF_CORE_H

#include "request/request.h"
#include "config/config.h"
#include "util/log.h"

struct cf_core;

/* Runs one request to completion: fills res. Never fails: internal errors
 * become a 500 result. Thread-safe. */
void cf_core_handle(struct cf_core *c, struct cf_request *req,
                    struct cf_result *res);

#endif
