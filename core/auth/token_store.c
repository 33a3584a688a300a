/* Token records as JSON in a barrier view. Keys:
 *   salt                       32 random bytes (hex), the HMAC key
 *   id/<hmac(id)>              the token record
 *   accessor/<hmac(accessor)>  {"accessor", "token_key"}
 *   parent/<hmac(parent)>/<hmac(child)>   the child index
 * One mutex serializes everything: lookups may revoke (lazy expiry).
 * Decoded records are cached by hmac(id) so a request's lookups skip the
 * barrier decrypt and JSON parse; every write or delete of id/<key> goes
 * through save() or revoke_one(), which drop the entry, and expiry is
 * checked against the clock on each lookup, as without the cache. */
#include "auth/token_store.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <coffer/errors.h>
#include "util/buf.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"

#define SALT_LEN 32
#define KEY_HEX 65 /* 64 hex + NUL */
#define MAX_ANCESTORS 64
/* Direct-mapped: a slot is picked by the HMAC's first hex digits, which are
 * uniform; a colliding record simply replaces the older one. */
#define CACHE_SLOTS 2048u

struct cache_slot {
    char key[KEY_HEX];
    struct cf_token *t; /* NULL = empty */
};

struct cf_token_store {
    struct cf_view *view;
    const struct cf_logger *log;
    uint8_t salt[SALT_LEN];
    pthread_mutex_t mu;
    struct cache_slot *cache; /* CACHE_SLOTS, guarded by mu */
    void (*on_revoke)(void *arg, const struct cf_token *t);
    void *on_revoke_arg;
};

static long long now_s(void) { return (long long)(cf_now_ns() / 1000000000LL); }

/* ---- records ---- */

void cf_token_free(struct cf_token *t)
{
    if (!t)
        return;
    cf_free_secret_str(t->id);
    free(t->accessor);
    cf_strv_free(t->policies, t->npolicies);
    cf_free_secret_str(t->parent);
    free(t->display_name);
    free(t->path);
    free(t->type);
    for (size_t i = 0; i < t->nmeta; i++) {
        free(t->meta[i].key);
        free(t->meta[i].value);
    }
    free(t->meta);
    free(t->cubbyhole_id);
    free(t);
}

static int encode(const struct cf_token *t, char **out)
{
    struct cf_json j;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "id", t->id);
    cf_json_kstr(&j, "accessor", t->accessor);
    cf_json_key(&j, "policies");
    cf_json_arr_open(&j);
    for (size_t i = 0; i < t->npolicies; i++)
        cf_json_str(&j, t->policies[i]);
    cf_json_arr_close(&j);
    cf_json_kstr(&j, "parent", t->parent ? t->parent : "");
    cf_json_kstr(&j, "display_name", t->display_name);
    cf_json_kstr(&j, "path", t->path);
    cf_json_kstr(&j, "type", t->type);
    cf_json_kint(&j, "creation_time", t->creation_time);
    cf_json_kint(&j, "creation_ttl", t->creation_ttl);
    cf_json_kint(&j, "ttl_expire_time", t->ttl_expire_time);
    cf_json_kint(&j, "explicit_max_ttl", t->explicit_max_ttl);
    cf_json_kint(&j, "period", t->period);
    cf_json_kint(&j, "num_uses", t->num_uses);
    cf_json_kbool(&j, "renewable", t->renewable);
    cf_json_kbool(&j, "no_default_policy", t->no_default_policy);
    cf_json_key(&j, "meta");
    cf_json_obj_open(&j);
    for (size_t i = 0; i < t->nmeta; i++)
        cf_json_kstr(&j, t->meta[i].key, t->meta[i].value);
    cf_json_obj_close(&j);
    cf_json_kstr(&j, "cubbyhole_id", t->cubbyhole_id);
    cf_json_kint(&j, "last_renewal_time", t->last_renewal_time);
    cf_json_kint(&j, "lease_ttl", t->lease_ttl);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, out);
}

static int dup_field(yajl_val v, const char *k, char **out, int required)
{
    const char *s = cf_json_get_str(v, k);
    if (!s) {
        *out = NULL;
        return required ? CF_EIO : 0;
    }
    *out = strdup(s);
    return *out ? 0 : CF_ENOMEM;
}

static int decode(yajl_val v, struct cf_token **out)
{
    struct cf_token *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    int rc = dup_field(v, "id", &t->id, 1);
    if (!rc)
        rc = dup_field(v, "accessor", &t->accessor, 1);
    if (!rc)
        rc = dup_field(v, "parent", &t->parent, 0);
    if (!rc)
        rc = dup_field(v, "display_name", &t->display_name, 1);
    if (!rc)
        rc = dup_field(v, "path", &t->path, 1);
    if (!rc)
        rc = dup_field(v, "type", &t->type, 1);
    if (!rc)
        rc = dup_field(v, "cubbyhole_id", &t->cubbyhole_id, 1);
    if (!rc) {
        rc = cf_json_get_strv(v, "policies", &t->policies, &t->npolicies);
        if (rc == CF_ENOENT)
            rc = 0;
    }
    struct {
        const char *k;
        long long *p;
    } ints[] = {
        {"creation_time", &t->creation_time},
        {"creation_ttl", &t->creation_ttl},
        {"ttl_expire_time", &t->ttl_expire_time},
        {"explicit_max_ttl", &t->explicit_max_ttl},
        {"period", &t->period},
        {"num_uses", &t->num_uses},
        {"last_renewal_time", &t->last_renewal_time},
        {"lease_ttl", &t->lease_ttl},
    };
    for (size_t i = 0; !rc && i < sizeof ints / sizeof ints[0]; i++) {
        rc = cf_json_get_int(v, ints[i].k, ints[i].p);
        if (rc == CF_ENOENT)
            rc = 0;
    }
    if (!rc) {
        rc = cf_json_get_bool(v, "renewable", &t->renewable);
        if (rc == CF_ENOENT)
            rc = 0;
    }
    if (!rc) {
        rc = cf_json_get_bool(v, "no_default_policy", &t->no_default_policy);
        if (rc == CF_ENOENT)
            rc = 0;
    }
    yajl_val m = cf_json_get(v, "meta");
    if (!rc && m && YAJL_IS_OBJECT(m) && m->u.object.len) {
        t->meta = calloc(m->u.object.len, sizeof *t->meta);
        if (!t->meta)
            rc = CF_ENOMEM;
        for (size_t i = 0; !rc && i < m->u.object.len; i++) {
            yajl_val mv = m->u.object.values[i];
            t->meta[i].key = strdup(m->u.object.keys[i]);
            t->meta[i].value = strdup(YAJL_IS_STRING(mv) ? mv->u.string : "");
            t->nmeta++;
            if (!t->meta[i].key || !t->meta[i].value)
                rc = CF_ENOMEM;
        }
    }
    if (!rc && t->parent && !*t->parent) {
        free(t->parent);
        t->parent = NULL;
    }
    if (rc) {
        cf_token_free(t);
        return rc == CF_EINVAL ? CF_EIO : rc;
    }
    t->orphan = t->parent == NULL;
    *out = t;
    return 0;
}

static int dup_str(const char *src, char **dst)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : CF_ENOMEM;
}

/* A deep copy; *out owned by the caller (cf_token_free). */
static int token_dup(const struct cf_token *src, struct cf_token **out)
{
    struct cf_token *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    *t = *src;
    t->id = t->accessor = t->parent = t->display_name = t->path = t->type =
        t->cubbyhole_id = NULL;
    t->policies = NULL;
    t->npolicies = 0;
    t->meta = NULL;
    t->nmeta = 0;
    int rc = dup_str(src->id, &t->id);
    if (!rc)
        rc = dup_str(src->accessor, &t->accessor);
    if (!rc)
        rc = dup_str(src->parent, &t->parent);
    if (!rc)
        rc = dup_str(src->display_name, &t->display_name);
    if (!rc)
        rc = dup_str(src->path, &t->path);
    if (!rc)
        rc = dup_str(src->type, &t->type);
    if (!rc)
        rc = dup_str(src->cubbyhole_id, &t->cubbyhole_id);
    if (!rc && src->npolicies) {
        if (!(t->policies = calloc(src->npolicies, sizeof *t->policies)))
            rc = CF_ENOMEM;
        for (size_t i = 0; !rc && i < src->npolicies; i++, t->npolicies++)
            rc = dup_str(src->policies[i], &t->policies[i]);
    }
    if (!rc && src->nmeta) {
        if (!(t->meta = calloc(src->nmeta, sizeof *t->meta)))
            rc = CF_ENOMEM;
        for (size_t i = 0; !rc && i < src->nmeta; i++, t->nmeta++) {
            rc = dup_str(src->meta[i].key, &t->meta[i].key);
            if (!rc)
                rc = dup_str(src->meta[i].value, &t->meta[i].value);
        }
    }
    if (rc) {
        cf_token_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- keys ---- */

static int hmac_hex(const struct cf_token_store *s, const char *in, char out[KEY_HEX])
{
    uint8_t d[32];
    if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, s->salt, SALT_LEN, in, strlen(in), d))
        return CF_EIO;
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = 0;
    cf_zero(d, sizeof d);
    return 0;
}

static int load_key(struct cf_token_store *s, const char *key, struct cf_token **out)
{
    char path[8 + KEY_HEX];
    snprintf(path, sizeof path, "id/%s", key);
    yajl_val v;
    int rc = cf_view_get_json(s->view, path, &v);
    if (rc)
        return rc;
    rc = decode(v, out);
    cf_json_free(v);
    return rc;
}

/* ---- the record cache (caller holds mu) ---- */

static struct cache_slot *cache_slot(struct cf_token_store *s, const char *key)
{
    unsigned h = 0;
    for (int i = 0; i < 4; i++)
        h = h << 4 | (unsigned)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
    return &s->cache[h % CACHE_SLOTS];
}

static void cache_drop(struct cf_token_store *s, const char *key)
{
    struct cache_slot *c = cache_slot(s, key);
    if (c->t && !strcmp(c->key, key)) {
        cf_token_free(c->t);
        c->t = NULL;
    }
}

/* The record under key, borrowed from the cache: valid until the next
 * cache_load, save or revocation. */
static int cache_load(struct cf_token_store *s, const char *key,
                      const struct cf_token **out)
{
    struct cache_slot *c = cache_slot(s, key);
    if (c->t && !strcmp(c->key, key)) {
        *out = c->t;
        return 0;
    }
    struct cf_token *t;
    int rc = load_key(s, key, &t);
    if (rc)
        return rc;
    cf_token_free(c->t);
    memcpy(c->key, key, KEY_HEX);
    c->t = t;
    *out = t;
    return 0;
}

static int save(struct cf_token_store *s, const char *key, const struct cf_token *t)
{
    char *js;
    cache_drop(s, key);
    int rc = encode(t, &js);
    if (rc)
        return rc;
    char path[8 + KEY_HEX];
    snprintf(path, sizeof path, "id/%s", key);
    rc = cf_view_put_str(s->view, path, js);
    cf_free_secret_str(js);
    return rc;
}

/* ---- revocation ---- */

static int list_children(struct cf_token_store *s, const char *key, char ***kids,
                         size_t *n)
{
    char path[16 + KEY_HEX];
    snprintf(path, sizeof path, "parent/%s/", key);
    int rc = cf_view_list(s->view, path, kids, n);
    if (rc == CF_ENOENT) {
        *kids = NULL;
        *n = 0;
        return 0;
    }
    return rc;
}

/* Deletes one token's entries (not its children) and fires the hook. */
static int revoke_one(struct cf_token_store *s, const char *key)
{
    struct cf_token *t = NULL;
    int rc = load_key(s, key, &t);
    if (rc && rc != CF_ENOENT)
        return rc;
    char path[24 + 2 * KEY_HEX];
    if (t) {
        char ak[KEY_HEX];
        if (!hmac_hex(s, t->accessor, ak)) {
            snprintf(path, sizeof path, "accessor/%s", ak);
            cf_view_delete(s->view, path);
        }
        if (t->parent) {
            char pk[KEY_HEX];
            if (!hmac_hex(s, t->parent, pk)) {
                snprintf(path, sizeof path, "parent/%s/%s", pk, key);
                cf_view_delete(s->view, path);
            }
        }
    }
    snprintf(path, sizeof path, "id/%s", key);
    cache_drop(s, key);
    rc = cf_view_delete(s->view, path);
    if (rc == CF_ENOENT)
        rc = 0;
    if (t && s->on_revoke)
        s->on_revoke(s->on_revoke_arg, t);
    cf_token_free(t);
    return rc;
}

/* Revokes key and every descendant, breadth-first with an explicit queue
 * so a long chain cannot exhaust the stack. */
static int revoke_tree(struct cf_token_store *s, const char *key)
{
    char **q = malloc(sizeof *q);
    size_t n = 0, cap = 1;
    if (!q || !(q[0] = strdup(key))) {
        free(q);
        return CF_ENOMEM;
    }
    n = 1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char **kids;
        size_t nk;
        rc = list_children(s, q[i], &kids, &nk);
        if (rc)
            break;
        for (size_t k = 0; k < nk; k++) {
            size_t l = strlen(kids[k]);
            if (l && kids[k][l - 1] == '/') {
                free(kids[k]);
                continue;
            }
            if (n == cap) {
                char **nq = realloc(q, 2 * cap * sizeof *q);
                if (!nq) {
                    rc = CF_ENOMEM;
                    for (; k < nk; k++)
                        free(kids[k]);
                    break;
                }
                q = nq;
                cap *= 2;
            }
            q[n++] = kids[k];
        }
        free(kids);
    }
    /* children first, as Vault does, so a crash half-way leaves the parent
     * (still revocable) rather than orphaned live children */
    for (size_t i = n; !rc && i-- > 0;) {
        rc = revoke_one(s, q[i]);
        if (!rc) {
            char path[16 + KEY_HEX];
            snprintf(path, sizeof path, "parent/%s/", q[i]);
            cf_view_clear(s->view, path);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(q[i]);
    free(q);
    return rc;
}

static int expired(const struct cf_token *t, long long now)
{
    return t->ttl_expire_time && now >= t->ttl_expire_time;
}

/* Checks that id names a live token: not expired, and no ancestor expired
 * or missing. Revokes what it finds dead. *out (may be NULL) gets a copy,
 * *uses (may be NULL) its num_uses. Caller holds mu. */
static int lookup_locked(struct cf_token_store *s, const char *id, struct cf_token **out,
                         long long *uses)
{
    char key[KEY_HEX];
    if (!id || !*id)
        return CF_ENOENT;
    int rc = hmac_hex(s, id, key);
    if (rc)
        return rc;
    const struct cf_token *t;
    rc = cache_load(s, key, &t);
    if (rc)
        return rc;
    if (!cf_ct_streq(t->id, id))
        return CF_ENOENT;
    long long now = now_s();
    if (expired(t, now)) {
        revoke_tree(s, key);
        return CF_ENOENT;
    }
    /* Copied before the ancestors are loaded: loading one may evict t. */
    struct cf_token *copy = NULL;
    char *pid = NULL;
    long long n = t->num_uses;
    if (out && (rc = token_dup(t, &copy)))
        return rc;
    if (t->parent && !(pid = strdup(t->parent))) {
        cf_token_free(copy);
        return CF_ENOMEM;
    }
    /* An ancestor past its TTL takes this token with it (Vault revokes the
     * subtree when the parent's lease expires). */
    for (int depth = 0; pid && depth < MAX_ANCESTORS; depth++) {
        char pk[KEY_HEX];
        const struct cf_token *p;
        if ((rc = hmac_hex(s, pid, pk)))
            break;
        cf_free_secret_str(pid);
        pid = NULL;
        rc = cache_load(s, pk, &p);
        if (rc == CF_ENOENT) {
            revoke_tree(s, key);
            cf_token_free(copy);
            return CF_ENOENT;
        }
        if (rc)
            break;
        if (expired(p, now)) {
            revoke_tree(s, pk);
            cf_token_free(copy);
            return CF_ENOENT;
        }
        if (p->parent && !(pid = strdup(p->parent))) {
            rc = CF_ENOMEM;
            break;
        }
    }
    cf_free_secret_str(pid);
    if (rc) {
        cf_token_free(copy);
        return rc;
    }
    if (out)
        *out = copy;
    if (uses)
        *uses = n;
    return 0;
}

int cf_token_lookup(struct cf_token_store *s, const char *id, struct cf_token **out)
{
    pthread_mutex_lock(&s->mu);
    int rc = lookup_locked(s, id, out, NULL);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int accessor_token_key(struct cf_token_store *s, const char *accessor,
                              char key[KEY_HEX])
{
    char ak[KEY_HEX], path[16 + KEY_HEX];
    if (!accessor || !*accessor)
        return CF_ENOENT;
    int rc = hmac_hex(s, accessor, ak);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "accessor/%s", ak);
    yajl_val v;
    rc = cf_view_get_json(s->view, path, &v);
    if (rc)
        return rc;
    const char *tk = cf_json_get_str(v, "token_key");
    const char *acc = cf_json_get_str(v, "accessor");
    if (!tk || strlen(tk) != KEY_HEX - 1 || !acc || !cf_ct_streq(acc, accessor))
        rc = CF_ENOENT;
    else
        memcpy(key, tk, KEY_HEX);
    cf_json_free(v);
    return rc;
}

int cf_token_lookup_accessor(struct cf_token_store *s, const char *accessor,
                             struct cf_token **out)
{
    char key[KEY_HEX];
    pthread_mutex_lock(&s->mu);
    int rc = accessor_token_key(s, accessor, key);
    struct cf_token *t = NULL;
    if (!rc)
        rc = load_key(s, key, &t);
    if (!rc) {
        /* re-run the liveness checks through the id */
        struct cf_token *live;
        rc = lookup_locked(s, t->id, &live, NULL);
        cf_token_free(t);
        if (!rc)
            *out = live;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cf_token_use(struct cf_token_store *s, const struct cf_token *tok)
{
    /* A token without a use limit never gets one: nothing to count, and
     * the caller's lookup has just checked it (this is every request). */
    if (tok->num_uses == 0)
        return 0;
    pthread_mutex_lock(&s->mu);
    long long uses = 0;
    int rc = lookup_locked(s, tok->id, NULL, &uses);
    if (!rc && uses > 0) {
        /* limited-use tokens are rare: a fresh copy from storage */
        char key[KEY_HEX];
        struct cf_token *t = NULL;
        rc = hmac_hex(s, tok->id, key);
        if (!rc)
            rc = load_key(s, key, &t);
        if (!rc) {
            t->num_uses--;
            rc = t->num_uses ? save(s, key, t) : revoke_tree(s, key);
        }
        cf_token_free(t);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cf_token_revoke(struct cf_token_store *s, const char *id)
{
    pthread_mutex_lock(&s->mu);
    struct cf_token *t;
    int rc = lookup_locked(s, id, &t, NULL);
    if (!rc) {
        char key[KEY_HEX];
        rc = hmac_hex(s, t->id, key);
        if (!rc)
            rc = revoke_tree(s, key);
        cf_token_free(t);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cf_token_revoke_orphan(struct cf_token_store *s, const char *id)
{
    pthread_mutex_lock(&s->mu);
    struct cf_token *t = NULL;
    int rc = lookup_locked(s, id, &t, NULL);
    char key[KEY_HEX];
    if (!rc)
        rc = hmac_hex(s, t->id, key);
    if (!rc) {
        char **kids;
        size_t nk;
        rc = list_children(s, key, &kids, &nk);
        for (size_t i = 0; !rc && i < nk; i++) {
            struct cf_token *c;
            int lrc = load_key(s, kids[i], &c);
            if (lrc)
                continue;
            cf_free_secret_str(c->parent);
            c->parent = NULL;
            c->orphan = 1;
            rc = save(s, kids[i], c);
            cf_token_free(c);
        }
        cf_strv_free(kids, nk);
        if (!rc) {
            char path[16 + KEY_HEX];
            snprintf(path, sizeof path, "parent/%s/", key);
            cf_view_clear(s->view, path);
            rc = revoke_one(s, key);
        }
    }
    cf_token_free(t);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* a + b held to the long long range: times and TTLs read from storage or
 * a mount are not all bounded, and a wrapped deadline would lie in the past. */
static long long add_sat(long long a, long long b)
{
    long long r;
    if (__builtin_add_overflow(a, b, &r))
        return b < 0 ? LLONG_MIN : LLONG_MAX;
    return r;
}

/* Unix seconds at which a TTL given at ns ends, rounded up to a whole
 * second so a token never lives less than its TTL; 0 for no TTL. */
static long long expire_at(int64_t ns, long long ttl)
{
    /* In seconds: ns + ttl * 10^9 overflows for TTLs near the maximum. */
    return ttl ? add_sat((long long)((ns + 999999999LL) / 1000000000LL), ttl) : 0;
}

int cf_token_renew(struct cf_token_store *s, const char *id, long long ttl,
                   struct cf_token **out)
{
    pthread_mutex_lock(&s->mu);
    struct cf_token *t;
    int rc = lookup_locked(s, id, &t, NULL);
    if (!rc) {
        int64_t ns = cf_now_ns();
        char key[KEY_HEX];
        t->last_renewal_time = (long long)(ns / 1000000000LL);
        t->lease_ttl = ttl;
        t->ttl_expire_time = expire_at(ns, ttl);
        rc = hmac_hex(s, t->id, key);
        if (!rc)
            rc = save(s, key, t);
        if (!rc && out)
            *out = t;
        else
            cf_token_free(t);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int set_str(char **dst, const char *src)
{
    *dst = strdup(src);
    return *dst ? 0 : CF_ENOMEM;
}

/* The given id, else a fresh "hvs." + 24 base62 (*out freed with
 * cf_free_secret_str). */
static int make_id(const char *given, char **out)
{
    if (given)
        return set_str(out, given);
    char *r = NULL;
    int rc = cf_random_base62(24, &r);
    if (rc)
        return rc;
    size_t l = 4 + strlen(r) + 1;
    *out = malloc(l);
    if (*out)
        snprintf(*out, l, "hvs.%s", r);
    else
        rc = CF_ENOMEM;
    cf_free_secret_str(r);
    return rc;
}

/* Copies p's policies and meta into t. */
static int copy_lists(struct cf_token *t, const struct cf_token_params *p)
{
    int rc = 0;
    if (p->npolicies) {
        t->policies = calloc(p->npolicies, sizeof *t->policies);
        if (!t->policies)
            return CF_ENOMEM;
        for (size_t i = 0; !rc && i < p->npolicies; i++, t->npolicies++)
            rc = set_str(&t->policies[i], p->policies[i]);
    }
    if (!rc && p->nmeta) {
        t->meta = calloc(p->nmeta, sizeof *t->meta);
        if (!t->meta)
            return CF_ENOMEM;
        for (size_t i = 0; !rc && i < p->nmeta; i++, t->nmeta++) {
            rc = set_str(&t->meta[i].key, p->meta[i].key);
            if (!rc)
                rc = set_str(&t->meta[i].value, p->meta[i].value ? p->meta[i].value : "");
        }
    }
    return rc;
}

/* A new token as p describes it, not yet stored (*out owned by the
 * caller, freed with cf_token_free). */
static int build_token(const struct cf_token_params *p, struct cf_token **out)
{
    struct cf_token *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    int rc = make_id(p->id, &t->id);
    if (!rc)
        rc = cf_random_base62(24, &t->accessor);
    if (!rc)
        rc = cf_random_base62(24, &t->cubbyhole_id);
    if (!rc && p->parent && *p->parent)
        rc = set_str(&t->parent, p->parent);
    if (!rc)
        rc = set_str(&t->display_name, p->display_name ? p->display_name : "token");
    if (!rc)
        rc = set_str(&t->path, p->path ? p->path : "auth/token/create");
    if (!rc)
        rc = set_str(&t->type, "service");
    if (!rc)
        rc = copy_lists(t, p);
    if (rc) {
        cf_token_free(t);
        return rc;
    }
    int64_t ns = cf_now_ns();
    t->creation_time = (long long)(ns / 1000000000LL);
    t->creation_ttl = p->ttl;
    t->lease_ttl = p->ttl;
    t->ttl_expire_time = expire_at(ns, p->ttl);
    t->explicit_max_ttl = p->explicit_max_ttl;
    t->period = p->period;
    t->num_uses = p->num_uses;
    t->renewable = p->renewable;
    t->no_default_policy = p->no_default_policy;
    t->orphan = t->parent == NULL;
    *out = t;
    return 0;
}

/* CF_EEXIST when a token is already stored under key. Lock held. */
static int check_unused(struct cf_token_store *s, const char *key)
{
    char path[8 + KEY_HEX];
    uint8_t *val;
    size_t len;
    snprintf(path, sizeof path, "id/%s", key);
    int g = cf_view_get(s->view, path, &val, &len);
    if (!g) {
        cf_free_secret(val, len);
        return CF_EEXIST;
    }
    return g == CF_ENOENT ? 0 : g;
}

/* Files the token (key) under its parent, which must exist (CF_ENOENT);
 * pk gets the parent's key. Lock held. */
static int link_parent(struct cf_token_store *s, const struct cf_token *t,
                       const char *key, char pk[KEY_HEX])
{
    struct cf_token *par;
    int rc = lookup_locked(s, t->parent, &par, NULL);
    if (rc)
        return rc;
    cf_token_free(par);
    if ((rc = hmac_hex(s, t->parent, pk)))
        return rc;
    char path[24 + 2 * KEY_HEX];
    snprintf(path, sizeof path, "parent/%s/%s", pk, key);
    return cf_view_put(s->view, path, "", 0);
}

/* accessor/<ak> -> {"accessor", "token_key"}. Lock held. */
static int put_accessor(struct cf_token_store *s, const struct cf_token *t,
                        const char *key, const char *ak)
{
    struct cf_json j;
    char *js = NULL;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "accessor", t->accessor);
    cf_json_kstr(&j, "token_key", key);
    cf_json_obj_close(&j);
    if ((rc = cf_json_finish(&j, &js)))
        return rc;
    char path[16 + KEY_HEX];
    snprintf(path, sizeof path, "accessor/%s", ak);
    rc = cf_view_put_str(s->view, path, js);
    free(js);
    return rc;
}

/* Removes the indexes a failed create may have written. Lock held. */
static void unlink_indexes(struct cf_token_store *s, const struct cf_token *t,
                           const char *key, const char *ak, const char *pk)
{
    char path[24 + 2 * KEY_HEX];
    snprintf(path, sizeof path, "accessor/%s", ak);
    cf_view_delete(s->view, path);
    if (t->parent && pk[0]) {
        snprintf(path, sizeof path, "parent/%s/%s", pk, key);
        cf_view_delete(s->view, path);
    }
}

int cf_token_create(struct cf_token_store *s, const struct cf_token_params *p,
                    struct cf_token **out)
{
    struct cf_token *t;
    int rc = build_token(p, &t);
    if (rc)
        return rc;
    char key[KEY_HEX], ak[KEY_HEX], pk[KEY_HEX] = "";
    pthread_mutex_lock(&s->mu);
    rc = hmac_hex(s, t->id, key);
    if (!rc)
        rc = hmac_hex(s, t->accessor, ak);
    if (!rc)
        rc = check_unused(s, key);
    if (!rc && t->parent)
        rc = link_parent(s, t, key, pk);
    if (!rc)
        rc = put_accessor(s, t, key, ak);
    if (!rc)
        rc = save(s, key, t);
    if (rc && rc != CF_EEXIST && rc != CF_ENOENT)
        unlink_indexes(s, t, key, ak, pk);
    pthread_mutex_unlock(&s->mu);
    if (rc || !out)
        cf_token_free(t);
    else
        *out = t;
    return rc;
}

int cf_token_create_root(struct cf_token_store *s, const char *id, char **id_out)
{
    char *pol[] = {"root"};
    struct cf_token_params p = {
        .id = id,
        .policies = pol,
        .npolicies = 1,
        .display_name = "root",
        .path = "auth/token/root",
    };
    struct cf_token *t;
    int rc = cf_token_create(s, &p, &t);
    if (rc)
        return rc;
    if (id_out) {
        *id_out = t->id;
        t->id = NULL;
    }
    cf_token_free(t);
    return 0;
}

int cf_token_list_accessors(struct cf_token_store *s, char ***out, size_t *n)
{
    pthread_mutex_lock(&s->mu);
    char **keys;
    size_t nk;
    int rc = cf_view_list(s->view, "accessor/", &keys, &nk);
    if (rc == CF_ENOENT) {
        keys = NULL;
        nk = 0;
        rc = 0;
    }
    char **res = NULL;
    size_t cnt = 0;
    if (!rc && nk && !(res = calloc(nk, sizeof *res)))
        rc = CF_ENOMEM;
    for (size_t i = 0; !rc && i < nk; i++) {
        char path[16 + KEY_HEX + 64];
        yajl_val v;
        if (strlen(keys[i]) > KEY_HEX + 32)
            continue;
        snprintf(path, sizeof path, "accessor/%s", keys[i]);
        if (cf_view_get_json(s->view, path, &v))
            continue;
        const char *acc = cf_json_get_str(v, "accessor");
        if (acc && !(res[cnt++] = strdup(acc)))
            rc = CF_ENOMEM;
        cf_json_free(v);
    }
    cf_strv_free(keys, nk);
    pthread_mutex_unlock(&s->mu);
    if (rc) {
        cf_strv_free(res, cnt);
        return rc;
    }
    *out = res;
    *n = cnt;
    return 0;
}

int cf_token_store_tidy(struct cf_token_store *s, size_t *revoked)
{
    pthread_mutex_lock(&s->mu);
    char **keys;
    size_t nk, cnt = 0;
    int rc = cf_view_list(s->view, "id/", &keys, &nk);
    if (rc == CF_ENOENT) {
        keys = NULL;
        nk = 0;
        rc = 0;
    }
    long long now = now_s();
    for (size_t i = 0; !rc && i < nk; i++) {
        struct cf_token *t;
        if (load_key(s, keys[i], &t))
            continue; /* revoked as part of an earlier subtree */
        if (expired(t, now)) {
            rc = revoke_tree(s, keys[i]);
            cnt++;
        }
        cf_token_free(t);
    }
    cf_strv_free(keys, nk);
    pthread_mutex_unlock(&s->mu);
    if (revoked)
        *revoked = cnt;
    return rc;
}

void cf_token_store_on_revoke(struct cf_token_store *s,
                              void (*cb)(void *arg, const struct cf_token *t), void *arg)
{
    pthread_mutex_lock(&s->mu);
    s->on_revoke = cb;
    s->on_revoke_arg = arg;
    pthread_mutex_unlock(&s->mu);
}

int cf_token_store_new(struct cf_view *view, const struct cf_logger *log,
                       struct cf_token_store **out)
{
    struct cf_token_store *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    s->view = view;
    s->log = log;
    if (!(s->cache = calloc(CACHE_SLOTS, sizeof *s->cache))) {
        free(s);
        return CF_ENOMEM;
    }
    uint8_t *val;
    size_t len;
    int rc = cf_view_get(view, "salt", &val, &len);
    if (!rc) {
        uint8_t *raw = NULL;
        size_t rl = 0;
        char *hex = strndup((const char *)val, len);
        cf_free_secret(val, len);
        if (!hex)
            rc = CF_ENOMEM;
        else if (cf_hex_decode(hex, &raw, &rl) || rl != SALT_LEN)
            rc = CF_EIO;
        else
            memcpy(s->salt, raw, SALT_LEN);
        if (raw)
            cf_free_secret(raw, rl);
        cf_free_secret_str(hex);
    } else if (rc == CF_ENOENT) {
        char *hex;
        rc = cf_random_bytes(s->salt, SALT_LEN);
        if (!rc)
            rc = cf_hex_encode(s->salt, SALT_LEN, &hex);
        if (!rc) {
            rc = cf_view_put_str(view, "salt", hex);
            cf_free_secret_str(hex);
        }
    }
    if (!rc && pthread_mutex_init(&s->mu, NULL))
        rc = CF_ENOMEM;
    if (rc) {
        cf_zero(s->salt, SALT_LEN);
        free(s->cache);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void cf_token_store_free(struct cf_token_store *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        cf_token_free(s->cache[i].t);
    cf_free_secret(s->cache, CACHE_SLOTS * sizeof *s->cache);
    cf_zero(s->salt, SALT_LEN);
    free(s);
}

/* ---- shared helpers ---- */

int cf_token_calc_ttl(long long increment, long long backend_ttl, long long period,
                      long long explicit_max_ttl, long long sys_default,
                      long long sys_max, long long start, long long now, long long *ttl,
                      char *warn, size_t warnlen)
{
    if (warn && warnlen)
        warn[0] = 0;
    long long max = sys_max;
    if (explicit_max_ttl > 0 && (max <= 0 || explicit_max_ttl < max))
        max = explicit_max_ttl;
    if (max <= 0) {
        if (warn)
            snprintf(warn, warnlen, "max TTL must be greater than zero");
        return CF_EINVAL;
    }
    long long t, max_valid = 0;
    int bounded = 0;
    char a[48], b[48];
    if (period > 0) {
        if (period > max) {
            cf_duration_str(period, a);
            cf_duration_str(max, b);
            if (warn)
                snprintf(warn, warnlen,
                         "period of \"%s\" exceeded the "
                         "effective max_ttl of \"%s\"; period value is capped "
                         "accordingly",
                         a, b);
            period = max;
        }
        t = period;
        if (explicit_max_ttl > 0) {
            max_valid = add_sat(start, explicit_max_ttl);
            bounded = 1;
        }
    } else {
        t = increment > 0 ? increment : backend_ttl > 0 ? backend_ttl : sys_default;
        max_valid = add_sat(start, max);
        bounded = 1;
    }
    if (bounded) {
        long long left = add_sat(max_valid, -now);
        if (left <= 0) {
            if (warn)
                snprintf(warn, warnlen, "past the max TTL, cannot renew");
            return CF_EINVAL;
        }
        if (left < t) {
            cf_duration_str(t, a);
            cf_duration_str(left, b);
            if (warn)
                snprintf(warn, warnlen,
                         "TTL of \"%s\" exceeded the effective "
                         "max_ttl of \"%s\"; TTL value is capped accordingly",
                         a, b);
            t = left;
        }
    }
    *ttl = t;
    return 0;
}

void cf_token_meta_json(struct cf_json *j, const char *key, const struct cf_token *t)
{
    cf_json_key(j, key);
    if (!t->nmeta) {
        cf_json_null(j);
        return;
    }
    cf_json_obj_open(j);
    for (size_t i = 0; i < t->nmeta; i++)
        cf_json_kstr(j, t->meta[i].key, t->meta[i].value);
    cf_json_obj_close(j);
}

int cf_token_auth_json(const struct cf_token *t, long long lease_duration, int renewable,
                       int with_token, char **out)
{
    struct cf_json j;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "client_token", with_token ? t->id : "");
    cf_json_kstr(&j, "accessor", t->accessor);
    for (int k = 0; k < 2; k++) {
        cf_json_key(&j, k ? "token_policies" : "policies");
        cf_json_arr_open(&j);
        for (size_t i = 0; i < t->npolicies; i++)
            cf_json_str(&j, t->policies[i]);
        cf_json_arr_close(&j);
    }
    cf_token_meta_json(&j, "metadata", t);
    cf_json_kint(&j, "lease_duration", lease_duration);
    cf_json_kbool(&j, "renewable", renewable);
    cf_json_kstr(&j, "entity_id", "");
    cf_json_kstr(&j, "token_type", t->type ? t->type : "service");
    cf_json_kbool(&j, "orphan", t->orphan);
    cf_json_key(&j, "mfa_requirement");
    cf_json_null(&j);
    cf_json_kint(&j, "num_uses", t->num_uses);
    cf_json_obj_close(&j);
    return cf_json_finish(&j, out);
}
