/* Tests for core/seal/shamir.c: split/combine over many (n, t), the share
 * format, that t-1 shares do not reveal the secret, and bad parameters. */
#include "cf_test.h"
#include "seal/shamir.h"
#include "util/encode.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

/* 1 if combining the shares picked by mask (bit i = share i) gives secret. */
static int combine_gives(uint8_t **shares, int n, size_t slen, unsigned mask,
                         const uint8_t *secret, int *rc_out)
{
    const uint8_t *pick[32];
    size_t k = 0;
    for (int i = 0; i < n; i++)
        if (mask & (1u << i))
            pick[k++] = shares[i];
    uint8_t *out;
    size_t len;
    int rc = cf_shamir_combine(pick, k, slen + 1, &out, &len);
    *rc_out = rc;
    if (rc)
        return 0;
    int same = len == slen && !memcmp(out, secret, slen);
    cf_free_secret(out, len);
    return same;
}

static int popcount(unsigned v)
{
    int c = 0;
    for (; v; v &= v - 1)
        c++;
    return c;
}

/* Every subset of n (n <= 8): size >= t recombines, smaller does not. */
static void check_all_subsets(int n, int t)
{
    uint8_t secret[32];
    CF_ASSERT_INT_EQ(cf_random_bytes(secret, sizeof secret), 0);
    uint8_t **sh = NULL;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, n, t, &sh), 0);
    if (!sh)
        return;
    int good = 0, bad = 0, wrong_ok = 0, wrong_bad = 0;
    for (unsigned mask = 1; mask < (1u << n); mask++) {
        int rc, ok = combine_gives(sh, n, 32, mask, secret, &rc);
        CF_ASSERT_INT_EQ(rc, 0);
        if (popcount(mask) >= t) {
            good++;
            wrong_ok += !ok;
        } else {
            bad++;
            wrong_bad += ok;
        }
    }
    char what[64];
    snprintf(what, sizeof what, "n=%d t=%d", n, t);
    if (wrong_ok || wrong_bad)
        fprintf(stderr,
                "%s: %d of %d good subsets failed, %d of %d short "
                "subsets gave the secret\n",
                what, wrong_ok, good, wrong_bad, bad);
    CF_ASSERT_INT_EQ(wrong_ok, 0);
    CF_ASSERT_INT_EQ(wrong_bad, 0);
    cf_shamir_shares_free(sh, (size_t)n, 33);
}

static void test_subsets(void)
{
    check_all_subsets(1, 1);
    check_all_subsets(2, 2);
    check_all_subsets(3, 2);
    check_all_subsets(5, 3);
    check_all_subsets(5, 5);
    check_all_subsets(8, 4);
}

static void test_share_format(void)
{
    uint8_t secret[32];
    CF_ASSERT_INT_EQ(cf_random_bytes(secret, sizeof secret), 0);
    uint8_t **sh;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 255, 3, &sh), 0);
    int seen[256] = {0}, dup = 0, zero = 0, same_as_secret = 0;
    for (int i = 0; i < 255; i++) {
        uint8_t x = sh[i][32];
        zero += x == 0;
        dup += seen[x]++ > 0;
        same_as_secret += !memcmp(sh[i], secret, 32);
    }
    CF_ASSERT_INT_EQ(zero, 0);
    CF_ASSERT_INT_EQ(dup, 0);
    CF_ASSERT_INT_EQ(same_as_secret, 0);
    /* Any three of the 255, e.g. the last three, recombine. */
    const uint8_t *pick[3] = {sh[252], sh[253], sh[254]};
    uint8_t *out;
    size_t len;
    CF_ASSERT_INT_EQ(cf_shamir_combine(pick, 3, 33, &out, &len), 0);
    CF_ASSERT_INT_EQ(len, 32);
    CF_ASSERT_INT_EQ(memcmp(out, secret, 32), 0);
    cf_free_secret(out, len);
    /* Order does not matter. */
    const uint8_t *rev[3] = {sh[7], sh[100], sh[3]};
    const uint8_t *fwd[3] = {sh[3], sh[7], sh[100]};
    uint8_t *o1, *o2;
    size_t l1, l2;
    CF_ASSERT_INT_EQ(cf_shamir_combine(rev, 3, 33, &o1, &l1), 0);
    CF_ASSERT_INT_EQ(cf_shamir_combine(fwd, 3, 33, &o2, &l2), 0);
    CF_ASSERT_INT_EQ(memcmp(o1, secret, 32), 0);
    CF_ASSERT_INT_EQ(memcmp(o2, secret, 32), 0);
    cf_free_secret(o1, l1);
    cf_free_secret(o2, l2);
    cf_shamir_shares_free(sh, 255, 33);
}

static void test_max_threshold(void)
{
    uint8_t secret[16] = "0123456789abcde";
    uint8_t **sh;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 16, 255, 255, &sh), 0);
    uint8_t *out;
    size_t len;
    CF_ASSERT_INT_EQ(cf_shamir_combine((const uint8_t *const *)sh, 255, 17, &out, &len),
                     0);
    CF_ASSERT_INT_EQ(len, 16);
    CF_ASSERT_INT_EQ(memcmp(out, secret, 16), 0);
    cf_free_secret(out, len);
    CF_ASSERT_INT_EQ(cf_shamir_combine((const uint8_t *const *)sh, 254, 17, &out, &len),
                     0);
    CU_ASSERT(memcmp(out, secret, 16) != 0);
    cf_free_secret(out, len);
    cf_shamir_shares_free(sh, 255, 17);
}

static void test_random_each_time(void)
{
    uint8_t secret[32] = {0};
    uint8_t **a, **b;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 3, 2, &a), 0);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 3, 2, &b), 0);
    /* Same secret, fresh coefficients: the y bytes differ. */
    CU_ASSERT(memcmp(a[0], b[0], 32) != 0);
    cf_shamir_shares_free(a, 3, 33);
    cf_shamir_shares_free(b, 3, 33);
}

static void test_single_share(void)
{
    uint8_t secret[32];
    CF_ASSERT_INT_EQ(cf_random_bytes(secret, 32), 0);
    uint8_t **sh;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 1, 1, &sh), 0);
    /* t = 1: a constant polynomial, the share's y is the secret itself. */
    CF_ASSERT_INT_EQ(memcmp(sh[0], secret, 32), 0);
    CU_ASSERT(sh[0][32] != 0);
    uint8_t *out;
    size_t len;
    CF_ASSERT_INT_EQ(cf_shamir_combine((const uint8_t *const *)sh, 1, 33, &out, &len), 0);
    CF_ASSERT_INT_EQ(memcmp(out, secret, 32), 0);
    cf_free_secret(out, len);
    cf_shamir_shares_free(sh, 1, 33);
}

static void test_long_secret(void)
{
    size_t n = 1000;
    uint8_t *secret = malloc(n);
    CF_ASSERT_INT_EQ(cf_random_bytes(secret, n), 0);
    uint8_t **sh;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, n, 10, 7, &sh), 0);
    const uint8_t *pick[7] = {sh[9], sh[1], sh[2], sh[5], sh[4], sh[8], sh[0]};
    uint8_t *out;
    size_t len;
    CF_ASSERT_INT_EQ(cf_shamir_combine(pick, 7, n + 1, &out, &len), 0);
    CF_ASSERT_INT_EQ(len, n);
    CF_ASSERT_INT_EQ(memcmp(out, secret, n), 0);
    cf_free_secret(out, len);
    cf_shamir_shares_free(sh, 10, n + 1);
    free(secret);
}

static void test_split_bad_params(void)
{
    uint8_t secret[32] = {1};
    uint8_t **sh = (uint8_t **)0x1;
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 0, 0, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 0, 1, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 256, 2, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 3, 0, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 3, 4, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, 3, -1, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 32, -5, 1, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 0, 3, 2, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(NULL, 32, 3, 2, &sh), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_split(secret, 65537, 3, 2, &sh), CF_EINVAL);
    /* A failed call touched nothing. */
    CU_ASSERT(sh == (uint8_t **)0x1);
    cf_shamir_shares_free(NULL, 3, 33);
}

static void test_combine_bad_params(void)
{
    uint8_t a[33] = {0}, b[33] = {0}, z[33] = {0};
    a[32] = 1;
    b[32] = 1; /* same x as a */
    uint8_t *out = (uint8_t *)0x1;
    size_t len;
    const uint8_t *dup[2] = {a, b};
    const uint8_t *zero[2] = {a, z};
    CF_ASSERT_INT_EQ(cf_shamir_combine(dup, 2, 33, &out, &len), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_combine(zero, 2, 33, &out, &len), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_combine(dup, 0, 33, &out, &len), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_combine(dup, 1, 1, &out, &len), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_combine(NULL, 1, 33, &out, &len), CF_EINVAL);
    CF_ASSERT_INT_EQ(cf_shamir_combine(dup, 256, 33, &out, &len), CF_EINVAL);
    CU_ASSERT(out == (uint8_t *)0x1);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"every subset of small splits", test_subsets},
        {"share format, 255 shares", test_share_format},
        {"threshold 255", test_max_threshold},
        {"fresh randomness per split", test_random_each_time},
        {"one share", test_single_share},
        {"long secret", test_long_secret},
        {"split: bad parameters", test_split_bad_params},
        {"combine: bad parameters", test_combine_bad_params},
        {NULL, NULL},
    };
    return cf_test_run("shamir", cases);
}
