/* `coffer server -dev`: an in-memory server, initialized and unsealed at
 * start, with KV at secret/ — as `vault server -dev`. */
#ifndef CF_DEV_H
#define CF_DEV_H

#include <stddef.h>
#include <coffer/errors.h>
#include "config/config.h"

struct cf_core;

struct cf_dev_opts {
    const char *listen_address; /* NULL: $VAULT_DEV_LISTEN_ADDRESS or 127.0.0.1:8200 */
    const char *root_token_id;  /* NULL: $VAULT_DEV_ROOT_TOKEN_ID or random */
    int kv_v1;
    int no_store_token;
};

/* The dev config (inmem storage, one plain-HTTP listener). */
int cf_dev_config(const struct cf_dev_opts *o, struct cf_config **out,
                  struct coffer_err *err);
/* Initializes (1 share), unseals and mounts secret/. The unseal key
 * (base64) and root token are the caller's, freed with cf_free_secret_str. */
int cf_dev_setup(struct cf_core *c, const struct cf_dev_opts *o, char **unseal_key,
                 char **root_token, struct coffer_err *err);
/* Prints the dev-mode notice and stores the token in ~/.vault-token unless
 * told not to. */
void cf_dev_print(const char *api_addr, const char *unseal_key, const char *root_token,
                  const struct cf_dev_opts *o);

#endif
