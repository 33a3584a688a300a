/* `coffer server`: reads flags and config, loads the plugins, builds the
 * node, opens the listeners (only after every check passed) and runs until
 * SIGINT/SIGTERM. One step per function, each over struct server. */
#include "server.h"
#include "core.h"
#include "gate/gate.h"
#include "dev.h"
#include "plugin/dir.h"
#include "plugin/loader.h"
#include "plugin/physical.h"
#include "plugin/ha_backend.h"
#include "plugin/transport_backend.h"
#include "http/listener.h"
#include "util/strerror.h"
#include "util/secret.h"
#include <coffer/version.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

struct server_opts {
    const char *config;
    int dev;
    struct cf_dev_opts devo;
    const char *log_level;
};

static int usage(void)
{
    fprintf(
        stderr,
        "Usage: coffer server [options]\n\n"
        "  -config=FILE                 configuration file (HCL or JSON)\n"
        "  -dev                         in-memory, initialized and unsealed dev server\n"
        "  -dev-listen-address=ADDR     dev listener (default 127.0.0.1:8200)\n"
        "  -dev-root-token-id=ID        dev root token (default: random)\n"
        "  -dev-kv-v1                   mount KV version 1 at secret/ in dev mode\n"
        "  -dev-no-store-token          do not write ~/.vault-token in dev mode\n"
        "  -log-level=LEVEL             trace, debug, info, warn, error\n");
    return 1;
}

/* Accepts -flag=value, -flag value, and --flag forms like Vault's CLI. */
static int parse(int argc, char **argv, struct server_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            fprintf(stderr, "unexpected argument \"%s\"\n", a);
            return -1;
        }
        a += a[1] == '-' ? 2 : 1;
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        const char *val = eq ? eq + 1 : NULL;
#define IS(f) (n == strlen(f) && !strncmp(a, f, n))
#define NEEDVAL()                                                                        \
    do {                                                                                 \
        if (!val) {                                                                      \
            if (i + 1 >= argc) {                                                         \
                fprintf(stderr, "flag -%.*s needs a value\n", (int)n, a);                \
                return -1;                                                               \
            }                                                                            \
            val = argv[++i];                                                             \
        }                                                                                \
    } while (0)
        if (IS("h") || IS("help")) {
            return -1;
        } else if (IS("dev")) {
            o->dev = 1;
        } else if (IS("dev-kv-v1")) {
            o->devo.kv_v1 = 1;
        } else if (IS("dev-no-store-token")) {
            o->devo.no_store_token = 1;
        } else if (IS("config")) {
            NEEDVAL();
            o->config = val;
        } else if (IS("dev-listen-address")) {
            NEEDVAL();
            o->devo.listen_address = val;
        } else if (IS("dev-root-token-id")) {
            NEEDVAL();
            o->devo.root_token_id = val;
        } else if (IS("log-level")) {
            NEEDVAL();
            o->log_level = val;
        } else {
            fprintf(stderr, "flag provided but not defined: -%.*s\n", (int)n, a);
            return -1;
        }
#undef IS
#undef NEEDVAL
    }
    if (!o->dev && !o->config) {
        fprintf(stderr,
                "Error: no configuration files found: use -config=FILE or -dev\n");
        return -1;
    }
    return 0;
}

/* Everything one `coffer server` run owns, freed in reverse by
 * server_free. */
struct server {
    struct server_opts o;
    struct cf_config *cfg;
    struct cf_logger log;
    const char *log_level;
    sigset_t signals; /* taken synchronously by the main thread */
    char plugin_dir[PATH_MAX];
    struct cf_plugin_trust trust; /* from plugin_file_uid/_permissions */
    struct cf_plugin *storage_plugin, *ha_plugin, *transport_plugin;
    struct cf_physical *phys;
    struct cf_ha_backend *ha;
    struct cf_transport_backend *transport;
    struct cf_core *core;
    char api_addr[512];
    struct cf_http_listener **listeners;
    size_t nlisteners;
};

/* Opens a backend; while it is unreachable (CF_EUNAVAIL, e.g. ZooKeeper
 * down) keeps retrying with backoff up to 10 s, until SIGINT/SIGTERM
 * (then CF_ECANCELED). */
static int open_retrying(struct server *s, const char *what, struct cf_plugin *p,
                         const struct cf_hcl_node *params, struct cf_physical **phys,
                         struct cf_ha_backend **ha, struct coffer_err *err)
{
    int delay = 1;
    for (;;) {
        int rc = phys ? cf_physical_open(p, params, &s->log, phys, err)
                      : cf_ha_open(p, params, &s->log, ha, err);
        if (rc != CF_EUNAVAIL)
            return rc;
        cf_log(&s->log, CF_LOG_ERROR, "%s unavailable: %s (retrying in %d s)", what,
               err->msg, delay);
        struct timespec ts = {delay, 0};
        int sig = sigtimedwait(&s->signals, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            return CF_ECANCELED;
        delay = delay * 2 > 10 ? 10 : delay * 2;
    }
}

/* Flags and configuration; non-zero means exit with that code. */
static int load_config(struct server *s, int argc, char **argv)
{
    if (parse(argc, argv, &s->o))
        return usage();
    struct coffer_err err = {""};
    int rc = s->o.dev ? cf_dev_config(&s->o.devo, &s->cfg, &err)
                      : cf_config_load(s->o.config, &s->cfg, &err);
    if (rc) {
        fprintf(stderr, "Error loading configuration from %s: %s\n",
                s->o.config ? s->o.config : "-dev", err.msg);
        return 1;
    }
    assert(
        s->cfg); /* both loaders fill *out on success (other files: unseen by the analyzer) */
    s->log = (struct cf_logger){CF_LOG_INFO, stderr};
    const struct cf_config *cfg = s->cfg;
    s->log_level = s->o.log_level ? s->o.log_level
        : cfg->log_level          ? cfg->log_level
                                  : "info";
    if (cf_log_level_parse(s->log_level, &s->log.level)) {
        fprintf(
            stderr,
            "Error: unknown log level \"%s\" (use trace, debug, info, warn or error)\n",
            s->log_level);
        return 1;
    }
    if (!cfg->nlisteners) {
        fprintf(
            stderr,
            "Error: %s: no listener configured: add a listener \"tcp\" { address = \"127.0.0.1:8200\" } block\n",
            cfg->file ? cfg->file : "config");
        return 1;
    }
    cf_plugin_dir(cfg->plugin_directory, s->plugin_dir, sizeof s->plugin_dir);
    s->trust =
        (struct cf_plugin_trust){cfg->plugin_file_uid, cfg->plugin_file_permissions};
    return 0;
}

/* Keys must reach neither swap nor a core file (review F10). Core dumps
 * are off always (Vault has no option to want them). Every page is locked
 * as it is touched (MCL_ONFAULT: thread stacks are not filled in up
 * front) unless disable_mlock; when locking fails the server refuses to
 * start with Vault's message. Runs before any plugin or key exists. */
static int harden_memory(const struct server *s)
{
    const struct rlimit none = {0, 0};
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || setrlimit(RLIMIT_CORE, &none))
        cf_log(&s->log, CF_LOG_WARN, "cannot turn core dumps off: %s", strerror(errno));
    if (s->cfg->disable_mlock || mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0)
        return 0;
    char why[128];
    snprintf(why, sizeof why, "%s", strerror(errno));
    why[0] = (char)(why[0] >= 'A' && why[0] <= 'Z' ? why[0] - 'A' + 'a' : why[0]);
    fprintf(stderr,
            "Error initializing core: Failed to lock memory: %s\n\n"
            "This usually means that the mlock syscall is not available.\n"
            "Vault uses mlock to prevent memory from being swapped to\n"
            "disk. This requires root privileges as well as a machine\n"
            "that supports mlock. Please enable mlock on your system or\n"
            "disable Vault from using it. To disable Vault from using it,\n"
            "set the `disable_mlock` configuration option in your configuration\n"
            "file.\n",
            why);
    return 1;
}

/* Signals are taken synchronously by the main thread; block them before
 * any thread (plugins', listeners') exists so they inherit the mask. */
static void block_signals(struct server *s)
{
    sigemptyset(&s->signals);
    sigaddset(&s->signals, SIGINT);
    sigaddset(&s->signals, SIGTERM);
    sigaddset(&s->signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &s->signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Storage, then HA from ha_storage, else from the storage plugin if it
 * offers it. */
static int open_storage(struct server *s, struct coffer_err *err)
{
    const struct cf_config *cfg = s->cfg;
    int rc = cf_plugin_load(s->plugin_dir, cfg->storage->type, CF_KIND_STORAGE,
                            cfg->storage->params, &s->trust, &s->storage_plugin, err);
    if (!rc)
        rc = open_retrying(s, "storage", s->storage_plugin, cfg->storage->params,
                           &s->phys, NULL, err);
    const struct cf_storage_cfg *hacfg = cfg->ha_storage;
    if (!rc && hacfg)
        rc = cf_plugin_load(s->plugin_dir, hacfg->type, CF_KIND_HA, hacfg->params,
                            &s->trust, &s->ha_plugin, err);
    else if (!rc && cf_plugin_descriptor(s->storage_plugin)->ha)
        hacfg = cfg->storage;
    if (!rc && hacfg)
        rc = open_retrying(s, "ha_storage",
                           s->ha_plugin ? s->ha_plugin : s->storage_plugin, hacfg->params,
                           NULL, &s->ha, err);
    return rc;
}

/* The forwarding transport of an HA node: `transport "<name>" {}`, "tls"
 * when the config names none. Standbys still redirect without it. */
static void open_transport(struct server *s)
{
    const struct cf_storage_cfg *tc = s->cfg->transport;
    const char *name = tc ? tc->type : "tls";
    const struct cf_hcl_node *params = tc ? tc->params : NULL;
    struct coffer_err err = {""};
    if (cf_plugin_load(s->plugin_dir, name, CF_KIND_TRANSPORT, params, &s->trust,
                       &s->transport_plugin, &err) ||
        cf_transport_open(s->transport_plugin, params, &s->log, &s->transport, &err))
        cf_log(&s->log, CF_LOG_WARN,
               "request forwarding off (standbys will redirect): %s", err.msg);
}

static void default_api_addr(const struct cf_config *cfg, char *out, size_t n)
{
    if (cfg->api_addr) {
        snprintf(out, n, "%s", cfg->api_addr);
        return;
    }
    const struct cf_listener_cfg *l = cfg->nlisteners ? &cfg->listeners[0] : NULL;
    const char *addr = l ? l->address : "127.0.0.1:8200";
    if (!strncmp(addr, "0.0.0.0:", 8))
        addr += 7,
            snprintf(out, n, "%s://127.0.0.1%s", l && !l->tls_disable ? "https" : "http",
                     addr);
    else
        snprintf(out, n, "%s://%s", l && !l->tls_disable ? "https" : "http", addr);
}

/* The node over its storage, with HA (and forwarding) when it has a lock. */
static int start_core(struct server *s)
{
    const struct cf_config *cfg = s->cfg;
    int rc = cf_core_new(cfg, &s->log, s->phys, cfg->storage->type, &s->core);
    if (rc) {
        fprintf(stderr, "Error: cannot start the core: %s\n", cf_strerror(rc));
        return rc;
    }
    default_api_addr(cfg, s->api_addr, sizeof s->api_addr);
    if (!s->ha)
        return 0;
    if (!cfg->disable_clustering)
        open_transport(s);
    rc = cf_core_enable_ha(s->core, s->ha, s->transport, s->api_addr, cfg->cluster_addr);
    if (rc)
        fprintf(stderr, "Error: cannot start HA: %s\n", cf_strerror(rc));
    return rc;
}

/* Opened only after every check passed. */
static int start_listeners(struct server *s)
{
    const struct cf_config *cfg = s->cfg;
    s->listeners = calloc(cfg->nlisteners, sizeof *s->listeners);
    if (!s->listeners)
        return CF_ENOMEM;
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        struct coffer_err err = {""};
        int rc = cf_http_listener_start(&cfg->listeners[i], cf_gate_handle,
                                        cf_gate_inline_ok, cf_core_gate(s->core), &s->log,
                                        &s->listeners[i], &err);
        if (rc) {
            fprintf(stderr, "Error: %s\n", err.msg);
            return rc;
        }
        s->nlisteners++;
    }
    return 0;
}

/* Until SIGINT/SIGTERM; wakes once a minute to revoke expired tokens (and
 * with them their cubbyholes): lookups already refuse them the moment they
 * expire. */
static void run_loop(struct server *s)
{
    for (;;) {
        struct timespec tick = {60, 0};
        int sig = sigtimedwait(&s->signals, NULL, &tick);
        if (sig < 0) {
            cf_core_tidy(s->core);
            continue;
        }
        if (sig == SIGHUP) {
            cf_log(&s->log, CF_LOG_INFO, "SIGHUP received: nothing to reload");
            continue;
        }
        cf_log(&s->log, CF_LOG_INFO, "==> Coffer shutdown triggered");
        return;
    }
}

static void server_free(struct server *s)
{
    for (size_t i = s->nlisteners; i-- > 0;)
        cf_http_listener_stop(s->listeners[i]);
    free(s->listeners);
    cf_core_free(s->core);
    cf_transport_backend_free(s->transport);
    cf_plugin_free(s->transport_plugin);
    cf_ha_backend_free(s->ha);
    cf_physical_free(s->phys);
    cf_plugin_free(s->ha_plugin);
    cf_plugin_free(s->storage_plugin);
    cf_config_free(s->cfg);
}

static void print_banner(const struct cf_config *cfg, const char *storage,
                         const char *api_addr, const char *log_level, int ha)
{
    printf("==> Coffer server configuration:\n\n");
    printf("%24s: %s\n", "Api Address", api_addr);
    printf("%24s: %s\n", "Cluster Address",
           cfg->cluster_addr ? cfg->cluster_addr : "(clustering disabled)");
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        const struct cf_listener_cfg *l = &cfg->listeners[i];
        char label[32];
        snprintf(label, sizeof label, "Listener %zu", i + 1);
        printf(
            "%24s: tcp (addr: \"%s\", cluster address: \"%s\", max_request_duration: \"%llds\", "
            "max_request_size: \"%lld\", tls: \"%s\")\n",
            label, l->address, l->cluster_address ? l->cluster_address : "",
            l->max_request_duration, l->max_request_size,
            l->tls_disable ? "disabled" : "enabled");
    }
    printf("%24s: %s\n", "Log Level", log_level);
    printf("%24s: %s (HA %s)\n", "Storage", storage, ha ? "available" : "disabled");
    if (cfg->ha_storage)
        printf("%24s: %s\n", "HA Storage", cfg->ha_storage->type);
    printf("%24s: Coffer v%s\n", "Version", COFFER_VERSION);
    printf("\n==> Coffer server started! Log data will stream in below:\n\n");
    fflush(stdout);
}

/* Dev mode: initialize, unseal, mount secret/; the notice comes after the
 * banner. */
static int dev_setup(struct server *s, char **key, char **token)
{
    struct coffer_err err = {""};
    int rc = cf_dev_setup(s->core, &s->o.devo, key, token, &err);
    if (rc)
        fprintf(stderr, "Error: dev mode setup failed: %s\n", err.msg);
    return rc;
}

int cf_server_main(int argc, char **argv)
{
    struct server s = {0};
    int code = load_config(&s, argc, argv);
    if (code) {
        server_free(&s);
        return code;
    }
    if (harden_memory(&s)) {
        server_free(&s);
        return 1;
    }
    block_signals(&s);
    struct coffer_err err = {""};
    char *dev_key = NULL, *dev_token = NULL;
    int rc = open_storage(&s, &err);
    if (rc && rc != CF_ECANCELED)
        fprintf(stderr, "Error: %s\n", err.msg);
    if (!rc)
        rc = start_core(&s);
    if (!rc && s.o.dev)
        rc = dev_setup(&s, &dev_key, &dev_token);
    if (!rc)
        rc = start_listeners(&s);
    if (!rc) {
        print_banner(s.cfg, s.cfg->storage->type, s.api_addr, s.log_level, s.ha != NULL);
        if (s.o.dev)
            cf_dev_print(s.api_addr, dev_key, dev_token, &s.o.devo);
    }
    cf_free_secret_str(dev_key);
    cf_free_secret_str(dev_token);
    if (!rc)
        run_loop(&s);
    server_free(&s);
    return rc ? 1 : 0;
}
