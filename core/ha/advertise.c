/* Leader advertisement to and from JSON. The text carries the cluster key,
 * so every buffer this file controls is zeroed before it is freed. */
#include "ha/advertise.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int nonempty(const char *s) { return s && *s; }

int cf_advert_encode(const struct cf_advert *a, char **json)
{
    if (!a || !json || !nonempty(a->api_addr) || !nonempty(a->cert_pem) ||
        !nonempty(a->key_pem) || a->active_since_ns < 0)
        return CF_EINVAL;
    char since[40];
    cf_time_rfc3339nano(a->active_since_ns, since);

    /* cf_json's allocator wipes the buffers that held the key */
    struct cf_json j;
    if (cf_json_init(&j))
        return CF_ENOMEM;
    cf_json_obj_open(&j);
    cf_json_kstr(&j, "redirect_addr", a->api_addr);
    cf_json_kstr(&j, "cluster_addr", a->cluster_addr ? a->cluster_addr : "");
    cf_json_kstr(&j, "cluster_cert", a->cert_pem);
    cf_json_kstr(&j, "cluster_key", a->key_pem);
    cf_json_kstr(&j, "active_since", since);
    cf_json_kstr(&j, "node_id", a->node_id ? a->node_id : "");
    cf_json_kstr(&j, "hostname", a->hostname ? a->hostname : "");
    cf_json_obj_close(&j);

    return cf_json_finish(&j, json);
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
        if (digits(&p, 2, &oh) || expect(&p, ':') || digits(&p, 2, &om) || oh > 23 ||
            om > 59)
            return CF_EINVAL;
        off = sign * (oh * 3600LL + om * 60LL);
    } else {
        return CF_EINVAL;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 59)
        return CF_EINVAL;
    struct tm tm = {.tm_year = Y - 1900,
                    .tm_mon = M - 1,
                    .tm_mday = D,
                    .tm_hour = h,
                    .tm_min = m,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != D || tm.tm_mon != M - 1) /* normalized: no 30 February */
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
    /* cf_json_parse wipes its buffers and the tree on free */
    yajl_val root = NULL;
    if (cf_json_parse(json, len, &root, NULL))
        return CF_EINVAL;

    struct cf_advert *a = calloc(1, sizeof *a);
    int rc = a ? 0 : CF_ENOMEM;
    const char *since = cf_json_get_str(root, "active_since");
    if (!rc &&
        (root->type != yajl_t_object || !since ||
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
    cf_json_free(root);
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
