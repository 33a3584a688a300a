/* Tests for core/barrier.c: encryption at rest over an in-memory physical,
 * tamper and relocation detection, seal state, rotation and concurrency. */
#include "seal/barrier.h"
#include "cf_test.h"
#include "mem_storage.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    uint8_t root[CF_ROOT_KEY_LEN];
};

/* Initialized and unsealed barrier on a fresh store. */
static void fx_open(struct fx *f)
{
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_random_bytes(f->root, sizeof f->root), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(f->b, f->root, sizeof f->root), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f->b, f->root, sizeof f->root), 0);
}

static void fx_close(struct fx *f)
{
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

static int get_str(struct cf_barrier *b, const char *key, char **out)
{
    uint8_t *v;
    size_t n;
    int rc = cf_barrier_get(b, key, &v, &n);
    if (rc)
        return rc;
    *out = (char *)v; /* the barrier NUL-terminates */
    return 0;
}

static void check_value(struct cf_barrier *b, const char *key, const char *want)
{
    char *got = NULL;
    CF_ASSERT_INT_EQ(get_str(b, key, &got), 0);
    CF_ASSERT_STR_EQ(got, want);
    free(got);
}

static int put_str(struct cf_barrier *b, const char *key, const char *v)
{
    return cf_barrier_put(b, key, (const uint8_t *)v, strlen(v));
}

static uint32_t stored_term(struct cf_physical *p, const char *key)
{
    uint8_t *v;
    size_t n;
    if (cf_physical_get(p, key, &v, &n) || n < 5)
        return 0;
    uint32_t t = (uint32_t)v[1] << 24 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 8 | v[4];
    free(v);
    return t;
}

static void test_sealed_refuses(void)
{
    struct cf_physical *p;
    struct cf_barrier *b;
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&p), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(p, &b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(b), 1);
    uint8_t *v;
    size_t n;
    char **keys;
    unsigned term;
    int64_t t;
    unsigned long long enc;
    CF_ASSERT_INT_EQ(cf_barrier_get(b, "a", &v, &n), CF_ESEALED);
    CF_ASSERT_INT_EQ(put_str(b, "a", "x"), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_delete(b, "a"), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_list(b, "", &keys, &n), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_rotate(b), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_key_status(b, &term, &t, &enc), CF_ESEALED);
    /* Nothing reached storage. */
    CF_ASSERT_INT_EQ(cf_physical_get(p, "a", &v, &n), CF_ENOENT);
    /* Seal is idempotent. */
    CF_ASSERT_INT_EQ(cf_barrier_seal(b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_seal(b), 0);
    cf_barrier_free(b);
    cf_physical_free(p);
}

static void test_initialize(void)
{
    struct cf_physical *p;
    struct cf_barrier *b;
    uint8_t root[32] = {1, 2, 3};
    int init = -1;
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&p), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(p, &b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialized(b, &init), 0);
    CF_ASSERT_INT_EQ(init, 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(b, root, 32), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(b, root, 16), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(b, NULL, 32), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(b, root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_initialized(b, &init), 0);
    CF_ASSERT_INT_EQ(init, 1);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(b), 1);
    CF_ASSERT_INT_EQ(cf_barrier_initialize(b, root, 32), CF_EEXIST);
    /* The keyring at rest is ciphertext under term 0 (the root key). */
    CF_ASSERT_INT_EQ(stored_term(p, "core/keyring"), 0);
    cf_barrier_free(b);
    cf_physical_free(p);
}

static void test_wrong_root_key(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "k", "v"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    uint8_t wrong[32];
    memcpy(wrong, f.root, 32);
    wrong[31] ^= 1;
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, wrong, 32), CF_EDENIED);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 1);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 31), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 1);
    char *s;
    CF_ASSERT_INT_EQ(get_str(f.b, "k", &s), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 0);
    check_value(f.b, "k", "v");
    /* Unsealing an unsealed barrier is a no-op. */
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    fx_close(&f);
}

static void test_round_trip(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "secret/app", "hunter2-plaintext"), 0);
    check_value(f.b, "secret/app", "hunter2-plaintext");
    CF_ASSERT_INT_EQ(put_str(f.b, "secret/app", "second"), 0);
    check_value(f.b, "secret/app", "second");
    /* Binary with NUL bytes, and an empty value. */
    uint8_t bin[5] = {0, 1, 0, 255, 0};
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "bin", bin, sizeof bin), 0);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "bin", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 5);
    CF_ASSERT_INT_EQ(memcmp(v, bin, 5), 0);
    cf_free_secret(v, n);
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "empty", NULL, 0), 0);
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "empty", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 0);
    CU_ASSERT(v != NULL);
    free(v);
    /* Missing and deleted keys. */
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "nope", &v, &n), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_barrier_delete(f.b, "secret/app"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "secret/app", &v, &n), CF_ENOENT);
    /* Bad arguments. */
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "", bin, 1), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "x", NULL, 3), CF_EINVAL);
    fx_close(&f);
}

/* Transactions: encrypted like puts, applied in order on a store without
 * txn support, refused whole for a reserved key or while sealed. */
static void test_txn(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "gone", "x"), 0);
    const struct coffer_txn_op ops[3] = {
        {CF_TXN_PUT, "a/1", (const uint8_t *)"one", 3},
        {CF_TXN_PUT, "a/2", (const uint8_t *)"two", 3},
        {CF_TXN_DELETE, "gone", NULL, 0},
    };
    CF_ASSERT_INT_EQ(cf_barrier_txn(f.b, ops, 3), 0);
    check_value(f.b, "a/1", "one");
    check_value(f.b, "a/2", "two");
    CF_ASSERT_INT_EQ(stored_term(f.phys, "a/1"), 1);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "gone", &v, &n), CF_ENOENT);
    const struct coffer_txn_op bad[2] = {
        {CF_TXN_PUT, "a/3", (const uint8_t *)"three", 5},
        {CF_TXN_PUT, "core/keyring", (const uint8_t *)"x", 1},
    };
    CF_ASSERT_INT_EQ(cf_barrier_txn(f.b, bad, 2), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "a/3", &v, &n), CF_ENOENT);
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_txn(f.b, ops, 3), CF_ESEALED);
    fx_close(&f);
}

/* The one-by-one fallback now lives in cf_physical_txn: an op kind it
 * cannot apply is refused before anything is written. */
static void test_physical_txn_fallback(void)
{
    struct cf_physical *p;
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&p), 0);
    const struct coffer_txn_op ops[2] = {
        {CF_TXN_PUT, "x", (const uint8_t *)"1", 1},
        {CF_TXN_PUT, "y", (const uint8_t *)"2", 1},
    };
    CF_ASSERT_INT_EQ(cf_physical_txn(p, ops, 2), 0);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_get(p, "y", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 1);
    free(v);
    const struct coffer_txn_op bad[2] = {
        {CF_TXN_DELETE, "x", NULL, 0},
        {(enum coffer_txn_kind)99, "y", NULL, 0},
    };
    CF_ASSERT_INT_EQ(cf_physical_txn(p, bad, 2), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_physical_get(p, "x", &v, &n), 0);
    free(v);
    CF_ASSERT_INT_EQ(cf_physical_txn(p, ops, 0), 0);
    cf_physical_free(p);
}

static void test_ciphertext_at_rest(void)
{
    struct fx f;
    fx_open(&f);
    const char *pt = "very-recognisable-plaintext";
    CF_ASSERT_INT_EQ(put_str(f.b, "k", pt), 0);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "k", &v, &n), 0);
    /* version | term | nonce | ciphertext | tag */
    CF_ASSERT_INT_EQ(n, 1 + 4 + 12 + strlen(pt) + 16);
    CF_ASSERT_INT_EQ(v[0], 1);
    CF_ASSERT_INT_EQ(stored_term(f.phys, "k"), 1);
    CU_ASSERT(memmem(v, n, "recognisable", 12) == NULL);
    /* Two writes of one value differ (fresh nonce). */
    uint8_t *v2;
    size_t n2;
    CF_ASSERT_INT_EQ(put_str(f.b, "k", pt), 0);
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "k", &v2, &n2), 0);
    CF_ASSERT_INT_EQ(n2, n);
    CU_ASSERT(memcmp(v, v2, n) != 0);
    free(v);
    free(v2);
    fx_close(&f);
}

static void test_tamper_detected(void)
{
    struct fx f;
    fx_open(&f);
    const char *pt = "tamper-me";
    CF_ASSERT_INT_EQ(put_str(f.b, "k", pt), 0);
    uint8_t *orig;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "k", &orig, &n), 0);
    /* Every byte: version, term, nonce, ciphertext and tag. */
    for (size_t i = 0; i < n; i++) {
        uint8_t *t = malloc(n);
        memcpy(t, orig, n);
        t[i] ^= 0x40;
        CF_ASSERT_INT_EQ(cf_physical_put(f.phys, "k", t, n), 0);
        char *s = NULL;
        int rc = get_str(f.b, "k", &s);
        CF_ASSERT_INT_EQ(rc, CF_EIO);
        if (!rc)
            free(s);
        free(t);
    }
    /* Truncated, and too short to be a value at all. */
    CF_ASSERT_INT_EQ(cf_physical_put(f.phys, "k", orig, n - 1), 0);
    char *s;
    CF_ASSERT_INT_EQ(get_str(f.b, "k", &s), CF_EIO);
    CF_ASSERT_INT_EQ(cf_physical_put(f.phys, "k", (const uint8_t *)"\1abc", 4), 0);
    CF_ASSERT_INT_EQ(get_str(f.b, "k", &s), CF_EIO);
    /* The original still opens. */
    CF_ASSERT_INT_EQ(cf_physical_put(f.phys, "k", orig, n), 0);
    check_value(f.b, "k", pt);
    free(orig);
    fx_close(&f);
}

static void test_value_bound_to_key(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "secret/alice", "alice-value"), 0);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "secret/alice", &v, &n), 0);
    CF_ASSERT_INT_EQ(cf_physical_put(f.phys, "secret/mallory", v, n), 0);
    free(v);
    char *s;
    CF_ASSERT_INT_EQ(get_str(f.b, "secret/mallory", &s), CF_EIO);
    check_value(f.b, "secret/alice", "alice-value");
    fx_close(&f);
}

static void test_reserved_keys(void)
{
    struct fx f;
    fx_open(&f);
    const char *res[] = {"core/keyring", "core/root-key", "core/seal-config",
                         "core/rotate-config"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t *v;
        size_t n;
        CF_ASSERT_INT_EQ(put_str(f.b, res[i], "x"), CF_EINVAL);
        CF_ASSERT_INT_EQ(cf_barrier_delete(f.b, res[i]), CF_EINVAL);
        CF_ASSERT_INT_EQ(cf_barrier_get(f.b, res[i], &v, &n), CF_EINVAL);
    }
    /* Exact names only: neighbours are ordinary keys. */
    CF_ASSERT_INT_EQ(put_str(f.b, "core/keyring2", "ok"), 0);
    check_value(f.b, "core/keyring2", "ok");
    CF_ASSERT_INT_EQ(put_str(f.b, "core/leader/abc", "ad"), 0);
    check_value(f.b, "core/leader/abc", "ad");
    /* The keyring survived: seal and unseal still work. */
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    check_value(f.b, "core/leader/abc", "ad");
    fx_close(&f);
}

static void test_list(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "a/b", "1"), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "a/c/d", "2"), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "z", "3"), 0);
    char **keys;
    size_t n;
    CF_ASSERT_INT_EQ(cf_barrier_list(f.b, "a/", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 2);
    if (n == 2) {
        CF_ASSERT_STR_EQ(keys[0], "b");
        CF_ASSERT_STR_EQ(keys[1], "c/");
    }
    cf_strv_free(keys, n);
    CF_ASSERT_INT_EQ(cf_barrier_list(f.b, "nothing/", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 0);
    cf_strv_free(keys, n);
    fx_close(&f);
}

static void test_seal_unseal_keeps_data(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "k", "persist"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 1);
    char *s;
    CF_ASSERT_INT_EQ(get_str(f.b, "k", &s), CF_ESEALED);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    check_value(f.b, "k", "persist");
    /* A second barrier on the same store opens it too. */
    struct cf_barrier *b2;
    CF_ASSERT_INT_EQ(cf_barrier_new(f.phys, &b2), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(b2, f.root, 32), 0);
    check_value(b2, "k", "persist");
    cf_barrier_free(b2);
    fx_close(&f);
}

static void test_rotate_and_key_status(void)
{
    struct fx f;
    fx_open(&f);
    unsigned term;
    int64_t t1, t2;
    unsigned long long enc;
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t1, &enc), 0);
    CF_ASSERT_INT_EQ(term, 1);
    CF_ASSERT_INT_EQ(enc, 0);
    CU_ASSERT(t1 > 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "old", "term-one"), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "old2", "term-one-b"), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "old2", "term-one-c"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t1, &enc), 0);
    CF_ASSERT_INT_EQ(enc, 3);
    /* Reads and deletes do not encrypt. */
    check_value(f.b, "old", "term-one");
    CF_ASSERT_INT_EQ(cf_barrier_delete(f.b, "nothing"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t1, &enc), 0);
    CF_ASSERT_INT_EQ(enc, 3);

    CF_ASSERT_INT_EQ(cf_barrier_rotate(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t2, &enc), 0);
    CF_ASSERT_INT_EQ(term, 2);
    CF_ASSERT_INT_EQ(enc, 0);
    CU_ASSERT(t2 >= t1);
    CF_ASSERT_INT_EQ(put_str(f.b, "new", "term-two"), 0);
    CF_ASSERT_INT_EQ(stored_term(f.phys, "new"), 2);
    CF_ASSERT_INT_EQ(stored_term(f.phys, "old"), 1);
    check_value(f.b, "old", "term-one");
    check_value(f.b, "new", "term-two");
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t2, &enc), 0);
    CF_ASSERT_INT_EQ(enc, 1);

    /* The new term survives seal/unseal. */
    CF_ASSERT_INT_EQ(cf_barrier_rotate(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t2, &enc), 0);
    CF_ASSERT_INT_EQ(term, 3);
    check_value(f.b, "old", "term-one");
    check_value(f.b, "new", "term-two");
    CF_ASSERT_INT_EQ(put_str(f.b, "newer", "term-three"), 0);
    CF_ASSERT_INT_EQ(stored_term(f.phys, "newer"), 3);
    fx_close(&f);
}

/* Two nodes on one store (HA): a term added by one is picked up by the
 * other on read, and rotating never drops the other's terms. */
static void test_rotate_by_another_node(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_barrier *b2;
    CF_ASSERT_INT_EQ(cf_barrier_new(f.phys, &b2), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(b2, f.root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate(f.b), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "from-b1", "t2"), 0);
    check_value(b2, "from-b1", "t2");
    CF_ASSERT_INT_EQ(cf_barrier_rotate(b2), 0);
    unsigned term;
    int64_t t;
    unsigned long long enc;
    CF_ASSERT_INT_EQ(cf_barrier_key_status(b2, &term, &t, &enc), 0);
    CF_ASSERT_INT_EQ(term, 3);
    CF_ASSERT_INT_EQ(put_str(b2, "from-b2", "t3"), 0);
    check_value(f.b, "from-b2", "t3");
    check_value(f.b, "from-b1", "t2");
    cf_barrier_free(b2);
    fx_close(&f);
}

static unsigned term_of(struct cf_barrier *b, unsigned long long *enc)
{
    unsigned term = 0;
    int64_t t;
    unsigned long long e;
    CF_ASSERT_INT_EQ(cf_barrier_key_status(b, &term, &t, enc ? enc : &e), 0);
    return term;
}

/* The decision alone: operations, age, and enabled. */
static void test_rotate_due(void)
{
    struct cf_rotate_config c;
    cf_rotate_config_default(&c);
    CF_ASSERT_INT_EQ(c.max_operations, 3865470566ULL);
    CF_ASSERT_INT_EQ(c.interval_secs, 0);
    CF_ASSERT_INT_EQ(c.enabled, 1);
    int64_t day = 86400LL * 1000000000LL, now = 1000 * day;
    CF_ASSERT_INT_EQ(cf_rotate_due(&c, 3865470565ULL, 0, now), 0);
    CF_ASSERT_INT_EQ(cf_rotate_due(&c, 3865470566ULL, 0, now), 1);
    c.interval_secs = 86400;
    CF_ASSERT_INT_EQ(cf_rotate_due(&c, 0, now - day + 1, now), 0);
    CF_ASSERT_INT_EQ(cf_rotate_due(&c, 0, now - day, now), 1);
    c.enabled = 0;
    CF_ASSERT_INT_EQ(cf_rotate_due(&c, 3865470566ULL, 0, now), 0);
}

/* A config handed in directly (max 3) rotates once the third encryption
 * is done, and only once. */
static void test_rotate_if_due(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_rotate_config c = {3, 0, 1};
    int rotated = -1;
    CF_ASSERT_INT_EQ(put_str(f.b, "a", "1"), 0);
    CF_ASSERT_INT_EQ(put_str(f.b, "b", "2"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_if_due(f.b, &c, &rotated), 0);
    CF_ASSERT_INT_EQ(rotated, 0);
    CF_ASSERT_INT_EQ(term_of(f.b, NULL), 1);
    CF_ASSERT_INT_EQ(put_str(f.b, "c", "3"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_if_due(f.b, &c, &rotated), 0);
    CF_ASSERT_INT_EQ(rotated, 1);
    unsigned long long enc;
    CF_ASSERT_INT_EQ(term_of(f.b, &enc), 2);
    CF_ASSERT_INT_EQ(enc, 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_if_due(f.b, &c, &rotated), 0);
    CF_ASSERT_INT_EQ(rotated, 0);
    c.enabled = 0;
    for (int i = 0; i < 5; i++)
        CF_ASSERT_INT_EQ(put_str(f.b, "d", "4"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_if_due(f.b, &c, &rotated), 0);
    CF_ASSERT_INT_EQ(rotated, 0);
    CF_ASSERT_INT_EQ(term_of(f.b, NULL), 2);
    check_value(f.b, "a", "1");
    check_value(f.b, "d", "4");
    fx_close(&f);
}

/* With a stored max of 3 the write path rotates by itself, puts and
 * transactions alike. Storing the config is itself one encryption. */
static void test_auto_rotate_on_write(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_rotate_config c = {3, 0, 1}, got;
    CF_ASSERT_INT_EQ(cf_barrier_set_rotate_config(f.b, &c), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_config(f.b, &got), 0);
    CF_ASSERT_INT_EQ(got.max_operations, 3);
    CF_ASSERT_INT_EQ(put_str(f.b, "a", "1"), 0);
    CF_ASSERT_INT_EQ(term_of(f.b, NULL), 1);
    CF_ASSERT_INT_EQ(put_str(f.b, "b", "2"), 0);
    CF_ASSERT_INT_EQ(term_of(f.b, NULL), 2);
    struct coffer_txn_op ops[3] = {
        {.kind = CF_TXN_PUT, .key = "t1", .value = (const uint8_t *)"x", .value_len = 1},
        {.kind = CF_TXN_PUT, .key = "t2", .value = (const uint8_t *)"y", .value_len = 1},
        {.kind = CF_TXN_PUT, .key = "t3", .value = (const uint8_t *)"z", .value_len = 1},
    };
    CF_ASSERT_INT_EQ(cf_barrier_txn(f.b, ops, 3), 0);
    CF_ASSERT_INT_EQ(term_of(f.b, NULL), 3);
    CF_ASSERT_INT_EQ(stored_term(f.phys, "t3"), 2);
    check_value(f.b, "a", "1");
    check_value(f.b, "t2", "y");
    /* Disabled: counting goes on, rotating stops. */
    c.enabled = 0;
    CF_ASSERT_INT_EQ(cf_barrier_set_rotate_config(f.b, &c), 0);
    for (int i = 0; i < 6; i++)
        CF_ASSERT_INT_EQ(put_str(f.b, "a", "1"), 0);
    unsigned long long enc;
    CF_ASSERT_INT_EQ(term_of(f.b, &enc), 3);
    CF_ASSERT_INT_EQ(enc, 7);
    c.max_operations = 0;
    CF_ASSERT_INT_EQ(cf_barrier_set_rotate_config(f.b, &c), CF_EINVAL);
    fx_close(&f);
}

/* The config and the count outlive seal/unseal, and a second node on the
 * same store adopts both at its housekeeping. */
static void test_rotate_config_persists(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_rotate_config c = {2000000, 30 * 86400, 1}, got;
    CF_ASSERT_INT_EQ(cf_barrier_set_rotate_config(f.b, &c), 0);
    for (int i = 0; i < 4; i++)
        CF_ASSERT_INT_EQ(put_str(f.b, "k", "v"), 0);
    int rotated = -1;
    CF_ASSERT_INT_EQ(cf_barrier_housekeep(f.b, &rotated), 0);
    CF_ASSERT_INT_EQ(rotated, 0);
    unsigned long long enc, enc2;
    term_of(f.b, &enc);
    CF_ASSERT_INT_EQ(cf_barrier_seal(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(f.b, f.root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_config(f.b, &got), 0);
    CF_ASSERT_INT_EQ(got.max_operations, 2000000);
    CF_ASSERT_INT_EQ(got.interval_secs, 30 * 86400);
    CF_ASSERT_INT_EQ(got.enabled, 1);
    term_of(f.b, &enc2);
    CU_ASSERT(enc2 + 1 >= enc);

    struct cf_barrier *b2;
    CF_ASSERT_INT_EQ(cf_barrier_new(f.phys, &b2), 0);
    CF_ASSERT_INT_EQ(cf_barrier_unseal(b2, f.root, 32), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_config(b2, &got), 0);
    CF_ASSERT_INT_EQ(got.max_operations, 2000000);
    c.max_operations = 3000000;
    CF_ASSERT_INT_EQ(cf_barrier_set_rotate_config(f.b, &c), 0);
    for (int i = 0; i < 10; i++)
        CF_ASSERT_INT_EQ(put_str(f.b, "k", "v"), 0);
    CF_ASSERT_INT_EQ(cf_barrier_housekeep(f.b, &rotated), 0);
    term_of(f.b, &enc);
    CF_ASSERT_INT_EQ(cf_barrier_housekeep(b2, &rotated), 0);
    CF_ASSERT_INT_EQ(cf_barrier_rotate_config(b2, &got), 0);
    CF_ASSERT_INT_EQ(got.max_operations, 3000000);
    term_of(b2, &enc2);
    CU_ASSERT(enc2 >= enc);
    cf_barrier_free(b2);
    fx_close(&f);
}

struct worker {
    struct cf_barrier *b;
    int id;
    int errors;
    atomic_int *stop; /* set by the main thread when it is done */
    int rounds;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char key[32], val[64];
    for (int i = 0; i < 50 || !atomic_load(w->stop); i++, w->rounds++) {
        snprintf(key, sizeof key, "w%d/%d", w->id, i % 10);
        snprintf(val, sizeof val, "value-%d-%d", w->id, i);
        if (put_str(w->b, key, val))
            w->errors++;
        char *got = NULL;
        if (get_str(w->b, key, &got) || strcmp(got, val))
            w->errors++;
        free(got);
        if (get_str(w->b, "shared", &got) || strcmp(got, "fixed"))
            w->errors++;
        free(got);
    }
    return NULL;
}

static void test_concurrent_rotate(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "shared", "fixed"), 0);
    pthread_t th[4];
    struct worker w[4];
    atomic_int stop = 0;
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){f.b, i, 0, &stop, 0};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    int rot_err = 0;
    for (int i = 0; i < 20; i++) {
        rot_err += cf_barrier_rotate(f.b) != 0;
        usleep(300); /* spread the rotations over the workers' run */
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CF_ASSERT_INT_EQ(w[i].errors, 0);
        CU_ASSERT(w[i].rounds >= 50);
    }
    CF_ASSERT_INT_EQ(rot_err, 0);
    unsigned term;
    int64_t t;
    unsigned long long enc;
    CF_ASSERT_INT_EQ(cf_barrier_key_status(f.b, &term, &t, &enc), 0);
    CF_ASSERT_INT_EQ(term, 21);
    check_value(f.b, "shared", "fixed");
    fx_close(&f);
}

static void *seal_racer(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 50 || !atomic_load(w->stop); i++, w->rounds++) {
        char *got = NULL;
        int rc = get_str(w->b, "shared", &got);
        if (rc == 0 && strcmp(got, "fixed"))
            w->errors++;
        else if (rc && rc != CF_ESEALED)
            w->errors++;
        free(got);
    }
    return NULL;
}

/* Sealing under load: readers see the value or CF_ESEALED, nothing else. */
static void test_concurrent_seal(void)
{
    struct fx f;
    fx_open(&f);
    CF_ASSERT_INT_EQ(put_str(f.b, "shared", "fixed"), 0);
    pthread_t th[3];
    struct worker w[3];
    atomic_int stop = 0;
    for (int i = 0; i < 3; i++) {
        w[i] = (struct worker){f.b, i, 0, &stop, 0};
        pthread_create(&th[i], NULL, seal_racer, &w[i]);
    }
    for (int i = 0; i < 30; i++) {
        usleep(100);
        cf_barrier_seal(f.b);
        cf_barrier_unseal(f.b, f.root, 32);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CF_ASSERT_INT_EQ(w[i].errors, 0);
    }
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"operations while sealed", test_sealed_refuses},
        {"initialize", test_initialize},
        {"wrong root key", test_wrong_root_key},
        {"round trip", test_round_trip},
        {"transactions", test_txn},
        {"physical txn fallback", test_physical_txn_fallback},
        {"ciphertext at rest", test_ciphertext_at_rest},
        {"tamper detected", test_tamper_detected},
        {"value bound to its key", test_value_bound_to_key},
        {"reserved keys", test_reserved_keys},
        {"list", test_list},
        {"seal and unseal keep data", test_seal_unseal_keeps_data},
        {"rotate and key status", test_rotate_and_key_status},
        {"rotate by another node", test_rotate_by_another_node},
        {"readers during rotate", test_concurrent_rotate},
        {"readers during seal", test_concurrent_seal},
        {"rotation due", test_rotate_due},
        {"rotate if due", test_rotate_if_due},
        {"auto-rotate on write", test_auto_rotate_on_write},
        {"rotation config persists", test_rotate_config_persists},
        {NULL, NULL},
    };
    return cf_test_run("barrier", cases);
}
