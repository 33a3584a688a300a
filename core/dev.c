/* Dev mode: config, automatic init/unseal, the notice operators expect. */
#include "dev.h"
#include "core.h"
#include "seal/seal.h"
#include "util/buf.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cf_dev_config(const struct cf_dev_opts *o, struct cf_config **out,
                  struct coffer_err *err)
{
    const char *addr = o->listen_address;
    if (!addr)
        addr = getenv("VAULT_DEV_LISTEN_ADDRESS");
    if (!addr || !*addr)
        addr = "127.0.0.1:8200";
    if (strpbrk(addr, "\"\\\n")) {
        snprintf(err->msg, sizeof err->msg, "invalid -dev-listen-address \"%s\"", addr);
        return CF_ECONFIG;
    }
    struct cf_buf b = {0};
    cf_buf_printf(&b,
                  "storage \"inmem\" {}\n"
                  "listener \"tcp\" {\n  address = \"%s\"\n  tls_disable = true\n}\n"
                  "disable_mlock = true\n",
                  addr);
    if (!b.data)
        return CF_ENOMEM;
    int rc = cf_config_parse(b.data, b.len, "-dev", out, err);
    cf_buf_free(&b);
    return rc;
}

int cf_dev_setup(struct cf_core *c, const struct cf_dev_opts *o, char **unseal_key,
                 char **root_token, struct coffer_err *err)
{
    const char *id = o->root_token_id;
    if (!id)
        id = getenv("VAULT_DEV_ROOT_TOKEN_ID");
    if (id && !*id)
        id = NULL;
    struct cf_seal_keys *keys = NULL;
    char *token = NULL, *hex = NULL, *b64 = NULL;
    int rc = cf_core_initialize(c, 1, 1, id, &keys, &token, err);
    if (!rc)
        rc = cf_hex_encode(keys->keys[0], keys->len, &hex);
    if (!rc)
        rc = cf_b64_encode(keys->keys[0], keys->len, &b64);
    int unsealed = 0;
    if (!rc)
        rc = cf_core_unseal(c, hex, &unsealed, err);
    if (!rc && !unsealed) {
        snprintf(err->msg, sizeof err->msg, "the dev unseal key did not unseal");
        rc = CF_EIO;
    }
    if (!rc) {
        const char *body = o->kv_v1
            ? "{\"description\":\"key/value secret storage\",\"options\":{\"version\":\"1\"}}"
            : "{\"description\":\"key/value secret storage\",\"options\":{\"version\":\"2\"}}";
        yajl_val v = NULL;
        cf_json_parse(body, strlen(body), &v, NULL);
        rc = v ? cf_core_mount(c, "secret/", "kv", v, err) : CF_ENOMEM;
        if (v)
            cf_json_free(v);
    }
    cf_seal_keys_free(keys);
    cf_free_secret_str(hex);
    if (rc) {
        cf_free_secret_str(token);
        cf_free_secret_str(b64);
        return rc;
    }
    *unseal_key = b64;
    *root_token = token;
    return 0;
}

/* ~/.vault-token, as Vault's token helper keeps it: only a regular file
 * of ours, never through a symlink (which could point the root token at
 * any file the server may write), never blocking on a FIFO, and mode 0600
 * even when it existed wider. Anything else: a warning, nothing written. */
static void store_token(const char *token)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/.vault-token", home);
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "warning: could not write %s: %s\n", path, strerror(errno));
        return;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st))
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_uid != geteuid())
        why = "owned by another user";
    else if (fchmod(fd, 0600) || ftruncate(fd, 0))
        why = strerror(errno);
    size_t n = strlen(token);
    if (!why && write(fd, token, n) != (ssize_t)n)
        why = "short write";
    if (why)
        fprintf(stderr, "warning: could not write %s: %s\n", path, why);
    close(fd);
}

void cf_dev_print(const char *api_addr, const char *unseal_key, const char *root_token,
                  const struct cf_dev_opts *o)
{
    printf("WARNING! dev mode is enabled! In this mode, Coffer runs entirely in-memory\n"
           "and starts unsealed with a single unseal key. The root token is already\n"
           "authenticated to the CLI, so you can immediately begin using Coffer.\n\n"
           "You may need to set the following environment variables:\n\n"
           "    $ export VAULT_ADDR='%s'\n\n"
           "The unseal key and root token are displayed below in case you want to\n"
           "seal/unseal the Vault or re-authenticate.\n\n"
           "Unseal Key: %s\nRoot Token: %s\n\n"
           "Development mode should NOT be used in production installations!\n\n",
           api_addr, unseal_key, root_token);
    fflush(stdout);
    if (!o->no_store_token)
        store_token(root_token);
}
