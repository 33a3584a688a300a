/* Reads and writes on the bdb plugin's BTREE. Each write is one transaction
 * committed with DB_TXN_SYNC and retried when chosen as a deadlock victim;
 * writers are never serialized here so that BDB's group commit lets
 * concurrent commits share one log fsync. */
#include "bdb.h"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ATTEMPTS 200

static DBT key_dbt(const char *key)
{
    DBT k;
    memset(&k, 0, sizeof k);
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    return k;
}

static int is_retryable(int ret)
{
    return ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

/* Runs body in a fresh transaction until it commits or fails for a reason
 * other than a deadlock. body returns a Berkeley DB code. */
static int in_txn(struct bdb *b, const char *what,
                  int (*body)(struct bdb *, DB_TXN *, const void *), const void *arg)
{
    for (int attempt = 1;; attempt++) {
        DB_TXN *txn = NULL;
        int ret = b->env->txn_begin(b->env, NULL, &txn, 0);
        if (ret)
            return cf_bdb_error(b, what, ret);
        ret = body(b, txn, arg);
        if (!ret) {
            /* The handle is gone after commit, whatever it returns. */
            ret = txn->commit(txn, DB_TXN_SYNC);
            if (!ret)
                cf_bdb_env_after_commit(b);
            return cf_bdb_error(b, what, ret);
        }
        txn->abort(txn);
        if (!is_retryable(ret) || attempt == MAX_ATTEMPTS)
            return cf_bdb_error(b, what, ret);
        sched_yield();
    }
}

int cf_bdb_get(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct bdb *b = inst;
    DBT k = key_dbt(key), v;
    for (int attempt = 1;; attempt++) {
        memset(&v, 0, sizeof v);
        v.flags = DB_DBT_MALLOC; /* from host->alloc: see set_alloc */
        int ret = b->db->get(b->db, NULL, &k, &v, 0);
        if (is_retryable(ret) && attempt < MAX_ATTEMPTS) {
            sched_yield();
            continue;
        }
        if (ret)
            return cf_bdb_error(b, "get", ret);
        break;
    }
    if (!v.data && !(v.data = b->host->alloc(1)))
        return CF_ENOMEM;
    *val = v.data;
    *len = v.size;
    return 0;
}

struct put_arg {
    const char *key;
    const uint8_t *val;
    size_t len;
};

static int put_body(struct bdb *b, DB_TXN *txn, const void *arg)
{
    const struct put_arg *a = arg;
    DBT k = key_dbt(a->key), v;
    memset(&v, 0, sizeof v);
    v.data = (void *)a->val;
    v.size = (u_int32_t)a->len;
    return b->db->put(b->db, txn, &k, &v, 0);
}

static int del_body(struct bdb *b, DB_TXN *txn, const void *arg)
{
    DBT k = key_dbt(arg);
    int ret = b->db->del(b->db, txn, &k, 0);
    return ret == DB_NOTFOUND ? 0 : ret;
}

int cf_bdb_put(void *inst, const char *key, const uint8_t *val, size_t len)
{
    if (len > UINT32_MAX)
        return CF_EINVAL;
    struct put_arg a = {key, val, len};
    return in_txn(inst, "put", put_body, &a);
}

int cf_bdb_del(void *inst, const char *key)
{
    return in_txn(inst, "delete", del_body, key);
}

struct txn_arg {
    const struct coffer_txn_op *ops;
    size_t n;
};

static int txn_body(struct bdb *b, DB_TXN *txn, const void *arg)
{
    const struct txn_arg *a = arg;
    int ret = 0;
    for (size_t i = 0; i < a->n && !ret; i++) {
        const struct coffer_txn_op *op = &a->ops[i];
        if (op->kind == CF_TXN_PUT) {
            struct put_arg p = {op->key, op->value, op->value_len};
            ret = put_body(b, txn, &p);
        } else {
            ret = del_body(b, txn, op->key);
        }
    }
    return ret;
}

int cf_bdb_txn(void *inst, const struct coffer_txn_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ops[i].key || (ops[i].kind != CF_TXN_PUT && ops[i].kind != CF_TXN_DELETE) ||
            ops[i].value_len > UINT32_MAX)
            return CF_EINVAL;
    struct txn_arg a = {ops, n};
    return in_txn(inst, "txn", txn_body, &a);
}

struct names {
    char **v;
    size_t n, cap;
};

static void names_free(struct names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
    memset(ns, 0, sizeof *ns);
}

static int names_push(struct names *ns, const char *s, size_t len)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        ns->v = v;
        ns->cap = cap;
    }
    if (!(ns->v[ns->n] = strndup(s, len)))
        return ENOMEM;
    ns->n++;
    return 0;
}

/* One pass of the cursor over prefix; a folder "d/" is reported once and
 * skipped in one seek (to "<prefix>d0", '0' being the byte after '/'). */
static int scan(struct bdb *b, const char *prefix, struct names *ns)
{
    size_t plen = strlen(prefix);
    DBC *c = NULL;
    int ret = b->db->cursor(b->db, NULL, &c, 0);
    if (ret)
        return ret;
    DBT k, d;
    memset(&k, 0, sizeof k);
    memset(&d, 0, sizeof d);
    k.flags = DB_DBT_REALLOC;
    d.flags = DB_DBT_USERMEM | DB_DBT_PARTIAL; /* keys only */
    u_int32_t how = DB_FIRST;
    if (plen) {
        if (!(k.data = b->host->alloc(plen))) {
            c->close(c);
            return ENOMEM;
        }
        memcpy(k.data, prefix, plen);
        k.size = (u_int32_t)plen;
        how = DB_SET_RANGE;
    }
    while (!(ret = c->get(c, &k, &d, how))) {
        const char *key = k.data;
        if (k.size < plen || memcmp(key, prefix, plen))
            break;
        const char *rest = key + plen;
        size_t rlen = k.size - plen;
        const char *slash = memchr(rest, '/', rlen);
        size_t clen = slash ? (size_t)(slash - rest) + 1 : rlen;
        if ((ret = names_push(ns, rest, clen)))
            break;
        if (slash) {
            ((char *)k.data)[plen + clen - 1] = '/' + 1;
            k.size = (u_int32_t)(plen + clen);
            how = DB_SET_RANGE;
        } else {
            how = DB_NEXT;
        }
    }
    b->host->free(k.data);
    int cret = c->close(c);
    if (ret == DB_NOTFOUND)
        ret = 0;
    return ret ? ret : cret;
}

/* Names are gathered with the cursor open and reported after it closed,
 * so the callback may call back into the store. */
int cf_bdb_list(void *inst, const char *prefix, coffer_list_cb cb, void *arg)
{
    struct bdb *b = inst;
    struct names ns = {0};
    int ret;
    for (int attempt = 1;; attempt++) {
        ret = scan(b, prefix, &ns);
        if (!is_retryable(ret) || attempt == MAX_ATTEMPTS)
            break;
        names_free(&ns);
        sched_yield();
    }
    if (ret) {
        names_free(&ns);
        return ret == ENOMEM ? CF_ENOMEM : cf_bdb_error(b, "list", ret);
    }
    for (size_t i = 0; i < ns.n; i++)
        if (cb(arg, ns.v[i]))
            break;
    names_free(&ns);
    return 0;
}
