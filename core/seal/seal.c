/* The Shamir seal: initialization (root key, unseal key, shares) and the
 * unseal state machine that collects shares until the threshold, then opens
 * the root key and hands it to the barrier. */
#include "seal/seal.h"
#include "seal/aead.h"
#include "seal/shamir.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/secret.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_PATH "core/seal-config"
#define ROOT_KEY_PATH "core/root-key"
#define KEK_LEN CF_AEAD_KEY_LEN
#define SHARE_LEN (KEK_LEN + 1)
/* core/root-key: version(1) | nonce | ct | tag, additional data the path. */
#define ROOT_BLOB_VERSION 1
#define ROOT_BLOB_LEN (1 + CF_AEAD_OVERHEAD + CF_ROOT_KEY_LEN)

struct cf_seal {
    pthread_mutex_t mu;
    struct cf_physical *phys; /* borrowed */
    struct cf_barrier *b;     /* borrowed */
    int t, n;                 /* 0 until the config has been read */
    int progress;
    char nonce[37];
    /* Shares submitted so far: key material, zeroed on every reset. */
    uint8_t pending[255][SHARE_LEN];
};

static void reset_locked(struct cf_seal *s)
{
    cf_zero(s->pending, sizeof s->pending);
    s->progress = 0;
    s->nonce[0] = '\0';
}

/* Reads core/seal-config once it exists (another node or an earlier run
 * may have written it). *init = 0 while there is none. */
static int load_config_locked(struct cf_seal *s, int *init)
{
    if (s->n) {
        *init = 1;
        return 0;
    }
    uint8_t *v;
    size_t len;
    int rc = cf_physical_get(s->phys, CONFIG_PATH, &v, &len);
    if (rc == CF_ENOENT) {
        *init = 0;
        return 0;
    }
    if (rc)
        return rc;
    yajl_val j = NULL;
    cf_json_parse((const char *)v, len, &j, NULL);
    free(v);
    long long n, t;
    rc = j && !cf_json_get_int(j, "secret_shares", &n) &&
            !cf_json_get_int(j, "secret_threshold", &t) && n >= 1 && n <= 255 && t >= 1 &&
            t <= n
        ? 0
        : CF_EIO;
    cf_json_free(j);
    if (rc)
        return rc;
    s->n = (int)n;
    s->t = (int)t;
    *init = 1;
    return 0;
}

int cf_seal_new(struct cf_physical *phys, struct cf_barrier *b, struct cf_seal **out)
{
    if (!phys || !b || !out)
        return CF_EINVAL;
    struct cf_seal *s = calloc(1, sizeof *s);
    if (!s)
        return CF_ENOMEM;
    if (pthread_mutex_init(&s->mu, NULL)) {
        free(s);
        return CF_ENOMEM;
    }
    s->phys = phys;
    s->b = b;
    *out = s;
    return 0;
}

void cf_seal_free(struct cf_seal *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    cf_free_secret(s, sizeof *s);
}

int cf_seal_status(struct cf_seal *s, struct cf_seal_status *out)
{
    pthread_mutex_lock(&s->mu);
    int init;
    int rc = load_config_locked(s, &init);
    if (!rc) {
        memset(out, 0, sizeof *out);
        out->initialized = init;
        out->sealed = cf_barrier_sealed(s->b);
        out->t = s->t;
        out->n = s->n;
        out->progress = s->progress;
        memcpy(out->nonce, s->nonce, sizeof out->nonce);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void cf_seal_keys_free(struct cf_seal_keys *k)
{
    if (!k)
        return;
    cf_shamir_shares_free(k->keys, k->n, k->len);
    free(k);
}

/* Vault's SealConfig.Validate, same order and wording. */
static const char *check_params(int shares, int threshold)
{
    if (shares < 1)
        return "shares must be at least one";
    if (threshold < 1)
        return "threshold must be at least one";
    if (shares > 1 && threshold == 1)
        return "threshold must be greater than one for multiple shares";
    if (shares > 255)
        return "shares must be less than 256";
    if (threshold > 255)
        return "threshold must be less than 256";
    if (threshold > shares)
        return "threshold cannot be larger than shares";
    return NULL;
}

static int write_config(struct cf_physical *phys, int shares, int threshold)
{
    struct cf_json j;
    char *text;
    int rc = cf_json_init(&j);
    if (rc)
        return rc;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "type", "shamir");
    cf_json_kint(&j, "secret_shares", shares);
    cf_json_kint(&j, "secret_threshold", threshold);
    cf_json_obj_close(&j);
    rc = cf_json_finish(&j, &text);
    if (rc)
        return rc;
    rc = cf_physical_put(phys, CONFIG_PATH, (const uint8_t *)text, strlen(text));
    free(text);
    return rc;
}

static int init_locked(struct cf_seal *s, int shares, int threshold,
                       struct cf_seal_keys **keys, struct coffer_err *err)
{
    int init;
    int rc = load_config_locked(s, &init);
    if (!rc && !init)
        rc = cf_barrier_initialized(s->b, &init);
    if (rc) {
        coffer_err_set(err, "cannot read the seal state from storage");
        return rc;
    }
    if (init) {
        coffer_err_set(err, "Vault is already initialized");
        return CF_EEXIST;
    }
    struct cf_seal_keys *k = calloc(1, sizeof *k);
    uint8_t root[CF_ROOT_KEY_LEN], kek[KEK_LEN], blob[ROOT_BLOB_LEN];
    if (!k)
        return CF_ENOMEM;
    rc = cf_random_bytes(root, sizeof root);
    if (!rc)
        rc = cf_random_bytes(kek, sizeof kek);
    /* Split before writing anything: a failure leaves storage untouched. */
    if (!rc)
        rc = cf_shamir_split(kek, sizeof kek, shares, threshold, &k->keys);
    if (!rc) {
        blob[0] = ROOT_BLOB_VERSION;
        rc = cf_aead_seal(kek, ROOT_KEY_PATH, strlen(ROOT_KEY_PATH), root, sizeof root,
                          blob + 1);
    }
    cf_zero(kek, sizeof kek);
    int wrote = 0;
    if (!rc) {
        rc = cf_physical_put(s->phys, ROOT_KEY_PATH, blob, sizeof blob);
        wrote = !rc;
    }
    if (!rc)
        rc = cf_barrier_initialize(s->b, root, sizeof root);
    cf_zero(root, sizeof root);
    /* The config goes last: its presence is what "initialized" means. */
    if (!rc)
        rc = write_config(s->phys, shares, threshold);
    if (rc) {
        if (wrote && rc != CF_EEXIST) {
            cf_physical_delete(s->phys, ROOT_KEY_PATH);
            cf_physical_delete(s->phys, "core/keyring");
        }
        cf_shamir_shares_free(k->keys, (size_t)shares, SHARE_LEN);
        free(k);
        coffer_err_set(err,
                       rc == CF_EEXIST ? "Vault is already initialized"
                                       : "failed to initialize the seal");
        return rc;
    }
    k->n = (size_t)shares;
    k->len = SHARE_LEN;
    s->n = shares;
    s->t = threshold;
    reset_locked(s);
    *keys = k;
    return 0;
}

int cf_seal_initialize(struct cf_seal *s, int shares, int threshold,
                       struct cf_seal_keys **keys, struct coffer_err *err)
{
    if (!keys)
        return CF_EINVAL;
    const char *bad = check_params(shares, threshold);
    if (bad) {
        coffer_err_set(err, "invalid seal configuration: %s", bad);
        return CF_EINVAL;
    }
    pthread_mutex_lock(&s->mu);
    int rc = init_locked(s, shares, threshold, keys, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The threshold is reached: rebuild the KEK, open the root key, unseal. */
static int open_locked(struct cf_seal *s, struct coffer_err *err)
{
    const uint8_t *parts[255];
    for (int i = 0; i < s->progress; i++)
        parts[i] = s->pending[i];
    uint8_t *kek, *blob, root[CF_ROOT_KEY_LEN];
    size_t klen, blen;
    int rc = cf_shamir_combine(parts, (size_t)s->progress, SHARE_LEN, &kek, &klen);
    if (rc == CF_EINVAL) {
        /* Shares with equal or zero x coordinates: not a valid set. */
        coffer_err_set(err, "failed to compute combined key: invalid key shares");
        return CF_EDENIED;
    }
    if (rc) {
        coffer_err_set(err, "failed to compute combined key");
        return rc;
    }
    rc = cf_physical_get(s->phys, ROOT_KEY_PATH, &blob, &blen);
    if (rc) {
        cf_free_secret(kek, klen);
        coffer_err_set(err, "cannot read the encrypted root key from storage");
        return rc == CF_ENOENT ? CF_EIO : rc;
    }
    if (blen != ROOT_BLOB_LEN || blob[0] != ROOT_BLOB_VERSION) {
        rc = CF_EIO;
        coffer_err_set(err, "the stored root key is malformed");
    } else {
        rc = cf_aead_open(kek, ROOT_KEY_PATH, strlen(ROOT_KEY_PATH), blob + 1, blen - 1,
                          root);
        if (rc == CF_EIO) {
            rc = CF_EDENIED;
            coffer_err_set(err,
                           "failed to decrypt the root key: "
                           "cipher: message authentication failed");
        } else if (rc) {
            coffer_err_set(err, "failed to decrypt the root key");
        }
    }
    cf_free_secret(kek, klen);
    cf_free_secret(blob, blen);
    if (rc)
        return rc;
    rc = cf_barrier_unseal(s->b, root, sizeof root);
    cf_zero(root, sizeof root);
    if (rc)
        coffer_err_set(err, "the root key does not open the keyring");
    return rc;
}

static int submit_locked(struct cf_seal *s, const uint8_t *key, size_t len, int *unsealed,
                         struct coffer_err *err)
{
    if (!cf_barrier_sealed(s->b)) {
        *unsealed = 1;
        return 0;
    }
    int init;
    int rc = load_config_locked(s, &init);
    if (rc) {
        coffer_err_set(err, "cannot read the seal configuration from storage");
        return rc;
    }
    if (!init) {
        coffer_err_set(err, "Vault is not initialized");
        return CF_EINVAL;
    }
    if (len != SHARE_LEN) {
        coffer_err_set(err, "key must be %d bytes, got %zu", SHARE_LEN, len);
        return CF_EINVAL;
    }
    /* Vault ignores a share it already holds rather than failing. */
    for (int i = 0; i < s->progress; i++)
        if (cf_ct_equal(s->pending[i], SHARE_LEN, key, len))
            return 0;
    if (!s->progress && (rc = cf_uuid(s->nonce))) {
        s->nonce[0] = '\0';
        return rc;
    }
    memcpy(s->pending[s->progress++], key, SHARE_LEN);
    if (s->progress < s->t)
        return 0;
    /* Success or not, this attempt is over (Vault resets on failure). */
    rc = open_locked(s, err);
    reset_locked(s);
    if (!rc)
        *unsealed = 1;
    return rc;
}

int cf_seal_submit_raw(struct cf_seal *s, const uint8_t *key, size_t len, int *unsealed,
                       struct coffer_err *err)
{
    *unsealed = 0;
    if (!key || len < 16) {
        coffer_err_set(err, "key is shorter than minimum 16 bytes");
        return CF_EINVAL;
    }
    if (len > 33) {
        coffer_err_set(err, "key is longer than maximum 33 bytes");
        return CF_EINVAL;
    }
    pthread_mutex_lock(&s->mu);
    int rc = submit_locked(s, key, len, unsealed, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cf_seal_decode_key(const char *key_text, uint8_t **key, size_t *len,
                       struct coffer_err *err)
{
    if (!key_text || !*key_text) {
        coffer_err_set(err,
                       "'key' must be specified in request body as JSON, or "
                       "'reset' set to true");
        return CF_EINVAL;
    }
    int rc = cf_hex_decode(key_text, key, len);
    if (rc == CF_EINVAL)
        rc = cf_b64_decode(key_text, key, len);
    if (rc == CF_EINVAL)
        coffer_err_set(err, "'key' must be a valid hex or base64 string");
    return rc;
}

int cf_seal_submit(struct cf_seal *s, const char *key_text, int *unsealed,
                   struct coffer_err *err)
{
    *unsealed = 0;
    uint8_t *key;
    size_t len;
    int rc = cf_seal_decode_key(key_text, &key, &len, err);
    if (rc)
        return rc;
    rc = cf_seal_submit_raw(s, key, len, unsealed, err);
    cf_free_secret(key, len);
    return rc;
}

int cf_seal_reset(struct cf_seal *s)
{
    pthread_mutex_lock(&s->mu);
    int rc = cf_barrier_sealed(s->b) ? 0 : CF_EINVAL;
    reset_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int cf_seal_seal(struct cf_seal *s)
{
    pthread_mutex_lock(&s->mu);
    int rc = cf_barrier_seal(s->b);
    reset_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}
