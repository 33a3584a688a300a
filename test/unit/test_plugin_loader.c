/* Tests of core/plugin/ (loader.c, host.c and the wrappers): each refusal against its fixture plugin
 * (exact text, naming the file and both ABI versions), config-key checks,
 * the host table a plugin sees, and loading the bundled plugins. */
#include "cf_test.h"
#include "plugin/loader.h"
#include "plugin/physical.h"
#include "plugin/ha_backend.h"
#include "plugin/transport_backend.h"
#include "ha/identity.h"
#include "util/json.h"
#include "util/secret.h"
#include <coffer/version.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HMAJ COFFER_PLUGIN_ABI_MAJOR
#define HMIN COFFER_PLUGIN_ABI_MINOR

static char fixdir[400], plugdir[400];

static void init_dirs(void)
{
    const char *b = getenv("top_builddir");
    const char *p = getenv("COFFER_PLUGIN_DIR");
    snprintf(fixdir, sizeof fixdir, "%s/test/fixtures", b ? b : ".");
    snprintf(plugdir, sizeof plugdir, "%s", p ? p : "plugins");
}

static char *fixture(const char *name)
{
    static char path[512]; /* test-only scratch */
    snprintf(path, sizeof path, "%s/%s.so", fixdir, name);
    return path;
}

static struct cf_hcl_node *parse(const char *text)
{
    struct cf_hcl_node *n = NULL;
    struct coffer_err e = {""};
    int rc = cf_hcl_parse(text, strlen(text), "test.hcl", &n, &e);
    CF_ASSERT_INT_EQ(rc, 0);
    return n;
}

/* Loads fixture name expecting refusal rc, and compares err to want. */
static void refuse(const char *name, unsigned kinds, const char *cfgtext, int want_rc,
                   const char *want)
{
    struct cf_hcl_node *cfg = cfgtext ? parse(cfgtext) : NULL;
    struct cf_plugin *p = (void *)0x1;
    struct coffer_err err = {{0}};
    int rc = cf_plugin_load_file(fixture(name), name, kinds, cfg, NULL, &p, &err);
    CF_ASSERT_INT_EQ(rc, want_rc);
    CF_ASSERT_STR_EQ(err.msg, want);
    CF_ASSERT_INT_EQ(p == (void *)0x1, 1); /* *out untouched */
    CU_ASSERT_EQUAL(strchr(err.msg, '\n'), NULL);
    cf_hcl_free(cfg);
}

static void test_bad_magic(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"bad_magic\" (%s): bad descriptor "
             "magic 0xdeadbeef (expected 0x43465047) — not a Coffer plugin, "
             "or built against a broken SDK",
             fixture("bad_magic"));
    refuse("bad_magic", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_wrong_major(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"wrong_major\" (%s): targets plugin "
             "ABI %d.0; this coffer provides %d.%d — rebuild it against "
             "coffer-plugin %d.x",
             fixture("wrong_major"), HMAJ + 1, HMAJ, HMIN, HMAJ);
    refuse("wrong_major", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_newer_minor(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"newer_minor\" (%s): targets plugin "
             "ABI %d.%d; this coffer provides %d.%d — upgrade coffer or "
             "rebuild the plugin against coffer-plugin %d.%d",
             fixture("newer_minor"), HMAJ, HMIN + 1, HMAJ, HMIN, HMAJ, HMIN);
    refuse("newer_minor", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_short_struct(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"short_struct\" (%s): descriptor is "
             "16 bytes, plugin ABI %d.%d needs at least %zu (this coffer "
             "provides %d.%d) — rebuild it against coffer-plugin %d.x",
             fixture("short_struct"), HMAJ, HMIN, sizeof(struct coffer_plugin), HMAJ,
             HMIN, HMAJ);
    refuse("short_struct", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_wrong_name(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"wrong_name\" (%s): the plugin calls "
             "itself \"someone_else\" — name it \"someone_else\" in the "
             "config, or install it as someone_else.so",
             fixture("wrong_name"));
    refuse("wrong_name", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_no_storage(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"no_storage\" (%s, version "
             "0.0-fixture): does not offer storage",
             fixture("no_storage"));
    refuse("no_storage", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_no_ha(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s, version 0.0-fixture): "
             "does not offer ha",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE | CF_KIND_HA, "path = \"x\"", CF_ECONFIG, want);
}

static void test_short_storage(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"short_storage\" (%s): storage vtable "
             "is %zu bytes, plugin ABI %d.%d needs at least %zu (this coffer "
             "provides %d.%d) — rebuild it against coffer-plugin %d.x",
             fixture("short_storage"), offsetof(struct coffer_storage, get), HMAJ, HMIN,
             offsetof(struct coffer_storage, list) + sizeof(void *), HMAJ, HMIN, HMAJ);
    refuse("short_storage", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_no_get(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"no_get\" (%s): storage vtable lacks "
             "the required member get()",
             fixture("no_get"));
    refuse("no_get", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_no_entry(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"no_entry\" (%s): not a Coffer plugin "
             "(no coffer_plugin_entry symbol; this coffer provides plugin ABI "
             "%d.%d)",
             fixture("no_entry"), HMAJ, HMIN);
    refuse("no_entry", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_null_entry(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"null_entry\" (%s): "
             "coffer_plugin_entry() returned NULL — the plugin is broken",
             fixture("null_entry"));
    refuse("null_entry", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
}

static void test_garbage(void)
{
    char dir[] = "/tmp/cf-loader-XXXXXX", path[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/garbage.so", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not a shared object\n", f);
    fclose(f);
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_plugin_load(dir, "garbage", CF_KIND_STORAGE, NULL, NULL, &p, &err),
        CF_ECONFIG);
    char want[512];
    snprintf(want, sizeof want, "plugin \"garbage\" (%s): cannot load: ", path);
    CF_ASSERT_CONTAINS(err.msg, want);
    CF_ASSERT_CONTAINS(err.msg,
                       "— is it a shared object built for this "
                       "system? (`ldd ");
    CU_ASSERT_PTR_NULL(p);
    unlink(path);
    rmdir(dir);
}

/* Plugin files and directories writable by group/other, or owned by a
 * stranger, are refused before dlopen (review F18); Vault's
 * plugin_file_permissions and plugin_file_uid override. */
static void test_trust(void)
{
    char dir[] = "/tmp/cf-trust-XXXXXX", src[512], path[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(src, sizeof src, "%s/inmem.so", plugdir);
    snprintf(path, sizeof path, "%s/inmem.so", dir);
    FILE *in = fopen(src, "rb"), *out = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        CF_ASSERT_INT_EQ(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    char want[1024];

    chmod(path, 0664);
    CF_ASSERT_INT_EQ(cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, NULL, &p, &err),
                     CF_ECONFIG);
    snprintf(want, sizeof want,
             "plugin \"inmem\": path \"%s\" has insecure permissions "
             "664. Vault expects no write permissions for group or others",
             path);
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_NULL(p);

    chmod(path, 0755);
    chmod(dir, 0777);
    CF_ASSERT_INT_EQ(cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, NULL, &p, &err),
                     CF_ECONFIG);
    snprintf(want, sizeof want,
             "plugin \"inmem\": path \"%s\" has insecure permissions "
             "777. Vault expects no write permissions for group or others",
             dir);
    CF_ASSERT_STR_EQ(err.msg, want);
    chmod(dir, 0755);

    struct cf_plugin_trust exact = {0, 0750};
    CF_ASSERT_INT_EQ(
        cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, &exact, &p, &err),
        CF_ECONFIG);
    snprintf(want, sizeof want,
             "plugin \"inmem\": path \"%s\" does not have permissions 750", dir);
    CF_ASSERT_STR_EQ(err.msg, want);
    chmod(dir, 0750);
    chmod(path, 0750);
    CF_ASSERT_INT_EQ(
        cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, &exact, &p, &err), 0);
    cf_plugin_free(p);
    p = NULL;
    chmod(dir, 0755);
    chmod(path, 0755);
    CF_ASSERT_INT_EQ(cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, NULL, &p, &err),
                     0);
    cf_plugin_free(p);
    p = NULL;

    if (geteuid() == 0 && chown(path, 12345, 12345) == 0) {
        CF_ASSERT_INT_EQ(
            cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, NULL, &p, &err),
            CF_ECONFIG);
        snprintf(want, sizeof want,
                 "plugin \"inmem\": path \"%s\" is owned by uid 12345, "
                 "not by root or the server's user (0): chown it, or set plugin_file_uid",
                 path);
        CF_ASSERT_STR_EQ(err.msg, want);
        struct cf_plugin_trust theirs = {12345, 0};
        CF_ASSERT_INT_EQ(
            cf_plugin_load(dir, "inmem", CF_KIND_STORAGE, NULL, &theirs, &p, &err), 0);
        cf_plugin_free(p);
    }
    unlink(path);
    rmdir(dir);
}

static void test_missing(void)
{
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    char want[9000];
    CF_ASSERT_INT_EQ(
        cf_plugin_load(fixdir, "etcd2", CF_KIND_STORAGE, NULL, NULL, &p, &err),
        CF_ENOENT);
    snprintf(want, sizeof want,
             "no plugin \"etcd2\" in %s (looked for "
             "%s/etcd2.so)",
             fixdir, fixdir);
    CF_ASSERT_STR_EQ(err.msg, want);
    CF_ASSERT_INT_EQ(cf_plugin_load_file("/nonexistent/x.so", "x", CF_KIND_STORAGE, NULL,
                                         NULL, &p, &err),
                     CF_ENOENT);
    CF_ASSERT_STR_EQ(err.msg,
                     "plugin \"x\" (/nonexistent/x.so): No such file "
                     "or directory");
    CU_ASSERT_PTR_NULL(p);
}

static void test_bad_name(void)
{
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_plugin_load(fixdir, "../fixtures/keys", CF_KIND_STORAGE, NULL, NULL, &p, &err),
        CF_ECONFIG);
    CF_ASSERT_STR_EQ(err.msg,
                     "invalid plugin name \"../fixtures/keys\": use "
                     "only letters, digits, '_' and '-'");
    CF_ASSERT_INT_EQ(cf_plugin_load(fixdir, "", CF_KIND_STORAGE, NULL, NULL, &p, &err),
                     CF_ECONFIG);
    CU_ASSERT_PTR_NULL(p);
}

static void test_config_unknown_key(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 2: unknown "
             "key \"pth\" (did you mean \"path\"?)",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "path = \"a\"\npth = \"b\"", CF_ECONFIG, want);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 1: unknown "
             "key \"zzzzzzzz\" (accepted keys: path, size, verbose, timeout)",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "zzzzzzzz = 1\npath = \"a\"", CF_ECONFIG, want);
}

static void test_config_required(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): required config key "
             "\"path\" is not set — where the data goes",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, NULL, CF_ECONFIG, want);
    refuse("keys", CF_KIND_STORAGE, "size = 3", CF_ECONFIG, want);
}

static void test_config_types(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 2: key "
             "\"size\" must be an integer — a size in bytes",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "path = \"a\"\nsize = \"big\"", CF_ECONFIG, want);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 1: key "
             "\"verbose\" must be a boolean — log more",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "verbose = \"maybe\"\npath = \"a\"", CF_ECONFIG,
           want);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 1: key "
             "\"timeout\" must be a duration such as \"15s\" — how long to "
             "wait",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "timeout = \"soon\"\npath = \"a\"", CF_ECONFIG, want);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 1: key "
             "\"path\" must be a string — where the data goes",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "path = true", CF_ECONFIG, want);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): config line 2: key "
             "\"path\" is set twice (first on line 1)",
             fixture("keys"));
    refuse("keys", CF_KIND_STORAGE, "path = \"a\"\npath = \"b\"", CF_ECONFIG, want);
}

/* A logger writing into a temporary file we can read back. */
static char *read_all(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    char *s = calloc(1, (size_t)n + 1);
    rewind(f);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        s[0] = '\0';
    return s;
}

static void test_host_table(void)
{
    struct cf_hcl_node *cfg = parse("path = \"/data\"\nsize = 4096\n"
                                    "verbose = true\ntimeout = \"2m\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("keys"), "keys", CF_KIND_STORAGE, cfg,
                                         NULL, &p, &err),
                     0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CF_ASSERT_STR_EQ(cf_plugin_descriptor(p)->name, "keys");
    FILE *f = tmpfile();
    struct cf_logger log = {CF_LOG_INFO, f};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(ph);
    char *out = read_all(f);
    CF_ASSERT_CONTAINS(out, "[info] keys: path=/data timeout=120(0) verbose=1");
    free(out);
    CF_ASSERT_STR_EQ(cf_physical_name(ph), "keys");
    cf_physical_free(ph);
    cf_plugin_free(p);
    fclose(f);
    cf_hcl_free(cfg);
}

static void test_open_failure(void)
{
    struct cf_hcl_node *cfg = parse("path = \"fail\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("keys"), "keys", CF_KIND_STORAGE, cfg,
                                         NULL, &p, &err),
                     0);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), CF_EIO);
    CF_ASSERT_STR_EQ(err.msg, "storage \"keys\": refusing path \"fail\"");
    CU_ASSERT_PTR_NULL(ph);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

static void roundtrip(struct cf_physical *ph)
{
    uint8_t *v = NULL;
    size_t n = 0;
    CF_ASSERT_INT_EQ(cf_physical_put(ph, "a/b", (const uint8_t *)"xy", 2), 0);
    CF_ASSERT_INT_EQ(cf_physical_put(ph, "c", (const uint8_t *)"z", 1), 0);
    CF_ASSERT_INT_EQ(cf_physical_get(ph, "a/b", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    if (v)
        CU_ASSERT(memcmp(v, "xy", 2) == 0);
    cf_free_secret(v, n);
    char **keys = NULL;
    size_t nk = 0;
    CF_ASSERT_INT_EQ(cf_physical_list(ph, "", &keys, &nk), 0);
    CF_ASSERT_INT_EQ(nk, 2);
    if (nk == 2) {
        CF_ASSERT_STR_EQ(keys[0], "a/");
        CF_ASSERT_STR_EQ(keys[1], "c");
    }
    cf_strv_free(keys, nk);
    CF_ASSERT_INT_EQ(cf_physical_get(ph, "nope", &v, &n), CF_ENOENT);
}

static void test_inmem(void)
{
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "inmem", CF_KIND_STORAGE, NULL, NULL, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_open(p, NULL, &log, &ph, &err), 0);
    if (ph) {
        roundtrip(ph);
        cf_physical_free(ph);
    }
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "inmem", CF_KIND_STORAGE, cfg, NULL, &p, &err),
        CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg,
                       "config line 1: unknown key \"path\" (the "
                       "plugin accepts no keys)");
    cf_hcl_free(cfg);
    cf_plugin_free(p);
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CF_ASSERT_INT_EQ(system(cmd), 0);
}

static void test_bdb(void)
{
    char dir[] = "/tmp/cf-loader-bdb-XXXXXX", text[256];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(text, sizeof text, "path = \"%s/env\"\ncache_size = 1048576", dir);
    struct cf_hcl_node *cfg = parse(text);
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load(plugdir, "bdb", CF_KIND_STORAGE, cfg, NULL, &p, &err),
                     0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), 0);
    if (ph) {
        roundtrip(ph);
        cf_physical_free(ph);
    }
    /* The home was created private to the server. */
    char env[300];
    struct stat st;
    snprintf(env, sizeof env, "%s/env", dir);
    CF_ASSERT_INT_EQ(stat(env, &st), 0);
    CF_ASSERT_INT_EQ(st.st_mode & 0777, 0700);
    cf_plugin_free(p);
    cf_hcl_free(cfg);

    /* Key checks come from bdb's own table. */
    cfg = parse("path = \"/x\"\ncache = 5");
    CF_ASSERT_INT_EQ(cf_plugin_load(plugdir, "bdb", CF_KIND_STORAGE, cfg, NULL, &p, &err),
                     CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg,
                       "unknown key \"cache\" (accepted keys: path, "
                       "cache_size)");
    cf_hcl_free(cfg);
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "bdb", CF_KIND_STORAGE, NULL, NULL, &p, &err),
        CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg, "required config key \"path\" is not set");
    rm_rf(dir);
}

/* A path under a regular file, or a regular file: a clear error at open. */
static void test_bdb_bad_path(void)
{
    char dir[] = "/tmp/cf-loader-bdb-XXXXXX", file[300], text[400], want[700];
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/file", dir);
    FILE *f = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    const char *paths[] = {"%s/sub", "%s"};
    for (int i = 0; i < 2; i++) {
        char path[350];
        snprintf(path, sizeof path, paths[i], file);
        snprintf(text, sizeof text, "path = \"%s\"", path);
        struct cf_hcl_node *cfg = parse(text);
        struct cf_plugin *p = NULL;
        struct coffer_err err = {{0}};
        CF_ASSERT_INT_EQ(
            cf_plugin_load(plugdir, "bdb", CF_KIND_STORAGE, cfg, NULL, &p, &err), 0);
        struct cf_logger log = {CF_LOG_ERROR, NULL};
        struct cf_physical *ph = NULL;
        CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), CF_ECONFIG);
        snprintf(want, sizeof want,
                 "storage \"bdb\": bdb: cannot open "
                 "environment \"%s\": Not a directory",
                 path);
        CF_ASSERT_STR_EQ(err.msg, want);
        CU_ASSERT_PTR_NULL(ph);
        cf_plugin_free(p);
        cf_hcl_free(cfg);
    }
    rm_rf(dir);
}

static void test_short_ha(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"short_ha\" (%s): ha vtable is %zu "
             "bytes, plugin ABI %d.%d needs at least %zu (this coffer provides "
             "%d.%d) — rebuild it against coffer-plugin %d.x",
             fixture("short_ha"), offsetof(struct coffer_ha, unlock), HMAJ, HMIN,
             offsetof(struct coffer_ha, value) + sizeof(void *), HMAJ, HMIN, HMAJ);
    refuse("short_ha", CF_KIND_HA, "path = \"x\"", CF_ECONFIG, want);
    /* Storage alone does not look at the ha vtable. */
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("short_ha"), "short_ha", CF_KIND_STORAGE,
                                         cfg, NULL, &p, &err),
                     0);
    /* ... but opening it as ha makes the same check. */
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_ha_backend *b = (void *)0x1;
    CF_ASSERT_INT_EQ(cf_ha_open(p, cfg, &log, &b, &err), CF_ECONFIG);
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_EQUAL(b, (void *)0x1);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

static void test_no_ha_storage_only(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"no_ha\" (%s, version 0.0-fixture): "
             "does not offer ha",
             fixture("no_ha"));
    refuse("no_ha", CF_KIND_HA, "path = \"x\"", CF_ECONFIG, want);
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("no_ha"), "no_ha", CF_KIND_STORAGE, cfg,
                                         NULL, &p, &err),
                     0);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_ha_backend *b = NULL;
    CF_ASSERT_INT_EQ(cf_ha_open(p, cfg, &log, &b, &err), CF_ENOTSUP);
    snprintf(want, sizeof want, "plugin \"no_ha\" (%s): does not offer ha",
             fixture("no_ha"));
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_NULL(b);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct ha_call {
    struct cf_ha_backend *b;
    const char *known;
    int timeout, rc, changed, cancel;
    void *lock;
    uint64_t done_at;
};

static int call_cancelled(void *arg) { return ((struct ha_call *)arg)->cancel; }

static void *lock_thread(void *arg)
{
    struct ha_call *c = arg;
    struct coffer_cancel cancel = {call_cancelled, c};
    struct coffer_err err = {{0}};
    c->rc =
        cf_ha_backend_lock(c->b, "core/lock", "v2", &cancel, NULL, NULL, &c->lock, &err);
    c->done_at = now_ms();
    return NULL;
}

static void *wait_thread(void *arg)
{
    struct ha_call *c = arg;
    c->rc =
        cf_ha_backend_wait_change(c->b, "core/lock", c->known, c->timeout, &c->changed);
    c->done_at = now_ms();
    return NULL;
}

static struct cf_ha_backend *open_ha(struct cf_plugin **p, struct cf_hcl_node *cfg)
{
    struct coffer_err err = {{0}};
    static struct cf_logger log = {CF_LOG_ERROR, NULL};
    if (!*p)
        CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("ha"), "ha",
                                             CF_KIND_STORAGE | CF_KIND_HA, cfg, NULL, p,
                                             &err),
                         0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(*p);
    struct cf_ha_backend *b = NULL;
    CF_ASSERT_INT_EQ(cf_ha_open(*p, cfg, &log, &b, &err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    return b;
}

/* The wrapper over a plugin without wait_change: value, lock, polling. */
static void test_ha_backend(void)
{
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct cf_ha_backend *b = open_ha(&p, cfg);
    CF_ASSERT_STR_EQ(cf_ha_backend_name(b), "ha");
    int held = -1;
    char *v = (char *)0x1;
    CF_ASSERT_INT_EQ(cf_ha_backend_value(b, "core/lock", &held, &v), 0);
    CF_ASSERT_INT_EQ(held, 0);
    CU_ASSERT_PTR_NULL(v);
    void *l1 = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_ha_backend_lock(b, "core/lock", "v1", NULL, NULL, NULL, &l1, &err), 0);
    CF_ASSERT_INT_EQ(cf_ha_backend_lock(b, NULL, "v1", NULL, NULL, NULL, &l1, &err),
                     CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_ha_backend_value(b, "core/lock", &held, &v), 0);
    CF_ASSERT_INT_EQ(held, 1);
    CF_ASSERT_STR_EQ(v, "v1");
    free(v);
    /* Nothing changes: CF_ETIMEDOUT after the timeout, not before. */
    int changed = 7;
    uint64_t t0 = now_ms();
    CF_ASSERT_INT_EQ(cf_ha_backend_wait_change(b, "core/lock", "v1", 250, &changed),
                     CF_ETIMEDOUT);
    CF_ASSERT_INT_EQ(changed, 0);
    CU_ASSERT(now_ms() - t0 >= 240);
    /* Known differs already: at once. */
    CF_ASSERT_INT_EQ(cf_ha_backend_wait_change(b, "core/lock", NULL, 5000, &changed), 0);
    CF_ASSERT_INT_EQ(changed, 1);
    /* A second lock blocks, is cancelled through its coffer_cancel. */
    struct ha_call c = {b, NULL, 0, 1, 0, 0, NULL, 0};
    pthread_t th;
    CF_ASSERT_INT_EQ(pthread_create(&th, NULL, lock_thread, &c), 0);
    nap(150);
    CF_ASSERT_INT_EQ(c.rc, 1); /* still blocked */
    t0 = now_ms();
    c.cancel = 1;
    pthread_join(th, NULL);
    CF_ASSERT_INT_EQ(c.rc, CF_ECANCELED);
    CU_ASSERT(c.done_at - t0 < 300);
    /* The polling fallback sees the unlock within a poll. */
    struct ha_call w = {b, "v1", 5000, 1, 0, 0, NULL, 0};
    CF_ASSERT_INT_EQ(pthread_create(&th, NULL, wait_thread, &w), 0);
    nap(150);
    t0 = now_ms();
    CF_ASSERT_INT_EQ(cf_ha_backend_unlock(b, l1), 0);
    pthread_join(th, NULL);
    CF_ASSERT_INT_EQ(w.rc, 0);
    CF_ASSERT_INT_EQ(w.changed, 1);
    CU_ASSERT(w.done_at - t0 < 300);
    CF_ASSERT_INT_EQ(cf_ha_backend_unlock(b, NULL), 0);
    cf_ha_backend_free(b);
    cf_ha_backend_free(NULL);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

/* Free sets host->cancelled: a lock blocked inside the plugin and a
 * polling wait_change both end, and free returns after them. */
static void test_ha_free_cancels(void)
{
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct cf_ha_backend *a = open_ha(&p, cfg), *b = open_ha(&p, cfg);
    void *la = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_ha_backend_lock(a, "core/lock", "v1", NULL, NULL, NULL, &la, &err), 0);
    struct ha_call c = {b, NULL, 0, 1, 0, 0, NULL, 0};
    struct ha_call w = {b, "v1", 60000, 1, 0, 0, NULL, 0};
    pthread_t t1, t2;
    CF_ASSERT_INT_EQ(pthread_create(&t1, NULL, lock_thread, &c), 0);
    CF_ASSERT_INT_EQ(pthread_create(&t2, NULL, wait_thread, &w), 0);
    nap(150);
    uint64_t t0 = now_ms();
    cf_ha_backend_free(b);
    uint64_t dt = now_ms() - t0;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CF_ASSERT_INT_EQ(c.rc, CF_ECANCELED);
    CF_ASSERT_INT_EQ(w.rc, CF_ECANCELED);
    CU_ASSERT(dt < 500);
    CU_ASSERT(c.done_at <= t0 + dt && w.done_at <= t0 + dt);
    CF_ASSERT_INT_EQ(cf_ha_backend_unlock(a, la), 0);
    cf_ha_backend_free(a);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

/* A storage vtable whose get blocks until released, to catch free. */
struct slow_store {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inside, release, closed, closed_while_inside;
};

static int slow_get(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct slow_store *s = inst;
    pthread_mutex_lock(&s->mu);
    s->inside = 1;
    pthread_cond_broadcast(&s->cv);
    while (!s->release)
        pthread_cond_wait(&s->cv, &s->mu);
    s->inside = 0;
    pthread_mutex_unlock(&s->mu);
    return CF_ENOENT;
}

static void slow_close(void *inst)
{
    struct slow_store *s = inst;
    pthread_mutex_lock(&s->mu);
    s->closed = 1;
    s->closed_while_inside = s->inside;
    pthread_mutex_unlock(&s->mu);
}

struct get_call {
    struct cf_physical *ph;
    int rc;
};

static void *get_thread(void *arg)
{
    struct get_call *c = arg;
    uint8_t *v = NULL;
    size_t n = 0;
    c->rc = cf_physical_get(c->ph, "k", &v, &n);
    return NULL;
}

static void *free_thread(void *arg)
{
    cf_physical_free(arg);
    return NULL;
}

/* cf_physical_free waits for a call inside the plugin before closing it,
 * as the ha and transport wrappers do. */
static void test_physical_free_waits(void)
{
    static const struct coffer_storage vt = {
        .struct_size = sizeof(struct coffer_storage),
        .close = slow_close,
        .get = slow_get,
    };
    struct slow_store s = {
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_new(&vt, &s, "slow", NULL, NULL, &ph), 0);
    CF_ASSERT_STR_EQ(cf_physical_name(ph), "slow");
    struct get_call g = {ph, 1};
    pthread_t tg, tf;
    CF_ASSERT_INT_EQ(pthread_create(&tg, NULL, get_thread, &g), 0);
    pthread_mutex_lock(&s.mu);
    while (!s.inside)
        pthread_cond_wait(&s.cv, &s.mu);
    pthread_mutex_unlock(&s.mu);
    CF_ASSERT_INT_EQ(pthread_create(&tf, NULL, free_thread, ph), 0);
    nap(150);
    pthread_mutex_lock(&s.mu);
    CF_ASSERT_INT_EQ(s.closed, 0); /* free is waiting for get */
    s.release = 1;
    pthread_cond_broadcast(&s.cv);
    pthread_mutex_unlock(&s.mu);
    pthread_join(tg, NULL);
    pthread_join(tf, NULL);
    CF_ASSERT_INT_EQ(g.rc, CF_ENOENT);
    CF_ASSERT_INT_EQ(s.closed, 1);
    CF_ASSERT_INT_EQ(s.closed_while_inside, 0);
}

/* A plugin loaded for no kind is still checked when a storage instance is
 * opened, as for ha and transport: no call through a short vtable. */
static void test_physical_open_checks(void)
{
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("short_storage"), "short_storage", 0,
                                         cfg, NULL, &p, &err),
                     0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_physical *ph = NULL;
    CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg, "storage vtable is ");
    CU_ASSERT_PTR_NULL(ph);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

/* Errors the zookeeper plugin gives at open without any server. */
static void test_zookeeper_open_errors(void)
{
    static const struct {
        const char *cfg;
        int rc;
        const char *want;
    } C[] = {
        {"address = \"127.0.0.1:1\"\nsession_timeout = \"1s\"", CF_EUNAVAIL,
         "storage \"zookeeper\": zookeeper: cannot connect to 127.0.0.1:1 "
         "within 1s"},
        {"tls_enabled = true", CF_ECONFIG,
         "storage \"zookeeper\": zookeeper: "
         "tls_enabled = true, but this build's libzookeeper_mt has no TLS "
         "support (no zookeeper_init_ssl) — set tls_enabled = false or reach "
         "ZooKeeper through a TLS tunnel"},
        {"path = \"a//b\"", CF_ECONFIG,
         "storage \"zookeeper\": zookeeper: "
         "config key \"path\" (\"a//b\") must be a znode path without empty, "
         "\".\" or \"..\" parts, such as \"vault/\""},
        {"auth_info = \"digest\"", CF_ECONFIG,
         "storage \"zookeeper\": "
         "zookeeper: config key \"auth_info\" must be \"scheme:credentials\", "
         "such as \"digest:user:password\""},
        {"znode_owner = \":x\"", CF_ECONFIG,
         "storage \"zookeeper\": "
         "zookeeper: config key \"znode_owner\" must be \"scheme:id\", such "
         "as \"digest:user:base64-sha1-hash\""},
        {"session_timeout = \"0s\"", CF_ECONFIG,
         "storage \"zookeeper\": "
         "zookeeper: config key \"session_timeout\" must be a duration from "
         "1s to 1h, such as \"5s\""},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        struct cf_hcl_node *cfg = parse(C[i].cfg);
        struct cf_plugin *p = NULL;
        struct coffer_err err = {{0}};
        CF_ASSERT_INT_EQ(cf_plugin_load(plugdir, "zookeeper",
                                        CF_KIND_STORAGE | CF_KIND_HA, cfg, NULL, &p,
                                        &err),
                         0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        struct cf_logger log = {CF_LOG_ERROR, NULL};
        struct cf_physical *ph = NULL;
        uint64_t t0 = now_ms();
        CF_ASSERT_INT_EQ(cf_physical_open(p, cfg, &log, &ph, &err), C[i].rc);
        CF_ASSERT_STR_EQ(err.msg, C[i].want);
        CU_ASSERT_PTR_NULL(ph);
        CU_ASSERT(now_ms() - t0 < 3000); /* a dead server: bounded wait */
        struct cf_ha_backend *b = NULL;
        CF_ASSERT_INT_EQ(cf_ha_open(p, cfg, &log, &b, &err), C[i].rc);
        CU_ASSERT_PTR_NULL(b);
        cf_plugin_free(p);
        cf_hcl_free(cfg);
    }
}

/* ---- transport (ABI 1.2) ---- */

static void test_short_transport(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"short_transport\" (%s): transport "
             "vtable is %zu bytes, plugin ABI %d.%d needs at least %zu (this "
             "coffer provides %d.%d) — rebuild it against coffer-plugin %d.x",
             fixture("short_transport"), offsetof(struct coffer_transport, hangup), HMAJ,
             HMIN, sizeof(struct coffer_transport), HMAJ, HMIN, HMAJ);
    refuse("short_transport", CF_KIND_TRANSPORT, "path = \"x\"", CF_ECONFIG, want);
    /* Storage alone does not look at it; opening it as transport does. */
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("short_transport"), "short_transport",
                                         CF_KIND_STORAGE, cfg, NULL, &p, &err),
                     0);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_transport_backend *b = (void *)0x1;
    CF_ASSERT_INT_EQ(cf_transport_open(p, cfg, &log, &b, &err), CF_ECONFIG);
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_EQUAL(b, (void *)0x1);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

static void test_old_transport(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"old_transport\" (%s): offers "
             "transport but targets plugin ABI %d.1, where the transport "
             "pointer is reserved; the transport vtable needs %d.2 (this "
             "coffer provides %d.%d) — rebuild it against coffer-plugin %d.%d",
             fixture("old_transport"), HMAJ, HMAJ, HMAJ, HMIN, HMAJ, HMIN);
    refuse("old_transport", CF_KIND_TRANSPORT, "path = \"x\"", CF_ECONFIG, want);
}

static void test_no_roundtrip(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"no_roundtrip\" (%s): transport "
             "vtable lacks the required member roundtrip() (plugin ABI %d.%d, "
             "this coffer provides %d.%d)",
             fixture("no_roundtrip"), HMAJ, HMIN, HMAJ, HMIN);
    refuse("no_roundtrip", CF_KIND_TRANSPORT, "path = \"x\"", CF_ECONFIG, want);
}

static void test_no_transport(void)
{
    char want[1024];
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s, version 0.0-fixture): "
             "does not offer transport",
             fixture("keys"));
    refuse("keys", CF_KIND_TRANSPORT, "path = \"x\"", CF_ECONFIG, want);
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("keys"), "keys", CF_KIND_STORAGE, cfg,
                                         NULL, &p, &err),
                     0);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_transport_backend *b = NULL;
    CF_ASSERT_INT_EQ(cf_transport_open(p, cfg, &log, &b, &err), CF_ENOTSUP);
    snprintf(want, sizeof want,
             "plugin \"keys\" (%s): does not offer "
             "transport",
             fixture("keys"));
    CF_ASSERT_STR_EQ(err.msg, want);
    CU_ASSERT_PTR_NULL(b);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

struct fwd_seen {
    int calls;
    char path[64];
    char echo[128];
};

static void fwd_handler(void *arg, const struct coffer_fwd_request *req,
                        struct coffer_fwd_response *resp)
{
    struct fwd_seen *s = arg;
    s->calls++;
    snprintf(s->path, sizeof s->path, "%s", req->path);
    resp->status = 201;
    resp->headers = malloc(sizeof *resp->headers);
    resp->headers[0].name = strdup("x-path");
    resp->headers[0].value = strdup(req->path);
    resp->nheaders = 1;
    resp->body = malloc(req->body_len ? req->body_len : 1);
    memcpy(resp->body, req->body, req->body_len);
    resp->body_len = req->body_len;
}

static void fwd_echo(void *arg, const char *info, const char *peer)
{
    struct fwd_seen *s = arg;
    snprintf(s->echo, sizeof s->echo, "%s from %s", info, peer);
}

/* The wrapper over the in-process fixture: calls pass through, codes are
 * normalized, plugin messages reach err, echo is NOTSUP. */
static void test_transport_backend(void)
{
    struct cf_hcl_node *cfg = parse("path = \"x\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(cf_plugin_load_file(fixture("transport"), "transport",
                                         CF_KIND_TRANSPORT, cfg, NULL, &p, &err),
                     0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_transport_backend *b = NULL;
    CF_ASSERT_INT_EQ(cf_transport_open(p, cfg, &log, &b, &err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CF_ASSERT_STR_EQ(cf_transport_backend_name(b), "transport");
    struct coffer_tls_identity id = {"CERT", "KEY", "fw-n1"};
    struct fwd_seen seen = {0};
    void *lsn = (void *)0x1;
    CF_ASSERT_INT_EQ(
        cf_transport_listen(b, "fail:1", &id, fwd_handler, NULL, &seen, &lsn, &err),
        CF_EIO);
    CF_ASSERT_STR_EQ(err.msg, "cannot listen on fail:1");
    CU_ASSERT_PTR_EQUAL(lsn, (void *)0x1);
    memset(&err, 0, sizeof err);
    CF_ASSERT_INT_EQ(
        cf_transport_listen(b, "positive:1", &id, fwd_handler, NULL, &seen, &lsn, &err),
        CF_EIO);
    CF_ASSERT_STR_EQ(err.msg, "listen failed without a message");
    CF_ASSERT_INT_EQ(cf_transport_listen(b, "a:1", &id, NULL, NULL, &seen, &lsn, &err),
                     CF_EINVAL);
    CF_ASSERT_INT_EQ(
        cf_transport_listen(b, "a:1", &id, fwd_handler, NULL, &seen, &lsn, &err), 0);
    void *conn = NULL;
    struct coffer_tls_identity nocert = {NULL, "KEY", "fw-n1"};
    CF_ASSERT_INT_EQ(cf_transport_dial(b, "a:1", &nocert, &conn, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "no certificate");
    CU_ASSERT_PTR_NULL(conn);
    CF_ASSERT_INT_EQ(cf_transport_dial(b, "a:1", &id, &conn, &err), 0);
    static const uint8_t body[] = {1, 0, 2};
    struct coffer_fwd_request req = {"PUT", "/v1/a",     "",   NULL,
                                     0,     "1.2.3.4:5", body, sizeof body};
    struct coffer_fwd_response r = {0};
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, &req, 1000, &r, &err), 0);
    CF_ASSERT_INT_EQ(r.status, 201);
    CF_ASSERT_INT_EQ(r.nheaders, 1);
    CF_ASSERT_STR_EQ(r.headers[0].value, "/v1/a");
    CF_ASSERT_INT_EQ(r.body_len, 3);
    CU_ASSERT(!memcmp(r.body, body, 3));
    cf_transport_response_free(b, &r);
    CU_ASSERT_PTR_NULL(r.body);
    CU_ASSERT_PTR_NULL(r.headers);
    CF_ASSERT_INT_EQ(seen.calls, 1);
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, &req, 1, &r, &err), CF_EIO);
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, NULL, 1000, &r, &err), CF_EINVAL);
    int64_t rtt = -1;
    CF_ASSERT_INT_EQ(cf_transport_echo(b, conn, "{}", 1000, &rtt), CF_ENOTSUP);
    CF_ASSERT_INT_EQ(rtt, -1);
    cf_transport_stop(b, lsn);
    cf_transport_stop(b, NULL);
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, &req, 1000, &r, &err), CF_EUNAVAIL);
    CF_ASSERT_STR_EQ(err.msg, "nobody listens");
    cf_transport_hangup(b, conn);
    cf_transport_hangup(b, NULL);
    cf_transport_backend_free(b);
    cf_transport_backend_free(NULL);
    cf_plugin_free(p);
    cf_hcl_free(cfg);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

/* The bundled tls plugin through the loader and the wrapper, with the
 * identity the server generates. */
static void test_tls_plugin(void)
{
    struct cf_hcl_node *bad = parse("request_timeout = \"5s\"");
    struct cf_plugin *p = NULL;
    struct coffer_err err = {{0}};
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "tls", CF_KIND_TRANSPORT, bad, NULL, &p, &err),
        CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg,
                       "unknown key \"request_timeout\" (the plugin "
                       "accepts no keys)");
    cf_hcl_free(bad);
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "tls", CF_KIND_STORAGE, NULL, NULL, &p, &err),
        CF_ECONFIG);
    CF_ASSERT_CONTAINS(err.msg, "does not offer storage");
    CF_ASSERT_INT_EQ(
        cf_plugin_load(plugdir, "tls", CF_KIND_TRANSPORT, NULL, NULL, &p, &err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    struct cf_logger log = {CF_LOG_ERROR, NULL};
    struct cf_transport_backend *b = NULL;
    CF_ASSERT_INT_EQ(cf_transport_open(p, NULL, &log, &b, &err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    struct cf_cluster_identity *ci = NULL;
    CF_ASSERT_INT_EQ(cf_identity_generate("n1", &ci), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ci);
    struct coffer_tls_identity id = {ci->cert_pem, ci->key_pem, ci->name};
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port());
    struct fwd_seen seen = {0};
    void *lsn = NULL, *conn = NULL;
    CF_ASSERT_INT_EQ(
        cf_transport_listen(b, addr, &id, fwd_handler, fwd_echo, &seen, &lsn, &err), 0);
    CF_ASSERT_INT_EQ(cf_transport_dial(b, addr, &id, &conn, &err), 0);
    static const uint8_t body[] = {'{', 0, '}'};
    struct coffer_fwd_request req = {"POST", "/v1/sys/x",  "a=b", NULL,
                                     0,      "10.0.0.1:1", body,  sizeof body};
    struct coffer_fwd_response r = {0};
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, &req, 5000, &r, &err), 0);
    CF_ASSERT_INT_EQ(r.status, 201);
    CF_ASSERT_INT_EQ(r.body_len, sizeof body);
    CU_ASSERT(r.body && !memcmp(r.body, body, sizeof body));
    cf_transport_response_free(b, &r);
    int64_t rtt = 0;
    CF_ASSERT_INT_EQ(cf_transport_echo(b, conn, "{\"n\":1}", 5000, &rtt), 0);
    CU_ASSERT(rtt > 0);
    CF_ASSERT_CONTAINS(seen.echo, "{\"n\":1} from 127.0.0.1:");
    cf_transport_stop(b, lsn);
    CF_ASSERT_INT_EQ(cf_transport_roundtrip(b, conn, &req, 5000, &r, &err), CF_EUNAVAIL);
    CF_ASSERT_CONTAINS(err.msg, addr);
    cf_transport_hangup(b, conn);
    cf_transport_backend_free(b);
    cf_identity_free(ci);
    cf_plugin_free(p);
}

int main(void)
{
    init_dirs();
    static const struct cf_test_case cases[] = {
        {"bad magic", test_bad_magic},
        {"file trust", test_trust},
        {"wrong major", test_wrong_major},
        {"newer minor", test_newer_minor},
        {"short descriptor", test_short_struct},
        {"wrong name", test_wrong_name},
        {"no storage vtable", test_no_storage},
        {"no ha vtable", test_no_ha},
        {"short ha vtable", test_short_ha},
        {"storage-only plugin asked for ha", test_no_ha_storage_only},
        {"ha backend wrapper", test_ha_backend},
        {"ha backend free cancels", test_ha_free_cancels},
        {"zookeeper open errors", test_zookeeper_open_errors},
        {"physical free waits for calls", test_physical_free_waits},
        {"physical open checks the vtable", test_physical_open_checks},
        {"short transport vtable", test_short_transport},
        {"transport before ABI 1.2", test_old_transport},
        {"transport without roundtrip", test_no_roundtrip},
        {"no transport vtable", test_no_transport},
        {"transport backend wrapper", test_transport_backend},
        {"tls plugin through the wrapper", test_tls_plugin},
        {"short storage vtable", test_short_storage},
        {"storage without get", test_no_get},
        {"no entry symbol", test_no_entry},
        {"entry returns NULL", test_null_entry},
        {"not a shared object", test_garbage},
        {"missing file", test_missing},
        {"bad plugin name", test_bad_name},
        {"unknown config key", test_config_unknown_key},
        {"required config key", test_config_required},
        {"config key types", test_config_types},
        {"host table", test_host_table},
        {"open failure", test_open_failure},
        {"inmem", test_inmem},
        {"bdb", test_bdb},
        {"bdb bad path", test_bdb_bad_path},
        {NULL, NULL},
    };
    return cf_test_run("plugin_loader", cases);
}
