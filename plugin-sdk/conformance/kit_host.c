/* The host side every conformance kit needs and no test is about: argument
 * parsing, dlopen with the host's descriptor checks, a coffer_host serving
 * key=value config, clocks, and the CUnit run. */
#include "kit_host.h"
#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cf_kit_parse_args(struct cf_kit_args *a, int argc, char **argv,
                      const char *usage_extra)
{
    memset(a, 0, sizeof *a);
    if (argc < 2) {
        fprintf(stderr, "usage: %s PLUGIN.so [key=value ...]%s\n", argv[0],
                usage_extra ? usage_extra : "");
        return 2;
    }
    a->so = argv[1];
    for (int i = 2; i < argc && a->n < CF_KIT_MAX_CFG; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "%s: expected key=value\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        a->keys[a->n] = argv[i];
        a->vals[a->n++] = eq + 1;
    }
    return 0;
}

static int check_desc(const struct cf_kit_args *a, int min_minor,
                      const struct coffer_plugin *d)
{
    if (!d || d->magic != COFFER_PLUGIN_MAGIC ||
        d->abi_major != COFFER_PLUGIN_ABI_MAJOR || d->abi_minor < min_minor ||
        d->abi_minor > COFFER_PLUGIN_ABI_MINOR ||
        d->struct_size < sizeof(struct coffer_plugin) || !d->name) {
        if (min_minor > 0 && min_minor < COFFER_PLUGIN_ABI_MINOR)
            fprintf(stderr, "%s: not a Coffer plugin for ABI %d.%d to %d.%d\n", a->so,
                    COFFER_PLUGIN_ABI_MAJOR, min_minor, COFFER_PLUGIN_ABI_MAJOR,
                    COFFER_PLUGIN_ABI_MINOR);
        else
            fprintf(stderr, "%s: not a Coffer plugin for ABI %d.%d\n", a->so,
                    COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MINOR);
        return -1;
    }
    /* Every key given must be declared, as the real host requires. */
    for (int i = 0; i < a->n; i++) {
        const struct coffer_config_key *ck = d->config_keys;
        while (ck && ck->name && strcmp(ck->name, a->keys[i]))
            ck++;
        if (!ck || !ck->name) {
            fprintf(stderr, "%s: config key \"%s\" is not declared\n", a->so, a->keys[i]);
            return -1;
        }
    }
    return 0;
}

int cf_kit_load(const struct cf_kit_args *a, int min_minor, void **dl,
                const struct coffer_plugin **desc)
{
    /* A bare file name means this folder, not the library search path. */
    char path[4096];
    snprintf(path, sizeof path, "%s%s", strchr(a->so, '/') ? "" : "./", a->so);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s: cannot load: %s\n", a->so, dlerror());
        return -1;
    }
    void *sym = dlsym(h, COFFER_PLUGIN_ENTRY_SYMBOL);
    coffer_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const struct coffer_plugin *d = sym ? entry() : NULL;
    if (check_desc(a, min_minor, d)) {
        dlclose(h);
        return -1;
    }
    *dl = h;
    *desc = d;
    return 0;
}

/* ---- the host table ---- */

static void h_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void h_log(void *ctx, int level, const char *fmt, ...)
{
    struct cf_kit_host *h = ctx;
    char small[1024], *line = small;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    char *big = len >= (int)sizeof small ? malloc((size_t)len + 1) : NULL;
    if (big) { /* else the line stays truncated */
        vsnprintf(big, (size_t)len + 1, fmt, again);
        line = big;
    }
    va_end(again);
    va_end(ap);
    if (h->on_line)
        h->on_line(h, level, line);
    if (level <= h->loud || getenv("CONFORMANCE_VERBOSE"))
        fprintf(stderr, "[plugin %s] %s\n", h->plugin, line);
    free(big);
}

static const char *lookup(const struct cf_kit_host *h, const char *key)
{
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->keys[i], key))
            return h->vals[i];
    return NULL;
}

static int h_string(void *ctx, const char *key, const char **out)
{
    const char *v = lookup(ctx, key);
    if (!v)
        return CF_ENOENT;
    *out = v;
    return 0;
}

static int h_int(void *ctx, const char *key, long long *out)
{
    const char *v = lookup(ctx, key);
    if (!v)
        return CF_ENOENT;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno)
        return CF_EINVAL;
    *out = n;
    return 0;
}

static int h_bool(void *ctx, const char *key, int *out)
{
    const char *v = lookup(ctx, key);
    if (!v)
        return CF_ENOENT;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return CF_EINVAL;
    return 0;
}

static int64_t h_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int h_cancelled(void *ctx)
{
    struct cf_kit_host *h = ctx;
    return atomic_load(&h->cancelled);
}

int cf_kit_host_init(struct cf_kit_host *h, const struct cf_kit_args *a,
                     const char *plugin)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < a->n; i++) {
        h->keys[i] = a->keys[i];
        if (!(h->vals[i] = strdup(a->vals[i]))) {
            cf_kit_host_fini(h);
            return CF_ENOMEM;
        }
        h->n = i + 1;
    }
    h->plugin = plugin;
    atomic_init(&h->cancelled, 0);
    h->loud = CF_LOG_WARN;
    h->host = (struct coffer_host){
        .struct_size = sizeof(struct coffer_host),
        .ctx = h,
        .log = h_log,
        .config_string = h_string,
        .config_int = h_int,
        .config_bool = h_bool,
        .alloc = malloc,
        .realloc = realloc,
        .free = free,
        .free_secret = cf_kit_free_secret,
        .monotonic_ms = cf_kit_mono_ms,
        .wall_ms = h_wall,
        .cancelled = h_cancelled,
    };
    return 0;
}

int cf_kit_host_set(struct cf_kit_host *h, int i, const char *value)
{
    char *v = strdup(value);
    if (!v)
        return CF_ENOMEM;
    free(h->vals[i]);
    h->vals[i] = v;
    return 0;
}

void cf_kit_host_fini(struct cf_kit_host *h)
{
    for (int i = 0; i < h->n; i++)
        free(h->vals[i]);
    h->n = 0;
}

/* ---- helpers the tests share ---- */

void *cf_kit_open(struct cf_kit_host *h,
                  int (*open)(const struct coffer_host *, void **, struct coffer_err *))
{
    struct coffer_err err = {{0}};
    void *inst = NULL;
    int rc = open(&h->host, &inst, &err);
    if (rc)
        fprintf(stderr, "open failed (%d): %s\n", rc, err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return inst;
}

void cf_kit_free_secret(void *p, size_t n)
{
    if (p)
        memset(p, 0, n);
    free(p);
}

uint64_t cf_kit_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t cf_kit_mono_ms(void) { return cf_kit_mono_us() / 1000u; }

void cf_kit_msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

int cf_kit_run(const char *kind, const char *plugin, const struct cf_kit_test *tests,
               size_t n)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    char suite[128];
    snprintf(suite, sizeof suite, "%s conformance: %s", kind, plugin);
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        CU_add_test(s, tests[i].name, tests[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_tests_failed() || CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
