/* A direct-mapped table of 256 slots keyed by the sorted policy names,
 * each length-prefixed so that no two sets share a key ("a\nb" is one
 * name, not two). An entry is good while the store's generation is the
 * one read before its ACL was built: a policy written during the build
 * moves the generation on, and the next request builds again. */
#include "auth/acl_cache.h"
#include "auth/policy_store.h"
#include "util/buf.h"
#include <coffer/errors.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 256

struct slot {
    char *key;
    unsigned long gen;
    struct cf_acl *acl; /* the slot's reference */
};

struct cf_acl_cache {
    pthread_mutex_t mu;
    struct slot s[SLOTS];
};

int cf_acl_cache_new(struct cf_acl_cache **out)
{
    struct cf_acl_cache *c = calloc(1, sizeof *c);
    if (!c)
        return CF_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

void cf_acl_cache_free(struct cf_acl_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SLOTS; i++) {
        free(c->s[i].key);
        cf_acl_free(c->s[i].acl);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "<len>:<name>" for each name in sorted order. */
static char *set_key(char *const *policies, size_t n)
{
    char *local[16], **v = n <= 16 ? local : malloc(n * sizeof *v);
    if (!v)
        return NULL;
    memcpy(v, policies, n * sizeof *v);
    qsort(v, n, sizeof *v, by_name);
    struct cf_buf b = {0};
    int rc = cf_buf_puts(&b, "");
    for (size_t i = 0; !rc && i < n; i++)
        rc = cf_buf_printf(&b, "%zu:%s", strlen(v[i]), v[i]);
    if (v != local)
        free(v);
    if (rc) {
        free(b.data);
        return NULL;
    }
    return cf_buf_take(&b);
}

static unsigned hash(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % SLOTS;
}

int cf_acl_cache_get(struct cf_acl_cache *c, struct cf_policy_store *ps,
                     char *const *policies, size_t n, struct cf_acl **out)
{
    char *key = set_key(policies, n);
    if (!key)
        return CF_ENOMEM;
    struct slot *s = &c->s[hash(key)];
    unsigned long gen = cf_policy_store_generation(ps);
    pthread_mutex_lock(&c->mu);
    if (s->key && s->gen == gen && !strcmp(s->key, key)) {
        *out = cf_acl_ref(s->acl);
        pthread_mutex_unlock(&c->mu);
        free(key);
        return 0;
    }
    pthread_mutex_unlock(&c->mu);
    struct cf_acl *acl;
    int rc = cf_acl_new(ps, policies, n, &acl);
    if (rc) {
        free(key);
        return rc;
    }
    pthread_mutex_lock(&c->mu);
    char *old_key = s->key;
    struct cf_acl *old = s->acl;
    s->key = key;
    s->gen = gen;
    s->acl = cf_acl_ref(acl);
    pthread_mutex_unlock(&c->mu);
    free(old_key);
    cf_acl_free(old);
    *out = acl;
    return 0;
}
