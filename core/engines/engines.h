/* The secrets engines this folder offers (kv v1/v2, cubbyhole); the
 * composition root registers them by type name and the router calls them
 * through the cf_backend vtable. */
#ifndef CF_ENGINES_H
#define CF_ENGINES_H

#include "request/backend.h"

/* type "kv": KV v1 or v2 by m->kv_version (2 = versioned, else v1). */
extern const struct cf_backend cf_kv_backend;
/* type "cubbyhole": a private KV store per token (req->auth's
 * cubbyhole_id), emptied when the token is revoked. */
extern const struct cf_backend cf_cubbyhole_backend;

#endif
