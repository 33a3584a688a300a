/* The zookeeper plugin's storage: Vault's layout, where key "a/b/c" is the
 * znode "<path>/a/b/_c" (the '_' tells files from folders). Every call is
 * retried on a reconnected session until request_timeout, so a blip in
 * the connection is CF_EUNAVAIL at worst, never CF_ENOENT. */
#include "zk.h"
#include <stdlib.h>
#include <string.h>

#define ZK_NOMEM (-1000)
#define MAX_RACES 20 /* put/delete racing each other over folders */

typedef int (*zk_op)(struct zk *z, struct zk_session *s, void *arg);

/* Runs op on a connected session, again after each retryable failure. */
static int run(struct zk *z, zk_op op, void *arg)
{
    uint64_t deadline = z->host->monotonic_ms() + (uint64_t)z->request_ms;
    for (;;) {
        int rc;
        struct zk_session *s = cf_zk_acquire(z, NULL, &rc);
        if (!s)
            return rc;
        int zrc = op(z, s, arg);
        cf_zk_release(z, s);
        if (!cf_zk_retryable(zrc) || z->host->monotonic_ms() >= deadline)
            return cf_zk_error(zrc);
    }
}

struct get_arg {
    char *node;
    char *buf;
    int len;
};

static int get_op(struct zk *z, struct zk_session *s, void *arg)
{
    struct get_arg *a = arg;
    int cap = 16384;
    for (;;) {
        char *buf = z->host->alloc((size_t)cap);
        if (!buf)
            return ZK_NOMEM;
        int len = cap;
        struct Stat st;
        int zrc = zoo_get(s->zh, a->node, 0, buf, &len, &st);
        if (zrc == ZOK && st.dataLength > cap) {
            /* Grown since we asked: ask again with room for it. */
            z->host->free_secret(buf, (size_t)cap);
            cap = st.dataLength;
            continue;
        }
        if (zrc) {
            z->host->free(buf);
            return zrc;
        }
        a->buf = buf;
        a->len = len < 0 ? 0 : len; /* -1: a znode with null data */
        return ZOK;
    }
}

int cf_zk_get(void *inst, const char *key, uint8_t **val, size_t *len)
{
    struct zk *z = inst;
    struct get_arg a = {cf_zk_node_path(z, key), NULL, 0};
    if (!a.node)
        return CF_EINVAL;
    int rc = run(z, get_op, &a);
    free(a.node);
    if (rc)
        return rc;
    *val = (uint8_t *)a.buf;
    *len = (size_t)a.len;
    return 0;
}

struct put_arg {
    char *node;
    const uint8_t *val;
    int len;
};

static int put_op(struct zk *z, struct zk_session *s, void *arg)
{
    struct put_arg *a = arg;
    const char *v = a->len ? (const char *)a->val : "";
    for (int i = 0; i < MAX_RACES; i++) {
        int zrc = zoo_set(s->zh, a->node, v, a->len, -1);
        if (zrc != ZNONODE)
            return zrc;
        zrc = zoo_create(s->zh, a->node, v, a->len, &z->acl, 0, NULL, 0);
        if (zrc == ZNONODE)
            zrc = cf_zk_make_parents(z, s, a->node);
        else if (zrc != ZNODEEXISTS)
            return zrc;
        if (zrc)
            return zrc;
    }
    return ZSYSTEMERROR;
}

int cf_zk_put(void *inst, const char *key, const uint8_t *val, size_t len)
{
    struct zk *z = inst;
    if (len > INT32_MAX)
        return CF_EINVAL;
    struct put_arg a = {cf_zk_node_path(z, key), val, (int)len};
    if (!a.node)
        return CF_EINVAL;
    int rc = run(z, put_op, &a);
    free(a.node);
    return rc;
}

/* Removes the znode, then each parent folder that became empty, up to (not
 * including) the base. A folder that is not empty ends the walk. */
static int del_op(struct zk *z, struct zk_session *s, void *arg)
{
    char *node = arg;
    int zrc = zoo_delete(s->zh, node, -1);
    if (zrc != ZOK && zrc != ZNONODE)
        return zrc;
    size_t base = strlen(z->base);
    char *slash;
    while ((slash = strrchr(node, '/')) && (size_t)(slash - node) > base) {
        *slash = '\0';
        zrc = zoo_delete(s->zh, node, -1);
        if (zrc == ZNOTEMPTY || zrc == ZNONODE)
            return ZOK;
        if (zrc)
            return zrc;
    }
    return ZOK;
}

int cf_zk_del(void *inst, const char *key)
{
    struct zk *z = inst;
    char *node = cf_zk_node_path(z, key);
    if (!node)
        return CF_EINVAL;
    /* del_op cuts node short as it climbs: retry from a fresh copy. */
    char *work = malloc(strlen(node) + 1);
    int rc = CF_ENOMEM;
    if (work) {
        uint64_t deadline = z->host->monotonic_ms() + (uint64_t)z->request_ms;
        for (;;) {
            strcpy(work, node);
            struct zk_session *s = cf_zk_acquire(z, NULL, &rc);
            if (!s)
                break;
            int zrc = del_op(z, s, work);
            cf_zk_release(z, s);
            rc = cf_zk_error(zrc);
            if (!cf_zk_retryable(zrc) || z->host->monotonic_ms() >= deadline)
                break;
        }
    }
    free(work);
    free(node);
    return rc;
}

struct list_arg {
    const char *folder;
    struct String_vector v;
};

static int list_op(struct zk *z, struct zk_session *s, void *arg)
{
    struct list_arg *a = arg;
    int zrc = zoo_get_children(s->zh, a->folder, 0, &a->v);
    if (zrc == ZNONODE) {
        a->v.count = 0;
        a->v.data = NULL;
        return ZOK;
    }
    return zrc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cf_zk_list(void *inst, const char *prefix, coffer_list_cb cb, void *arg)
{
    struct zk *z = inst;
    size_t plen = prefix ? strlen(prefix) : 0;
    if (plen && (prefix[plen - 1] != '/' || prefix[0] == '/'))
        return CF_EINVAL;
    char *folder = NULL;
    if (plen) {
        /* The folder of "a/b/" is the parent of the node of "a/b/x". */
        char probe[plen + 2];
        memcpy(probe, prefix, plen);
        probe[plen] = 'x';
        probe[plen + 1] = '\0';
        if (!(folder = cf_zk_node_path(z, probe)))
            return CF_EINVAL;
        *strrchr(folder, '/') = '\0';
    } else if (!(folder = strdup(*z->base ? z->base : "/"))) {
        return CF_ENOMEM;
    }
    struct list_arg a = {folder, {0, NULL}};
    int rc = run(z, list_op, &a);
    free(folder);
    if (rc)
        return rc;
    /* Names as the caller sees them: "_x" → "x", folder "d" → "d/". */
    char **names = calloc((size_t)a.v.count + 1, sizeof *names);
    int n = 0;
    for (int i = 0; names && i < a.v.count; i++) {
        const char *c = a.v.data[i];
        if (c[0] == '_') {
            if (c[1] && !(names[n++] = strdup(c + 1)))
                rc = CF_ENOMEM;
        } else if (!z->base[0] && !plen && !strcmp(c, "zookeeper")) {
            continue; /* the server's own subtree at the root */
        } else if (asprintf(&names[n++], "%s/", c) < 0) {
            names[--n] = NULL;
            rc = CF_ENOMEM;
        }
    }
    if (!names)
        rc = CF_ENOMEM;
    deallocate_String_vector(&a.v);
    if (!rc) {
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        for (int i = 0; i < n; i++)
            if (cb(arg, names[i]))
                break;
    }
    for (int i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}
