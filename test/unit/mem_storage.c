/* Sorted-array key/value store behind the storage vtable, for unit tests. */
#include "mem_storage.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ent {
    char *key;
    uint8_t *val;
    size_t len;
};

struct mem {
    pthread_mutex_t mu;
    int fail_puts; /* set by the test through cf_test_mem_physical_ex */
    struct ent *e;
    size_t n, cap;
};

static size_t find(struct mem *m, const char *key, int *found)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(m->e[mid].key, key);
        if (!c) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

static int mget(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct mem *m = inst;
    int found, rc = CF_ENOENT;
    pthread_mutex_lock(&m->mu);
    size_t i = find(m, key, &found);
    if (found) {
        uint8_t *v = malloc(m->e[i].len + 1);
        if (!v) {
            rc = CF_ENOMEM;
        } else {
            memcpy(v, m->e[i].val, m->e[i].len);
            *val = v;
            *len = m->e[i].len;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static int mput(void *inst, const char *key, const uint8_t *val, size_t len)
{
    struct mem *m = inst;
    int found, rc = 0;
    if (m->fail_puts)
        return CF_EIO;
    uint8_t *v = malloc(len + 1);
    if (!v)
        return CF_ENOMEM;
    memcpy(v, val, len);
    pthread_mutex_lock(&m->mu);
    size_t i = find(m, key, &found);
    if (found) {
        free(m->e[i].val);
        m->e[i].val = v;
        m->e[i].len = len;
    } else {
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 16;
            struct ent *ne = realloc(m->e, cap * sizeof *ne);
            if (!ne) {
                rc = CF_ENOMEM;
                goto out;
            }
            m->e = ne;
            m->cap = cap;
        }
        char *k = strdup(key);
        if (!k) {
            rc = CF_ENOMEM;
            goto out;
        }
        memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof *m->e);
        m->e[i] = (struct ent){k, v, len};
        m->n++;
        v = NULL;
    }
    v = NULL;
out:
    pthread_mutex_unlock(&m->mu);
    free(v);
    return rc;
}

static int mdel(void *inst, const char *key)
{
    struct mem *m = inst;
    int found;
    pthread_mutex_lock(&m->mu);
    size_t i = find(m, key, &found);
    if (found) {
        free(m->e[i].key);
        free(m->e[i].val);
        memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof *m->e);
        m->n--;
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static int mlist(void *inst, const char *prefix, coffer_list_cb cb, void *arg)
{
    struct mem *m = inst;
    size_t pl = strlen(prefix);
    char last[1024] = "";
    int found;
    pthread_mutex_lock(&m->mu);
    for (size_t i = find(m, prefix, &found); i < m->n; i++) {
        const char *k = m->e[i].key;
        if (strncmp(k, prefix, pl))
            break;
        const char *rest = k + pl;
        const char *slash = strchr(rest, '/');
        char name[1024];
        size_t nl = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
        if (nl >= sizeof name)
            continue;
        memcpy(name, rest, nl);
        name[nl] = '\0';
        if (!strcmp(name, last))
            continue;
        strcpy(last, name);
        if (cb(arg, name))
            break;
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static void mclose(void *inst)
{
    struct mem *m = inst;
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].key);
        free(m->e[i].val);
    }
    free(m->e);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const struct coffer_storage VT = {
    .struct_size = sizeof(struct coffer_storage),
    .get = mget,
    .put = mput,
    .del = mdel,
    .list = mlist,
    .close = mclose,
};

int cf_test_mem_physical_ex(struct cf_physical **out, int **fail_puts)
{
    struct mem *m = calloc(1, sizeof *m);
    if (!m)
        return CF_ENOMEM;
    pthread_mutex_init(&m->mu, NULL);
    int rc = cf_physical_new(&VT, m, "test-mem", NULL, NULL, out);
    if (rc)
        mclose(m);
    else if (fail_puts)
        *fail_puts = &m->fail_puts;
    return rc;
}

int cf_test_mem_physical(struct cf_physical **out)
{
    return cf_test_mem_physical_ex(out, NULL);
}
