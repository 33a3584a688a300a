/* Leader advertisement to and from JSON. The text carries the cluster key,
 * so every buffer this file controls is zeroed before it is freed. */
#include "ha/advertise.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* yajl_gen allocator that wipes every block it gives back, so the growing
 * output buffer leaves no copy of the key in freed heap memory. */
static void *z_malloc(void *ctx, size_t sz)
{
    (void)ctx;
    return malloc(sz);
}

static void z_free(void *ctx, void *p)
{
    (void)ctx;
    if (p)
        cf_free_secret(p, malloc_usable_size(p));
}

static void *z_realloc(void *ctx, void *p, size_t sz)
{
    if (!p)
        return z_malloc(ctx, sz);
    void *n = malloc(sz);
    if (!n)
        return NULL;
    size_t old = malloc_usable_size(p);
    memcpy(n, p, old < sz ? old : sz);
    z_free(ctx, p);
    return n;
}

static const yajl_alloc_funcs zeroing_alloc = { z_malloc, z_realloc, z_free, NULL };

static int nonempty(const char *s) { return s && *s; }

int cf_advert_encode(const struct cf_advert *a, char **json)
{
    if (!a || !json || !nonempty(a->api_addr) || !nonempty(a->cert_pem) ||
        !nonempty(a->key_pem) || a->active_since_ns < 0)
        return CF_EINVAL;
    char since[40];
    cf_time_rfc3339nano(a->active_since_ns, since);

    /* cf_json_init would use yajl's default allocator: build it ourselves. */
    struct cf_json j = { yajl_gen_alloc(&zeroing_alloc), 0 };
    if (!j.g)
        return CF_ENOMEM;
    yajl_gen_config(j.g, yajl_gen_validate_utf8, 1);
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "redirect_addr", a->api_addr);
    cf_json_kstr(&j, "cluster_addr", a->cluster_addr ? a->cluster_addr : "");
    cf_json_kstr(&j, "cluster_cert", a->cert_pem);
    cf_json_kstr(&j, "cluster_key", a->key_pem);
    cf_json_kstr(&j, "active_since", since);
    cf_json_kstr(&j, "node_id", a->node_id ? a->node_id : "");
    cf_json_kstr(&j, "hostname", a->hostname ? a->hostname : "");
    cf_json_obj_close(&j);

    int rc = j.err;
    const unsigned char *buf;
    size_t len;
    if (!rc && yajl_gen_get_buf(j.g, &buf, &len) != yajl_gen_status_ok)
        rc = CF_EINVAL;
    if (!rc) {
        char *s = malloc(len + 1);
        if (!s) {
            rc = CF_ENOMEM;
        } else {
            memcpy(s, buf, len);
            s[len] = '\0';
            *json = s;
        }
    }
    cf_json_abort(&j);   /* frees through z_free */
    return rc;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9')
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

/* RFC 3339 as Go's time.RFC3339Nano writes it (fraction optional, 'Z' or a
 * numeric offset), to nanoseconds since the epoch. */
static int parse_rfc3339(const char *s, long long *ns)
{
    const char *p = s;
    int Y, M, D, h, m, sec, frac = 0;
    if (digits(&p, 4, &Y) || expect(&p, '-') || digits(&p, 2, &M) || expect(&p, '-') ||
        digits(&p, 2, &D) || expect(&p, 'T') || digits(&p, 2, &h) || expect(&p, ':') ||
        digits(&p, 2, &m) || expect(&p, ':') || digits(&p, 2, &sec))
        return CF_EINVAL;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9') {
            if (n == 9)
                return CF_EINVAL;
            frac = frac * 10 + (*p++ - '0');
            n++;
        }
        if (n == 0)
            return CF_EINVAL;
        for (; n < 9; n++)
            frac *= 10;
    }
    long long off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 || om > 59)
            return CF_EINVAL;
        off = sign * (oh * 3600LL + om * 60LL);
    } else {
        return CF_EINVAL;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
        return CF_EINVAL;
    struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
                     .tm_hour = h, .tm_min = m, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (tm.tm_mday != D || tm.tm_mon != M - 1)   /* normalized: no 30 February */
        return CF_EINVAL;
    long long secs = (long long)t - off;
    /* int64 nanoseconds cover 1677..2262. */
    if (secs > 9223372035LL || secs < -9223372035LL)
        return CF_EINVAL;
    *ns = secs * 1000000000LL + frac;
    return 0;
}

static int dup_field(yajl_val obj, const char *key, int required, char **out)
{
    yajl_val v = cf_json_get(obj, key);
    if (v ? v->type != yajl_t_string : required)
        return CF_EINVAL;
    *out = strdup(v ? v->u.string : "");
    return *out ? 0 : CF_ENOMEM;
}

int cf_advert_decode(const char *json, size_t len, struct cf_advert **out)
{
    if (!json || !out)
        return CF_EINVAL;
    /* Our own copy rather than cf_json_parse's, so that it can be wiped. */
    char *copy = malloc(len + 1);
    if (!copy)
        return CF_ENOMEM;
    memcpy(copy, json, len);
    copy[len] = '\0';
    yajl_val root = strlen(copy) == len ? yajl_tree_parse(copy, NULL, 0) : NULL;
    cf_free_secret(copy, len + 1);
    if (!root)
        return CF_EINVAL;

    struct cf_advert *a = calloc(1, sizeof *a);
    int rc = a ? 0 : CF_ENOMEM;
    const char *since = cf_json_get_str(root, "active_since");
    if (!rc && (root->type != yajl_t_object || !since ||
                parse_rfc3339(since, &a->active_since_ns)))
        rc = CF_EINVAL;
    if (!rc)
        rc = dup_field(root, "redirect_addr", 1, &a->api_addr);
    if (!rc)
        rc = dup_field(root, "cluster_addr", 1, &a->cluster_addr);
    if (!rc)
        rc = dup_field(root, "cluster_cert", 1, &a->cert_pem);
    if (!rc)
        rc = dup_field(root, "cluster_key", 1, &a->key_pem);
    if (!rc)
        rc = dup_field(root, "node_id", 0, &a->node_id);
    if (!rc)
        rc = dup_field(root, "hostname", 0, &a->hostname);
    if (!rc && (!*a->api_addr || !*a->cert_pem || !*a->key_pem))
        rc = CF_EINVAL;

    yajl_val key = cf_json_get(root, "cluster_key");
    if (key && key->type == yajl_t_string)
        cf_zero(key->u.string, strlen(key->u.string));
    yajl_tree_free(root);
    if (rc) {
        cf_advert_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

void cf_advert_free(struct cf_advert *a)
{
    if (!a)
        return;
    free(a->api_addr);
    free(a->cluster_addr);
    free(a->cert_pem);
    cf_free_secret_str(a->key_pem);
    free(a->node_id);
    free(a->hostname);
    free(a);
}
