/* The policy store: policies as JSON {"name","raw"} entries in a barrier
 * view, a cache of parsed policies (including "known absent" entries so
 * unknown names in token policy lists do not hit storage on each request). */
#include "auth/policy_store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "util/json.h"
#include "util/secret.h"

const char cf_default_policy_text[] =
    "# Allow tokens to look up their own properties\n"
    "path \"auth/token/lookup-self\" {\n"
    "    capabilities = [\"read\"]\n"
    "}\n"
    "\n"
    "# Allow tokens to renew themselves\n"
    "path \"auth/token/renew-self\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow tokens to revoke themselves\n"
    "path \"auth/token/revoke-self\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to look up its own capabilities on a path\n"
    "path \"sys/capabilities-self\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to look up its own entity by id or name\n"
    "path \"identity/entity/id/{{identity.entity.id}}\" {\n"
    "  capabilities = [\"read\"]\n"
    "}\n"
    "path \"identity/entity/name/{{identity.entity.name}}\" {\n"
    "  capabilities = [\"read\"]\n"
    "}\n"
    "\n"
    "\n"
    "# Allow a token to look up its resultant ACL from all policies. This is useful\n"
    "# for UIs. It is an internal path because the format may change at any time\n"
    "# based on how the internal ACL features and capabilities change.\n"
    "path \"sys/internal/ui/resultant-acl\" {\n"
    "    capabilities = [\"read\"]\n"
    "}\n"
    "\n"
    "# Allow a token to renew a lease via lease_id in the request body; old path for\n"
    "# old clients, new path for newer\n"
    "path \"sys/renew\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "path \"sys/leases/renew\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow looking up lease properties. This requires knowing the lease ID ahead\n"
    "# of time and does not divulge any sensitive information.\n"
    "path \"sys/leases/lookup\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to manage its own cubbyhole\n"
    "path \"cubbyhole/*\" {\n"
    "    capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\"]\n"
    "}\n"
    "\n"
    "# Allow a token to wrap arbitrary values in a response-wrapping token\n"
    "path \"sys/wrapping/wrap\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to look up the creation time and TTL of a given\n"
    "# response-wrapping token\n"
    "path \"sys/wrapping/lookup\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to unwrap a response-wrapping token. This is a convenience to\n"
    "# avoid client token swapping since this is also part of the response wrapping\n"
    "# policy.\n"
    "path \"sys/wrapping/unwrap\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow general purpose tools\n"
    "path \"sys/tools/hash\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "path \"sys/tools/hash/*\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow checking the status of a Control Group request if the user has the\n"
    "# accessor\n"
    "path \"sys/control-group/request\" {\n"
    "    capabilities = [\"update\"]\n"
    "}\n"
    "\n"
    "# Allow a token to make requests to the Authorization Endpoint for OIDC providers.\n"
    "path \"identity/oidc/provider/+/authorize\" {\n"
    "    capabilities = [\"read\", \"update\"]\n"
    "}\n";

struct slot {
    char *name;
    struct cf_policy *pol; /* NULL: known to be absent */
};

struct cf_policy_store {
    struct cf_view *view;
    pthread_rwlock_t lock;    /* guards the cache */
    pthread_mutex_t write_mu; /* serializes writers so cache and storage agree */
    struct slot *slots;
    size_t nslots;
    atomic_ulong gen; /* moves on with every change of the cache */
};

#define CACHE_MAX 1024

static char *sanitize_name(const char *name)
{
    while (isspace((unsigned char)*name))
        name++;
    size_t l = strlen(name);
    while (l && isspace((unsigned char)name[l - 1]))
        l--;
    char *s = strndup(name, l);
    if (s)
        for (char *p = s; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    return s;
}

int cf_policy_name_canonical(const char *name, struct coffer_err *err)
{
    char *n = sanitize_name(name);
    if (!n)
        return CF_ENOMEM;
    int rc = 0;
    /* an all-space name is left to the store's "must be provided" */
    if (*n && strcmp(n, name)) {
        coffer_err_set(err,
                       "policy name \"%s\" is not in canonical form: use "
                       "\"%s\" (policy names are lower-case, without "
                       "surrounding spaces)",
                       name, n);
        rc = CF_EINVAL;
    }
    free(n);
    return rc;
}

unsigned long cf_policy_store_generation(struct cf_policy_store *ps)
{
    return atomic_load(&ps->gen);
}

static void clear_cache_locked(struct cf_policy_store *ps)
{
    atomic_fetch_add(&ps->gen, 1);
    for (size_t i = 0; i < ps->nslots; i++) {
        free(ps->slots[i].name);
        cf_policy_free(ps->slots[i].pol);
    }
    free(ps->slots);
    ps->slots = NULL;
    ps->nslots = 0;
}

void cf_policy_store_invalidate(struct cf_policy_store *ps)
{
    pthread_rwlock_wrlock(&ps->lock);
    clear_cache_locked(ps);
    pthread_rwlock_unlock(&ps->lock);
}

static void drop_slot_locked(struct cf_policy_store *ps, const char *name)
{
    atomic_fetch_add(&ps->gen, 1);
    for (size_t i = 0; i < ps->nslots; i++) {
        if (strcmp(ps->slots[i].name, name))
            continue;
        free(ps->slots[i].name);
        cf_policy_free(ps->slots[i].pol);
        ps->slots[i] = ps->slots[--ps->nslots];
        return;
    }
}

/* Loads name from storage. CF_ENOENT absent. */
static int load(struct cf_policy_store *ps, const char *name, struct cf_policy **out)
{
    yajl_val v;
    int rc = cf_view_get_json(ps->view, name, &v);
    if (rc)
        return rc;
    const char *raw = cf_json_get_str(v, "raw");
    if (!raw) {
        cf_json_free(v);
        return CF_EIO;
    }
    rc = cf_policy_parse(name, raw, strlen(raw), out, NULL);
    cf_json_free(v);
    return rc == CF_EINVAL ? CF_EIO : rc;
}

int cf_policy_store_get(struct cf_policy_store *ps, const char *name,
                        struct cf_policy **out)
{
    char *n = sanitize_name(name);
    if (!n)
        return CF_ENOMEM;
    if (!*n || !strcmp(n, "root") || strchr(n, '/')) {
        free(n);
        return CF_ENOENT;
    }
    pthread_rwlock_rdlock(&ps->lock);
    for (size_t i = 0; i < ps->nslots; i++) {
        if (strcmp(ps->slots[i].name, n))
            continue;
        struct cf_policy *p = ps->slots[i].pol;
        if (p)
            *out = cf_policy_ref(p);
        pthread_rwlock_unlock(&ps->lock);
        free(n);
        return p ? 0 : CF_ENOENT;
    }
    pthread_rwlock_unlock(&ps->lock);

    /* Load under write_mu so a concurrent put cannot slip between our
     * storage read and our cache insert (which would cache a stale copy). */
    pthread_mutex_lock(&ps->write_mu);
    struct cf_policy *p = NULL;
    int rc = load(ps, n, &p);
    if (rc && rc != CF_ENOENT) {
        pthread_mutex_unlock(&ps->write_mu);
        free(n);
        return rc;
    }
    pthread_rwlock_wrlock(&ps->lock);
    drop_slot_locked(ps, n);
    if (ps->nslots >= CACHE_MAX)
        clear_cache_locked(ps);
    struct slot *ns = realloc(ps->slots, (ps->nslots + 1) * sizeof *ns);
    if (ns) {
        ps->slots = ns;
        ns[ps->nslots].name = n;
        ns[ps->nslots].pol = p ? cf_policy_ref(p) : NULL;
        ps->nslots++;
        n = NULL;
    }
    pthread_rwlock_unlock(&ps->lock);
    pthread_mutex_unlock(&ps->write_mu);
    free(n);
    if (!p)
        return CF_ENOENT;
    *out = p;
    return 0;
}

static int immutable(const char *n)
{
    return !strcmp(n, "root") || !strcmp(n, "response-wrapping") ||
        !strcmp(n, "control-group");
}

static int store_raw(struct cf_policy_store *ps, const char *n, const char *text,
                     size_t len)
{
    struct cf_json j;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "name", n);
    cf_json_key(&j, "raw");
    cf_json_strn(&j, text, len);
    cf_json_obj_close(&j);
    char *s;
    rc = cf_json_finish(&j, &s);
    if (rc)
        return rc;
    rc = cf_view_put_str(ps->view, n, s);
    free(s);
    return rc;
}

int cf_policy_store_put(struct cf_policy_store *ps, const char *name, const char *text,
                        size_t len, struct coffer_err *err)
{
    char *n = sanitize_name(name ? name : "");
    if (!n)
        return CF_ENOMEM;
    int rc = 0;
    struct cf_policy *p = NULL;
    if (!*n) {
        snprintf(err->msg, sizeof err->msg, "policy name must be provided in the URL");
        rc = CF_EINVAL;
    } else if (strchr(n, '/')) {
        snprintf(err->msg, sizeof err->msg, "policy name cannot contain '/'");
        rc = CF_EINVAL;
    } else if (immutable(n)) {
        snprintf(err->msg, sizeof err->msg, "cannot update \"%s\" policy", n);
        rc = CF_EINVAL;
    } else {
        rc = cf_policy_parse(n, text, len, &p, err);
        if (!rc && (rc = cf_policy_check_enforceable(p, err))) {
            cf_policy_free(p);
            p = NULL;
        }
    }
    if (rc) {
        free(n);
        return rc;
    }
    pthread_mutex_lock(&ps->write_mu);
    rc = store_raw(ps, n, text, len);
    if (!rc) {
        pthread_rwlock_wrlock(&ps->lock);
        drop_slot_locked(ps, n);
        pthread_rwlock_unlock(&ps->lock);
    }
    pthread_mutex_unlock(&ps->write_mu);
    if (rc)
        snprintf(err->msg, sizeof err->msg, "failed to persist policy: %s", n);
    cf_policy_free(p);
    free(n);
    return rc;
}

int cf_policy_store_delete(struct cf_policy_store *ps, const char *name,
                           struct coffer_err *err)
{
    char *n = sanitize_name(name ? name : "");
    if (!n)
        return CF_ENOMEM;
    int rc = 0;
    if (!*n) {
        snprintf(err->msg, sizeof err->msg, "policy name must be provided in the URL");
        rc = CF_EINVAL;
    } else if (immutable(n)) {
        snprintf(err->msg, sizeof err->msg, "cannot delete \"%s\" policy", n);
        rc = CF_EINVAL;
    } else if (!strcmp(n, "default")) {
        snprintf(err->msg, sizeof err->msg, "cannot delete default policy");
        rc = CF_EINVAL;
    }
    if (!rc && !strchr(n, '/')) {
        pthread_mutex_lock(&ps->write_mu);
        rc = cf_view_delete(ps->view, n);
        if (rc == CF_ENOENT)
            rc = 0;
        pthread_rwlock_wrlock(&ps->lock);
        drop_slot_locked(ps, n);
        pthread_rwlock_unlock(&ps->lock);
        pthread_mutex_unlock(&ps->write_mu);
    }
    free(n);
    return rc;
}

int cf_policy_store_list(struct cf_policy_store *ps, char ***names, size_t *n)
{
    char **keys = NULL;
    size_t cnt = 0;
    int rc = cf_view_list(ps->view, "", &keys, &cnt);
    if (rc == CF_ENOENT) {
        keys = NULL;
        cnt = 0;
        rc = 0;
    }
    if (rc)
        return rc;
    /* drop folder entries (none are written, but storage may hold some) */
    size_t w = 0;
    for (size_t i = 0; i < cnt; i++) {
        size_t l = strlen(keys[i]);
        if (l && keys[i][l - 1] == '/') {
            free(keys[i]);
            continue;
        }
        keys[w++] = keys[i];
    }
    *names = keys;
    *n = w;
    return 0;
}

int cf_policy_store_new(struct cf_view *view, struct cf_policy_store **out)
{
    struct cf_policy_store *ps = calloc(1, sizeof *ps);
    if (!ps)
        return CF_ENOMEM;
    ps->view = view;
    if (pthread_rwlock_init(&ps->lock, NULL)) {
        free(ps);
        return CF_ENOMEM;
    }
    if (pthread_mutex_init(&ps->write_mu, NULL)) {
        pthread_rwlock_destroy(&ps->lock);
        free(ps);
        return CF_ENOMEM;
    }
    uint8_t *val;
    size_t len;
    int rc = cf_view_get(view, "default", &val, &len);
    if (!rc) {
        cf_free_secret(val, len);
    } else if (rc == CF_ENOENT) {
        rc = store_raw(ps, "default", cf_default_policy_text,
                       strlen(cf_default_policy_text));
    }
    if (rc) {
        cf_policy_store_free(ps);
        return rc;
    }
    *out = ps;
    return 0;
}

void cf_policy_store_free(struct cf_policy_store *ps)
{
    if (!ps)
        return;
    clear_cache_locked(ps);
    pthread_rwlock_destroy(&ps->lock);
    pthread_mutex_destroy(&ps->write_mu);
    free(ps);
}
