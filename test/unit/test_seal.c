/* Tests for core/seal/seal.c: init, the unseal state machine (progress,
 * nonce, duplicates, wrong shares, reset), seal, and reopening a store. */
#include "seal/barrier.h"
#include "cf_test.h"
#include "mem_storage.h"
#include "seal/seal.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_seal *s;
};

static void fx_open(struct fx *f)
{
    CF_ASSERT_INT_EQ(cf_test_mem_physical(&f->phys), 0);
    CF_ASSERT_INT_EQ(cf_barrier_new(f->phys, &f->b), 0);
    CF_ASSERT_INT_EQ(cf_seal_new(f->phys, f->b, &f->s), 0);
}

static void fx_close(struct fx *f)
{
    cf_seal_free(f->s);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

static struct cf_seal_keys *fx_init(struct fx *f, int n, int t)
{
    struct cf_seal_keys *k = NULL;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_seal_initialize(f->s, n, t, &k, &err), 0);
    return k;
}

static char *hex(const struct cf_seal_keys *k, size_t i)
{
    char *s = NULL;
    cf_hex_encode(k->keys[i], k->len, &s);
    return s;
}

static char *b64(const struct cf_seal_keys *k, size_t i)
{
    char *s = NULL;
    cf_b64_encode(k->keys[i], k->len, &s);
    return s;
}

/* Submits key i as hex; returns the call's code, *unsealed in u. */
static int submit_hex(struct fx *f, const struct cf_seal_keys *k, size_t i, int *u,
                      struct coffer_err *err)
{
    char *s = hex(k, i);
    int rc = cf_seal_submit(f->s, s, u, err);
    free(s);
    return rc;
}

static struct cf_seal_status status(struct fx *f)
{
    struct cf_seal_status st;
    memset(&st, 0x55, sizeof st);
    CF_ASSERT_INT_EQ(cf_seal_status(f->s, &st), 0);
    return st;
}

static void test_fresh_status(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.initialized, 0);
    CF_ASSERT_INT_EQ(st.sealed, 1);
    CF_ASSERT_INT_EQ(st.t, 0);
    CF_ASSERT_INT_EQ(st.n, 0);
    CF_ASSERT_INT_EQ(st.progress, 0);
    CF_ASSERT_STR_EQ(st.nonce, "");
    fx_close(&f);
}

static void test_init_bad_params(void)
{
    struct {
        int n, t;
        const char *msg;
    } cases[] = {
        {0, 1, "shares must be at least one"},
        {-1, 1, "shares must be at least one"},
        {3, 0, "threshold must be at least one"},
        {2, 1, "threshold must be greater than one for multiple shares"},
        {256, 3, "shares must be less than 256"},
        {300, 256, "shares must be less than 256"},
        {3, 4, "threshold cannot be larger than shares"},
    };
    struct fx f;
    fx_open(&f);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cf_seal_keys *k = NULL;
        struct coffer_err err = {""};
        CF_ASSERT_INT_EQ(cf_seal_initialize(f.s, cases[i].n, cases[i].t, &k, &err),
                         CF_EINVAL);
        CF_ASSERT_CONTAINS(err.msg, "invalid seal configuration: ");
        CF_ASSERT_CONTAINS(err.msg, cases[i].msg);
        CU_ASSERT(k == NULL);
    }
    /* Nothing was written. */
    CF_ASSERT_INT_EQ(status(&f).initialized, 0);
    char **keys;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_list(f.phys, "", &keys, &n), 0);
    CF_ASSERT_INT_EQ(n, 0);
    cf_strv_free(keys, n);
    fx_close(&f);
}

static void test_init(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 5, 3);
    CF_ASSERT_INT_EQ(k->n, 5);
    CF_ASSERT_INT_EQ(k->len, 33);
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.initialized, 1);
    CF_ASSERT_INT_EQ(st.sealed, 1);
    CF_ASSERT_INT_EQ(st.t, 3);
    CF_ASSERT_INT_EQ(st.n, 5);
    CF_ASSERT_INT_EQ(st.progress, 0);
    int init;
    CF_ASSERT_INT_EQ(cf_barrier_initialized(f.b, &init), 0);
    CF_ASSERT_INT_EQ(init, 1);
    /* Storage holds the config in clear, the root key sealed. */
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "core/seal-config", &v, &n), 0);
    char *cfg = strndup((char *)v, n);
    CF_ASSERT_CONTAINS(cfg, "\"secret_shares\":5");
    CF_ASSERT_CONTAINS(cfg, "\"secret_threshold\":3");
    free(cfg);
    free(v);
    CF_ASSERT_INT_EQ(cf_physical_get(f.phys, "core/root-key", &v, &n), 0);
    free(v);
    /* Twice: refused, keys untouched. */
    struct cf_seal_keys *k2 = NULL;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(cf_seal_initialize(f.s, 5, 3, &k2, &err), CF_EEXIST);
    CF_ASSERT_STR_EQ(err.msg, "Vault is already initialized");
    CU_ASSERT(k2 == NULL);
    /* The original keys still unseal. */
    int u = 0;
    for (size_t i = 0; i < 3; i++)
        CF_ASSERT_INT_EQ(submit_hex(&f, k, i, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_submit_not_initialized(void)
{
    struct fx f;
    fx_open(&f);
    int u = 7;
    struct coffer_err err = {""};
    char key[67];
    memset(key, 'a', 66);
    key[66] = 0;
    CF_ASSERT_INT_EQ(cf_seal_submit(f.s, key, &u, &err), CF_EINVAL);
    CF_ASSERT_STR_EQ(err.msg, "Vault is not initialized");
    CF_ASSERT_INT_EQ(u, 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 0);
    fx_close(&f);
}

static void test_unseal_progress(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 5, 3);
    int u = 7;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 4, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 0);
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.progress, 1);
    CF_ASSERT_INT_EQ(strlen(st.nonce), 36);
    char nonce[37];
    memcpy(nonce, st.nonce, sizeof nonce);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 2, &u, NULL), 0);
    st = status(&f);
    CF_ASSERT_INT_EQ(st.progress, 2);
    CF_ASSERT_STR_EQ(st.nonce, nonce);
    CF_ASSERT_INT_EQ(st.sealed, 1);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    st = status(&f);
    CF_ASSERT_INT_EQ(st.sealed, 0);
    CF_ASSERT_INT_EQ(st.progress, 0);
    CF_ASSERT_STR_EQ(st.nonce, "");
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 0);
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "k", (const uint8_t *)"v", 1), 0);
    /* Already unsealed: any key text is answered with unsealed = 1. */
    u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    CF_ASSERT_INT_EQ(status(&f).progress, 0);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_base64_and_mixed(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 3, 2);
    int u = 0;
    char *s = b64(k, 1);
    CF_ASSERT_INT_EQ(strlen(s), 44);
    CF_ASSERT_INT_EQ(cf_seal_submit(f.s, s, &u, NULL), 0);
    free(s);
    CF_ASSERT_INT_EQ(status(&f).progress, 1);
    /* The same share as hex is the same share. */
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 1);
    CF_ASSERT_INT_EQ(u, 0);
    /* Upper-case hex is hex too. */
    s = hex(k, 2);
    for (char *p = s; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    CF_ASSERT_INT_EQ(cf_seal_submit(f.s, s, &u, NULL), 0);
    free(s);
    CF_ASSERT_INT_EQ(u, 1);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_malformed_keeps_progress(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 3, 2);
    int u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    char nonce[37];
    memcpy(nonce, status(&f).nonce, sizeof nonce);
    struct {
        const char *text, *msg;
    } bad[] = {
        {"not a key!", "'key' must be a valid hex or base64 string"},
        {"%%%%", "'key' must be a valid hex or base64 string"},
        {"", "'key' must be specified"},
        {"00112233", "key is shorter than minimum 16 bytes"},
        /* 40 bytes of hex */
        {"0011223344556677889900112233445566778899"
         "0011223344556677889900112233445566778899",
         "key is longer than maximum 33 bytes"},
        /* 20 bytes: within Vault's bounds but not a share of ours */
        {"0011223344556677889900112233445566778899", "key must be 33 bytes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct coffer_err err = {""};
        u = 7;
        CF_ASSERT_INT_EQ(cf_seal_submit(f.s, bad[i].text, &u, &err), CF_EINVAL);
        CF_ASSERT_CONTAINS(err.msg, bad[i].msg);
        CF_ASSERT_INT_EQ(u, 0);
        struct cf_seal_status st = status(&f);
        CF_ASSERT_INT_EQ(st.progress, 1);
        CF_ASSERT_STR_EQ(st.nonce, nonce);
    }
    CF_ASSERT_INT_EQ(cf_seal_submit(f.s, NULL, &u, NULL), CF_EINVAL);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 2, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_duplicate_share(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 3, 3);
    int u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 1);
    CF_ASSERT_INT_EQ(u, 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 2);
    CF_ASSERT_INT_EQ(status(&f).sealed, 1);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 2, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_wrong_share(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 3, 2);
    uint8_t rnd[33];
    CF_ASSERT_INT_EQ(cf_random_bytes(rnd, sizeof rnd), 0);
    int u = 0;
    struct coffer_err err = {""};
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    /* Right length, random bytes: accepted as a share, then the combined
     * key fails to open the root key and the attempt starts over. */
    CF_ASSERT_INT_EQ(cf_seal_submit_raw(f.s, rnd, sizeof rnd, &u, &err), CF_EDENIED);
    CF_ASSERT_INT_EQ(u, 0);
    CU_ASSERT(err.msg[0] != '\0');
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.progress, 0);
    CF_ASSERT_STR_EQ(st.nonce, "");
    CF_ASSERT_INT_EQ(st.sealed, 1);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 1);
    /* A share of another store's key is wrong too. */
    struct fx g;
    fx_open(&g);
    struct cf_seal_keys *other = fx_init(&g, 3, 2);
    CF_ASSERT_INT_EQ(submit_hex(&f, other, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, other, 1, &u, NULL), CF_EDENIED);
    CF_ASSERT_INT_EQ(status(&f).sealed, 1);
    cf_seal_keys_free(other);
    fx_close(&g);
    /* Good shares still work afterwards. */
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 2, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_reset(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 3, 2);
    int u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    char nonce[37];
    memcpy(nonce, status(&f).nonce, sizeof nonce);
    CF_ASSERT_INT_EQ(cf_seal_reset(f.s), 0);
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.progress, 0);
    CF_ASSERT_STR_EQ(st.nonce, "");
    /* The dropped share no longer counts: one more is not enough. */
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 0);
    st = status(&f);
    CF_ASSERT_INT_EQ(st.progress, 1);
    CU_ASSERT(strcmp(st.nonce, nonce) != 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    /* Reset while unsealed is refused (Vault: "vault is unsealed"). */
    CF_ASSERT_INT_EQ(cf_seal_reset(f.s), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_barrier_sealed(f.b), 0);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_seal_and_unseal_again(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 5, 3);
    int u = 0;
    for (size_t i = 0; i < 3; i++)
        CF_ASSERT_INT_EQ(submit_hex(&f, k, i, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "kv", (const uint8_t *)"data", 4), 0);
    CF_ASSERT_INT_EQ(cf_seal_seal(f.s), 0);
    CF_ASSERT_INT_EQ(status(&f).sealed, 1);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "kv", &v, &n), CF_ESEALED);
    /* A different subset of the keys. */
    for (size_t i = 2; i < 5; i++)
        CF_ASSERT_INT_EQ(submit_hex(&f, k, i, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    CF_ASSERT_INT_EQ(cf_barrier_get(f.b, "kv", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 4);
    CF_ASSERT_INT_EQ(memcmp(v, "data", 4), 0);
    cf_free_secret(v, n);
    /* Sealing drops a pending attempt. */
    CF_ASSERT_INT_EQ(cf_seal_seal(f.s), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 1);
    CF_ASSERT_INT_EQ(cf_seal_seal(f.s), 0);
    CF_ASSERT_INT_EQ(status(&f).progress, 0);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_reopen(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 4, 2);
    int u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 3, &u, NULL), 0);
    CF_ASSERT_INT_EQ(cf_barrier_put(f.b, "kv", (const uint8_t *)"kept", 4), 0);
    /* A restart: new barrier and seal over the same storage. */
    struct cf_barrier *b2;
    struct cf_seal *s2;
    CF_ASSERT_INT_EQ(cf_barrier_new(f.phys, &b2), 0);
    CF_ASSERT_INT_EQ(cf_seal_new(f.phys, b2, &s2), 0);
    struct cf_seal_status st;
    CF_ASSERT_INT_EQ(cf_seal_status(s2, &st), 0);
    CF_ASSERT_INT_EQ(st.initialized, 1);
    CF_ASSERT_INT_EQ(st.sealed, 1);
    CF_ASSERT_INT_EQ(st.t, 2);
    CF_ASSERT_INT_EQ(st.n, 4);
    CF_ASSERT_INT_EQ(st.progress, 0);
    struct coffer_err err = {""};
    struct cf_seal_keys *k2 = NULL;
    CF_ASSERT_INT_EQ(cf_seal_initialize(s2, 1, 1, &k2, &err), CF_EEXIST);
    CU_ASSERT(k2 == NULL);
    char *h1 = hex(k, 1), *h2 = b64(k, 2);
    CF_ASSERT_INT_EQ(cf_seal_submit(s2, h1, &u, NULL), 0);
    CF_ASSERT_INT_EQ(cf_seal_submit(s2, h2, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    free(h1);
    free(h2);
    uint8_t *v;
    size_t n;
    CF_ASSERT_INT_EQ(cf_barrier_get(b2, "kv", &v, &n), 0);
    CF_ASSERT_INT_EQ(n, 4);
    CF_ASSERT_INT_EQ(memcmp(v, "kept", 4), 0);
    cf_free_secret(v, n);
    cf_seal_free(s2);
    cf_barrier_free(b2);
    cf_seal_keys_free(k);
    fx_close(&f);
}

static void test_single_key(void)
{
    struct fx f;
    fx_open(&f);
    struct cf_seal_keys *k = fx_init(&f, 1, 1);
    CF_ASSERT_INT_EQ(k->n, 1);
    struct cf_seal_status st = status(&f);
    CF_ASSERT_INT_EQ(st.t, 1);
    CF_ASSERT_INT_EQ(st.n, 1);
    int u = 0;
    CF_ASSERT_INT_EQ(submit_hex(&f, k, 0, &u, NULL), 0);
    CF_ASSERT_INT_EQ(u, 1);
    CF_ASSERT_INT_EQ(status(&f).nonce[0], '\0');
    cf_seal_keys_free(k);
    cf_seal_keys_free(NULL);
    fx_close(&f);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"fresh status", test_fresh_status},
        {"init: bad parameters", test_init_bad_params},
        {"init, and init twice", test_init},
        {"submit before init", test_submit_not_initialized},
        {"unseal progress and nonce", test_unseal_progress},
        {"base64 and hex keys", test_base64_and_mixed},
        {"malformed key keeps progress", test_malformed_keeps_progress},
        {"duplicate share", test_duplicate_share},
        {"wrong share resets", test_wrong_share},
        {"reset", test_reset},
        {"seal and unseal again", test_seal_and_unseal_again},
        {"reopened store", test_reopen},
        {"one key", test_single_key},
        {NULL, NULL},
    };
    return cf_test_run("seal", cases);
}
