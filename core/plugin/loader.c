/* Loading a plugin: dlopen it, check its descriptor, vtables and config
 * block in the order STYLE.md §4 gives. Every refusal is one line that
 * names the file (and both ABI versions where they matter). Opening
 * instances is host.c's job. */
#include "plugin/loader.h"
#include "util/timeutil.h"
#include <coffer/version.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct cf_plugin {
    void *dl;
    const struct coffer_plugin *desc;
    char *path;
    char *name;
};

/* The smallest descriptor and storage vtable an ABI 1.x plugin may have:
 * every member ABI 1.0 defines (storage: up to the last required one). */
static const size_t DESC_MIN_1_0 = COFFER_VT_END((struct coffer_plugin *)0, transport);
static const size_t STORAGE_MIN_1_0 = COFFER_VT_END((struct coffer_storage *)0, list);
/* The ha vtable arrived in 1.1; wait_change is its only optional member. */
static const size_t HA_MIN_1_1 = COFFER_VT_END((struct coffer_ha *)0, value);
/* The transport vtable arrived in 1.2, whole; echo is its only optional
 * member (NULL allowed). */
static const size_t TRANSPORT_MIN_1_2 =
    COFFER_VT_END((struct coffer_transport *)0, hangup);

/* A name becomes a file name in the plugin directory: keep it a plain word
 * so that `storage "../x"` cannot reach outside it. */
static int valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 64)
        return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return 0;
    return 1;
}

static const char *type_name(enum coffer_config_type t)
{
    switch (t) {
    case CF_CFG_STRING:
        return "a string";
    case CF_CFG_INT:
        return "an integer";
    case CF_CFG_BOOL:
        return "a boolean";
    case CF_CFG_DURATION:
        return "a duration such as \"15s\"";
    }
    return "of an unknown type";
}

static const struct coffer_config_key *find_key(const struct coffer_plugin *d,
                                                const char *name)
{
    for (const struct coffer_config_key *k = d->config_keys; k && k->name; k++)
        if (!strcmp(k->name, name))
            return k;
    return NULL;
}

/* Duration values: an integer of seconds, or a string cf_duration_parse
 * takes ("15s", "2m", "3600"). */
static int as_duration(const struct cf_hcl_node *n, long long *secs)
{
    const char *s;
    if (n->type == CF_HCL_NUMBER)
        return cf_hcl_as_int(n, secs) == 0 && *secs >= 0 ? 0 : CF_EINVAL;
    if (cf_hcl_as_string(n, &s))
        return CF_EINVAL;
    return cf_duration_parse(s, secs);
}

static int check_type(const struct coffer_config_key *k, const struct cf_hcl_node *n)
{
    const char *s;
    long long i;
    int b;
    switch (k->type) {
    case CF_CFG_STRING:
        return cf_hcl_as_string(n, &s);
    case CF_CFG_INT:
        return cf_hcl_as_int(n, &i);
    case CF_CFG_BOOL:
        return cf_hcl_as_bool(n, &b);
    case CF_CFG_DURATION:
        return as_duration(n, &i);
    }
    return CF_EINVAL;
}

/* Appends ", " separated declared key names to buf for error hints. */
static void key_names(const struct coffer_plugin *d, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (const struct coffer_config_key *k = d->config_keys; k && k->name; k++) {
        int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "", k->name);
        if (n < 0 || (size_t)n >= len - off)
            break;
        off += (size_t)n;
    }
}

static int check_config(const struct cf_plugin *p, const struct cf_hcl_node *cfg,
                        struct coffer_err *err)
{
    const struct coffer_plugin *d = p->desc;
    if (cfg && cfg->type != CF_HCL_OBJECT) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): config line %d: the block "
                       "must be an object of key = value",
                       p->name, p->path, cfg->line);
        return CF_ECONFIG;
    }
    for (size_t i = 0; cfg && i < cfg->nentries; i++) {
        const struct cf_hcl_entry *e = &cfg->entries[i];
        const struct coffer_config_key *k = find_key(d, e->key);
        if (!k) {
            const char *cands[64];
            size_t n = 0;
            for (const struct coffer_config_key *c = d->config_keys;
                 c && c->name && n < 63; c++)
                cands[n++] = c->name;
            cands[n] = NULL;
            const char *near = cf_hcl_suggest(e->key, cands);
            char names[256];
            key_names(d, names, sizeof names);
            if (near)
                coffer_err_set(err,
                               "plugin \"%s\" (%s): config line %d: "
                               "unknown key \"%s\" (did you mean \"%s\"?)",
                               p->name, p->path, e->line, e->key, near);
            else if (n)
                coffer_err_set(err,
                               "plugin \"%s\" (%s): config line %d: "
                               "unknown key \"%s\" (accepted keys: %s)",
                               p->name, p->path, e->line, e->key, names);
            else
                coffer_err_set(err,
                               "plugin \"%s\" (%s): config line %d: "
                               "unknown key \"%s\" (the plugin accepts no "
                               "keys)",
                               p->name, p->path, e->line, e->key);
            return CF_ECONFIG;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(cfg->entries[j].key, e->key)) {
                coffer_err_set(err,
                               "plugin \"%s\" (%s): config line %d: key "
                               "\"%s\" is set twice (first on line %d)",
                               p->name, p->path, e->line, e->key, cfg->entries[j].line);
                return CF_ECONFIG;
            }
        if (check_type(k, e->value)) {
            coffer_err_set(err,
                           "plugin \"%s\" (%s): config line %d: key "
                           "\"%s\" must be %s%s%s",
                           p->name, p->path, e->line, e->key, type_name(k->type),
                           k->help ? " — " : "", k->help ? k->help : "");
            return CF_ECONFIG;
        }
    }
    for (const struct coffer_config_key *k = d->config_keys; k && k->name; k++)
        if (k->required && !(cfg && cf_hcl_get(cfg, k->name))) {
            coffer_err_set(err,
                           "plugin \"%s\" (%s): required config key "
                           "\"%s\" is not set%s%s",
                           p->name, p->path, k->name, k->help ? " — " : "",
                           k->help ? k->help : "");
            return CF_ECONFIG;
        }
    return 0;
}

/* A vtable shorter than the minimum of the ABI the plugin was built for. */
static int too_short(const struct cf_plugin *p, const char *kind, size_t size, size_t min,
                     struct coffer_err *err)
{
    coffer_err_set(err,
                   "plugin \"%s\" (%s): %s vtable is %zu bytes, plugin ABI %d.%d "
                   "needs at least %zu (this coffer provides %d.%d) — rebuild it "
                   "against coffer-plugin %d.x",
                   p->name, p->path, kind, size, p->desc->abi_major, p->desc->abi_minor,
                   min, COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MINOR,
                   COFFER_PLUGIN_ABI_MAJOR);
    return CF_ECONFIG;
}

static int check_storage(const struct cf_plugin *p, struct coffer_err *err)
{
    const struct coffer_storage *s = p->desc->storage;
    if (s->struct_size < STORAGE_MIN_1_0)
        return too_short(p, "storage", s->struct_size, STORAGE_MIN_1_0, err);
    const char *missing = !s->open ? "open"
        : !s->close                ? "close"
        : !s->get                  ? "get"
        : !s->put                  ? "put"
        : !s->del                  ? "del"
        : !s->list                 ? "list"
                                   : NULL;
    if (missing) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): storage vtable lacks the "
                       "required member %s()",
                       p->name, p->path, missing);
        return CF_ECONFIG;
    }
    return 0;
}

static int check_ha(const struct cf_plugin *p, struct coffer_err *err)
{
    const struct coffer_ha *h = p->desc->ha;
    if (p->desc->abi_minor < 1) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): offers ha but targets plugin "
                       "ABI %u.%u, where the ha pointer is reserved; the ha "
                       "vtable needs %d.1 (this coffer provides %d.%d) — "
                       "rebuild it against coffer-plugin %d.%d",
                       p->name, p->path, p->desc->abi_major, p->desc->abi_minor,
                       COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MAJOR,
                       COFFER_PLUGIN_ABI_MINOR, COFFER_PLUGIN_ABI_MAJOR,
                       COFFER_PLUGIN_ABI_MINOR);
        return CF_ECONFIG;
    }
    if (h->struct_size < HA_MIN_1_1)
        return too_short(p, "ha", h->struct_size, HA_MIN_1_1, err);
    const char *missing = !h->open ? "open"
        : !h->close                ? "close"
        : !h->lock                 ? "lock"
        : !h->unlock               ? "unlock"
        : !h->value                ? "value"
                                   : NULL;
    if (missing) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): ha vtable lacks the required "
                       "member %s() (plugin ABI %d.%d, this coffer provides "
                       "%d.%d)",
                       p->name, p->path, missing, p->desc->abi_major, p->desc->abi_minor,
                       COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MINOR);
        return CF_ECONFIG;
    }
    return 0;
}

static int check_transport(const struct cf_plugin *p, struct coffer_err *err)
{
    const struct coffer_transport *t = p->desc->transport;
    if (p->desc->abi_minor < 2) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): offers transport but targets "
                       "plugin ABI %u.%u, where the transport pointer is "
                       "reserved; the transport vtable needs %d.2 (this "
                       "coffer provides %d.%d) — rebuild it against "
                       "coffer-plugin %d.%d",
                       p->name, p->path, p->desc->abi_major, p->desc->abi_minor,
                       COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MAJOR,
                       COFFER_PLUGIN_ABI_MINOR, COFFER_PLUGIN_ABI_MAJOR,
                       COFFER_PLUGIN_ABI_MINOR);
        return CF_ECONFIG;
    }
    if (t->struct_size < TRANSPORT_MIN_1_2)
        return too_short(p, "transport", t->struct_size, TRANSPORT_MIN_1_2, err);
    const char *missing = !t->open ? "open"
        : !t->close                ? "close"
        : !t->listen               ? "listen"
        : !t->stop                 ? "stop"
        : !t->dial                 ? "dial"
        : !t->roundtrip            ? "roundtrip"
        : !t->response_free        ? "response_free"
        : !t->hangup               ? "hangup"
                                   : NULL;
    if (missing) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): transport vtable lacks the "
                       "required member %s() (plugin ABI %d.%d, this coffer "
                       "provides %d.%d)",
                       p->name, p->path, missing, p->desc->abi_major, p->desc->abi_minor,
                       COFFER_PLUGIN_ABI_MAJOR, COFFER_PLUGIN_ABI_MINOR);
        return CF_ECONFIG;
    }
    return 0;
}

static int check_descriptor(struct cf_plugin *p, unsigned kinds,
                            const struct cf_hcl_node *cfg, struct coffer_err *err)
{
    const struct coffer_plugin *d = p->desc;
    const int hmaj = COFFER_PLUGIN_ABI_MAJOR, hmin = COFFER_PLUGIN_ABI_MINOR;
    if (d->magic != COFFER_PLUGIN_MAGIC) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): bad descriptor magic 0x%08x "
                       "(expected 0x%08x) — not a Coffer plugin, or built "
                       "against a broken SDK",
                       p->name, p->path, (unsigned)d->magic, COFFER_PLUGIN_MAGIC);
        return CF_ECONFIG;
    }
    if (d->abi_major != hmaj) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): targets plugin ABI %u.%u; "
                       "this coffer provides %d.%d — rebuild it against "
                       "coffer-plugin %d.x",
                       p->name, p->path, d->abi_major, d->abi_minor, hmaj, hmin, hmaj);
        return CF_ECONFIG;
    }
    if (d->abi_minor > hmin) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): targets plugin ABI %u.%u; "
                       "this coffer provides %d.%d — upgrade coffer or "
                       "rebuild the plugin against coffer-plugin %d.%d",
                       p->name, p->path, d->abi_major, d->abi_minor, hmaj, hmin, hmaj,
                       hmin);
        return CF_ECONFIG;
    }
    if (d->struct_size < DESC_MIN_1_0) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): descriptor is %u bytes, "
                       "plugin ABI %u.%u needs at least %zu (this coffer "
                       "provides %d.%d) — rebuild it against coffer-plugin "
                       "%d.x",
                       p->name, p->path, (unsigned)d->struct_size, d->abi_major,
                       d->abi_minor, DESC_MIN_1_0, hmaj, hmin, hmaj);
        return CF_ECONFIG;
    }
    if (!d->name || strcmp(d->name, p->name)) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): the plugin calls itself "
                       "\"%s\" — name it \"%s\" in the config, or install it "
                       "as %s.so",
                       p->name, p->path, d->name ? d->name : "(null)",
                       d->name ? d->name : "?", d->name ? d->name : "?");
        return CF_ECONFIG;
    }
    static const struct {
        unsigned kind;
        const char *what;
        size_t off;
    } K[] = {
        {CF_KIND_STORAGE, "storage", offsetof(struct coffer_plugin, storage)},
        {CF_KIND_HA, "ha", offsetof(struct coffer_plugin, ha)},
        {CF_KIND_TRANSPORT, "transport", offsetof(struct coffer_plugin, transport)},
    };
    for (size_t i = 0; i < sizeof K / sizeof K[0]; i++) {
        const void *vt;
        memcpy(&vt, (const char *)d + K[i].off, sizeof vt);
        if ((kinds & K[i].kind) && !vt) {
            coffer_err_set(err,
                           "plugin \"%s\" (%s, version %s): does not "
                           "offer %s",
                           p->name, p->path, d->version ? d->version : "?", K[i].what);
            return CF_ECONFIG;
        }
    }
    int rc;
    if ((kinds & CF_KIND_STORAGE) && (rc = check_storage(p, err)))
        return rc;
    if ((kinds & CF_KIND_HA) && (rc = check_ha(p, err)))
        return rc;
    if ((kinds & CF_KIND_TRANSPORT) && (rc = check_transport(p, err)))
        return rc;
    return check_config(p, cfg, err);
}

void cf_plugin_free(struct cf_plugin *p)
{
    if (!p)
        return;
    if (p->dl)
        dlclose(p->dl);
    free(p->path);
    free(p->name);
    free(p);
}

/* st (of path) against trust; the texts are Vault's where it has one. */
static int trusted(const char *path, const struct stat *st, const char *name,
                   const struct cf_plugin_trust *trust, struct coffer_err *err)
{
    const struct cf_plugin_trust none = {0, 0};
    const struct cf_plugin_trust *t = trust ? trust : &none;
    uid_t me = geteuid();
    if (st->st_uid != 0 && st->st_uid != me &&
        (t->uid <= 0 || st->st_uid != (uid_t)t->uid)) {
        coffer_err_set(err,
                       "plugin \"%s\": path \"%s\" is owned by uid %u, not by root or "
                       "the server's user (%u): chown it, or set plugin_file_uid",
                       name, path, (unsigned)st->st_uid, (unsigned)me);
        return CF_ECONFIG;
    }
    unsigned mode = st->st_mode & 0777;
    if (t->perms && mode != t->perms) {
        coffer_err_set(err, "plugin \"%s\": path \"%s\" does not have permissions %o",
                       name, path, t->perms);
        return CF_ECONFIG;
    }
    if (!t->perms && (mode & 022)) {
        coffer_err_set(err,
                       "plugin \"%s\": path \"%s\" has insecure permissions %o. Vault "
                       "expects no write permissions for group or others",
                       name, path, mode);
        return CF_ECONFIG;
    }
    return 0;
}

int cf_plugin_load_file(const char *path, const char *name, unsigned kinds,
                        const struct cf_hcl_node *cfg,
                        const struct cf_plugin_trust *trust, struct cf_plugin **out,
                        struct coffer_err *err)
{
    struct stat st;
    if (stat(path, &st)) {
        int e = errno;
        coffer_err_set(err, "plugin \"%s\" (%s): %s", name, path, strerror(e));
        return e == ENOENT ? CF_ENOENT : CF_ECONFIG;
    }
    int trc = trusted(path, &st, name, trust, err);
    if (trc)
        return trc;
    struct cf_plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path)) || !(p->name = strdup(name))) {
        cf_plugin_free(p);
        coffer_err_set(err, "plugin \"%s\" (%s): out of memory", name, path);
        return CF_ENOMEM;
    }
    /* A path without '/' would make dlopen search the library path. */
    char *dlpath = NULL;
    if (!strchr(path, '/') && asprintf(&dlpath, "./%s", path) < 0) {
        cf_plugin_free(p);
        coffer_err_set(err, "plugin \"%s\" (%s): out of memory", name, path);
        return CF_ENOMEM;
    }
    dlerror();
    p->dl = dlopen(dlpath ? dlpath : path, RTLD_NOW | RTLD_LOCAL);
    free(dlpath);
    if (!p->dl) {
        const char *e = dlerror();
        coffer_err_set(err,
                       "plugin \"%s\" (%s): cannot load: %s — is it a "
                       "shared object built for this system? (`ldd %s` lists "
                       "what it needs)",
                       name, path, e ? e : "unknown error", path);
        cf_plugin_free(p);
        return CF_ECONFIG;
    }
    coffer_plugin_entry_fn entry;
    void *sym = dlsym(p->dl, COFFER_PLUGIN_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry); /* object → function pointer */
    if (!sym) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): not a Coffer plugin (no %s "
                       "symbol; this coffer provides plugin ABI %d.%d)",
                       name, path, COFFER_PLUGIN_ENTRY_SYMBOL, COFFER_PLUGIN_ABI_MAJOR,
                       COFFER_PLUGIN_ABI_MINOR);
        cf_plugin_free(p);
        return CF_ECONFIG;
    }
    if (!(p->desc = entry())) {
        coffer_err_set(err,
                       "plugin \"%s\" (%s): %s() returned NULL — the "
                       "plugin is broken",
                       name, path, COFFER_PLUGIN_ENTRY_SYMBOL);
        cf_plugin_free(p);
        return CF_ECONFIG;
    }
    int rc = check_descriptor(p, kinds, cfg, err);
    if (rc) {
        cf_plugin_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int cf_plugin_load(const char *dir, const char *name, unsigned kinds,
                   const struct cf_hcl_node *cfg, const struct cf_plugin_trust *trust,
                   struct cf_plugin **out, struct coffer_err *err)
{
    if (!valid_name(name)) {
        coffer_err_set(err,
                       "invalid plugin name \"%s\": use only letters, "
                       "digits, '_' and '-'",
                       name ? name : "");
        return CF_ECONFIG;
    }
    char *path;
    if (asprintf(&path, "%s/%s.so", dir, name) < 0) {
        coffer_err_set(err, "plugin \"%s\": out of memory", name);
        return CF_ENOMEM;
    }
    struct stat st;
    int rc;
    if (stat(path, &st) && errno == ENOENT) {
        coffer_err_set(err, "no plugin \"%s\" in %s (looked for %s)", name, dir, path);
        rc = CF_ENOENT;
    } else if (stat(dir, &st) == 0 && (rc = trusted(dir, &st, name, trust, err))) {
        /* whoever may write the directory may swap the file */
    } else {
        rc = cf_plugin_load_file(path, name, kinds, cfg, trust, out, err);
    }
    free(path);
    return rc;
}

const struct coffer_plugin *cf_plugin_descriptor(const struct cf_plugin *p)
{
    return p->desc;
}

const char *cf_plugin_name(const struct cf_plugin *p) { return p->name; }

const char *cf_plugin_path(const struct cf_plugin *p) { return p->path; }

int cf_plugin_check_kind(const struct cf_plugin *p, unsigned kind, struct coffer_err *err)
{
    switch (kind) {
    case CF_KIND_STORAGE:
        return check_storage(p, err);
    case CF_KIND_HA:
        return check_ha(p, err);
    case CF_KIND_TRANSPORT:
        return check_transport(p, err);
    }
    return CF_EINVAL;
}

int cf_plugin_config_int(const struct cf_plugin *p, const struct cf_hcl_node *value,
                         const char *key, long long *out)
{
    const struct coffer_config_key *k = find_key(p->desc, key);
    long long v;
    int rc = k && k->type == CF_CFG_DURATION ? as_duration(value, &v)
                                             : cf_hcl_as_int(value, &v);
    if (rc)
        return CF_EINVAL;
    *out = v;
    return 0;
}
