/* Tests of the server config schema: defaults, Vault-style HCL and the same
 * in JSON, env overrides, derived addresses and every error message. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coffer/errors.h>
#include "config/config.h"
#include "cf_test.h"

#define STORAGE "storage \"inmem\" {}\n"
#define PLAIN "listener \"tcp\" { tls_disable = true }\n"

static struct cf_config *ok(const char *text)
{
    struct cf_config *c = NULL;
    struct coffer_err err = {""};
    int rc = cf_config_parse(text, strlen(text), "c.hcl", &c, &err);
    CF_ASSERT_INT_EQ(rc, 0);
    CF_ASSERT_STR_EQ(err.msg, "");
    return c;
}

#define EXPECT_ERR(text, want)                                                           \
    do {                                                                                 \
        struct cf_config *c_ = (struct cf_config *)0x1;                                  \
        struct coffer_err e_ = {""};                                                     \
        const char *t_ = (text);                                                         \
        CF_ASSERT_INT_EQ(cf_config_parse(t_, strlen(t_), "c.hcl", &c_, &e_),             \
                         CF_ECONFIG);                                                    \
        CF_ASSERT_STR_EQ(e_.msg, want);                                                  \
        CU_ASSERT_PTR_EQUAL(c_, (struct cf_config *)0x1);                                \
    } while (0)

static const char server_hcl[] = "# node 1\n"
                                 "listener \"tcp\" {\n"
                                 "  address         = \"0.0.0.0:8200\"\n"
                                 "  tls_cert_file   = \"/etc/coffer/tls.crt\"\n"
                                 "  tls_key_file    = \"/etc/coffer/tls.key\"\n"
                                 "  tls_client_ca_file = \"/etc/coffer/ca.crt\"\n"
                                 "  tls_min_version = \"tls13\"\n"
                                 "  tls_require_and_verify_client_cert = true\n"
                                 "  max_request_size = 1048576\n"
                                 "  max_request_duration = \"2m\"\n"
                                 "}\n"
                                 "listener \"tcp\" {\n"
                                 "  address = \"127.0.0.1:9200\"\n"
                                 "  cluster_address = \"127.0.0.1:9300\"\n"
                                 "  tls_disable = \"1\"\n"
                                 "  tls_disable_client_certs = \"true\"\n"
                                 "}\n"
                                 "storage \"raft\" {\n"
                                 "  path    = \"/var/lib/coffer\"\n"
                                 "  node_id = \"n1\"\n"
                                 "}\n"
                                 "ha_storage \"zookeeper\" {\n"
                                 "  address = \"zk1:2181,zk2:2181\"\n"
                                 "  path    = \"coffer/\"\n"
                                 "}\n"
                                 "api_addr         = \"https://node1.example.com:8200\"\n"
                                 "cluster_addr     = \"https://node1.example.com:8201\"\n"
                                 "cluster_name     = \"prod\"\n"
                                 "plugin_directory = \"/usr/lib/coffer/plugins\"\n"
                                 "log_level        = \"debug\"\n"
                                 "default_lease_ttl = \"1h30m\"\n"
                                 "max_lease_ttl    = 86400\n"
                                 "disable_clustering = false\n"
                                 "disable_mlock    = true\n"
                                 "disable_cache    = \"0\"\n"
                                 "ui               = true\n"
                                 "pid_file         = \"/run/coffer.pid\"\n";

static const char server_json[] =
    "{\n"
    "  \"listener\": [\n"
    "    {\"tcp\": {\"address\": \"0.0.0.0:8200\", \"tls_cert_file\": \"/etc/coffer/tls.crt\",\n"
    "      \"tls_key_file\": \"/etc/coffer/tls.key\", \"tls_client_ca_file\": \"/etc/coffer/ca.crt\",\n"
    "      \"tls_min_version\": \"tls13\", \"tls_require_and_verify_client_cert\": true,\n"
    "      \"max_request_size\": 1048576, \"max_request_duration\": \"2m\"}},\n"
    "    {\"tcp\": {\"address\": \"127.0.0.1:9200\", \"cluster_address\": \"127.0.0.1:9300\",\n"
    "      \"tls_disable\": \"1\", \"tls_disable_client_certs\": \"true\"}}\n"
    "  ],\n"
    "  \"storage\": {\"raft\": {\"path\": \"/var/lib/coffer\", \"node_id\": \"n1\"}},\n"
    "  \"ha_storage\": {\"zookeeper\": {\"address\": \"zk1:2181,zk2:2181\", \"path\": \"coffer/\"}},\n"
    "  \"api_addr\": \"https://node1.example.com:8200\",\n"
    "  \"cluster_addr\": \"https://node1.example.com:8201\",\n"
    "  \"cluster_name\": \"prod\",\n"
    "  \"plugin_directory\": \"/usr/lib/coffer/plugins\",\n"
    "  \"log_level\": \"debug\",\n"
    "  \"default_lease_ttl\": \"1h30m\",\n"
    "  \"max_lease_ttl\": 86400,\n"
    "  \"disable_clustering\": false,\n"
    "  \"disable_mlock\": true,\n"
    "  \"disable_cache\": \"0\",\n"
    "  \"ui\": true,\n"
    "  \"pid_file\": \"/run/coffer.pid\"\n"
    "}\n";

static void check_server(const struct cf_config *c)
{
    CF_ASSERT_INT_EQ(c->nlisteners, 2);
    if (c->nlisteners != 2)
        return;
    const struct cf_listener_cfg *l = &c->listeners[0];
    CF_ASSERT_STR_EQ(l->address, "0.0.0.0:8200");
    CF_ASSERT_STR_EQ(l->cluster_address, "0.0.0.0:8201");
    CF_ASSERT_INT_EQ(l->tls_disable, 0);
    CF_ASSERT_STR_EQ(l->tls_cert_file, "/etc/coffer/tls.crt");
    CF_ASSERT_STR_EQ(l->tls_key_file, "/etc/coffer/tls.key");
    CF_ASSERT_STR_EQ(l->tls_client_ca_file, "/etc/coffer/ca.crt");
    CF_ASSERT_STR_EQ(l->tls_min_version, "tls13");
    CF_ASSERT_STR_EQ(l->tls_max_version, "tls13");
    CF_ASSERT_INT_EQ(l->tls_require_and_verify_client_cert, 1);
    CF_ASSERT_INT_EQ(l->tls_disable_client_certs, 0);
    CF_ASSERT_INT_EQ(l->max_request_size, 1048576);
    CF_ASSERT_INT_EQ(l->max_request_duration, 120);
    l = &c->listeners[1];
    CF_ASSERT_STR_EQ(l->address, "127.0.0.1:9200");
    CF_ASSERT_STR_EQ(l->cluster_address, "127.0.0.1:9300");
    CF_ASSERT_INT_EQ(l->tls_disable, 1);
    CF_ASSERT_INT_EQ(l->tls_disable_client_certs, 1);
    CF_ASSERT_INT_EQ(l->max_request_size, 33554432);
    CF_ASSERT_INT_EQ(l->max_request_duration, 90);
    CU_ASSERT_PTR_NULL(l->tls_cert_file);
    CF_ASSERT_STR_EQ(c->storage->type, "raft");
    CF_ASSERT_STR_EQ(cf_hcl_get(c->storage->params, "node_id")->value->str, "n1");
    CF_ASSERT_STR_EQ(cf_hcl_get(c->storage->params, "path")->value->str,
                     "/var/lib/coffer");
    CF_ASSERT_STR_EQ(c->ha_storage->type, "zookeeper");
    CF_ASSERT_STR_EQ(cf_hcl_get(c->ha_storage->params, "address")->value->str,
                     "zk1:2181,zk2:2181");
    CF_ASSERT_STR_EQ(c->api_addr, "https://node1.example.com:8200");
    CF_ASSERT_STR_EQ(c->cluster_addr, "https://node1.example.com:8201");
    CF_ASSERT_STR_EQ(c->cluster_name, "prod");
    CF_ASSERT_STR_EQ(c->plugin_directory, "/usr/lib/coffer/plugins");
    CF_ASSERT_STR_EQ(c->log_level, "debug");
    CF_ASSERT_INT_EQ(c->default_lease_ttl, 5400);
    CF_ASSERT_INT_EQ(c->max_lease_ttl, 86400);
    CF_ASSERT_INT_EQ(c->disable_clustering, 0);
    CF_ASSERT_INT_EQ(c->disable_mlock, 1);
    CF_ASSERT_INT_EQ(c->disable_cache, 0);
    CF_ASSERT_INT_EQ(c->cache_size, 131072); /* Vault's default */
    CF_ASSERT_INT_EQ(c->ui, 1);
    CF_ASSERT_STR_EQ(c->pid_file, "/run/coffer.pid");
    CF_ASSERT_STR_EQ(c->file, "c.hcl");
}

static void test_server_hcl(void)
{
    struct cf_config *c = ok(server_hcl);
    if (!c)
        return;
    check_server(c);
    CF_ASSERT_INT_EQ(c->listeners[0].line, 2);
    CF_ASSERT_INT_EQ(c->listeners[1].line, 12);
    CF_ASSERT_INT_EQ(c->storage->line, 18);
    CF_ASSERT_INT_EQ(c->ha_storage->line, 22);
    cf_config_free(c);
}

static void test_server_json(void)
{
    struct cf_config *c = ok(server_json);
    if (!c)
        return;
    check_server(c);
    CF_ASSERT_INT_EQ(c->listeners[1].line, 7);
    CF_ASSERT_INT_EQ(c->storage->line, 10);
    cf_config_free(c);
    /* the other JSON shape for repeated blocks: {"tcp": [{...}, {...}]} */
    c = ok("{\"listener\": {\"tcp\": [{\"address\": \"a:1\", \"tls_disable\": true},\n"
           "{\"address\": \"b:2\", \"tls_disable\": true}]},\n"
           "\"storage\": {\"inmem\": {}}}");
    if (!c)
        return;
    CF_ASSERT_INT_EQ(c->nlisteners, 2);
    CF_ASSERT_STR_EQ(c->listeners[1].address, "b:2");
    CF_ASSERT_INT_EQ(c->listeners[1].line, 2);
    CF_ASSERT_STR_EQ(c->listeners[1].cluster_address, "b:3");
    CF_ASSERT_INT_EQ(c->storage->params->nentries, 0);
    cf_config_free(c);
}

static void test_defaults(void)
{
    struct cf_config *c = ok(PLAIN STORAGE);
    if (!c)
        return;
    CF_ASSERT_INT_EQ(c->nlisteners, 1);
    CF_ASSERT_STR_EQ(c->listeners[0].address, "127.0.0.1:8200");
    CF_ASSERT_STR_EQ(c->listeners[0].cluster_address, "127.0.0.1:8201");
    CF_ASSERT_STR_EQ(c->listeners[0].tls_min_version, "tls12");
    CF_ASSERT_STR_EQ(c->listeners[0].tls_max_version, "tls13");
    CF_ASSERT_INT_EQ(c->listeners[0].max_request_size, 33554432);
    CF_ASSERT_INT_EQ(c->listeners[0].max_request_duration, 90);
    CF_ASSERT_STR_EQ(c->log_level, "info");
    CF_ASSERT_INT_EQ(c->default_lease_ttl, 2764800);
    CF_ASSERT_INT_EQ(c->max_lease_ttl, 2764800);
    CU_ASSERT_PTR_NULL(c->api_addr);
    CU_ASSERT_PTR_NULL(c->cluster_addr);
    CU_ASSERT_PTR_NULL(c->ha_storage);
    CU_ASSERT_PTR_NULL(c->plugin_directory);
    CF_ASSERT_INT_EQ(c->ui, 0);
    cf_config_free(c);

    /* 0 means the default; no listener is allowed (the server decides) */
    c = ok(STORAGE "listener \"tcp\" {\n tls_disable = 1\n max_request_size = 0\n"
                   " max_request_duration = 0 }\ndefault_lease_ttl = 0\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->listeners[0].max_request_size, 33554432);
        CF_ASSERT_INT_EQ(c->listeners[0].max_request_duration, 90);
        CF_ASSERT_INT_EQ(c->default_lease_ttl, 2764800);
    }
    cf_config_free(c);
    c = ok(STORAGE);
    if (c)
        CF_ASSERT_INT_EQ(c->nlisteners, 0);
    cf_config_free(c);
}

static void test_config_default(void)
{
    struct cf_config *c = NULL;
    CF_ASSERT_INT_EQ(cf_config_default(&c), 0);
    if (!c)
        return;
    CF_ASSERT_INT_EQ(c->nlisteners, 1);
    CF_ASSERT_STR_EQ(c->listeners[0].address, "127.0.0.1:8200");
    CF_ASSERT_STR_EQ(c->listeners[0].cluster_address, "127.0.0.1:8201");
    CF_ASSERT_INT_EQ(c->listeners[0].tls_disable, 1);
    CF_ASSERT_INT_EQ(c->listeners[0].max_request_size, 33554432);
    CF_ASSERT_STR_EQ(c->log_level, "info");
    CF_ASSERT_INT_EQ(c->max_lease_ttl, 2764800);
    CU_ASSERT_PTR_NULL(c->storage);
    CU_ASSERT_PTR_NOT_NULL(c->file);
    cf_config_free(c);
    cf_config_free(NULL);
}

static void test_durations_ok(void)
{
    struct cf_config *c =
        ok(PLAIN STORAGE "default_lease_ttl = \"45s\"\nmax_lease_ttl = \"30m\"\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->default_lease_ttl, 45);
        CF_ASSERT_INT_EQ(c->max_lease_ttl, 1800);
    }
    cf_config_free(c);
    c = ok(PLAIN STORAGE "default_lease_ttl = \"600\"\nmax_lease_ttl = \"768h\"\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->default_lease_ttl, 600);
        CF_ASSERT_INT_EQ(c->max_lease_ttl, 2764800);
    }
    cf_config_free(c);
}

static void test_err_ttl(void)
{
    EXPECT_ERR(PLAIN STORAGE "default_lease_ttl = \"30m\"\nmax_lease_ttl = \"45s\"\n",
               "c.hcl:3: default_lease_ttl (1800s) is longer than max_lease_ttl (45s)");
    EXPECT_ERR(
        PLAIN STORAGE "max_lease_ttl = \"1h\"\n",
        "c.hcl:3: default_lease_ttl (2764800s) is longer than max_lease_ttl (3600s)");
    EXPECT_ERR(PLAIN STORAGE "\nmax_lease_ttl = \"soon\"\n",
               "c.hcl:4: \"max_lease_ttl\" must be a duration such as \"768h\", \"30m\", "
               "\"45s\" or a number of seconds");
    EXPECT_ERR(PLAIN STORAGE "max_lease_ttl = -5\n",
               "c.hcl:3: \"max_lease_ttl\" must be a duration such as \"768h\", \"30m\", "
               "\"45s\" or a number of seconds");
    EXPECT_ERR(PLAIN STORAGE "max_lease_ttl = \"99999999999999999999h\"\n",
               "c.hcl:3: \"max_lease_ttl\" must be a duration such as \"768h\", \"30m\", "
               "\"45s\" or a number of seconds");
    /* A number of seconds past 2^63 ns (about 292 years) is refused too. */
    EXPECT_ERR(PLAIN STORAGE "max_lease_ttl = 9223372037\n",
               "c.hcl:3: \"max_lease_ttl\" must be a duration such as \"768h\", \"30m\", "
               "\"45s\" or a number of seconds");
    EXPECT_ERR(
        PLAIN STORAGE "default_lease_ttl = 1.5\n",
        "c.hcl:3: \"default_lease_ttl\" must be a duration such as \"768h\", \"30m\", "
        "\"45s\" or a number of seconds");
    EXPECT_ERR(
        "listener \"tcp\" {\n tls_disable = true\n max_request_duration = \"x\"\n}\n" STORAGE,
        "c.hcl:3: listener \"tcp\": \"max_request_duration\" must be a duration such "
        "as \"768h\", \"30m\", \"45s\" or a number of seconds");
}

static void test_err_unknown_keys(void)
{
    EXPECT_ERR(
        "listener \"tcp\" {\n  tls_disable = true\n  adress = \"1.2.3.4:8200\"\n}\n" STORAGE,
        "c.hcl:3: listener \"tcp\": unknown key \"adress\" (did you mean \"address\"?)");
    EXPECT_ERR(PLAIN STORAGE "x = 1\n", "c.hcl:3: unknown key \"x\"");
    EXPECT_ERR(PLAIN STORAGE "\napi_adr = \"http://a:1\"\n",
               "c.hcl:4: unknown key \"api_adr\" (did you mean \"api_addr\"?)");
    EXPECT_ERR("listener \"tcp\" { tls_disable = true\n\n bogus_key = 1 }\n" STORAGE,
               "c.hcl:3: listener \"tcp\": unknown key \"bogus_key\"");
    EXPECT_ERR("{\"storage\": {\"inmem\": {}},\n \"ui\": true,\n \"uii\": true}",
               "c.hcl:3: unknown key \"uii\" (did you mean \"ui\"?)");
}

static void test_err_types(void)
{
    EXPECT_ERR("listener \"tcp\" {\n tls_disable = true\n address = 8200\n}\n" STORAGE,
               "c.hcl:3: listener \"tcp\": \"address\" must be a string");
    EXPECT_ERR(
        "listener \"tcp\" {\n tls_disable = \"yes\"\n}\n" STORAGE,
        "c.hcl:2: listener \"tcp\": \"tls_disable\" must be a boolean (true or false)");
    EXPECT_ERR(
        "listener \"tcp\" {\n tls_disable = true\n max_request_size = \"big\"\n}\n" STORAGE,
        "c.hcl:3: listener \"tcp\": \"max_request_size\" must be an integer");
    EXPECT_ERR(PLAIN STORAGE "ui = [true]\n",
               "c.hcl:3: \"ui\" must be a boolean (true or false)");
    EXPECT_ERR(PLAIN STORAGE "api_addr = { a = 1 }\n",
               "c.hcl:3: \"api_addr\" must be a string");
    EXPECT_ERR(PLAIN STORAGE "cluster_name = true\n",
               "c.hcl:3: \"cluster_name\" must be a string");
}

static void test_err_blocks(void)
{
    EXPECT_ERR(
        "listener \"udp\" { }\n" STORAGE,
        "c.hcl:1: listener \"udp\": unsupported listener type (only \"tcp\" is available)");
    EXPECT_ERR(
        STORAGE "\nlistener {\n address = \"a:1\"\n}\n",
        "c.hcl:4: listener: \"address\" is not a block; write listener \"tcp\" { ... }");
    EXPECT_ERR(STORAGE "listener = \"tcp\"\n",
               "c.hcl:2: listener needs a type: write listener \"tcp\" { ... }");
    EXPECT_ERR(STORAGE "listener {}\n",
               "c.hcl:2: listener needs a type: write listener \"tcp\" { ... }");
    EXPECT_ERR(PLAIN,
               "c.hcl:1: no storage block: add one, e.g. storage \"bdb\" "
               "{ path = \"/var/lib/coffer\" }");
    EXPECT_ERR(PLAIN STORAGE "\nstorage \"bdb\" { path = \"/x\" }\n",
               "c.hcl:4: storage \"bdb\": only one storage block is allowed (the first, "
               "\"inmem\", is on line 2)");
    EXPECT_ERR(PLAIN STORAGE "ha_storage \"etcd\" {}\nha_storage \"zookeeper\" {}\n",
               "c.hcl:4: ha_storage \"zookeeper\": only one ha_storage block is allowed "
               "(the first, \"etcd\", is on line 3)");
    EXPECT_ERR(PLAIN STORAGE "transport \"tls\" {}\ntransport \"quic\" {}\n",
               "c.hcl:4: transport \"quic\": only one transport block is allowed "
               "(the first, \"tls\", is on line 3)");
    EXPECT_ERR(PLAIN STORAGE "transport = \"tls\"\n",
               "c.hcl:3: transport needs a type: write transport \"tls\" { ... }");
    EXPECT_ERR(PLAIN "storage \"bdb\" = 1\n",
               "c.hcl:2: expected '{' after the labels of block \"storage\", got '='");
    EXPECT_ERR(PLAIN "storage \"bdb\" {\n",
               "c.hcl:3: unexpected end of input: '{' on line 2 is not closed");
    EXPECT_ERR("{\"storage\": {\"inmem\": [1]}}",
               "c.hcl:1: storage \"inmem\" must be a block { ... }");
}

/* The forwarding transport is a plugin block like storage; none = "tls". */
static void test_transport(void)
{
    struct cf_config *c = ok(PLAIN STORAGE);
    if (c)
        CU_ASSERT_PTR_NULL(c->transport);
    cf_config_free(c);
    c = ok(PLAIN STORAGE "transport \"tls\" {\n}\n");
    if (!c)
        return;
    CF_ASSERT_STR_EQ(c->transport->type, "tls");
    CF_ASSERT_INT_EQ(c->transport->line, 3);
    cf_config_free(c);
    c = ok(
        "{\"listener\": {\"tcp\": {\"tls_disable\": true}}, \"storage\": {\"inmem\": {}},"
        " \"transport\": {\"tls\": {}}}");
    if (c)
        CF_ASSERT_STR_EQ(c->transport->type, "tls");
    cf_config_free(c);
}

static void test_err_tls(void)
{
    EXPECT_ERR(
        STORAGE "\nlistener \"tcp\" {\n address = \"0.0.0.0:8200\"\n}\n",
        "c.hcl:3: listener \"tcp\": TLS is enabled but tls_cert_file and tls_key_file "
        "are not set (set them, or tls_disable = true)");
    EXPECT_ERR(
        STORAGE "listener \"tcp\" {\n tls_cert_file = \"c\"\n}\n",
        "c.hcl:2: listener \"tcp\": TLS is enabled but tls_key_file is not set (set "
        "them, or tls_disable = true)");
    EXPECT_ERR(
        STORAGE "listener \"tcp\" {\n tls_key_file = \"k\"\n tls_disable = false\n}\n",
        "c.hcl:2: listener \"tcp\": TLS is enabled but tls_cert_file is not set (set "
        "them, or tls_disable = true)");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n tls_min_version = \"tls14\"\n}\n",
        "c.hcl:4: listener \"tcp\": tls_min_version \"tls14\" is not valid (use tls10, "
        "tls11, tls12 or tls13)");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n tls_max_version = \"ssl3\"\n}\n",
        "c.hcl:4: listener \"tcp\": tls_max_version \"ssl3\" is not valid (use tls10, "
        "tls11, tls12 or tls13)");
    EXPECT_ERR(STORAGE
               "listener \"tcp\" {\n tls_disable = true\n tls_min_version = \"tls13\"\n"
               " tls_max_version = \"tls11\"\n}\n",
               "c.hcl:4: listener \"tcp\": tls_min_version \"tls13\" is newer than "
               "tls_max_version \"tls11\"");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n tls_max_version = \"tls10\"\n}\n",
        "c.hcl:4: listener \"tcp\": tls_min_version \"tls12\" is newer than "
        "tls_max_version \"tls10\"");
    struct cf_config *c =
        ok(STORAGE "listener \"tcp\" {\n tls_cert_file = \"c\"\n"
                   " tls_key_file = \"k\"\n tls_min_version = \"tls10\"\n}\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->listeners[0].tls_disable, 0);
        CF_ASSERT_STR_EQ(c->listeners[0].tls_min_version, "tls10");
    }
    cf_config_free(c);
}

static void test_err_request_size(void)
{
    EXPECT_ERR(
        STORAGE "listener \"tcp\" {\n tls_disable = true\n max_request_size = -1\n}\n",
        "c.hcl:4: listener \"tcp\": \"max_request_size\" must not be negative (0 means "
        "the default, 32 MiB)");
}

/* Vault's listener deadlines with its defaults, an explicit 0 kept as
 * "none", and the per-address cap. */
static void test_connection_limits(void)
{
    struct cf_config *c = ok(STORAGE PLAIN);
    if (c) {
        const struct cf_listener_cfg *l = &c->listeners[0];
        CF_ASSERT_INT_EQ(l->http_read_header_timeout, 10);
        CF_ASSERT_INT_EQ(l->http_read_timeout, 30);
        CF_ASSERT_INT_EQ(l->http_write_timeout, 0);
        CF_ASSERT_INT_EQ(l->http_idle_timeout, 300);
        CF_ASSERT_INT_EQ(l->max_connections_per_address, 256);
        cf_config_free(c);
    }
    c = ok(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n"
        " http_read_header_timeout = \"2s\"\n http_read_timeout = \"1m\"\n"
        " http_write_timeout = 45\n http_idle_timeout = 0\n"
        " max_connections_per_address = 0\n max_request_bytes_in_flight = 1048576\n}\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->listeners[0].max_request_bytes_in_flight, 1048576);
        const struct cf_listener_cfg *l = &c->listeners[0];
        CF_ASSERT_INT_EQ(l->http_read_header_timeout, 2);
        CF_ASSERT_INT_EQ(l->http_read_timeout, 60);
        CF_ASSERT_INT_EQ(l->http_write_timeout, 45);
        CF_ASSERT_INT_EQ(l->http_idle_timeout, 0);
        CF_ASSERT_INT_EQ(l->max_connections_per_address, 0);
        cf_config_free(c);
    }
    c = ok(
        "{\"storage\": {\"inmem\": {}}, \"listener\": {\"tcp\": {\"tls_disable\": true,"
        " \"http_idle_timeout\": \"10m\", \"max_connections_per_address\": 8}}}");
    if (c) {
        CF_ASSERT_INT_EQ(c->listeners[0].http_idle_timeout, 600);
        CF_ASSERT_INT_EQ(c->listeners[0].max_connections_per_address, 8);
        cf_config_free(c);
    }
    if (cf_config_default(&c) == 0) {
        CF_ASSERT_INT_EQ(c->listeners[0].http_read_header_timeout, 10);
        CF_ASSERT_INT_EQ(c->listeners[0].max_connections_per_address, 256);
        cf_config_free(c);
    }
    c = ok(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n max_json_depth = 120\n"
        " max_json_string_value_length = 4194304\n max_json_object_entry_count = 100000\n"
        " max_json_array_element_count = 50\n}\n");
    if (c) {
        const struct cf_listener_cfg *l = &c->listeners[0];
        CF_ASSERT_INT_EQ(l->max_json_depth, 120);
        CF_ASSERT_INT_EQ(l->max_json_string_value_length, 4194304);
        CF_ASSERT_INT_EQ(l->max_json_object_entry_count, 100000);
        CF_ASSERT_INT_EQ(l->max_json_array_element_count, 50);
        cf_config_free(c);
    }
    EXPECT_ERR(STORAGE
               "listener \"tcp\" {\n tls_disable = true\n max_json_depth = 500\n}\n",
               "c.hcl:4: listener \"tcp\": \"max_json_depth\" must be at most 120");
    c = ok(STORAGE "cache_size = 64\nlistener \"tcp\" {\n tls_disable = true\n}\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->cache_size, 64);
        cf_config_free(c);
    }
    EXPECT_ERR(
        STORAGE "cache_size = -1\nlistener \"tcp\" {\n tls_disable = true\n}\n",
        "c.hcl:2: \"cache_size\" must not be negative (0 means the default, 131072)");
    EXPECT_ERR(STORAGE "listener \"tcp\" {\n tls_disable = true\n"
                       " max_json_array_element_count = 100001\n}\n",
               "c.hcl:4: listener \"tcp\": \"max_json_array_element_count\" must be at "
               "most 100000");
    EXPECT_ERR(STORAGE "listener \"tcp\" {\n tls_disable = true\n"
                       " max_request_bytes_in_flight = -1\n}\n",
               "c.hcl:4: listener \"tcp\": \"max_request_bytes_in_flight\" must not be "
               "negative (0 means the default, 256 MiB)");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n http_read_timeout = \"soon\"\n}\n",
        "c.hcl:4: listener \"tcp\": \"http_read_timeout\" must be a duration such "
        "as \"768h\", \"30m\", \"45s\" or a number of seconds");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n max_connections_per_address = -1\n}\n",
        "c.hcl:4: listener \"tcp\": \"max_connections_per_address\" must not be "
        "negative (0 means no cap)");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n max_connections_per_address = \"many\"\n}\n",
        "c.hcl:4: listener \"tcp\": \"max_connections_per_address\" must be an integer");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n http_read_header_timout = \"2s\"\n}\n",
        "c.hcl:4: listener \"tcp\": unknown key \"http_read_header_timout\" (did you mean "
        "\"http_read_header_timeout\"?)");
    EXPECT_ERR(
        STORAGE
        "listener \"tcp\" {\n tls_disable = true\n max_connection_per_address = 1\n}\n",
        "c.hcl:4: listener \"tcp\": unknown key \"max_connection_per_address\" (did you mean "
        "\"max_connections_per_address\"?)");
}

static void test_addresses(void)
{
    static const char *const bad[] = {
        "8200",        "host:",    "host:0",    "host:65536", "host:80a",
        "host:123456", "::1:8200", "[::1:8200", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256], msg[256];
        snprintf(text, sizeof text,
                 STORAGE "listener \"tcp\" {\n tls_disable = true\n"
                         " address = \"%s\"\n}\n",
                 bad[i]);
        snprintf(msg, sizeof msg,
                 "c.hcl:4: listener \"tcp\": address \"%s\" must be host:port "
                 "with a port from 1 to 65535",
                 bad[i]);
        EXPECT_ERR(text, msg);
    }
    EXPECT_ERR(
        STORAGE "listener \"tcp\" {\n tls_disable = true\n cluster_address = \"x\"\n}\n",
        "c.hcl:4: listener \"tcp\": cluster_address \"x\" must be host:port with a port "
        "from 1 to 65535");
    EXPECT_ERR(
        STORAGE "listener \"tcp\" {\n tls_disable = true\n address = \"h:65535\"\n}\n",
        "c.hcl:4: listener \"tcp\": cannot derive cluster_address from port 65535 of "
        "\"h:65535\": set cluster_address");
    struct cf_config *c = ok(
        STORAGE
        "listener \"tcp\" { tls_disable = true address = \"[::1]:8200\" }\n"
        "listener \"tcp\" { tls_disable = true address = \":9000\" }\n"
        "listener \"tcp\" { tls_disable = true address = \"h:65535\" cluster_address = \"h:1\" }\n");
    if (!c)
        return;
    CF_ASSERT_STR_EQ(c->listeners[0].cluster_address, "[::1]:8201");
    CF_ASSERT_STR_EQ(c->listeners[1].cluster_address, ":9001");
    CF_ASSERT_STR_EQ(c->listeners[2].cluster_address, "h:1");
    cf_config_free(c);
}

static void test_cluster_addr_derived(void)
{
    static const char *const cases[][2] = {
        {"https://node1:8200", "https://node1:8201"},
        {"http://10.0.0.5:8200", "https://10.0.0.5:8201"},
        {"https://vault.example.com", "https://vault.example.com:8201"},
        {"https://vault.example.com/", "https://vault.example.com:8201"},
        {"http://[::1]:8200", "https://[::1]:8201"},
        {"http://[fe80::1]", "https://[fe80::1]:8201"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[256];
        snprintf(text, sizeof text, PLAIN STORAGE "api_addr = \"%s\"\n", cases[i][0]);
        struct cf_config *c = ok(text);
        if (!c)
            continue;
        CF_ASSERT_STR_EQ(c->api_addr, cases[i][0]);
        CF_ASSERT_STR_EQ(c->cluster_addr, cases[i][1]);
        cf_config_free(c);
    }
}

static void test_err_api_cluster_addr(void)
{
    EXPECT_ERR(PLAIN STORAGE "api_addr = \"node1:8200\"\n",
               "c.hcl:3: api_addr \"node1:8200\" must be a URL starting with http:// or "
               "https://, e.g. \"https://node1.example.com:8200\"");
    EXPECT_ERR(
        PLAIN STORAGE "api_addr = \"ftp://node1:8200\"\n",
        "c.hcl:3: api_addr \"ftp://node1:8200\" must be a URL starting with http:// or "
        "https://, e.g. \"https://node1.example.com:8200\"");
    EXPECT_ERR(PLAIN STORAGE "api_addr = \"https://\"\n",
               "c.hcl:3: api_addr \"https://\" must be a URL starting with http:// or "
               "https://, e.g. \"https://node1.example.com:8200\"");
    EXPECT_ERR(
        PLAIN STORAGE "api_addr = \"https://h:99999\"\n",
        "c.hcl:3: api_addr \"https://h:99999\" must be a URL starting with http:// or "
        "https://, e.g. \"https://node1.example.com:8200\"");
    EXPECT_ERR(
        PLAIN STORAGE "api_addr = \"https://h:8200\"\ncluster_addr = \"h:8201\"\n",
        "c.hcl:4: cluster_addr \"h:8201\" must be a URL starting with https://, e.g. "
        "\"https://node1.example.com:8201\"");
    EXPECT_ERR(
        PLAIN STORAGE
        "api_addr = \"https://h:8200\"\ncluster_addr = \"https://h:8200\"\n",
        "c.hcl:4: cluster_addr must differ from api_addr (both are \"https://h:8200\"); "
        "the cluster port is usually the API port + 1");
    EXPECT_ERR(
        PLAIN STORAGE "api_addr = \"https://h:65535\"\n",
        "c.hcl:3: cannot derive cluster_addr from port 65535 of api_addr: set cluster_addr");
    /* cluster_addr alone is fine */
    struct cf_config *c = ok(PLAIN STORAGE "cluster_addr = \"https://h:8201\"\n");
    if (c) {
        CU_ASSERT_PTR_NULL(c->api_addr);
        CF_ASSERT_STR_EQ(c->cluster_addr, "https://h:8201");
    }
    cf_config_free(c);
}

static void test_err_log_level(void)
{
    EXPECT_ERR(
        PLAIN STORAGE "log_level = \"loud\"\n",
        "c.hcl:3: log_level \"loud\" is not valid (use trace, debug, info, warn or error)");
    const char *lv[] = {"trace", "debug", "info", "warn", "warning", "error"};
    for (int i = 0; i < 6; i++) {
        char text[128];
        snprintf(text, sizeof text, PLAIN STORAGE "log_level = \"%s\"\n", lv[i]);
        struct cf_config *c = ok(text);
        if (c)
            CF_ASSERT_STR_EQ(c->log_level, lv[i]);
        cf_config_free(c);
    }
}

static void test_env_overrides(void)
{
    setenv("VAULT_API_ADDR", "https://env-node:8200", 1);
    struct cf_config *c = ok(PLAIN STORAGE "api_addr = \"https://file-node:8200\"\n");
    if (c) {
        CF_ASSERT_STR_EQ(c->api_addr, "https://env-node:8200");
        CF_ASSERT_STR_EQ(c->cluster_addr, "https://env-node:8201");
    }
    cf_config_free(c);

    setenv("VAULT_CLUSTER_ADDR", "https://env-node:9999", 1);
    c = ok(PLAIN STORAGE "cluster_addr = \"https://file-node:8201\"\n");
    if (c) {
        CF_ASSERT_STR_EQ(c->api_addr, "https://env-node:8200");
        CF_ASSERT_STR_EQ(c->cluster_addr, "https://env-node:9999");
    }
    cf_config_free(c);

    /* env values are validated, and the message says where they came from */
    setenv("VAULT_API_ADDR", "env-node:8200", 1);
    EXPECT_ERR(
        PLAIN STORAGE "api_addr = \"https://file-node:8200\"\n",
        "c.hcl:3: api_addr \"env-node:8200\" (from VAULT_API_ADDR) must be a URL "
        "starting with http:// or https://, e.g. \"https://node1.example.com:8200\"");
    EXPECT_ERR(
        PLAIN STORAGE,
        "c.hcl:1: api_addr \"env-node:8200\" (from VAULT_API_ADDR) must be a URL "
        "starting with http:// or https://, e.g. \"https://node1.example.com:8200\"");
    setenv("VAULT_API_ADDR", "https://env-node:9999", 1);
    EXPECT_ERR(
        PLAIN STORAGE,
        "c.hcl:1: cluster_addr must differ from api_addr (both are "
        "\"https://env-node:9999\"); the cluster port is usually the API port + 1");
    unsetenv("VAULT_API_ADDR");
    setenv("VAULT_CLUSTER_ADDR", "bad", 1);
    EXPECT_ERR(
        PLAIN STORAGE "cluster_addr = \"https://ok:1\"\n",
        "c.hcl:3: cluster_addr \"bad\" (from VAULT_CLUSTER_ADDR) must be a URL starting "
        "with https://, e.g. \"https://node1.example.com:8201\"");
    /* an empty variable does not override */
    setenv("VAULT_CLUSTER_ADDR", "", 1);
    c = ok(PLAIN STORAGE "cluster_addr = \"https://ok:1\"\n");
    if (c)
        CF_ASSERT_STR_EQ(c->cluster_addr, "https://ok:1");
    cf_config_free(c);
    unsetenv("VAULT_CLUSTER_ADDR");
}

static void test_syntax_error(void)
{
    EXPECT_ERR(PLAIN STORAGE "ui = \n", "c.hcl:4: expected a value, got end of input");
    EXPECT_ERR("listener \"tcp\" {\n  address \"x\"\n}\n",
               "c.hcl:3: expected '{' after the labels of block \"address\", got '}'");
    EXPECT_ERR("a = 1\n\nb = \"unterminated\n",
               "c.hcl:3: unterminated string (newline before the closing '\"')");
}

static void test_storage_params(void)
{
    struct cf_config *c =
        ok(PLAIN "storage \"raft\" {\n path = \"/d\"\n"
                 " retry_join { leader_api_addr = \"https://n2:8200\" }\n"
                 " retry_join { leader_api_addr = \"https://n3:8200\" }\n"
                 " performance_multiplier = 1\n}\n");
    if (!c)
        return;
    const struct cf_hcl_node *p = c->storage->params;
    CF_ASSERT_INT_EQ(p->type, CF_HCL_OBJECT);
    CF_ASSERT_INT_EQ(p->nentries, 4);
    CF_ASSERT_STR_EQ(p->entries[2].key, "retry_join");
    CF_ASSERT_INT_EQ(p->entries[2].line, 5);
    CF_ASSERT_STR_EQ(cf_hcl_get(p->entries[2].value, "leader_api_addr")->value->str,
                     "https://n3:8200");
    CF_ASSERT_INT_EQ(cf_hcl_get(p, "performance_multiplier")->value->inum, 1);
    cf_config_free(c);
}

static void test_load(void)
{
    char dir[] = "/tmp/coffer-test-config-XXXXXX";
    if (!mkdtemp(dir)) {
        CU_FAIL("mkdtemp");
        return;
    }
    char path[256];
    struct coffer_err err = {""};
    snprintf(path, sizeof path, "%s/coffer.hcl", dir);
    struct cf_config *c = (struct cf_config *)0x1;
    CF_ASSERT_INT_EQ(cf_config_load(path, &c, &err), CF_EIO);
    char want[512];
    snprintf(want, sizeof want, "cannot read config file \"%s\": %s", path,
             strerror(ENOENT));
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_EQUAL(c, (struct cf_config *)0x1);

    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(server_hcl, f);
    fclose(f);
    c = NULL;
    CF_ASSERT_INT_EQ(cf_config_load(path, &c, &err), 0);
    if (c) {
        CF_ASSERT_STR_EQ(c->file, path);
        CF_ASSERT_STR_EQ(c->storage->type, "raft");
        CF_ASSERT_INT_EQ(c->nlisteners, 2);
    }
    cf_config_free(c);

    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(PLAIN STORAGE "\n\nui = maybe\n", f);
    fclose(f);
    CF_ASSERT_INT_EQ(cf_config_load(path, &c, &err), CF_ECONFIG);
    snprintf(want, sizeof want, "%s:5: unexpected bare word (strings need double quotes)",
             path);
    CF_ASSERT_STR_EQ(err.msg, want);

    /* a directory cannot be read as a file */
    CF_ASSERT_INT_EQ(cf_config_load(dir, &c, &err), CF_EIO);
    CF_ASSERT_CONTAINS(err.msg, "cannot read config file");
    unlink(path);
    rmdir(dir);
}

/* Arbitrary bytes through the whole schema: only clean results. */
/* Vault's overrides of the plugin file checks. */
static void test_plugin_file_trust(void)
{
    struct cf_config *c = ok(STORAGE PLAIN "plugin_file_uid = 1000\n"
                                           "plugin_file_permissions = \"0750\"\n");
    if (c) {
        CF_ASSERT_INT_EQ(c->plugin_file_uid, 1000);
        CF_ASSERT_INT_EQ(c->plugin_file_permissions, 0750);
    }
    cf_config_free(c);
    c = ok(STORAGE PLAIN);
    if (c) {
        CF_ASSERT_INT_EQ(c->plugin_file_uid, 0);
        CF_ASSERT_INT_EQ(c->plugin_file_permissions, 0);
    }
    cf_config_free(c);
    EXPECT_ERR(STORAGE PLAIN "plugin_file_uid = -1\n",
               "c.hcl:3: \"plugin_file_uid\" must be a user id (an integer >= 0)");
    EXPECT_ERR(
        STORAGE PLAIN "plugin_file_permissions = \"0789\"\n",
        "c.hcl:3: \"plugin_file_permissions\" must be an octal mode string such as \"0755\"");
    EXPECT_ERR(
        STORAGE PLAIN "plugin_file_permissions = 755\n",
        "c.hcl:3: \"plugin_file_permissions\" must be an octal mode string such as \"0755\"");
}

static void test_garbage(void)
{
    uint64_t s = 0x2545F4914F6CDD1Dull;
    char buf[sizeof server_hcl];
    for (int round = 0; round < 5000; round++) {
        memcpy(buf, server_hcl, sizeof server_hcl);
        for (int k = 0; k < 4; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[(s >> 8) % (sizeof buf - 1)] = (char)(s >> 40);
        }
        struct cf_config *c = NULL;
        struct coffer_err e = {""};
        int rc = cf_config_parse(buf, sizeof buf - 1, "g", &c, &e);
        if (rc == 0)
            cf_config_free(c);
        else {
            CF_ASSERT_INT_EQ(rc, CF_ECONFIG);
            if (strncmp(e.msg, "g:", 2))
                CF_ASSERT_STR_EQ(e.msg, "g:<line>: ...");
        }
    }
}

int main(void)
{
    unsetenv("VAULT_API_ADDR");
    unsetenv("VAULT_CLUSTER_ADDR");
    static const struct cf_test_case cases[] = {
        {"server hcl", test_server_hcl},
        {"server json", test_server_json},
        {"defaults", test_defaults},
        {"cf_config_default", test_config_default},
        {"durations", test_durations_ok},
        {"error: ttl", test_err_ttl},
        {"error: unknown keys", test_err_unknown_keys},
        {"error: types", test_err_types},
        {"error: blocks", test_err_blocks},
        {"error: tls", test_err_tls},
        {"error: max_request_size", test_err_request_size},
        {"listener connection limits", test_connection_limits},
        {"listener addresses", test_addresses},
        {"cluster_addr derived", test_cluster_addr_derived},
        {"error: api_addr/cluster_addr", test_err_api_cluster_addr},
        {"error: log_level", test_err_log_level},
        {"env overrides", test_env_overrides},
        {"syntax errors", test_syntax_error},
        {"storage params", test_storage_params},
        {"transport", test_transport},
        {"load", test_load},
        {"garbage", test_garbage},
        {"plugin file trust", test_plugin_file_trust},
        {NULL, NULL}};
    return cf_test_run("config", cases);
}
