/* The physical read cache: a second read is served without the plugin,
 * writes, deletes and transactions go through it and update it, a failed
 * write forgets the key, missing keys are remembered, the oldest entry
 * goes past max entries, too-long values are not held, and turning the
 * cache on or off empties it (a node that stops being the only writer). */
#include "cf_test.h"
#include "plugin/cache.h"
#include "plugin/physical.h"
#include <coffer/errors.h>
#include <coffer/storage.h>
#include <stdlib.h>
#include <string.h>

/* A store of up to 64 keys that counts the calls reaching it. */
struct store {
    char *k[64];
    uint8_t *v[64];
    size_t len[64], n;
    int gets, puts, fail_puts;
};

static int find(struct store *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->k[i], key))
            return (int)i;
    return -1;
}

static int sget(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct store *s = inst;
    s->gets++;
    int i = find(s, key);
    if (i < 0)
        return CF_ENOENT;
    *val = malloc(s->len[i] + 1);
    memcpy(*val, s->v[i], s->len[i]);
    *len = s->len[i];
    return 0;
}

static int sput(void *inst, const char *key, const uint8_t *val, size_t len)
{
    struct store *s = inst;
    s->puts++;
    if (s->fail_puts)
        return CF_EIO;
    int i = find(s, key);
    if (i < 0) {
        i = (int)s->n++;
        s->k[i] = strdup(key);
    } else {
        free(s->v[i]);
    }
    s->v[i] = malloc(len + 1);
    memcpy(s->v[i], val, len);
    s->len[i] = len;
    return 0;
}

static int sdel(void *inst, const char *key)
{
    struct store *s = inst;
    int i = find(s, key);
    if (i >= 0) {
        free(s->k[i]);
        free(s->v[i]);
        s->n--;
        s->k[i] = s->k[s->n];
        s->v[i] = s->v[s->n];
        s->len[i] = s->len[s->n];
    }
    return 0;
}

static void sclose(void *inst)
{
    struct store *s = inst;
    while (s->n)
        sdel(s, s->k[0]);
}

static const struct coffer_storage VT = {
    .struct_size = sizeof(struct coffer_storage),
    .close = sclose,
    .get = sget,
    .put = sput,
    .del = sdel,
};

static struct store S;

static struct cf_physical *open_cached(size_t entries)
{
    memset(&S, 0, sizeof S);
    struct cf_physical *p = NULL;
    CF_ASSERT_INT_EQ(cf_physical_new(&VT, &S, "count", NULL, NULL, &p), 0);
    CF_ASSERT_INT_EQ(cf_physical_cache_init(p, entries), 0);
    cf_physical_cache_enable(p, 1);
    return p;
}

/* value of key as a string, or "-" when missing */
static const char *get_str(struct cf_physical *p, const char *key)
{
    static char out[64];
    uint8_t *v;
    size_t len;
    int rc = cf_physical_get(p, key, &v, &len);
    if (rc)
        return rc == CF_ENOENT ? "-" : "error";
    snprintf(out, sizeof out, "%.*s", (int)len, (const char *)v);
    free(v);
    return out;
}

static void test_read_through_write_through(void)
{
    struct cf_physical *p = open_cached(16);
    CF_ASSERT_INT_EQ(cf_physical_put(p, "a", (const uint8_t *)"1", 1), 0);
    CF_ASSERT_STR_EQ(get_str(p, "a"), "1");
    CF_ASSERT_STR_EQ(get_str(p, "a"), "1");
    CF_ASSERT_INT_EQ(S.gets, 0); /* the put filled it */
    CF_ASSERT_STR_EQ(get_str(p, "nope"), "-");
    CF_ASSERT_STR_EQ(get_str(p, "nope"), "-");
    CF_ASSERT_INT_EQ(S.gets, 1); /* missing is remembered */
    CF_ASSERT_INT_EQ(cf_physical_put(p, "nope", (const uint8_t *)"2", 1), 0);
    CF_ASSERT_STR_EQ(get_str(p, "nope"), "2");
    CF_ASSERT_INT_EQ(cf_physical_delete(p, "a"), 0);
    CF_ASSERT_STR_EQ(get_str(p, "a"), "-");
    CF_ASSERT_INT_EQ(S.gets, 1);
    /* a failed write forgets: the next read asks the store */
    S.fail_puts = 1;
    CF_ASSERT_INT_EQ(cf_physical_put(p, "nope", (const uint8_t *)"3", 1), CF_EIO);
    S.fail_puts = 0;
    CF_ASSERT_STR_EQ(get_str(p, "nope"), "2");
    CF_ASSERT_INT_EQ(S.gets, 2);
    /* transactions (applied one by one here) update every key */
    const struct coffer_txn_op ops[2] = {
        {CF_TXN_PUT, "t1", (const uint8_t *)"x", 1},
        {CF_TXN_DELETE, "nope", NULL, 0},
    };
    CF_ASSERT_INT_EQ(cf_physical_txn(p, ops, 2), 0);
    CF_ASSERT_STR_EQ(get_str(p, "t1"), "x");
    CF_ASSERT_STR_EQ(get_str(p, "nope"), "-");
    CF_ASSERT_INT_EQ(S.gets, 2);
    size_t n;
    uint64_t hits, misses;
    CF_ASSERT_INT_EQ(cf_physical_cache_stats(p, &n, &hits, &misses), 0);
    CF_ASSERT_INT_EQ(n, 3);
    CU_ASSERT(hits >= 7);
    cf_physical_free(p);
}

static void test_eviction_and_limits(void)
{
    struct cf_physical *p = open_cached(4);
    char key[8];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CF_ASSERT_INT_EQ(cf_physical_put(p, key, (const uint8_t *)key, strlen(key)), 0);
    }
    CF_ASSERT_STR_EQ(get_str(p, "k5"), "k5");
    CF_ASSERT_INT_EQ(S.gets, 0);
    CF_ASSERT_STR_EQ(get_str(p, "k0"), "k0"); /* evicted: from the store */
    CF_ASSERT_INT_EQ(S.gets, 1);
    size_t n;
    uint64_t h, m;
    cf_physical_cache_stats(p, &n, &h, &m);
    CF_ASSERT_INT_EQ(n, 4);
    /* a value past CF_CACHE_MAX_VALUE is never held */
    size_t big = CF_CACHE_MAX_VALUE + 1;
    uint8_t *b = calloc(1, big);
    CF_ASSERT_INT_EQ(cf_physical_put(p, "big", b, big), 0);
    free(b);
    uint8_t *v;
    size_t len;
    CF_ASSERT_INT_EQ(cf_physical_get(p, "big", &v, &len), 0);
    CF_ASSERT_INT_EQ(len, big);
    free(v);
    CF_ASSERT_INT_EQ(S.gets, 2);
    cf_physical_free(p);
}

static void test_enable_empties(void)
{
    struct cf_physical *p = open_cached(16);
    CF_ASSERT_INT_EQ(cf_physical_put(p, "a", (const uint8_t *)"1", 1), 0);
    /* another node writes while this one is standby: nothing is held */
    cf_physical_cache_enable(p, 0);
    size_t n;
    uint64_t h, m;
    CF_ASSERT_INT_EQ(cf_physical_cache_stats(p, &n, &h, &m), CF_ENOENT);
    CF_ASSERT_INT_EQ(sput(&S, "a", (const uint8_t *)"2", 1), 0);
    CF_ASSERT_STR_EQ(get_str(p, "a"), "2");
    CF_ASSERT_STR_EQ(get_str(p, "a"), "2");
    CF_ASSERT_INT_EQ(S.gets, 2);
    cf_physical_cache_enable(p, 1);
    CF_ASSERT_INT_EQ(sput(&S, "a", (const uint8_t *)"3", 1), 0);
    CF_ASSERT_STR_EQ(get_str(p, "a"), "3"); /* emptied when turned on */
    cf_physical_free(p);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"read through, write through, failures forget", test_read_through_write_through},
        {"eviction and value limit", test_eviction_and_limits},
        {"turning it on or off empties it", test_enable_empties},
        {NULL, NULL},
    };
    return cf_test_run("cache", cases);
}
