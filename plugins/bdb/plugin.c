/* The bdb plugin's face: descriptor, config keys and storage vtable, and
 * open/close reading the config through the host. Berkeley DB 5.3 with
 * transactions is Coffer's embedded, durable default storage. */
#include "bdb.h"
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_CACHE (8LL << 20)

static int bdb_open(const struct coffer_host *host, void **inst, struct coffer_err *err)
{
    const char *path;
    long long cache = DEFAULT_CACHE;
    int rc = host->config_string(host->ctx, "path", &path);
    if (rc) {
        snprintf(err->msg, sizeof err->msg, "bdb: config key \"path\" %s",
                 rc == CF_ENOENT ? "is required (the environment directory)"
                                 : "must be a string");
        return CF_ECONFIG;
    }
    rc = host->config_int(host->ctx, "cache_size", &cache);
    if (rc == CF_EINVAL || (!rc && cache < 0)) {
        snprintf(err->msg, sizeof err->msg,
                 "bdb: config key \"cache_size\" must be a positive number of "
                 "bytes");
        return CF_ECONFIG;
    }
    struct bdb *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err->msg, sizeof err->msg, "bdb: out of memory");
        return CF_ENOMEM;
    }
    b->host = host;
    atomic_init(&b->writes, 0);
    if ((rc = cf_bdb_env_open(b, path, cache, err))) {
        free(b);
        return rc;
    }
    host->log(host->ctx, CF_LOG_DEBUG, "opened environment \"%s\" (%s)", path,
              DB_VERSION_STRING);
    *inst = b;
    return 0;
}

static void bdb_close(void *inst)
{
    struct bdb *b = inst;
    if (!b)
        return;
    cf_bdb_env_close(b);
    free(b);
}

static const struct coffer_storage bdb_storage = {
    .struct_size = sizeof(struct coffer_storage),
    .caps = CF_STORAGE_CAP_TXN | CF_STORAGE_CAP_DURABLE,
    .open = bdb_open,
    .close = bdb_close,
    .get = cf_bdb_get,
    .put = cf_bdb_put,
    .del = cf_bdb_del,
    .list = cf_bdb_list,
    .txn = cf_bdb_txn,
};

static const struct coffer_config_key bdb_keys[] = {
    {"path", CF_CFG_STRING, 1,
     "directory of the Berkeley DB environment (created with mode 0700)"},
    {"cache_size", CF_CFG_INT, 0, "cache size in bytes (default 8 MiB)"},
    {NULL, 0, 0, NULL},
};

static const struct coffer_plugin bdb_plugin = {
    .magic = COFFER_PLUGIN_MAGIC,
    .abi_major = COFFER_PLUGIN_ABI_MAJOR,
    .abi_minor = COFFER_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct coffer_plugin),
    .name = "bdb",
    .version = COFFER_VERSION,
    .config_keys = bdb_keys,
    .storage = &bdb_storage,
};

COFFER_PLUGIN_EXPORT const struct coffer_plugin *coffer_plugin_entry(void)
{
    return &bdb_plugin;
}
