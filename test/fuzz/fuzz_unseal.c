/* Fuzz entry for the unseal key path of sys/unseal, which anyone who can
 * reach a sealed server may call: cf_seal_decode_key (hex, else base64)
 * and then cf_seal_submit's length and duplicate checks and, once enough
 * shares are in, the Shamir combine. The input is one key text per line;
 * each input starts from no progress. See fuzz.h for the two ways it is
 * built. */
#include "fuzz.h"
#include "mem_storage.h"
#include "seal/barrier.h"
#include "seal/seal.h"
#include "util/encode.h"
#include "util/secret.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("unseal",
               "0123456789abcdefABCDEF+/=-_\n\r \0"
               "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

#define MAX_KEYS 8

/* libFuzzer gives the target no context, so the sealed server it submits
 * to is made once and reset after each input (cf_seal_reset). */
static struct cf_seal *fixture(void)
{
    static struct cf_seal *seal;
    if (seal)
        return seal;
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_seal_keys *keys = NULL;
    if (cf_test_mem_physical(&phys) || cf_barrier_new(phys, &b) ||
        cf_seal_new(phys, b, &seal) || cf_seal_initialize(seal, 5, 3, &keys, NULL))
        abort();
    cf_seal_keys_free(keys); /* the fuzzer must never hold a real share */
    return seal;
}

/* A refusal says why, on one line; nothing else but these codes. */
static void check_refusal(int rc, const struct coffer_err *err)
{
    if (rc != CF_EINVAL && rc != CF_EDENIED)
        abort();
    if (!err->msg[0] || strchr(err->msg, '\n'))
        abort();
}

static int is_hex(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (cf_hexval((unsigned char)s[i]) < 0)
            return 0;
    return n % 2 == 0;
}

static void decode(const char *text)
{
    struct coffer_err err = {""};
    uint8_t *key = NULL;
    size_t len = 0;
    int rc = cf_seal_decode_key(text, &key, &len, &err);
    if (rc) {
        if (key)
            abort();
        check_refusal(rc, &err);
        return;
    }
    if (len > strlen(text))
        abort(); /* both codecs shrink */
    if (is_hex(text)) {
        char *again = NULL;
        if (cf_hex_encode(key, len, &again))
            abort();
        for (size_t i = 0; text[i]; i++)
            if (again[i] != tolower((unsigned char)text[i]))
                abort();
        free(again);
    }
    cf_free_secret(key, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cf_seal *s = fixture();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *line = text;
    for (int k = 0; k < MAX_KEYS && line; k++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        decode(line);
        struct coffer_err err = {""};
        int unsealed = 1;
        int rc = cf_seal_submit(s, line, &unsealed, &err);
        if (unsealed)
            abort(); /* no share the fuzzer can know opens the root key */
        if (rc)
            check_refusal(rc, &err);
        struct cf_seal_status st;
        if (cf_seal_status(s, &st) || !st.sealed || st.progress >= st.t)
            abort();
        line = nl ? nl + 1 : NULL;
    }
    if (cf_seal_reset(s))
        abort();
    free(text);
    return 0;
}
