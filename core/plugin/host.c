/* Opening instances of a loaded plugin: each gets its own struct
 * coffer_host (log, config getters over its block, memory, clocks,
 * cancellation), and the three kinds share one open path so that they
 * check, open and fail alike. */
#include "plugin/loader.h"
#include "plugin/physical.h"
#include "plugin/ha_backend.h"
#include "plugin/transport_backend.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>

/* The host-side state behind one instance's struct coffer_host. */
struct host_ctx {
    struct coffer_host host;
    const struct cf_plugin *plugin;
    const struct cf_hcl_node *cfg;
    const struct cf_logger *log;
    atomic_int cancelled;
};

static void host_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_log(void *ctx, int level, const char *fmt, ...)
{
    struct host_ctx *h = ctx;
    va_list ap;
    va_start(ap, fmt);
    cf_vlog(h->log, level, cf_plugin_name(h->plugin), fmt, ap);
    va_end(ap);
}

static const struct cf_hcl_node *host_value(struct host_ctx *h, const char *key)
{
    const struct cf_hcl_entry *e = h->cfg ? cf_hcl_get(h->cfg, key) : NULL;
    return e ? e->value : NULL;
}

static int host_string(void *ctx, const char *key, const char **out)
{
    const struct cf_hcl_node *n = host_value(ctx, key);
    if (!n)
        return CF_ENOENT;
    return cf_hcl_as_string(n, out) ? CF_EINVAL : 0;
}

static int host_int(void *ctx, const char *key, long long *out)
{
    struct host_ctx *h = ctx;
    const struct cf_hcl_node *n = host_value(h, key);
    if (!n)
        return CF_ENOENT;
    return cf_plugin_config_int(h->plugin, n, key, out);
}

static int host_bool(void *ctx, const char *key, int *out)
{
    const struct cf_hcl_node *n = host_value(ctx, key);
    if (!n)
        return CF_ENOENT;
    return cf_hcl_as_bool(n, out) ? CF_EINVAL : 0;
}

static void host_free_secret(void *p, size_t n) { cf_free_secret(p, n); }
static uint64_t host_mono(void) { return cf_mono_ms(); }
static int64_t host_wall(void) { return cf_now_ms(); }

static int host_cancelled(void *ctx)
{
    struct host_ctx *h = ctx;
    return atomic_load(&h->cancelled);
}

static void host_ctx_free(void *arg) { free(arg); }

/* A host table for one instance of p; NULL when out of memory. */
static struct host_ctx *host_ctx_new(const struct cf_plugin *p,
                                     const struct cf_hcl_node *cfg,
                                     const struct cf_logger *log)
{
    struct host_ctx *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->plugin = p;
    h->cfg = cfg;
    h->log = log;
    atomic_init(&h->cancelled, 0);
    h->host = (struct coffer_host){
        .struct_size = sizeof(struct coffer_host),
        .ctx = h,
        .log = host_log,
        .config_string = host_string,
        .config_int = host_int,
        .config_bool = host_bool,
        .alloc = malloc,
        .realloc = realloc,
        .free = free,
        .free_secret = host_free_secret,
        .monotonic_ms = host_mono,
        .wall_ms = host_wall,
        .cancelled = host_cancelled,
    };
    return h;
}

/* ---- one open path for the three kinds ---- */

/* The part of a vtable every kind shares. The vtables differ in layout
 * (storage has caps before open), so each kind names its own members. */
struct kind_vt {
    const char *what; /* "storage", "ha", "transport" */
    const void *vt;   /* NULL: the plugin does not offer the kind */
    int (*open)(const struct coffer_host *host, void **inst, struct coffer_err *err);
    void (*close)(void *inst);
};

static struct kind_vt kind_vt(const struct coffer_plugin *d, unsigned kind)
{
    switch (kind) {
    case CF_KIND_STORAGE:
        return (struct kind_vt){"storage", d->storage,
                                d->storage ? d->storage->open : NULL,
                                d->storage ? d->storage->close : NULL};
    case CF_KIND_HA:
        return (struct kind_vt){"ha", d->ha, d->ha ? d->ha->open : NULL,
                                d->ha ? d->ha->close : NULL};
    default:
        return (struct kind_vt){"transport", d->transport,
                                d->transport ? d->transport->open : NULL,
                                d->transport ? d->transport->close : NULL};
    }
}

/* Hands the open instance (and h, freed when the wrapper is) to the
 * kind's host-side wrapper. On failure the caller still owns both. */
static int wrap(unsigned kind, const void *vt, void *inst, const char *name,
                struct host_ctx *h, void **out)
{
    switch (kind) {
    case CF_KIND_STORAGE: {
        struct cf_physical *ph;
        int rc = cf_physical_new(vt, inst, name, host_ctx_free, h, &ph);
        if (!rc)
            *out = ph;
        return rc;
    }
    case CF_KIND_HA: {
        struct cf_ha_backend *b;
        int rc = cf_ha_backend_new(vt, inst, name, &h->cancelled, host_ctx_free, h, &b);
        if (!rc)
            *out = b;
        return rc;
    }
    default: {
        struct cf_transport_backend *b;
        int rc =
            cf_transport_backend_new(vt, inst, name, &h->cancelled, host_ctx_free, h, &b);
        if (!rc)
            *out = b;
        return rc;
    }
    }
}

/* Checks that p offers kind with a sound vtable (p may have been loaded
 * for other kinds only), opens an instance on its own host table and
 * wraps it. A failure leaves nothing open; err names the kind and plugin. */
static int open_instance(struct cf_plugin *p, unsigned kind,
                         const struct cf_hcl_node *cfg, const struct cf_logger *log,
                         void **out, struct coffer_err *err)
{
    const struct coffer_plugin *d = cf_plugin_descriptor(p);
    const char *name = cf_plugin_name(p);
    struct kind_vt k = kind_vt(d, kind);
    if (!k.vt) {
        coffer_err_set(err, "plugin \"%s\" (%s): does not offer %s", name,
                       cf_plugin_path(p), k.what);
        return CF_ENOTSUP;
    }
    int rc = cf_plugin_check_kind(p, kind, err);
    if (rc)
        return rc;
    struct host_ctx *h = host_ctx_new(p, cfg, log);
    if (!h) {
        coffer_err_set(err, "%s \"%s\": out of memory", k.what, name);
        return CF_ENOMEM;
    }
    void *inst = NULL;
    struct coffer_err perr = {{0}};
    if ((rc = k.open(&h->host, &inst, &perr))) {
        coffer_err_set(err, "%s \"%s\": %s", k.what, name,
                       perr.msg[0] ? perr.msg : "open failed without a message");
        free(h);
        return rc > 0 ? CF_EIO : rc;
    }
    if ((rc = wrap(kind, k.vt, inst, d->name, h, out))) {
        k.close(inst);
        free(h);
        coffer_err_set(err, "%s \"%s\": out of memory", k.what, name);
        return rc;
    }
    return 0;
}

int cf_physical_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
                     const struct cf_logger *log, struct cf_physical **out,
                     struct coffer_err *err)
{
    void *w;
    int rc = open_instance(p, CF_KIND_STORAGE, cfg, log, &w, err);
    if (!rc)
        *out = w;
    return rc;
}

int cf_ha_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
               const struct cf_logger *log, struct cf_ha_backend **out,
               struct coffer_err *err)
{
    void *w;
    int rc = open_instance(p, CF_KIND_HA, cfg, log, &w, err);
    if (!rc)
        *out = w;
    return rc;
}

int cf_transport_open(struct cf_plugin *p, const struct cf_hcl_node *cfg,
                      const struct cf_logger *log, struct cf_transport_backend **out,
                      struct coffer_err *err)
{
    void *w;
    int rc = open_instance(p, CF_KIND_TRANSPORT, cfg, log, &w, err);
    if (!rc)
        *out = w;
    return rc;
}
