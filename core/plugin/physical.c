/* The physical layer: calls into the storage vtable, treating a member past
 * the vtable's struct_size, or NULL, as not offered, through the same call
 * gate as ha and transport so that free waits for calls in flight. */
#include "plugin/physical.h"
#include "plugin/call_gate.h"
#include "util/json.h"
#include <coffer/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct cf_physical {
    struct cf_plugin_gate gate; /* first: the gate allocates and frees p */
    const struct coffer_storage *vt;
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
    if (p)
        cf_plugin_gate_free(&p->gate);
}

const char *cf_physical_name(const struct cf_physical *p)
{
    return cf_plugin_gate_name(&p->gate);
}

int cf_physical_get(struct cf_physical *p, const char *key, uint8_t **val, size_t *len)
{
    if (!COFFER_VT_HAS(p->vt, get))
        return CF_ENOTSUP;
    int rc = cf_plugin_gate_enter(&p->gate);
    if (rc)
        return rc;
    rc = p->vt->get(p->gate.inst, key, val, len);
    cf_plugin_gate_leave(&p->gate);
    return rc;
}

int cf_physical_put(struct cf_physical *p, const char *key, const uint8_t *val,
                    size_t len)
{
    if (!COFFER_VT_HAS(p->vt, put))
        return CF_ENOTSUP;
    int rc = cf_plugin_gate_enter(&p->gate);
    if (rc)
        return rc;
    rc = p->vt->put(p->gate.inst, key, val, len);
    cf_plugin_gate_leave(&p->gate);
    return rc;
}

int cf_physical_delete(struct cf_physical *p, const char *key)
{
    if (!COFFER_VT_HAS(p->vt, del))
        return CF_ENOTSUP;
    int rc = cf_plugin_gate_enter(&p->gate);
    if (rc)
        return rc;
    rc = p->vt->del(p->gate.inst, key);
    cf_plugin_gate_leave(&p->gate);
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
    int rc = cf_plugin_gate_enter(&p->gate);
    if (rc)
        return rc;
    rc = atomic ? p->vt->txn(p->gate.inst, ops, n) : apply_in_order(p, ops, n);
    cf_plugin_gate_leave(&p->gate);
    return rc;
}
