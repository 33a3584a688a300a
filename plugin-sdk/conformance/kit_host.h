/* What the conformance kits share: their key=value arguments, loading a
 * plugin .so with the checks a host makes, a minimal coffer_host per
 * instance, clocks, and running the CUnit suite. Only coffer/ headers are
 * used: the kits ship to plugin authors. */
#ifndef CF_KIT_HOST_H
#define CF_KIT_HOST_H

#include <coffer/plugin.h>
#include <CUnit/CUnit.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CF_KIT_MAX_CFG 32

/* The command line: PLUGIN.so [key=value ...]. Strings point into argv. */
struct cf_kit_args {
    const char *so;
    int n;
    char *keys[CF_KIT_MAX_CFG], *vals[CF_KIT_MAX_CFG];
};

/* Fills a from argv (splits each key=value in place; keys past
 * CF_KIT_MAX_CFG are ignored). usage_extra (may be NULL) follows the usage
 * line. Returns 0, or 2 (the exit code) after printing why. */
int cf_kit_parse_args(struct cf_kit_args *a, int argc, char **argv,
                      const char *usage_extra);

/* dlopens a->so and checks its descriptor as the host does: magic, ABI
 * major, minor in [min_minor, COFFER_PLUGIN_ABI_MINOR], struct size, name,
 * and every key of a declared. On 0, *dl (dlclose it) and *desc (lives as
 * long as *dl) are the caller's; on -1 it printed why and nothing is open. */
int cf_kit_load(const struct cf_kit_args *a, int min_minor, void **dl,
                const struct coffer_plugin **desc);

/* A coffer_host for one plugin instance, embedded first in the kit's own
 * instance struct (host.ctx points here). config_* look the args up. */
struct cf_kit_host {
    struct coffer_host host;
    const char *plugin; /* log prefix, borrowed */
    int n;
    const char *keys[CF_KIT_MAX_CFG]; /* borrowed from the args */
    char *vals[CF_KIT_MAX_CFG];       /* owned copies */
    atomic_int cancelled;             /* what host.cancelled reports */
    int loud;                         /* printed up to this level (default
                                  * CF_LOG_WARN); all with CONFORMANCE_VERBOSE */
    /* Sees every formatted log line (line borrowed for the call); NULL:
     * none. */
    void (*on_line)(struct cf_kit_host *h, int level, const char *line);
};

/* Fills h with copies of a's values; plugin is borrowed. CF_ENOMEM leaves
 * nothing to free. Release with cf_kit_host_fini. */
int cf_kit_host_init(struct cf_kit_host *h, const struct cf_kit_args *a,
                     const char *plugin);
/* Replaces value i by a copy of value (CF_ENOMEM keeps the old one). */
int cf_kit_host_set(struct cf_kit_host *h, int i, const char *value);
/* Frees what init and set copied; h itself is the caller's. */
void cf_kit_host_fini(struct cf_kit_host *h);

/* The plugin's open (any vtable's) with h's host: the instance, or a
 * fatal CUnit failure after printing why. Counts one CUnit assert. */
void *cf_kit_open(struct cf_kit_host *h,
                  int (*open)(const struct coffer_host *, void **, struct coffer_err *));

/* The host's free_secret: wipes n bytes of p, then frees it. */
void cf_kit_free_secret(void *p, size_t n);
uint64_t cf_kit_mono_ms(void);
uint64_t cf_kit_mono_us(void);
/* Sleeps ms milliseconds, resuming after signals. */
void cf_kit_msleep(int ms);

struct cf_kit_test {
    const char *name;
    CU_TestFunc fn;
};

/* Runs the n tests as suite "<kind> conformance: <plugin>" with verbose
 * output. Returns 0 when all pass, 1 on a failure, 2 when CUnit cannot
 * start. */
int cf_kit_run(const char *kind, const char *plugin, const struct cf_kit_test *tests,
               size_t n);

#endif
