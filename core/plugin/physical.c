/* The physical layer: calls into the storage vtable, treating a member past
 * the vtable's struct_size, or NULL, as not offered, through the same call
 * gate as ha and transport so that free waits for calls in flight. */
#include "plugin/physical.h"
#include "plugin/cache.h"
#include "plugin/call_gate.h"
#include "util/json.h"
#include <coffer/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct cf_physical {
    struct cf_plugin_gate gate; /* first: the gate allocates and frees p */
    const struct coffer_storage *vt;
    struct cf_cache *cache; /* NULL: none (disable_cache) */
};
_Static_assert(offsetof(struct cf_physical, gate) == 0, "gate first");

int cf_physical_new(const struct coffer_storage *vt, void *inst, const char *name,
                    void (*on_free)(void *), void *on_free_arg, struct cf_physical **out)
{
    void *w;
    int rc = cf_plugin_gate_new(sizeof(struct cf_physical), inst,
                                COFFER_VT_HAS(vt, close) ? vt->close : NULL, name, NULL,
                                on_free, on_free_arg, &w);
    if (rc)
        return rc;
    struct cf_physical *p = w;
    p->vt = vt;
    *out = p;
    return 0;
}

void cf_physical_free(struct cf_physical *p)
{
    if (!p)
        return;
    struct cf_cache *c = p->cache;
    cf_plugin_gate_free(&p->gate);
    cf_cache_free(c);
}

int cf_physical_cache_init(struct cf_physical *p, size_t entries)
{
    if (p->cache)
        return 0;
    return cf_cache_new(entries, &p->cache);
}

void cf_physical_cache_enable(struct cf_physical *p, int on)
{
    if (p->cache)
        cf_cache_enable(p->cache, on);
}

int cf_physical_cache_stats(struct cf_physical *p, size_t *entries, uint64_t *hits,
                            uint64_t *misses)
{
    if (!p->cache || !cf_cache_enabled(p->cache))
        return CF_ENOENT;
    cf_cache_stats(p->cache, entries, hits, misses);
    return 0;
}

const char *cf_physical_name(const struct cf_physical *p)
{
    return cf_plugin_gate_name(&p->gate);
}

int cf_physical_get(struct cf_physical *p, const char *key, uint8_t **val, size_t *len)
{
    if (!COFFER_VT_HAS(p->vt, get))
        return CF_ENOTSUP;
    struct cf_cache *c = p->cache;
    int rc;
    if (c) {
        cf_cache_lock(c, key, 0);
        rc = cf_cache_get(c, key, val, len);
        if (rc) {
            cf_cache_unlock(c, key);
            return rc < 0 ? rc : *val ? 0 : CF_ENOENT;
        }
    }
    rc = cf_plugin_gate_enter(&p->gate);
    if (!rc) {
        rc = p->vt->get(p->gate.inst, key, val, len);
        cf_plugin_gate_leave(&p->gate);
    }
    if (c) {
        if (!rc || rc == CF_ENOENT)
            cf_cache_set(c, key, rc ? NULL : *val, rc ? 0 : *len);
        cf_cache_unlock(c, key);
    }
    return rc;
}

int cf_physical_put(struct cf_physical *p, const char *key, const uint8_t *val,
                    size_t len)
{
    if (!COFFER_VT_HAS(p->vt, put))
        return CF_ENOTSUP;
    struct cf_cache *c = p->cache;
    if (c)
        cf_cache_lock(c, key, 1);
    int rc = cf_plugin_gate_enter(&p->gate);
    if (!rc) {
        rc = p->vt->put(p->gate.inst, key, val, len);
        cf_plugin_gate_leave(&p->gate);
    }
    if (c) {
        if (!rc)
            cf_cache_set(c, key, val, len);
        else
            cf_cache_drop(c, key); /* the write may or may not have landed */
        cf_cache_unlock(c, key);
    }
    return rc;
}

int cf_physical_delete(struct cf_physical *p, const char *key)
{
    if (!COFFER_VT_HAS(p->vt, del))
        return CF_ENOTSUP;
    struct cf_cache *c = p->cache;
    if (c)
        cf_cache_lock(c, key, 1);
    int rc = cf_plugin_gate_enter(&p->gate);
    if (!rc) {
        rc = p->vt->del(p->gate.inst, key);
        cf_plugin_gate_leave(&p->gate);
    }
    if (c) {
        if (!rc || rc == CF_ENOENT)
            cf_cache_set(c, key, NULL, 0);
        else
            cf_cache_drop(c, key);
        cf_cache_unlock(c, key);
    }
    return rc;
}

struct collect {
    char **v;
    size_t n, cap;
    int err;
};

static int collect_cb(void *arg, const char *name)
{
    struct collect *c = arg;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        char **nv = realloc(c->v, cap * sizeof *nv);
        if (!nv) {
            c->err = CF_ENOMEM;
            return 1;
        }
        c->v = nv;
        c->cap = cap;
    }
    if (!(c->v[c->n] = strdup(name))) {
        c->err = CF_ENOMEM;
        return 1;
    }
    c->n++;
    return 0;
}

int cf_physical_list(struct cf_physical *p, const char *prefix, char ***keys, size_t *n)
{
    if (!COFFER_VT_HAS(p->vt, list))
        return CF_ENOTSUP;
    int rc = cf_plugin_gate_enter(&p->gate);
    if (rc)
        return rc;
    struct collect c = {0};
    rc = p->vt->list(p->gate.inst, prefix, collect_cb, &c);
    cf_plugin_gate_leave(&p->gate);
    if (!rc)
        rc = c.err;
    if (rc) {
        cf_strv_free(c.v, c.n);
        return rc;
    }
    *keys = c.v;
    *n = c.n;
    return 0;
}

/* The fallback for a store without transactions; the caller holds the
 * gate and has checked every op's kind and vtable member. */
static int apply_in_order(struct cf_physical *p, const struct coffer_txn_op *ops,
                          size_t n)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++)
        rc = ops[i].kind == CF_TXN_PUT
            ? p->vt->put(p->gate.inst, ops[i].key, ops[i].value, ops[i].value_len)
            : p->vt->del(p->gate.inst, ops[i].key);
    return rc;
}

int cf_physical_txn(struct cf_physical *p, const struct coffer_txn_op *ops, size_t n)
{
    int atomic = (p->vt->caps & CF_STORAGE_CAP_TXN) && COFFER_VT_HAS(p->vt, txn);
    for (size_t i = 0; !atomic && i < n; i++) {
        if (ops[i].kind != CF_TXN_PUT && ops[i].kind != CF_TXN_DELETE)
            return CF_EINVAL;
        if (ops[i].kind == CF_TXN_PUT ? !COFFER_VT_HAS(p->vt, put)
                                      : !COFFER_VT_HAS(p->vt, del))
            return CF_ENOTSUP;
    }
    struct cf_cache *c = p->cache;
    const char *local[8], **keys = local;
    if (c && n > 8 && !(keys = malloc(n * sizeof *keys)))
        return CF_ENOMEM;
    for (size_t i = 0; c && i < n; i++)
        keys[i] = ops[i].key;
    if (c)
        cf_cache_lock_keys(c, keys, n);
    int rc = cf_plugin_gate_enter(&p->gate);
    if (!rc) {
        rc = atomic ? p->vt->txn(p->gate.inst, ops, n) : apply_in_order(p, ops, n);
        cf_plugin_gate_leave(&p->gate);
    }
    for (size_t i = 0; c && i < n; i++) {
        if (rc)
            cf_cache_drop(c, ops[i].key); /* some may have landed */
        else if (ops[i].kind == CF_TXN_PUT)
            cf_cache_set(c, ops[i].key, ops[i].value, ops[i].value_len);
        else
            cf_cache_set(c, ops[i].key, NULL, 0);
    }
    if (c)
        cf_cache_unlock_keys(c, keys, n);
    if (keys != local)
        free(keys);
    return rc;
}
