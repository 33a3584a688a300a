/* A chained hash table and an LRU list under one mutex (each operation is
 * a lookup and a copy), plus 256 stripe rwlocks that order the storage
 * calls and the cache updates of one key. Entries are ciphertext from the
 * plugin, so nothing here needs zeroing beyond what free does. */
#include "plugin/cache.h"
#include <coffer/errors.h>
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 256

struct entry {
    struct entry *hnext;       /* bucket chain */
    struct entry *prev, *next; /* LRU: head most recent */
    uint64_t hash;
    uint8_t *val; /* NULL: known missing */
    size_t len;
    char key[];
};

struct cf_cache {
    pthread_rwlock_t stripe[STRIPES];
    pthread_mutex_t mu; /* the table, the list, the counts */
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    struct entry *head, *tail;
    size_t n, max;
    atomic_int enabled;
    uint64_t hits, misses;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int cf_cache_new(size_t max_entries, struct cf_cache **out)
{
    struct cf_cache *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    c->max = max_entries ? max_entries : 1;
    c->nbuckets = 64;
    while (c->nbuckets < c->max && c->nbuckets < (1u << 24))
        c->nbuckets <<= 1;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (!c->buckets) {
        free(c);
        return CF_ENOMEM;
    }
    for (int i = 0; i < STRIPES; i++)
        pthread_rwlock_init(&c->stripe[i], NULL);
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

static void lru_unlink(struct cf_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(struct cf_cache *c, struct entry *e)
{
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

/* Caller holds mu. The entry for key, and where it hangs in its chain. */
static struct entry **find(struct cf_cache *c, const char *key, uint64_t h)
{
    struct entry **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key)))
        pp = &(*pp)->hnext;
    return pp;
}

/* Caller holds mu; *pp is an entry. */
static void remove_at(struct cf_cache *c, struct entry **pp)
{
    struct entry *e = *pp;
    assert(e);
    *pp = e->hnext;
    lru_unlink(c, e);
    c->n--;
    free(e->val);
    free(e);
}

static void purge(struct cf_cache *c)
{
    for (size_t i = 0; i < c->nbuckets; i++)
        while (c->buckets[i])
            remove_at(c, &c->buckets[i]);
}

void cf_cache_free(struct cf_cache *c)
{
    if (!c)
        return;
    purge(c);
    for (int i = 0; i < STRIPES; i++)
        pthread_rwlock_destroy(&c->stripe[i]);
    pthread_mutex_destroy(&c->mu);
    free(c->buckets);
    free(c);
}

static pthread_rwlock_t *stripe_of(struct cf_cache *c, const char *key)
{
    return &c->stripe[fnv1a(key) % STRIPES];
}

void cf_cache_lock(struct cf_cache *c, const char *key, int exclusive)
{
    if (exclusive)
        pthread_rwlock_wrlock(stripe_of(c, key));
    else
        pthread_rwlock_rdlock(stripe_of(c, key));
}

void cf_cache_unlock(struct cf_cache *c, const char *key)
{
    pthread_rwlock_unlock(stripe_of(c, key));
}

/* The distinct stripes of keys, ascending, in idx[]; their count. */
static size_t stripes_of(const char *const *keys, size_t n, unsigned idx[STRIPES])
{
    unsigned char seen[STRIPES] = {0};
    for (size_t i = 0; i < n; i++)
        seen[fnv1a(keys[i]) % STRIPES] = 1;
    size_t m = 0;
    for (unsigned i = 0; i < STRIPES; i++)
        if (seen[i])
            idx[m++] = i;
    return m;
}

void cf_cache_lock_keys(struct cf_cache *c, const char *const *keys, size_t n)
{
    unsigned idx[STRIPES];
    size_t m = stripes_of(keys, n, idx);
    for (size_t i = 0; i < m; i++)
        pthread_rwlock_wrlock(&c->stripe[idx[i]]);
}

void cf_cache_unlock_keys(struct cf_cache *c, const char *const *keys, size_t n)
{
    unsigned idx[STRIPES];
    size_t m = stripes_of(keys, n, idx);
    for (size_t i = m; i-- > 0;)
        pthread_rwlock_unlock(&c->stripe[idx[i]]);
}

int cf_cache_get(struct cf_cache *c, const char *key, uint8_t **val, size_t *len)
{
    if (!atomic_load(&c->enabled))
        return 0;
    uint64_t h = fnv1a(key);
    pthread_mutex_lock(&c->mu);
    struct entry *e = *find(c, key, h);
    int rc = 0;
    if (!e) {
        c->misses++;
    } else {
        c->hits++;
        lru_unlink(c, e);
        lru_front(c, e);
        *val = NULL;
        *len = 0;
        rc = 1;
        if (e->val) {
            /* one byte more, as the plugins allocate */
            uint8_t *v = malloc(e->len + 1);
            if (!v) {
                rc = CF_ENOMEM;
            } else {
                memcpy(v, e->val, e->len);
                *val = v;
                *len = e->len;
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void cf_cache_drop(struct cf_cache *c, const char *key)
{
    uint64_t h = fnv1a(key);
    pthread_mutex_lock(&c->mu);
    struct entry **pp = find(c, key, h);
    if (*pp)
        remove_at(c, pp);
    pthread_mutex_unlock(&c->mu);
}

void cf_cache_set(struct cf_cache *c, const char *key, const uint8_t *val, size_t len)
{
    if (!atomic_load(&c->enabled))
        return;
    if (val && len > CF_CACHE_MAX_VALUE) {
        cf_cache_drop(c, key);
        return;
    }
    size_t klen = strlen(key);
    struct entry *e = malloc(sizeof *e + klen + 1);
    uint8_t *copy = val ? malloc(len ? len : 1) : NULL;
    if (!e || (val && !copy)) {
        free(e);
        free(copy);
        cf_cache_drop(c, key);
        return;
    }
    if (val)
        memcpy(copy, val, len);
    memcpy(e->key, key, klen + 1);
    e->hash = fnv1a(key);
    e->val = copy;
    e->len = val ? len : 0;
    e->prev = e->next = NULL;
    pthread_mutex_lock(&c->mu);
    struct entry **pp = find(c, key, e->hash);
    if (*pp)
        remove_at(c, pp);
    /* room first, so the new entry is never the one evicted */
    while (c->n >= c->max && c->tail) {
        struct entry **old = find(c, c->tail->key, c->tail->hash);
        assert(*old == c->tail);
        remove_at(c, old);
    }
    pp = &c->buckets[e->hash & (c->nbuckets - 1)];
    e->hnext = *pp;
    *pp = e;
    lru_front(c, e);
    c->n++;
    pthread_mutex_unlock(&c->mu);
}

void cf_cache_enable(struct cf_cache *c, int on)
{
    for (int i = 0; i < STRIPES; i++)
        pthread_rwlock_wrlock(&c->stripe[i]);
    pthread_mutex_lock(&c->mu);
    purge(c);
    atomic_store(&c->enabled, on != 0);
    pthread_mutex_unlock(&c->mu);
    for (int i = STRIPES; i-- > 0;)
        pthread_rwlock_unlock(&c->stripe[i]);
}

int cf_cache_enabled(struct cf_cache *c) { return atomic_load(&c->enabled); }

void cf_cache_stats(struct cf_cache *c, size_t *entries, uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&c->mu);
    *entries = c->n;
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->mu);
}
