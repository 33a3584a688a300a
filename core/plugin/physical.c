/* The physical layer: calls into the storage vtable, treating a member past
 * the vtable's struct_size, or NULL, as not offered. */
#include "plugin/physical.h"
#include "util/json.h"
#include <coffer/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct cf_physical {
    const struct coffer_storage *vt;
    void *inst;
    const char *name;
    void (*on_free)(void *);
    void *on_free_arg;
};

int cf_physical_new(const struct coffer_storage *vt, void *inst,
                    const char *name, void (*on_free)(void *),
                    void *on_free_arg, struct cf_physical **out)
{
    struct cf_physical *p = calloc(1, sizeof *p);
    if (!p)
        return CF_ENOMEM;
    p->vt = vt;
    p->inst = inst;
    p->name = name;
    p->on_free = on_free;
    p->on_free_arg = on_free_arg;
    *out = p;
    return 0;
}

void cf_physical_free(struct cf_physical *p)
{
    if (!p)
        return;
    if (COFFER_VT_HAS(p->vt, close))
        p->vt->close(p->inst);
    if (p->on_free)
        p->on_free(p->on_free_arg);
    free(p);
}

const char *cf_physical_name(const struct cf_physical *p) { return p->name; }

int cf_physical_get(struct cf_physical *p, const char *key, uint8_t **val,
                    size_t *len)
{
    if (!COFFER_VT_HAS(p->vt, get))
        return CF_ENOTSUP;
    return p->vt->get(p->inst, key, val, len);
}

int cf_physical_put(struct cf_physical *p, const char *key, const uint8_t *val,
                    size_t len)
{
    if (!COFFER_VT_HAS(p->vt, put))
        return CF_ENOTSUP;
    return p->vt->put(p->inst, key, val, len);
}

int cf_physical_delete(struct cf_physical *p, const char *key)
{
    if (!COFFER_VT_HAS(p->vt, del))
        return CF_ENOTSUP;
    return p->vt->del(p->inst, key);
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

int cf_physical_list(struct cf_physical *p, const char *prefix, char ***keys,
                     size_t *n)
{
    if (!COFFER_VT_HAS(p->vt, list))
        return CF_ENOTSUP;
    struct collect c = {0};
    int rc = p->vt->list(p->inst, prefix, collect_cb, &c);
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

int cf_physical_txn(struct cf_physical *p, const struct coffer_txn_op *ops,
                    size_t n)
{
    if (!(p->vt->caps & CF_STORAGE_CAP_TXN) || !COFFER_VT_HAS(p->vt, txn))
        return CF_ENOTSUP;
    return p->vt->txn(p->inst, ops, n);
}
