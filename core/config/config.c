/* Vault's server configuration for one node: walks the HCL/JSON tree into
 * struct cf_config, applies defaults and the VAULT_*_ADDR overrides, and
 * rejects anything a server could not run with, naming file:line. */
#include "config/config.h"
#include <assert.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "util/buf.h"
#include "util/json.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/timeutil.h"

#define DEF_ADDRESS "127.0.0.1:8200"
#define DEF_MAX_REQUEST_SIZE 33554432LL
#define DEF_MAX_REQUEST_DURATION 90LL
#define DEF_READ_HEADER_TIMEOUT 10LL
#define DEF_READ_TIMEOUT 30LL
#define DEF_IDLE_TIMEOUT 300LL
#define DEF_MAX_CONN_PER_ADDRESS 256LL
#define DEF_LEASE_TTL (768LL * 3600)
#define DEF_CACHE_SIZE 131072LL /* Vault's: entries of the physical read cache */
#define CONFIG_FILE_MAX (16u << 20)

static const char *const top_keys[] = {"listener",
                                       "storage",
                                       "ha_storage",
                                       "transport",
                                       "api_addr",
                                       "cluster_addr",
                                       "cluster_name",
                                       "plugin_directory",
                                       "log_level",
                                       "default_lease_ttl",
                                       "max_lease_ttl",
                                       "disable_clustering",
                                       "disable_mlock",
                                       "disable_cache",
                                       "cache_size",
                                       "ui",
                                       "pid_file",
                                       "plugin_file_uid",
                                       "plugin_file_permissions",
                                       NULL};

static const char *const listener_keys[] = {"address",
                                            "cluster_address",
                                            "tls_disable",
                                            "tls_cert_file",
                                            "tls_key_file",
                                            "tls_client_ca_file",
                                            "tls_min_version",
                                            "tls_max_version",
                                            "tls_require_and_verify_client_cert",
                                            "tls_disable_client_certs",
                                            "max_request_size",
                                            "max_request_duration",
                                            "http_read_header_timeout",
                                            "http_read_timeout",
                                            "http_write_timeout",
                                            "http_idle_timeout",
                                            "max_connections_per_address",
                                            "max_request_bytes_in_flight",
                                            "max_json_depth",
                                            "max_json_string_value_length",
                                            "max_json_object_entry_count",
                                            "max_json_array_element_count",
                                            NULL};

struct ctx {
    const char *file;
    struct coffer_err *err; /* may be NULL */
    struct cf_config *c;
    /* lines of the keys later checks point at; 0 = not in the file */
    int api_line, cluster_line, log_line, dttl_line, mttl_line;
};

static int cfail(struct ctx *x, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfail(struct ctx *x, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cf_hcl_verrf(x->err, x->file, line > 0 ? line : 1, fmt, ap);
    va_end(ap);
    return CF_ECONFIG;
}

static int nomem(struct ctx *x)
{
    if (x->err)
        snprintf(x->err->msg, sizeof x->err->msg, "%s: out of memory", x->file);
    return CF_ENOMEM;
}

static int set_str(struct ctx *x, char **dst, const char *v)
{
    char *d = v ? strdup(v) : NULL;
    if (v && !d)
        return nomem(x);
    free(*dst);
    *dst = d;
    return 0;
}

static int unknown_key(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                       const char *const *known)
{
    const char *hint = cf_hcl_suggest(e->key, known);
    if (hint)
        return cfail(x, e->line, "%sunknown key \"%.64s\" (did you mean \"%s\"?)", where,
                     e->key, hint);
    return cfail(x, e->line, "%sunknown key \"%.64s\"", where, e->key);
}

static int get_str(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                   char **dst)
{
    const char *s;
    if (!e->value || e->value->type != CF_HCL_STRING || cf_hcl_as_string(e->value, &s))
        return cfail(x, e->line, "%s\"%s\" must be a string", where, e->key);
    return set_str(x, dst, s);
}

static int get_bool(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                    int *dst)
{
    if (cf_hcl_as_bool(e->value, dst))
        return cfail(x, e->line, "%s\"%s\" must be a boolean (true or false)", where,
                     e->key);
    return 0;
}

static int get_int(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                   long long *dst)
{
    if (cf_hcl_as_int(e->value, dst))
        return cfail(x, e->line, "%s\"%s\" must be an integer", where, e->key);
    return 0;
}

/* cf_duration_parse computes in double; strings are kept short and to its
 * alphabet first so that no input can overflow the conversion. */
static int duration_ok(const char *s)
{
    size_t n = strlen(s);
    if (n && strspn(s, "0123456789") == n)
        return n <= 18;
    return n && n <= 14 && strspn(s, "0123456789.hmsd") == n;
}

static int get_duration(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                        long long *dst)
{
    const struct cf_hcl_node *v = e->value;
    long long secs;
    if (v && v->type == CF_HCL_NUMBER && v->is_int && v->inum >= 0 &&
        v->inum <= CF_DURATION_MAX_SECS) {
        *dst = v->inum;
        return 0;
    }
    if (v && v->type == CF_HCL_STRING && duration_ok(v->str) &&
        cf_duration_parse(v->str, &secs) == 0) {
        *dst = secs;
        return 0;
    }
    return cfail(x, e->line,
                 "%s\"%s\" must be a duration such as \"768h\", \"30m\", "
                 "\"45s\" or a number of seconds",
                 where, e->key);
}

/* "host:port" with a numeric port 1..65535; host may be empty or [v6]. */
static int split_hostport(const char *a, size_t len, size_t *hostlen, long *port)
{
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
        if (a[i - 1] == ':') {
            colon = a + i - 1;
            break;
        }
    if (!colon)
        return -1;
    size_t hl = (size_t)(colon - a);
    if (hl && a[0] == '[' && a[hl - 1] != ']')
        return -1;
    if (a[0] != '[' && memchr(a, ':', hl))
        return -1; /* a bare IPv6 address needs brackets */
    const char *p = colon + 1;
    size_t pl = len - hl - 1;
    if (pl < 1 || pl > 5 || strspn(p, "0123456789") < pl)
        return -1;
    long v = 0;
    for (size_t i = 0; i < pl; i++)
        v = v * 10 + (p[i] - '0');
    if (v < 1 || v > 65535)
        return -1;
    *hostlen = hl;
    *port = v;
    return 0;
}

static int tls_version(const char *s)
{
    static const char *const names[] = {"tls10", "tls11", "tls12", "tls13"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i]))
            return 10 + i;
    return -1;
}

struct listener_lines {
    int address, cluster_address, min, max;
};

/* An integer that must not be negative; zero says what it means. */
static int get_count(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                     long long *dst, const char *zero_means)
{
    int rc = get_int(x, where, e, dst);
    if (!rc && *dst < 0)
        return cfail(x, e->line, "%s\"%s\" must not be negative (0 means %s)", where,
                     e->key, zero_means);
    return rc;
}

/* A count with a ceiling: what the parser can honour. */
static int get_capped(struct ctx *x, const char *where, const struct cf_hcl_entry *e,
                      long long *dst, long long max, const char *zero_means)
{
    int rc = get_count(x, where, e, dst, zero_means);
    if (!rc && *dst > max)
        return cfail(x, e->line, "%s\"%s\" must be at most %lld", where, e->key, max);
    return rc;
}

static int listener_key(struct ctx *x, const char *where, struct cf_listener_cfg *l,
                        const struct cf_hcl_entry *e, struct listener_lines *ll)
{
    const char *k = e->key;
    if (!strcmp(k, "address")) {
        ll->address = e->line;
        return get_str(x, where, e, &l->address);
    }
    if (!strcmp(k, "cluster_address")) {
        ll->cluster_address = e->line;
        return get_str(x, where, e, &l->cluster_address);
    }
    if (!strcmp(k, "tls_disable"))
        return get_bool(x, where, e, &l->tls_disable);
    if (!strcmp(k, "tls_cert_file"))
        return get_str(x, where, e, &l->tls_cert_file);
    if (!strcmp(k, "tls_key_file"))
        return get_str(x, where, e, &l->tls_key_file);
    if (!strcmp(k, "tls_client_ca_file"))
        return get_str(x, where, e, &l->tls_client_ca_file);
    if (!strcmp(k, "tls_min_version")) {
        ll->min = e->line;
        return get_str(x, where, e, &l->tls_min_version);
    }
    if (!strcmp(k, "tls_max_version")) {
        ll->max = e->line;
        return get_str(x, where, e, &l->tls_max_version);
    }
    if (!strcmp(k, "tls_require_and_verify_client_cert"))
        return get_bool(x, where, e, &l->tls_require_and_verify_client_cert);
    if (!strcmp(k, "tls_disable_client_certs"))
        return get_bool(x, where, e, &l->tls_disable_client_certs);
    if (!strcmp(k, "max_request_size"))
        return get_count(x, where, e, &l->max_request_size, "the default, 32 MiB");
    if (!strcmp(k, "max_request_duration"))
        return get_duration(x, where, e, &l->max_request_duration);
    if (!strcmp(k, "http_read_header_timeout"))
        return get_duration(x, where, e, &l->http_read_header_timeout);
    if (!strcmp(k, "http_read_timeout"))
        return get_duration(x, where, e, &l->http_read_timeout);
    if (!strcmp(k, "http_write_timeout"))
        return get_duration(x, where, e, &l->http_write_timeout);
    if (!strcmp(k, "http_idle_timeout"))
        return get_duration(x, where, e, &l->http_idle_timeout);
    if (!strcmp(k, "max_connections_per_address"))
        return get_count(x, where, e, &l->max_connections_per_address, "no cap");
    if (!strcmp(k, "max_json_depth"))
        return get_capped(x, where, e, &l->max_json_depth, CF_JSON_MAX_DEPTH,
                          "the default, 64");
    if (!strcmp(k, "max_json_string_value_length"))
        return get_count(x, where, e, &l->max_json_string_value_length,
                         "the default, 1048576");
    if (!strcmp(k, "max_json_object_entry_count"))
        return get_capped(x, where, e, &l->max_json_object_entry_count, 100000,
                          "the default, 10000");
    if (!strcmp(k, "max_json_array_element_count"))
        return get_capped(x, where, e, &l->max_json_array_element_count, 100000,
                          "the default, 10000");
    if (!strcmp(k, "max_request_bytes_in_flight"))
        return get_count(x, where, e, &l->max_request_bytes_in_flight,
                         "the default, 256 MiB");
    return unknown_key(x, where, e, listener_keys);
}

static int listener_defaults(struct cf_listener_cfg *l, int line)
{
    memset(l, 0, sizeof *l);
    l->line = line;
    l->address = strdup(DEF_ADDRESS);
    l->tls_min_version = strdup("tls12");
    l->tls_max_version = strdup("tls13");
    l->max_request_size = DEF_MAX_REQUEST_SIZE;
    l->max_request_duration = DEF_MAX_REQUEST_DURATION;
    l->http_read_header_timeout = DEF_READ_HEADER_TIMEOUT;
    l->http_read_timeout = DEF_READ_TIMEOUT;
    l->http_idle_timeout = DEF_IDLE_TIMEOUT;
    l->max_connections_per_address = DEF_MAX_CONN_PER_ADDRESS;
    return l->address && l->tls_min_version && l->tls_max_version ? 0 : CF_ENOMEM;
}

static void listener_free(struct cf_listener_cfg *l)
{
    free(l->address);
    free(l->cluster_address);
    free(l->tls_cert_file);
    free(l->tls_key_file);
    free(l->tls_client_ca_file);
    free(l->tls_min_version);
    free(l->tls_max_version);
}

/* Fills in cluster_address and checks what the keys cannot check alone. */
static int listener_finish(struct ctx *x, const char *where, struct cf_listener_cfg *l,
                           const struct listener_lines *ll)
{
    size_t hl;
    long port;
    assert(l->address); /* defaulted at creation; set_str never leaves NULL */
    if (split_hostport(l->address, strlen(l->address), &hl, &port))
        return cfail(x, ll->address ? ll->address : l->line,
                     "%saddress \"%.100s\" must be host:port with a port from 1 to 65535",
                     where, l->address);
    if (!l->cluster_address) {
        if (port == 65535)
            return cfail(x, ll->address ? ll->address : l->line,
                         "%scannot derive cluster_address from port 65535 of \"%.100s\": "
                         "set cluster_address",
                         where, l->address);
        struct cf_buf b = {0};
        if (cf_buf_printf(&b, "%.*s:%ld", (int)hl, l->address, port + 1))
            return nomem(x);
        l->cluster_address = cf_buf_take(&b);
    } else if (split_hostport(l->cluster_address, strlen(l->cluster_address), &hl,
                              &port)) {
        return cfail(x, ll->cluster_address,
                     "%scluster_address \"%.100s\" must be host:port "
                     "with a port from 1 to 65535",
                     where, l->cluster_address);
    }
    int mn = tls_version(l->tls_min_version), mx = tls_version(l->tls_max_version);
    if (mn < 0)
        return cfail(x, ll->min,
                     "%stls_min_version \"%.32s\" is not valid "
                     "(use tls10, tls11, tls12 or tls13)",
                     where, l->tls_min_version);
    if (mx < 0)
        return cfail(x, ll->max,
                     "%stls_max_version \"%.32s\" is not valid "
                     "(use tls10, tls11, tls12 or tls13)",
                     where, l->tls_max_version);
    if (mn > mx)
        return cfail(x, ll->min ? ll->min : ll->max,
                     "%stls_min_version \"%s\" is newer "
                     "than tls_max_version \"%s\"",
                     where, l->tls_min_version, l->tls_max_version);
    if (!l->tls_disable && (!l->tls_cert_file || !l->tls_key_file)) {
        const char *missing = !l->tls_cert_file && !l->tls_key_file
            ? "tls_cert_file and tls_key_file are"
            : !l->tls_cert_file ? "tls_cert_file is"
                                : "tls_key_file is";
        return cfail(x, l->line,
                     "%sTLS is enabled but %s not set (set them, or "
                     "tls_disable = true)",
                     where, missing);
    }
    if (l->max_request_size == 0)
        l->max_request_size = DEF_MAX_REQUEST_SIZE;
    if (l->max_request_duration == 0)
        l->max_request_duration = DEF_MAX_REQUEST_DURATION;
    return 0;
}

static int add_listener(struct ctx *x, const char *type, int line,
                        struct cf_hcl_node *body)
{
    char where[96];
    snprintf(where, sizeof where, "listener \"%.64s\": ", type);
    if (strcmp(type, "tcp"))
        return cfail(x, line, "%sunsupported listener type (only \"tcp\" is available)",
                     where);
    struct cf_config *c = x->c;
    struct cf_listener_cfg *ls = realloc(c->listeners, (c->nlisteners + 1) * sizeof *ls);
    if (!ls)
        return nomem(x);
    c->listeners = ls;
    struct cf_listener_cfg *l = &ls[c->nlisteners];
    if (listener_defaults(l, line)) {
        listener_free(l);
        return nomem(x);
    }
    c->nlisteners++;
    struct listener_lines ll = {0};
    for (size_t i = 0; i < body->nentries; i++) {
        int rc = listener_key(x, where, l, &body->entries[i], &ll);
        if (rc)
            return rc;
    }
    return listener_finish(x, where, l, &ll);
}

/* Takes the body node out of the tree: the storage params outlive it. */
static int add_storage(struct ctx *x, const char *kind, const char *type, int line,
                       struct cf_hcl_node **body)
{
    struct cf_storage_cfg **slot = !strcmp(kind, "storage") ? &x->c->storage
        : !strcmp(kind, "ha_storage")                       ? &x->c->ha_storage
                                                            : &x->c->transport;
    if (*slot)
        return cfail(x, line,
                     "%s \"%.64s\": only one %s block is allowed (the first, "
                     "\"%s\", is on line %d)",
                     kind, type, kind, (*slot)->type, (*slot)->line);
    struct cf_storage_cfg *s = calloc(1, sizeof *s);
    if (!s || !(s->type = strdup(type))) {
        free(s);
        return nomem(x);
    }
    s->line = line;
    s->params = *body;
    *body = NULL;
    *slot = s;
    return 0;
}

static int add_block(struct ctx *x, const char *kind, const char *type, int line,
                     struct cf_hcl_node **body)
{
    if (!strcmp(kind, "listener"))
        return add_listener(x, type, line, *body);
    return add_storage(x, kind, type, line, body);
}

/* What an error message suggests for a block of this kind. */
static const char *example_type(const char *kind)
{
    return !strcmp(kind, "listener") ? "tcp" : !strcmp(kind, "transport") ? "tls" : "bdb";
}

/* One `kind "type" { ... }` block, in any of the shapes HCL and JSON give
 * it: {type: {...}}, {type: [{...}, ...]} or [{type: {...}}, ...]. */
static int each_block(struct ctx *x, const char *kind, struct cf_hcl_node *v, int line,
                      int nested)
{
    if (v && v->type == CF_HCL_LIST && !nested) {
        for (size_t i = 0; i < v->nitems; i++) {
            int rc = each_block(x, kind, v->items[i], v->items[i]->line, 1);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!v || v->type != CF_HCL_OBJECT || !v->nentries)
        return cfail(x, line, "%s needs a type: write %s \"%s\" { ... }", kind, kind,
                     example_type(kind));
    for (size_t i = 0; i < v->nentries; i++) {
        struct cf_hcl_entry *e = &v->entries[i];
        struct cf_hcl_node *b = e->value;
        int rc = 0;
        if (b && b->type == CF_HCL_OBJECT) {
            rc = add_block(x, kind, e->key, e->line, &e->value);
        } else if (b && b->type == CF_HCL_LIST) {
            for (size_t j = 0; j < b->nitems && !rc; j++) {
                if (b->items[j]->type != CF_HCL_OBJECT)
                    return cfail(x, b->items[j]->line,
                                 "%s \"%.64s\" must be a block { ... }", kind, e->key);
                rc = add_block(x, kind, e->key, b->items[j]->line, &b->items[j]);
            }
        } else {
            rc =
                cfail(x, e->line, "%s: \"%.64s\" is not a block; write %s \"%s\" { ... }",
                      kind, e->key, kind, example_type(kind));
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int top_key(struct ctx *x, struct cf_hcl_entry *e)
{
    struct cf_config *c = x->c;
    const char *k = e->key;
    if (!strcmp(k, "listener") || !strcmp(k, "storage") || !strcmp(k, "ha_storage") ||
        !strcmp(k, "transport"))
        return each_block(x, k, e->value, e->line, 0);
    if (!strcmp(k, "api_addr")) {
        x->api_line = e->line;
        return get_str(x, "", e, &c->api_addr);
    }
    if (!strcmp(k, "cluster_addr")) {
        x->cluster_line = e->line;
        return get_str(x, "", e, &c->cluster_addr);
    }
    if (!strcmp(k, "cluster_name"))
        return get_str(x, "", e, &c->cluster_name);
    if (!strcmp(k, "plugin_directory"))
        return get_str(x, "", e, &c->plugin_directory);
    if (!strcmp(k, "pid_file"))
        return get_str(x, "", e, &c->pid_file);
    if (!strcmp(k, "plugin_file_uid")) {
        long long uid;
        if (cf_hcl_as_int(e->value, &uid) || uid < 0 || uid > 0x7fffffffLL)
            return cfail(x, e->line,
                         "\"plugin_file_uid\" must be a user id (an integer >= 0)");
        c->plugin_file_uid = uid;
        return 0;
    }
    if (!strcmp(k, "plugin_file_permissions")) {
        const struct cf_hcl_node *v = e->value;
        const char *str = v && v->type == CF_HCL_STRING ? v->str : NULL;
        char *end = NULL;
        long m = str && *str && strspn(str, "01234567") == strlen(str)
            ? strtol(str, &end, 8)
            : -1;
        if (m < 0 || m > 0777)
            return cfail(x, e->line,
                         "\"plugin_file_permissions\" must be an octal mode "
                         "string such as \"0755\"");
        c->plugin_file_permissions = (unsigned)m;
        return 0;
    }
    if (!strcmp(k, "log_level")) {
        x->log_line = e->line;
        return get_str(x, "", e, &c->log_level);
    }
    if (!strcmp(k, "default_lease_ttl")) {
        x->dttl_line = e->line;
        return get_duration(x, "", e, &c->default_lease_ttl);
    }
    if (!strcmp(k, "max_lease_ttl")) {
        x->mttl_line = e->line;
        return get_duration(x, "", e, &c->max_lease_ttl);
    }
    if (!strcmp(k, "disable_clustering"))
        return get_bool(x, "", e, &c->disable_clustering);
    if (!strcmp(k, "disable_mlock"))
        return get_bool(x, "", e, &c->disable_mlock);
    if (!strcmp(k, "disable_cache"))
        return get_bool(x, "", e, &c->disable_cache);
    if (!strcmp(k, "cache_size"))
        return get_count(x, "", e, &c->cache_size, "the default, 131072");
    if (!strcmp(k, "ui"))
        return get_bool(x, "", e, &c->ui);
    return unknown_key(x, "", e, top_keys);
}

/* Splits "scheme://host[:port][/path]" into the host part and the port
 * (-1 when absent); -1 when it is not such a URL. */
static int split_url(const char *u, const char **host, size_t *hostlen, long *port)
{
    const char *sep = strstr(u, "://");
    if (!sep)
        return -1;
    size_t sl = (size_t)(sep - u);
    if (!((sl == 4 && !strncmp(u, "http", 4)) || (sl == 5 && !strncmp(u, "https", 5))))
        return -1;
    const char *a = sep + 3;
    size_t al = strcspn(a, "/?#");
    if (!al)
        return -1;
    size_t hl;
    long p;
    const char *close = a[0] == '[' ? memchr(a, ']', al) : NULL;
    const char *colon = NULL;
    for (size_t i = al; i > 0; i--)
        if (a[i - 1] == ':') {
            colon = a + i - 1;
            break;
        }
    if (colon && (!close || colon > close)) {
        if (split_hostport(a, al, &hl, &p))
            return -1;
        *port = p;
    } else {
        if (a[0] != '[' && colon)
            return -1;
        hl = al;
        *port = -1;
    }
    if (!hl)
        return -1;
    *host = a;
    *hostlen = hl;
    return 0;
}

static int finish(struct ctx *x)
{
    struct cf_config *c = x->c;
    const char *env = getenv("VAULT_API_ADDR");
    int api_env = 0, cl_env = 0;
    if (env && *env) {
        if (set_str(x, &c->api_addr, env))
            return CF_ENOMEM;
        api_env = 1;
    }
    env = getenv("VAULT_CLUSTER_ADDR");
    if (env && *env) {
        if (set_str(x, &c->cluster_addr, env))
            return CF_ENOMEM;
        cl_env = 1;
    }
    if (!c->storage)
        return cfail(x, 1,
                     "no storage block: add one, e.g. storage \"bdb\" "
                     "{ path = \"/var/lib/coffer\" }");
    int lvl;
    if (cf_log_level_parse(c->log_level, &lvl))
        return cfail(x, x->log_line,
                     "log_level \"%.32s\" is not valid (use trace, debug, "
                     "info, warn or error)",
                     c->log_level);
    if (c->cache_size == 0)
        c->cache_size = DEF_CACHE_SIZE;
    if (c->default_lease_ttl == 0)
        c->default_lease_ttl = DEF_LEASE_TTL;
    if (c->max_lease_ttl == 0)
        c->max_lease_ttl = DEF_LEASE_TTL;
    if (c->default_lease_ttl > c->max_lease_ttl)
        return cfail(x, x->dttl_line ? x->dttl_line : x->mttl_line,
                     "default_lease_ttl (%llds) is longer than max_lease_ttl (%llds)",
                     c->default_lease_ttl, c->max_lease_ttl);
    const char *host;
    size_t hl;
    long port;
    if (c->api_addr && split_url(c->api_addr, &host, &hl, &port))
        return cfail(x, x->api_line,
                     "api_addr \"%.100s\"%s must be a URL starting with "
                     "http:// or https://, e.g. \"https://node1.example.com:8200\"",
                     c->api_addr, api_env ? " (from VAULT_API_ADDR)" : "");
    if (c->cluster_addr) {
        const char *h2;
        size_t hl2;
        long p2;
        if (split_url(c->cluster_addr, &h2, &hl2, &p2))
            return cfail(
                x, x->cluster_line,
                "cluster_addr \"%.100s\"%s must be a URL "
                "starting with https://, e.g. \"https://node1.example.com:8201\"",
                c->cluster_addr, cl_env ? " (from VAULT_CLUSTER_ADDR)" : "");
    } else if (c->api_addr) {
        if (port == 65535)
            return cfail(x, x->api_line,
                         "cannot derive cluster_addr from port 65535 of "
                         "api_addr: set cluster_addr");
        struct cf_buf b = {0};
        if (cf_buf_printf(&b, "https://%.*s:%ld", (int)hl, host,
                          port < 0 ? 8201 : port + 1))
            return nomem(x);
        c->cluster_addr = cf_buf_take(&b);
    }
    if (c->api_addr && c->cluster_addr && !strcmp(c->api_addr, c->cluster_addr))
        return cfail(x, x->cluster_line ? x->cluster_line : x->api_line,
                     "cluster_addr must differ from api_addr (both are \"%.100s\"); the "
                     "cluster port is usually the API port + 1",
                     c->api_addr);
    return 0;
}

static struct cf_config *config_new(const char *file)
{
    struct cf_config *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->file = strdup(file);
    c->log_level = strdup("info");
    c->default_lease_ttl = DEF_LEASE_TTL;
    c->max_lease_ttl = DEF_LEASE_TTL;
    c->cache_size = DEF_CACHE_SIZE;
    if (!c->file || !c->log_level) {
        cf_config_free(c);
        return NULL;
    }
    return c;
}

int cf_config_parse(const char *text, size_t len, const char *name,
                    struct cf_config **out, struct coffer_err *err)
{
    struct ctx x = {.file = name ? name : "<config>", .err = err};
    struct cf_hcl_node *root;
    int rc = cf_hcl_parse(text, len, x.file, &root, err);
    if (rc)
        return rc == CF_ENOMEM ? rc : CF_ECONFIG;
    if (!(x.c = config_new(x.file))) {
        cf_hcl_free(root);
        return nomem(&x);
    }
    for (size_t i = 0; i < root->nentries && !rc; i++)
        rc = top_key(&x, &root->entries[i]);
    cf_hcl_free(root);
    if (!rc)
        rc = finish(&x);
    if (rc) {
        cf_config_free(x.c);
        return rc;
    }
    *out = x.c;
    return 0;
}

int cf_config_load(const char *path, struct cf_config **out, struct coffer_err *err)
{
    FILE *f = fopen(path, "rb");
    struct cf_buf b = {0};
    int rc = 0;
    if (!f) {
        rc = errno;
    } else {
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
            if (b.len + n > CONFIG_FILE_MAX) {
                rc = EFBIG;
                break;
            }
            if (cf_buf_append(&b, chunk, n)) {
                rc = ENOMEM;
                break;
            }
        }
        if (!rc && ferror(f))
            rc = errno ? errno : EIO;
        fclose(f);
    }
    if (rc) {
        cf_buf_free(&b);
        if (err)
            snprintf(err->msg, sizeof err->msg, "cannot read config file \"%s\": %s",
                     path, strerror(rc));
        return rc == ENOMEM ? CF_ENOMEM : CF_EIO;
    }
    rc = cf_config_parse(b.data ? b.data : "", b.len, path, out, err);
    if (b.data)
        cf_free_secret(b.data, b.cap); /* the file may hold storage passwords */
    return rc;
}

int cf_config_default(struct cf_config **out)
{
    struct cf_config *c = config_new("(defaults)");
    if (!c)
        return CF_ENOMEM;
    c->listeners = calloc(1, sizeof *c->listeners);
    if (!c->listeners)
        goto nomem;
    c->nlisteners = 1;
    struct cf_listener_cfg *l = c->listeners;
    if (listener_defaults(l, 1))
        goto nomem;
    /* -dev serves plain HTTP on loopback, as Vault's dev mode does */
    l->tls_disable = 1;
    if (!(l->cluster_address = strdup("127.0.0.1:8201")))
        goto nomem;
    *out = c;
    return 0;
nomem:
    cf_config_free(c);
    return CF_ENOMEM;
}

static void storage_free(struct cf_storage_cfg *s)
{
    if (!s)
        return;
    free(s->type);
    cf_hcl_free(s->params);
    free(s);
}

void cf_config_free(struct cf_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nlisteners; i++)
        listener_free(&c->listeners[i]);
    free(c->listeners);
    storage_free(c->storage);
    storage_free(c->ha_storage);
    storage_free(c->transport);
    free(c->file);
    free(c->api_addr);
    free(c->cluster_addr);
    free(c->cluster_name);
    free(c->plugin_directory);
    free(c->log_level);
    free(c->pid_file);
    free(c);
}
