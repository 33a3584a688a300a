/* The inmem storage plugin (dev mode): a sorted array of keys searched by
 * bisection, behind one rwlock per instance. Nothing survives the process;
 * txn is atomic because it runs under the write lock. */
#include <coffer/plugin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
    char *key;
    uint8_t *val;
    size_t len;
};

struct inmem {
    const struct coffer_host *host;
    pthread_rwlock_t lock;
    struct item *items; /* sorted by key (strcmp) */
    size_t n, cap;
};

/* Index of the first item whose key is >= key. */
static size_t lower_bound(const struct inmem *m, const char *key)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->items[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int found(const struct inmem *m, size_t i, const char *key)
{
    return i < m->n && !strcmp(m->items[i].key, key);
}

static int inmem_open(const struct coffer_host *host, void **inst, struct coffer_err *err)
{
    struct inmem *m = calloc(1, sizeof *m);
    if (!m || pthread_rwlock_init(&m->lock, NULL)) {
        free(m);
        snprintf(err->msg, sizeof err->msg, "inmem: out of memory");
        return CF_ENOMEM;
    }
    m->host = host;
    *inst = m;
    return 0;
}

static void item_free(struct inmem *m, struct item *it)
{
    free(it->key);
    m->host->free_secret(it->val, it->len);
}

static void inmem_close(void *inst)
{
    struct inmem *m = inst;
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        item_free(m, &m->items[i]);
    free(m->items);
    pthread_rwlock_destroy(&m->lock);
    free(m);
}

static int inmem_get(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct inmem *m = inst;
    int rc = CF_ENOENT;
    pthread_rwlock_rdlock(&m->lock);
    size_t i = lower_bound(m, key);
    if (found(m, i, key)) {
        const struct item *it = &m->items[i];
        uint8_t *v = m->host->alloc(it->len ? it->len : 1);
        if (!v) {
            rc = CF_ENOMEM;
        } else {
            if (it->len)
                memcpy(v, it->val, it->len);
            *val = v;
            *len = it->len;
            rc = 0;
        }
    }
    pthread_rwlock_unlock(&m->lock);
    return rc;
}

/* Everything a put needs, allocated before the lock so that applying it
 * cannot fail halfway through a txn. */
struct prepared {
    char *key;
    uint8_t *val;
    size_t len;
};

static int prepare(struct inmem *m, const char *key, const uint8_t *val, size_t len,
                   struct prepared *p)
{
    p->key = strdup(key);
    p->val = m->host->alloc(len ? len : 1);
    p->len = len;
    if (!p->key || !p->val) {
        /* Emptied, not just freed: inmem_txn frees every slot afterwards. */
        free(p->key);
        m->host->free(p->val);
        *p = (struct prepared){NULL, NULL, 0};
        return CF_ENOMEM;
    }
    if (len)
        memcpy(p->val, val, len);
    return 0;
}

static int reserve(struct inmem *m, size_t extra)
{
    if (m->n + extra <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : 64;
    while (cap < m->n + extra)
        cap *= 2;
    struct item *v = realloc(m->items, cap * sizeof *v);
    if (!v)
        return CF_ENOMEM;
    m->items = v;
    m->cap = cap;
    return 0;
}

/* Takes ownership of p. The caller holds the write lock and reserved room. */
static void apply_put(struct inmem *m, struct prepared *p)
{
    size_t i = lower_bound(m, p->key);
    if (found(m, i, p->key)) {
        free(p->key);
        m->host->free_secret(m->items[i].val, m->items[i].len);
        m->items[i].val = p->val;
        m->items[i].len = p->len;
        return;
    }
    memmove(&m->items[i + 1], &m->items[i], (m->n - i) * sizeof *m->items);
    m->items[i] = (struct item){p->key, p->val, p->len};
    m->n++;
}

static void apply_del(struct inmem *m, const char *key)
{
    size_t i = lower_bound(m, key);
    if (!found(m, i, key))
        return;
    item_free(m, &m->items[i]);
    memmove(&m->items[i], &m->items[i + 1], (m->n - i - 1) * sizeof *m->items);
    m->n--;
}

static int inmem_put(void *inst, const char *key, const uint8_t *val, size_t len)
{
    struct inmem *m = inst;
    struct prepared p;
    if (prepare(m, key, val, len, &p))
        return CF_ENOMEM;
    pthread_rwlock_wrlock(&m->lock);
    int rc = reserve(m, 1);
    if (!rc)
        apply_put(m, &p);
    pthread_rwlock_unlock(&m->lock);
    if (rc) {
        free(p.key);
        m->host->free(p.val);
    }
    return rc;
}

static int inmem_del(void *inst, const char *key)
{
    struct inmem *m = inst;
    pthread_rwlock_wrlock(&m->lock);
    apply_del(m, key);
    pthread_rwlock_unlock(&m->lock);
    return 0;
}

static int inmem_txn(void *inst, const struct coffer_txn_op *ops, size_t n)
{
    struct inmem *m = inst;
    struct prepared *ps = calloc(n ? n : 1, sizeof *ps);
    if (!ps)
        return CF_ENOMEM;
    int rc = 0;
    size_t puts = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (ops[i].kind == CF_TXN_PUT) {
            rc = prepare(m, ops[i].key, ops[i].value, ops[i].value_len, &ps[i]);
            puts++;
        } else if (ops[i].kind != CF_TXN_DELETE || !ops[i].key) {
            rc = CF_EINVAL;
        }
    }
    if (!rc) {
        pthread_rwlock_wrlock(&m->lock);
        rc = reserve(m, puts);
        for (size_t i = 0; i < n && !rc; i++) {
            if (ops[i].kind == CF_TXN_PUT) {
                apply_put(m, &ps[i]);
                ps[i].key = NULL;
                ps[i].val = NULL;
            } else {
                apply_del(m, ops[i].key);
            }
        }
        pthread_rwlock_unlock(&m->lock);
    }
    for (size_t i = 0; i < n; i++) {
        free(ps[i].key);
        m->host->free(ps[i].val);
    }
    free(ps);
    return rc;
}

/* Children are copied out under the lock and reported after it, so the
 * callback may call back into the store. */
static int inmem_list(void *inst, const char *prefix, coffer_list_cb cb, void *arg)
{
    struct inmem *m = inst;
    size_t plen = strlen(prefix), n = 0, cap = 0;
    char **names = NULL;
    int rc = 0;
    pthread_rwlock_rdlock(&m->lock);
    size_t i = lower_bound(m, prefix);
    while (i < m->n && !strncmp(m->items[i].key, prefix, plen)) {
        const char *rest = m->items[i].key + plen;
        const char *slash = strchr(rest, '/');
        size_t clen = slash ? (size_t)(slash - rest) + 1 : strlen(rest);
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                rc = CF_ENOMEM;
                break;
            }
            names = v;
        }
        if (!(names[n] = strndup(rest, clen))) {
            rc = CF_ENOMEM;
            break;
        }
        n++;
        if (!slash) {
            i++;
            continue;
        }
        /* Skip the whole folder: jump to the first key after "<child>/"
         * by seeking "<child>0" ('0' follows '/'). */
        char *next = malloc(plen + clen + 1);
        if (!next) {
            rc = CF_ENOMEM;
            break;
        }
        memcpy(next, m->items[i].key, plen + clen);
        next[plen + clen - 1] = '/' + 1;
        next[plen + clen] = '\0';
        i = lower_bound(m, next);
        free(next);
    }
    pthread_rwlock_unlock(&m->lock);
    for (size_t j = 0; j < n; j++) {
        if (!rc && cb(arg, names[j]))
            rc = 1;
        free(names[j]);
    }
    free(names);
    return rc == 1 ? 0 : rc;
}

static const struct coffer_storage inmem_storage = {
    .struct_size = sizeof(struct coffer_storage),
    .caps = CF_STORAGE_CAP_TXN,
    .open = inmem_open,
    .close = inmem_close,
    .get = inmem_get,
    .put = inmem_put,
    .del = inmem_del,
    .list = inmem_list,
    .txn = inmem_txn,
};

static const struct coffer_config_key inmem_keys[] = {
    {NULL, 0, 0, NULL},
};

static const struct coffer_plugin inmem_plugin = {
    .magic = COFFER_PLUGIN_MAGIC,
    .abi_major = COFFER_PLUGIN_ABI_MAJOR,
    .abi_minor = COFFER_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct coffer_plugin),
    .name = "inmem",
    .version = COFFER_VERSION,
    .config_keys = inmem_keys,
    .storage = &inmem_storage,
};

COFFER_PLUGIN_EXPORT const struct coffer_plugin *coffer_plugin_entry(void)
{
    return &inmem_plugin;
}
