/* The server configuration: Vault's HCL/JSON schema for one node. Unknown
 * keys are errors naming file:line and the closest known key. */
#ifndef CF_CONFIG_H
#define CF_CONFIG_H

#include <stddef.h>
#include <coffer/errors.h>
#include "config/hcl.h"

struct cf_listener_cfg {
    int line;
    char *address;         /* "127.0.0.1:8200" */
    char *cluster_address; /* default: address with port + 1 */
    int tls_disable;
    char *tls_cert_file;
    char *tls_key_file;
    char *tls_client_ca_file;
    char *tls_min_version; /* "tls12" default; tls10..tls13 */
    char *tls_max_version; /* "tls13" */
    int tls_require_and_verify_client_cert;
    int tls_disable_client_certs;
    long long max_request_size;     /* bytes; default 32 MiB; 0 = default */
    long long max_request_duration; /* seconds; default 90; wall clock from
                                         * the first header byte to the reply,
                                         * the handler included */
    /* Vault's listener deadlines, in seconds, from the connection's point of
     * view; as in Vault an explicit 0 means none. Header: from accept (or
     * the end of the previous request) to the end of the headers; read:
     * from there to the last body byte; write: sending the reply; idle:
     * between keep-alive requests. */
    long long http_read_header_timeout; /* default 10 */
    long long http_read_timeout;        /* default 30 */
    long long http_write_timeout;       /* default 0 (none) */
    long long http_idle_timeout;        /* default 300 */
    /* Coffer's own: concurrent connections from one client address, so one
     * host cannot hold every slot; default 256, 0 = no cap. */
    long long max_connections_per_address;
    /* Coffer's own: bytes of request bodies held at once by the listener
     * (being read or being handled), so many large uploads together cannot
     * exhaust memory; default 256 MiB (never below max_request_size). */
    long long max_request_bytes_in_flight;
    /* Vault's JSON body limits; 0 = the default (64 levels, 1 MiB,
     * 10,000 entries, 10,000 elements: Vault's, but for the depth). Depth
     * at most 120 (the JSON writer's), the counts at most 100,000 (the
     * per-body value budget). */
    long long max_json_depth;
    long long max_json_string_value_length;
    long long max_json_object_entry_count;
    long long max_json_array_element_count;
};

/* A plugin block: storage "bdb" { ... }, ha_storage, transport. */
struct cf_storage_cfg {
    int line;
    char *type;                 /* plugin name: "bdb", "inmem", "tls" ... */
    struct cf_hcl_node *params; /* the block's object node, owned */
};

struct cf_config {
    char *file; /* path it came from, for messages */
    struct cf_listener_cfg *listeners;
    size_t nlisteners;
    struct cf_storage_cfg *storage;    /* required unless dev */
    struct cf_storage_cfg *ha_storage; /* optional */
    struct cf_storage_cfg *transport;  /* optional: request forwarding; NULL = "tls" */
    char *api_addr;                    /* VAULT_API_ADDR wins over the file */
    char *cluster_addr;                /* VAULT_CLUSTER_ADDR wins over the file */
    char *cluster_name;
    char *plugin_directory;
    char *log_level;             /* "info" default */
    long long default_lease_ttl; /* seconds, default 768h */
    long long max_lease_ttl;     /* seconds, default 768h */
    int disable_clustering;
    int disable_mlock;
    int disable_cache;    /* no physical read cache */
    long long cache_size; /* its entries; default 131072 (Vault's) */
    int ui;
    char *pid_file;
    /* Who else may own plugin files and directories besides root and the
     * server's user (0: nobody), and the exact mode they must have (0:
     * any mode without group or other write). Vault's names. */
    long long plugin_file_uid;
    unsigned plugin_file_permissions;
};

/* Parses and validates; env overrides applied. On error: CF_ECONFIG (or
 * CF_ENOMEM) and err (may be NULL) = "<file>:<line>: <message>" saying what
 * to change. *out owned by the caller (cf_config_free). */
int cf_config_parse(const char *text, size_t len, const char *name,
                    struct cf_config **out, struct coffer_err *err);
/* Reads the file (CF_EIO with the reason in err when it cannot). */
int cf_config_load(const char *path, struct cf_config **out, struct coffer_err *err);
/* A config with defaults only (for -dev). */
int cf_config_default(struct cf_config **out);
void cf_config_free(struct cf_config *c);

#endif
