/* The barrier: every value is AES-256-GCM encrypted under the active term of
 * a keyring, which itself is stored at "core/keyring" encrypted under the
 * root key. One rwlock: data calls share it, seal/unseal/rotate own it.
 * The active term rotates by itself once it is due under the rotation
 * config (a write that crosses max_operations, or housekeeping). */
#include "seal/barrier.h"
#include "seal/aead.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Stored value: version(1) | term(4, big-endian) | nonce(12) | ct | tag(16).
 * The AEAD's additional data is the 5 header bytes followed by the storage
 * key, so a value copied to another key (or relabelled) fails to open. */
#define VALUE_VERSION 1
#define HDR_LEN 5
#define MIN_VALUE_LEN (HDR_LEN + CF_AEAD_OVERHEAD)
/* The keyring is sealed in the same layout under term 0, the root key. */
#define ROOT_TERM 0u
#define KEYRING_PATH "core/keyring"
#define ROTATE_PATH "core/rotate-config"

/* Rotation record plaintext, encrypted like any value:
 * format(1) | enabled(1) | max_operations(8) | interval s(8) |
 * term(4) | encryptions under that term(8) */
#define ROTATE_FORMAT 1
#define ROTATE_LEN 30

/* Keyring plaintext, binary rather than JSON so key bytes never pass through
 * a growing buffer or a parser's heap copies that could not be zeroed:
 * format(1) | active term(4) | count(4) |
 * count × [term(4) install time ns(8) key(32)] */
#define KEYRING_FORMAT 1
#define KR_HDR 9
#define KR_ENTRY (4 + 8 + CF_AEAD_KEY_LEN)

struct term {
    uint32_t term;
    int64_t install_ns;
    uint8_t key[CF_AEAD_KEY_LEN];
};

struct cf_barrier {
    struct cf_physical *phys; /* borrowed */
    pthread_rwlock_t lock;
    int sealed;
    uint8_t root[CF_ROOT_KEY_LEN];
    struct term *terms; /* nterms entries, sorted by term */
    size_t nterms;
    size_t active;               /* index into terms */
    atomic_ullong encryptions;   /* under the active term */
    struct cf_rotate_config rot; /* in force; changed under the exclusive lock */
    /* The count this node last stored or adopted: a larger stored one means
     * another node encrypted under the term meanwhile. */
    unsigned long long synced;
};

/* Keys that hold the barrier's and the seal's own state: writable only
 * by those layers, never through cf_barrier_put. */
static int reserved(const char *key)
{
    return !strcmp(key, KEYRING_PATH) || !strcmp(key, "core/root-key") ||
        !strcmp(key, "core/seal-config") || !strcmp(key, ROTATE_PATH);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void free_terms(struct term *t, size_t n) { cf_free_secret(t, n * sizeof *t); }

static int make_ad(const uint8_t *hdr, const char *path, uint8_t **ad, size_t *adlen)
{
    size_t pl = strlen(path);
    uint8_t *a = malloc(HDR_LEN + pl);
    if (!a)
        return CF_ENOMEM;
    memcpy(a, hdr, HDR_LEN);
    memcpy(a + HDR_LEN, path, pl);
    *ad = a;
    *adlen = HDR_LEN + pl;
    return 0;
}

static int seal_value(const uint8_t *key, uint32_t term, const char *path,
                      const uint8_t *pt, size_t len, uint8_t **out, size_t *outlen)
{
    size_t n = HDR_LEN + CF_AEAD_OVERHEAD + len;
    uint8_t *v = malloc(n), *ad;
    size_t adlen;
    if (!v)
        return CF_ENOMEM;
    v[0] = VALUE_VERSION;
    put32(v + 1, term);
    int rc = make_ad(v, path, &ad, &adlen);
    if (!rc) {
        rc = cf_aead_seal(key, ad, adlen, pt, len, v + HDR_LEN);
        free(ad);
    }
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *outlen = n;
    return 0;
}

/* The term a stored value names; CF_EIO if it is no value of ours. */
static int value_term(const uint8_t *v, size_t len, uint32_t *term)
{
    if (len < MIN_VALUE_LEN || v[0] != VALUE_VERSION)
        return CF_EIO;
    *term = get32(v + 1);
    return 0;
}

/* *out is malloc'd (one spare byte so an empty value is not NULL). */
static int open_value(const uint8_t *key, const char *path, const uint8_t *v, size_t len,
                      uint8_t **out, size_t *outlen)
{
    size_t n = len - HDR_LEN - CF_AEAD_OVERHEAD;
    uint8_t *pt = malloc(n + 1), *ad;
    size_t adlen;
    if (!pt)
        return CF_ENOMEM;
    int rc = make_ad(v, path, &ad, &adlen);
    if (!rc) {
        rc = cf_aead_open(key, ad, adlen, v + HDR_LEN, len - HDR_LEN, pt);
        free(ad);
    }
    if (rc) {
        cf_free_secret(pt, n + 1);
        return rc == CF_EINVAL ? CF_EIO : rc;
    }
    pt[n] = 0;
    *out = pt;
    *outlen = n;
    return 0;
}

static int write_keyring(struct cf_physical *phys, const uint8_t *root,
                         const struct term *terms, size_t n, size_t active)
{
    size_t len = KR_HDR + n * KR_ENTRY;
    uint8_t *pt = malloc(len), *v;
    size_t vlen;
    if (!pt)
        return CF_ENOMEM;
    pt[0] = KEYRING_FORMAT;
    put32(pt + 1, terms[active].term);
    put32(pt + 5, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = pt + KR_HDR + i * KR_ENTRY;
        put32(e, terms[i].term);
        put64(e + 4, (uint64_t)terms[i].install_ns);
        memcpy(e + 12, terms[i].key, CF_AEAD_KEY_LEN);
    }
    int rc = seal_value(root, ROOT_TERM, KEYRING_PATH, pt, len, &v, &vlen);
    cf_free_secret(pt, len);
    if (rc)
        return rc;
    rc = cf_physical_put(phys, KEYRING_PATH, v, vlen);
    free(v);
    return rc;
}

static int parse_keyring(const uint8_t *pt, size_t len, struct term **out, size_t *nout,
                         size_t *active)
{
    if (len < KR_HDR || pt[0] != KEYRING_FORMAT)
        return CF_EIO;
    uint32_t act = get32(pt + 1), n = get32(pt + 5);
    if (!n || (len - KR_HDR) / KR_ENTRY != n || (len - KR_HDR) % KR_ENTRY)
        return CF_EIO;
    struct term *t = calloc(n, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    int found = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = pt + KR_HDR + (size_t)i * KR_ENTRY;
        t[i].term = get32(e);
        t[i].install_ns = (int64_t)get64(e + 4);
        memcpy(t[i].key, e + 12, CF_AEAD_KEY_LEN);
        /* Terms are written ascending and start at 1 (0 is the root key). */
        if (t[i].term == ROOT_TERM || (i && t[i].term <= t[i - 1].term))
            break;
        if (t[i].term == act) {
            *active = i;
            found = 1;
        }
        if (i + 1 == n && found) {
            *out = t;
            *nout = n;
            return 0;
        }
    }
    free_terms(t, n);
    return CF_EIO;
}

/* Reads and decrypts the stored keyring: CF_EINVAL when there is none,
 * CF_EDENIED when root is not the key it was sealed with. */
static int load_keyring(struct cf_physical *phys, const uint8_t *root,
                        struct term **terms, size_t *n, size_t *active)
{
    uint8_t *v, *pt;
    size_t vlen, plen;
    uint32_t term;
    int rc = cf_physical_get(phys, KEYRING_PATH, &v, &vlen);
    if (rc)
        return rc == CF_ENOENT ? CF_EINVAL : rc;
    rc = value_term(v, vlen, &term);
    if (!rc && term != ROOT_TERM)
        rc = CF_EIO;
    if (!rc) {
        rc = open_value(root, KEYRING_PATH, v, vlen, &pt, &plen);
        if (rc == CF_EIO)
            rc = CF_EDENIED;
    }
    cf_free_secret(v, vlen);
    if (rc)
        return rc;
    rc = parse_keyring(pt, plen, terms, n, active);
    cf_free_secret(pt, plen + 1);
    return rc;
}

/* Another node may have rotated (HA): pick up its keyring. Exclusive lock
 * held, unsealed. Keeps the current keyring if the stored one is older. */
static int reload_locked(struct cf_barrier *b)
{
    struct term *t;
    size_t n, act;
    int rc = load_keyring(b->phys, b->root, &t, &n, &act);
    if (rc)
        return rc;
    if (t[act].term < b->terms[b->active].term) {
        free_terms(t, n);
        return 0;
    }
    if (t[act].term != b->terms[b->active].term) {
        atomic_store(&b->encryptions, 0);
        b->synced = 0;
    }
    free_terms(b->terms, b->nterms);
    b->terms = t;
    b->nterms = n;
    b->active = act;
    return 0;
}

static const struct term *find_term(const struct cf_barrier *b, uint32_t term)
{
    for (size_t i = 0; i < b->nterms; i++)
        if (b->terms[i].term == term)
            return &b->terms[i];
    return NULL;
}

void cf_rotate_config_default(struct cf_rotate_config *out)
{
    *out = (struct cf_rotate_config){CF_ROTATE_MAX_OPS_DEFAULT, 0, 1};
}

int cf_rotate_due(const struct cf_rotate_config *cfg, unsigned long long encryptions,
                  int64_t install_ns, int64_t now_ns)
{
    if (!cfg->enabled)
        return 0;
    if (encryptions >= cfg->max_operations)
        return 1;
    return cfg->interval_secs > 0 &&
        now_ns >= cf_time_add_secs(install_ns, cfg->interval_secs);
}

static int rotate_config_valid(const struct cf_rotate_config *c)
{
    return c->max_operations >= 1 && c->interval_secs >= 0;
}

/* The stored rotation record: CF_ENOENT when there is none, CF_EIO when
 * it fails to open or parse. Lock held, unsealed. */
static int read_rotation_locked(struct cf_barrier *b, struct cf_rotate_config *cfg,
                                uint32_t *term, unsigned long long *count)
{
    uint8_t *v, *pt = NULL;
    size_t vlen, plen = 0;
    uint32_t vt;
    int rc = cf_physical_get(b->phys, ROTATE_PATH, &v, &vlen);
    if (rc)
        return rc;
    const struct term *t = NULL;
    rc = value_term(v, vlen, &vt);
    if (!rc && !(t = find_term(b, vt)))
        rc = CF_EIO;
    if (!rc)
        rc = open_value(t->key, ROTATE_PATH, v, vlen, &pt, &plen);
    free(v);
    if (rc)
        return rc;
    if (plen != ROTATE_LEN || pt[0] != ROTATE_FORMAT) {
        rc = CF_EIO;
    } else {
        cfg->enabled = pt[1] != 0;
        cfg->max_operations = get64(pt + 2);
        cfg->interval_secs = (long long)get64(pt + 10);
        *term = get32(pt + 18);
        *count = get64(pt + 22);
        if (!rotate_config_valid(cfg))
            rc = CF_EIO;
    }
    free(pt);
    return rc;
}

/* Stores the config in force with the active term's count. Exclusive lock
 * held, unsealed. */
static int write_rotation_locked(struct cf_barrier *b)
{
    const struct term *t = &b->terms[b->active];
    unsigned long long n = atomic_load(&b->encryptions);
    uint8_t pt[ROTATE_LEN], *v;
    size_t vlen;
    pt[0] = ROTATE_FORMAT;
    pt[1] = b->rot.enabled ? 1 : 0;
    put64(pt + 2, b->rot.max_operations);
    put64(pt + 10, (uint64_t)b->rot.interval_secs);
    put32(pt + 18, t->term);
    put64(pt + 22, n);
    int rc = seal_value(t->key, t->term, ROTATE_PATH, pt, sizeof pt, &v, &vlen);
    if (rc)
        return rc;
    atomic_fetch_add(&b->encryptions, 1);
    rc = cf_physical_put(b->phys, ROTATE_PATH, v, vlen);
    free(v);
    if (!rc)
        b->synced = n;
    return rc;
}

/* Adopts the stored record: its config, and the encryptions another node
 * added under the active term since this node last synced. A missing
 * record leaves the defaults; an unreadable one too (they are the safe
 * side), and the next write_rotation_locked replaces it. */
static int adopt_rotation_locked(struct cf_barrier *b)
{
    struct cf_rotate_config cfg;
    uint32_t term;
    unsigned long long count;
    int rc = read_rotation_locked(b, &cfg, &term, &count);
    if (rc == CF_ENOENT || rc == CF_EIO)
        return 0;
    if (rc)
        return rc;
    b->rot = cfg;
    if (term == b->terms[b->active].term && count > b->synced) {
        atomic_fetch_add(&b->encryptions, count - b->synced);
        b->synced = count;
    }
    return 0;
}

int cf_barrier_new(struct cf_physical *phys, struct cf_barrier **out)
{
    struct cf_barrier *b = calloc(1, sizeof *b);
    if (!b)
        return CF_ENOMEM;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* A steady stream of readers must not starve seal or rotate. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&b->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc) {
        free(b);
        return CF_ENOMEM;
    }
    b->phys = phys;
    b->sealed = 1;
    atomic_init(&b->encryptions, 0);
    cf_rotate_config_default(&b->rot);
    *out = b;
    return 0;
}

void cf_barrier_free(struct cf_barrier *b)
{
    if (!b)
        return;
    cf_barrier_seal(b);
    pthread_rwlock_destroy(&b->lock);
    cf_free_secret(b, sizeof *b);
}

int cf_barrier_initialized(struct cf_barrier *b, int *out)
{
    uint8_t *v;
    size_t len;
    int rc = cf_physical_get(b->phys, KEYRING_PATH, &v, &len);
    if (rc == CF_ENOENT) {
        *out = 0;
        return 0;
    }
    if (rc)
        return rc;
    cf_free_secret(v, len);
    *out = 1;
    return 0;
}

int cf_barrier_initialize(struct cf_barrier *b, const uint8_t *root_key, size_t len)
{
    if (!root_key || len != CF_ROOT_KEY_LEN)
        return CF_EINVAL;
    struct term *t = calloc(1, sizeof *t);
    if (!t)
        return CF_ENOMEM;
    t->term = 1;
    t->install_ns = cf_now_ns();
    int rc = gnutls_rnd(GNUTLS_RND_KEY, t->key, sizeof t->key) ? CF_EIO : 0;
    /* Exclusive so two initializations cannot both see "no keyring". */
    pthread_rwlock_wrlock(&b->lock);
    int init = 0;
    if (!rc)
        rc = cf_barrier_initialized(b, &init);
    if (!rc && init)
        rc = CF_EEXIST;
    if (!rc)
        rc = write_keyring(b->phys, root_key, t, 1, 0);
    pthread_rwlock_unlock(&b->lock);
    free_terms(t, 1);
    return rc;
}

int cf_barrier_unseal(struct cf_barrier *b, const uint8_t *root_key, size_t len)
{
    if (!root_key || len != CF_ROOT_KEY_LEN)
        return CF_EINVAL;
    pthread_rwlock_wrlock(&b->lock);
    int rc = 0;
    if (b->sealed) {
        struct term *t;
        size_t n, act;
        rc = load_keyring(b->phys, root_key, &t, &n, &act);
        if (!rc) {
            memcpy(b->root, root_key, CF_ROOT_KEY_LEN);
            b->terms = t;
            b->nterms = n;
            b->active = act;
            atomic_store(&b->encryptions, 0);
            b->synced = 0;
            cf_rotate_config_default(&b->rot);
            rc = adopt_rotation_locked(b);
            if (rc) {
                free_terms(b->terms, b->nterms);
                b->terms = NULL;
                b->nterms = 0;
                cf_zero(b->root, sizeof b->root);
            } else {
                b->sealed = 0;
            }
        }
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_seal(struct cf_barrier *b)
{
    pthread_rwlock_wrlock(&b->lock);
    free_terms(b->terms, b->nterms);
    b->terms = NULL;
    b->nterms = 0;
    b->active = 0;
    cf_zero(b->root, sizeof b->root);
    b->sealed = 1;
    pthread_rwlock_unlock(&b->lock);
    return 0;
}

int cf_barrier_sealed(struct cf_barrier *b)
{
    pthread_rwlock_rdlock(&b->lock);
    int s = b->sealed;
    pthread_rwlock_unlock(&b->lock);
    return s;
}

/* Counts n encryptions under the active term; says whether that reached
 * max_operations. Shared lock held: a cheap compare on the write path. */
static int count_locked(struct cf_barrier *b, unsigned long long n)
{
    unsigned long long now = atomic_fetch_add(&b->encryptions, n) + n;
    return b->rot.enabled && now >= b->rot.max_operations;
}

/* The write path's rotation, once its shared lock is released (rotating
 * needs the exclusive one). The write itself already succeeded, so a
 * failed rotation is left to the next write or housekeeping tick. */
static void rotate_after(struct cf_barrier *b, int due)
{
    int rotated;
    if (due)
        cf_barrier_rotate_if_due(b, NULL, &rotated);
}

int cf_barrier_get(struct cf_barrier *b, const char *key, uint8_t **val, size_t *len)
{
    if (!key || reserved(key))
        return CF_EINVAL;
    pthread_rwlock_rdlock(&b->lock);
    if (b->sealed) {
        pthread_rwlock_unlock(&b->lock);
        return CF_ESEALED;
    }
    uint8_t *v;
    size_t vlen;
    uint32_t term;
    int rc = cf_physical_get(b->phys, key, &v, &vlen);
    if (rc) {
        pthread_rwlock_unlock(&b->lock);
        return rc;
    }
    rc = value_term(v, vlen, &term);
    const struct term *t = rc ? NULL : find_term(b, term);
    if (!rc && !t) {
        /* A term we do not know was added by another node's rotate. */
        pthread_rwlock_unlock(&b->lock);
        pthread_rwlock_wrlock(&b->lock);
        if (b->sealed) {
            rc = CF_ESEALED;
        } else {
            reload_locked(b);
            t = find_term(b, term);
        }
    }
    if (!rc)
        rc = t ? open_value(t->key, key, v, vlen, val, len) : CF_EIO;
    pthread_rwlock_unlock(&b->lock);
    cf_free_secret(v, vlen);
    return rc;
}

int cf_barrier_put(struct cf_barrier *b, const char *key, const uint8_t *val, size_t len)
{
    if (!key || !*key || reserved(key) || (!val && len))
        return CF_EINVAL;
    pthread_rwlock_rdlock(&b->lock);
    if (b->sealed) {
        pthread_rwlock_unlock(&b->lock);
        return CF_ESEALED;
    }
    const struct term *t = &b->terms[b->active];
    uint8_t *v;
    size_t vlen;
    int due = 0;
    int rc = seal_value(t->key, t->term, key, val, len, &v, &vlen);
    if (!rc) {
        due = count_locked(b, 1);
        rc = cf_physical_put(b->phys, key, v, vlen);
        free(v);
    }
    pthread_rwlock_unlock(&b->lock);
    rotate_after(b, due);
    return rc;
}

int cf_barrier_delete(struct cf_barrier *b, const char *key)
{
    if (!key || reserved(key))
        return CF_EINVAL;
    pthread_rwlock_rdlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : cf_physical_delete(b->phys, key);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_list(struct cf_barrier *b, const char *prefix, char ***keys, size_t *n)
{
    if (!prefix)
        return CF_EINVAL;
    pthread_rwlock_rdlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : cf_physical_list(b->phys, prefix, keys, n);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

/* Exclusive lock held, unsealed. */
static int rotate_locked(struct cf_barrier *b)
{
    /* Start from the stored keyring: rotating from a stale copy would drop
     * the terms another node added, and their values with them. */
    int rc = reload_locked(b);
    size_t n = b->nterms + 1;
    struct term *t = rc ? NULL : calloc(n, sizeof *t);
    if (!rc && !t)
        rc = CF_ENOMEM;
    if (!rc) {
        memcpy(t, b->terms, b->nterms * sizeof *t);
        t[n - 1].term = b->terms[b->nterms - 1].term + 1;
        t[n - 1].install_ns = cf_now_ns();
        if (gnutls_rnd(GNUTLS_RND_KEY, t[n - 1].key, CF_AEAD_KEY_LEN))
            rc = CF_EIO;
    }
    if (!rc)
        rc = write_keyring(b->phys, b->root, t, n, n - 1);
    if (!rc) {
        free_terms(b->terms, b->nterms);
        b->terms = t;
        b->nterms = n;
        b->active = n - 1;
        atomic_store(&b->encryptions, 0);
        b->synced = 0;
    } else if (t) {
        free_terms(t, n);
    }
    return rc;
}

int cf_barrier_rotate(struct cf_barrier *b)
{
    pthread_rwlock_wrlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : rotate_locked(b);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

/* Exclusive lock held, unsealed. Re-checks under the lock so that the
 * writers that all crossed max_operations together rotate once. */
static int rotate_if_due_locked(struct cf_barrier *b, const struct cf_rotate_config *cfg,
                                int *rotated)
{
    const struct term *t = &b->terms[b->active];
    *rotated = 0;
    if (!cf_rotate_due(cfg ? cfg : &b->rot, atomic_load(&b->encryptions), t->install_ns,
                       cf_now_ns()))
        return 0;
    int rc = rotate_locked(b);
    *rotated = !rc;
    return rc;
}

int cf_barrier_rotate_if_due(struct cf_barrier *b, const struct cf_rotate_config *cfg,
                             int *rotated)
{
    *rotated = 0;
    pthread_rwlock_wrlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : rotate_if_due_locked(b, cfg, rotated);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_housekeep(struct cf_barrier *b, int *rotated)
{
    *rotated = 0;
    pthread_rwlock_wrlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : adopt_rotation_locked(b);
    if (!rc)
        rc = write_rotation_locked(b);
    if (!rc)
        rc = rotate_if_due_locked(b, NULL, rotated);
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_rotate_config(struct cf_barrier *b, struct cf_rotate_config *out)
{
    pthread_rwlock_rdlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : 0;
    if (!rc)
        *out = b->rot;
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_set_rotate_config(struct cf_barrier *b, const struct cf_rotate_config *cfg)
{
    if (!rotate_config_valid(cfg))
        return CF_EINVAL;
    pthread_rwlock_wrlock(&b->lock);
    int rc = b->sealed ? CF_ESEALED : adopt_rotation_locked(b);
    struct cf_rotate_config old = b->rot;
    if (!rc) {
        b->rot = *cfg;
        b->rot.enabled = cfg->enabled != 0;
        rc = write_rotation_locked(b);
        if (rc)
            b->rot = old;
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_key_status(struct cf_barrier *b, unsigned *term, int64_t *install_time_ns,
                          unsigned long long *encryptions)
{
    pthread_rwlock_rdlock(&b->lock);
    int rc = 0;
    if (b->sealed) {
        rc = CF_ESEALED;
    } else {
        *term = b->terms[b->active].term;
        *install_time_ns = b->terms[b->active].install_ns;
        *encryptions = atomic_load(&b->encryptions);
    }
    pthread_rwlock_unlock(&b->lock);
    return rc;
}

int cf_barrier_txn(struct cf_barrier *b, const struct coffer_txn_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ops[i].key || !*ops[i].key || reserved(ops[i].key) ||
            (ops[i].kind == CF_TXN_PUT && !ops[i].value && ops[i].value_len))
            return CF_EINVAL;
    pthread_rwlock_rdlock(&b->lock);
    if (b->sealed) {
        pthread_rwlock_unlock(&b->lock);
        return CF_ESEALED;
    }
    struct coffer_txn_op *enc = calloc(n ? n : 1, sizeof *enc);
    int rc = enc ? 0 : CF_ENOMEM, due = 0;
    const struct term *t = &b->terms[b->active];
    for (size_t i = 0; !rc && i < n; i++) {
        enc[i] = ops[i];
        if (ops[i].kind != CF_TXN_PUT)
            continue;
        uint8_t *v;
        size_t vlen;
        rc = seal_value(t->key, t->term, ops[i].key, ops[i].value, ops[i].value_len, &v,
                        &vlen);
        if (!rc) {
            due |= count_locked(b, 1);
            enc[i].value = v;
            enc[i].value_len = vlen;
        } else {
            enc[i].kind = CF_TXN_DELETE; /* nothing to free for this slot */
        }
    }
    if (!rc)
        rc = cf_physical_txn(b->phys, enc, n);
    for (size_t i = 0; enc && i < n; i++)
        if (ops[i].kind == CF_TXN_PUT && enc[i].value != ops[i].value)
            free((void *)enc[i].value);
    free(enc);
    pthread_rwlock_unlock(&b->lock);
    rotate_after(b, due);
    return rc;
}
