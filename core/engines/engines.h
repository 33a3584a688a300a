/* The secrets engines this folder offers the router (kv v1/v2, cubbyhole).
 * The router picks one by the mount's type and calls it through the
 * cf_backend vtable. */
#ifndef CF_ENGINES_H
#define CF_ENGINES_H

#include "request/backend.h"

/* type "kv": KV v1 or v2 by m->kv_version (2 = versioned, else v1). */
extern const struct cf_backend cf_kv_backend;
/* type "cubbyhole": a private KV store per token. The router sets the
 * request header "x-coffer-cubbyhole-id" to the calling token's id. */
extern const struct cf_backend cf_cubbyhole_backend;

/* Header through which the router names the caller's cubbyhole. */
#define CF_CUBBYHOLE_ID_HEADER "x-coffer-cubbyhole-id"

/* Deletes everything in one token's cubbyhole (token revocation).
 * m is a cubbyhole mount (borrowed). A missing cubbyhole is not an error. */
int cf_cubbyhole_destroy(struct cf_mount *m, const char *cubbyhole_id);

#endif
