/* `coffer server`: reads flags and config, loads the storage plugin, builds
 * the core, opens the listeners (only after every check passed) and runs
 * until SIGINT/SIGTERM. */
#include "server.h"
#include "core_internal.h"
#include "dev.h"
#include "plugin/dir.h"
#include "plugin/loader.h"
#include "plugin/ha_backend.h"
#include "plugin/transport_backend.h"
#include "http/listener.h"
#include "util/strerror.h"
#include "util/secret.h"
#include <coffer/version.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct server_opts {
    const char *config;
    int dev;
    struct cf_dev_opts devo;
    const char *log_level;
};

static int usage(void)
{
    fprintf(stderr,
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
#define NEEDVAL() do { if (!val) { if (i + 1 >= argc) { \
            fprintf(stderr, "flag -%.*s needs a value\n", (int)n, a); return -1; } \
            val = argv[++i]; } } while (0)
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
        fprintf(stderr, "Error: no configuration files found: use -config=FILE or -dev\n");
        return -1;
    }
    return 0;
}

struct opener {
    struct cf_plugin *plugin;
    const struct cf_hcl_node *params;
    const struct cf_logger *log;
    struct cf_physical **phys;
    struct cf_ha_backend **ha;
};

static int open_storage(struct opener *o, struct coffer_err *err)
{
    return cf_physical_open(o->plugin, o->params, o->log, o->phys, err);
}

static int open_ha(struct opener *o, struct coffer_err *err)
{
    return cf_ha_open(o->plugin, o->params, o->log, o->ha, err);
}

/* Opens a backend; while it is unreachable (CF_EUNAVAIL, e.g. ZooKeeper
 * down) keeps retrying with backoff up to 10 s, until SIGINT/SIGTERM
 * (then CF_ECANCELED). */
static int open_retrying(const sigset_t *set, const struct cf_logger *log,
                         const char *what, struct coffer_err *err,
                         int (*fn)(struct opener *, struct coffer_err *),
                         struct opener *o)
{
    int delay = 1;
    for (;;) {
        int rc = fn(o, err);
        if (rc != CF_EUNAVAIL)
            return rc;
        cf_log(log, CF_LOG_ERROR, "%s unavailable: %s (retrying in %d s)", what, err->msg, delay);
        struct timespec ts = {delay, 0};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            return CF_ECANCELED;
        delay = delay * 2 > 10 ? 10 : delay * 2;
    }
}

static void handler(void *arg, struct cf_request *req, struct cf_result *res)
{
    cf_core_handle(arg, req, res);
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
        printf("%24s: tcp (addr: \"%s\", cluster address: \"%s\", max_request_duration: \"%llds\", "
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

static void default_api_addr(const struct cf_config *cfg, char *out, size_t n)
{
    if (cfg->api_addr) {
        snprintf(out, n, "%s", cfg->api_addr);
        return;
    }
    const struct cf_listener_cfg *l = cfg->nlisteners ? &cfg->listeners[0] : NULL;
    const char *addr = l ? l->address : "127.0.0.1:8200";
    if (!strncmp(addr, "0.0.0.0:", 8))
        addr += 7, snprintf(out, n, "%s://127.0.0.1%s", l && !l->tls_disable ? "https" : "http", addr);
    else
        snprintf(out, n, "%s://%s", l && !l->tls_disable ? "https" : "http", addr);
}

int cf_server_main(int argc, char **argv)
{
    struct server_opts o = {0};
    if (parse(argc, argv, &o))
        return usage();

    struct coffer_err err = {""};
    struct cf_config *cfg = NULL;
    int rc = o.dev ? cf_dev_config(&o.devo, &cfg, &err)
                   : cf_config_load(o.config, &cfg, &err);
    if (rc) {
        fprintf(stderr, "Error loading configuration from %s: %s\n",
                o.config ? o.config : "-dev", err.msg);
        return 1;
    }
    struct cf_logger log = {CF_LOG_INFO, stderr};
    const char *lvl = o.log_level ? o.log_level : cfg->log_level ? cfg->log_level : "info";
    if (cf_log_level_parse(lvl, &log.level)) {
        fprintf(stderr, "Error: unknown log level \"%s\" (use trace, debug, info, warn or error)\n", lvl);
        cf_config_free(cfg);
        return 1;
    }
    if (!cfg->nlisteners) {
        fprintf(stderr, "Error: %s: no listener configured: add a listener \"tcp\" { address = \"127.0.0.1:8200\" } block\n",
                cfg->file ? cfg->file : "config");
        cf_config_free(cfg);
        return 1;
    }

    char dir[PATH_MAX];
    cf_plugin_dir(cfg->plugin_directory, dir, sizeof dir);
    struct cf_plugin *plugin = NULL, *ha_plugin = NULL;
    struct cf_physical *phys = NULL;
    struct cf_ha_backend *ha_be = NULL;
    struct cf_plugin *tr_plugin = NULL;
    struct cf_transport_backend *tr = NULL;
    struct cf_core *core = NULL;
    struct cf_http_listener **ls = NULL;
    size_t nls = 0;
    struct coffer_err cerr = {""};
    char *dev_token = NULL, *dev_key = NULL;
    int code = 1;

    /* Signals are taken synchronously by the main thread; block them before
     * any thread (plugins', listeners') exists so they inherit the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = cf_plugin_load(dir, cfg->storage->type, CF_KIND_STORAGE, cfg->storage->params,
                        &plugin, &cerr);
    if (!rc)
        rc = open_retrying(&set, &log, "storage", &cerr, open_storage, &(struct opener){
                               plugin, cfg->storage->params, &log, &phys, NULL});
    if (rc) {
        if (rc != CF_ECANCELED)
            fprintf(stderr, "Error: %s\n", cerr.msg);
        goto out;
    }
    /* HA comes from ha_storage, else from the storage plugin if it offers it. */
    const struct cf_storage_cfg *hacfg = cfg->ha_storage ? cfg->ha_storage : NULL;
    if (hacfg) {
        rc = cf_plugin_load(dir, hacfg->type, CF_KIND_HA, hacfg->params, &ha_plugin, &cerr);
    } else if (cf_plugin_descriptor(plugin)->ha) {
        hacfg = cfg->storage;
    }
    if (!rc && hacfg)
        rc = open_retrying(&set, &log, "ha_storage", &cerr, open_ha, &(struct opener){
                               ha_plugin ? ha_plugin : plugin, hacfg->params, &log, NULL, &ha_be});
    if (rc) {
        if (rc != CF_ECANCELED)
            fprintf(stderr, "Error: %s\n", cerr.msg);
        goto out;
    }
    rc = cf_core_new(cfg, &log, phys, cfg->storage->type, &core);
    if (rc) {
        fprintf(stderr, "Error: cannot start the core: %s\n", cf_strerror(rc));
        goto out;
    }
    char api[512];
    default_api_addr(cfg, api, sizeof api);
    /* Standbys forward over the "tls" transport unless clustering is off;
     * without it they still redirect. */
    if (ha_be && !cfg->disable_clustering) {
        struct coffer_err terr = {""};
        if (cf_plugin_load(dir, "tls", CF_KIND_TRANSPORT, NULL, &tr_plugin, &terr) ||
            cf_transport_open(tr_plugin, NULL, &log, &tr, &terr) ||
            cf_core_enable_forwarding(core, tr)) {
            cf_log(&log, CF_LOG_WARN, "request forwarding off (standbys will redirect): %s",
                   terr.msg[0] ? terr.msg : "cannot start the forwarder");
        }
    }
    if (ha_be && (rc = cf_core_enable_ha(core, ha_be, api, cfg->cluster_addr))) {
        fprintf(stderr, "Error: cannot start HA: %s\n", cf_strerror(rc));
        goto out;
    }
    if (o.dev && (rc = cf_dev_setup(core, &o.devo, &dev_key, &dev_token, &cerr))) {
        fprintf(stderr, "Error: dev mode setup failed: %s\n", cerr.msg);
        goto out;
    }

    ls = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof *ls);
    for (size_t i = 0; ls && i < cfg->nlisteners; i++) {
        rc = cf_http_listener_start(&cfg->listeners[i], handler, core, &log, &ls[i], &cerr);
        if (rc) {
            fprintf(stderr, "Error: %s\n", cerr.msg);
            goto out;
        }
        nls++;
    }
    print_banner(cfg, cfg->storage->type, api, lvl, ha_be != NULL);
    if (o.dev) {
        cf_dev_print(api, dev_key, dev_token, &o.devo);
        cf_free_secret_str(dev_key);
        cf_free_secret_str(dev_token);
        dev_key = dev_token = NULL;
    }
    for (;;) {
        /* Wake once a minute to revoke expired tokens (and with them their
         * cubbyholes); lookups already refuse them the moment they expire. */
        struct timespec tick = {60, 0};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig < 0) {
            cf_core_tidy(core);
            continue;
        }
        if (sig == SIGHUP) {
            cf_log(&log, CF_LOG_INFO, "SIGHUP received: nothing to reload");
            continue;
        }
        cf_log(&log, CF_LOG_INFO, "==> Coffer shutdown triggered");
        break;
    }
    code = 0;
out:
    cf_free_secret_str(dev_key);
    cf_free_secret_str(dev_token);
    for (size_t i = nls; i-- > 0;)
        cf_http_listener_stop(ls[i]);
    free(ls);
    cf_core_free(core);
    cf_transport_backend_free(tr);
    cf_plugin_free(tr_plugin);
    cf_ha_backend_free(ha_be);
    cf_physical_free(phys);
    cf_plugin_free(ha_plugin);
    cf_plugin_free(plugin);
    cf_config_free(cfg);
    return code;
}
