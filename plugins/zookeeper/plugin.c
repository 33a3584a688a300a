/* The zookeeper plugin's face: descriptor, config keys, and the storage
 * and ha vtables. Storage and ha are separate instances, each with its own
 * session, so `storage` and `ha_storage` on ZooKeeper can share a process. */
#include "zk.h"

static int zk_storage_open(const struct coffer_host *host, void **inst,
                           struct coffer_err *err)
{
    struct zk *z;
    int rc = cf_zk_open(host, NULL, &z, err);
    if (!rc)
        *inst = z;
    return rc;
}

static int zk_ha_open(const struct coffer_host *host, void **inst, struct coffer_err *err)
{
    struct zk *z;
    int rc = cf_zk_open(host, &cf_zk_ha_hooks, &z, err);
    if (!rc)
        *inst = z;
    return rc;
}

static void zk_close(void *inst) { cf_zk_close(inst); }

static const struct coffer_storage zk_storage = {
    .struct_size = sizeof(struct coffer_storage),
    .caps = CF_STORAGE_CAP_DURABLE,
    .open = zk_storage_open,
    .close = zk_close,
    .get = cf_zk_get,
    .put = cf_zk_put,
    .del = cf_zk_del,
    .list = cf_zk_list,
};

static const struct coffer_ha zk_ha = {
    .struct_size = sizeof(struct coffer_ha),
    .open = zk_ha_open,
    .close = zk_close,
    .lock = cf_zk_lock,
    .unlock = cf_zk_unlock,
    .value = cf_zk_value,
    .wait_change = cf_zk_wait_change,
};

static const struct coffer_config_key zk_keys[] = {
    {"address", CF_CFG_STRING, 0,
     "comma-separated host:port list (default \"localhost:2181\")"},
    {"path", CF_CFG_STRING, 0, "znode folder of all data (default \"vault/\")"},
    {"auth_info", CF_CFG_STRING, 0,
     "credentials added to the session, \"digest:user:password\""},
    {"znode_owner", CF_CFG_STRING, 0,
     "ACL id given all rights on created znodes, \"digest:user:hash\" "
     "(default: the auth_info identity, else world:anyone)"},
    {"session_timeout", CF_CFG_DURATION, 0,
     "ZooKeeper session timeout (default \"5s\"); also the connect timeout"},
    {"request_timeout", CF_CFG_DURATION, 0,
     "how long a call waits for a reconnect (default: session_timeout)"},
    {"tls_enabled", CF_CFG_BOOL, 0,
     "TLS to ZooKeeper (needs a libzookeeper_mt built with OpenSSL)"},
    {"tls_ca_file", CF_CFG_STRING, 0, "CA bundle for tls_enabled"},
    {"tls_cert_file", CF_CFG_STRING, 0, "client certificate for tls_enabled"},
    {"tls_key_file", CF_CFG_STRING, 0, "client key for tls_enabled"},
    {NULL, 0, 0, NULL},
};

static const struct coffer_plugin zk_plugin = {
    .magic = COFFER_PLUGIN_MAGIC,
    .abi_major = COFFER_PLUGIN_ABI_MAJOR,
    .abi_minor = COFFER_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct coffer_plugin),
    .name = "zookeeper",
    .version = COFFER_VERSION,
    .config_keys = zk_keys,
    .storage = &zk_storage,
    .ha = &zk_ha,
};

COFFER_PLUGIN_EXPORT const struct coffer_plugin *coffer_plugin_entry(void)
{
    return &zk_plugin;
}
