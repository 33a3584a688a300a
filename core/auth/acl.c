/* ACL evaluation following Vault's vault/acl.go: rules of every policy are
 * merged per pattern (union, deny wins); a request path takes the exact
 * rule, else the highest-priority match among the longest glob prefix and
 * the segment-wildcard ('+') patterns. */
#include "auth/acl.h"
#include "auth/policy_store.h"

#include <stdatomic.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>

struct entry {
    const char *key; /* borrowed from a policy rule */
    size_t keylen;   /* prefix rules: without the trailing '*' */
    size_t wclen;    /* length without a trailing '*' */
    int is_prefix;
    int wildcards;   /* number of '+' segments */
    size_t first_wc; /* index of the first '+' or '*' */
    unsigned caps;
    const struct cf_path_rule **src; /* rules contributing parameters */
    size_t nsrc;
};

struct table {
    struct entry *e;
    size_t n;
};

struct cf_acl {
    atomic_int refs; /* cf_acl_free drops one */
    int root;
    struct cf_policy **pols; /* references held */
    size_t npols;
    struct table exact, prefix, seg;
};

int cf_acl_is_root(const struct cf_acl *a) { return a && a->root; }

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].src);
    free(t->e);
}

struct cf_acl *cf_acl_ref(struct cf_acl *a)
{
    atomic_fetch_add(&a->refs, 1);
    return a;
}

void cf_acl_free(struct cf_acl *a)
{
    if (!a || atomic_fetch_sub(&a->refs, 1) > 1)
        return;
    table_free(&a->exact);
    table_free(&a->prefix);
    table_free(&a->seg);
    for (size_t i = 0; i < a->npols; i++)
        cf_policy_free(a->pols[i]);
    free(a->pols);
    free(a);
}

static int has_segment_wildcard(const char *p)
{
    return !strcmp(p, "+") || strstr(p, "/+") || !strncmp(p, "+/", 2);
}

static int entry_cmp(const void *x, const void *y)
{
    const struct entry *a = x, *b = y;
    size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
    int c = memcmp(a->key, b->key, n);
    if (c)
        return c;
    return a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
}

static int table_add(struct table *t, const struct cf_path_rule *r, size_t keylen,
                     int is_prefix)
{
    struct entry *ne = realloc(t->e, (t->n + 1) * sizeof *ne);
    if (!ne)
        return CF_ENOMEM;
    t->e = ne;
    struct entry *e = &ne[t->n];
    memset(e, 0, sizeof *e);
    e->key = r->path;
    e->keylen = keylen;
    e->is_prefix = is_prefix;
    e->wclen = is_prefix && keylen == strlen(r->path) ? keylen - 1 : keylen;
    e->caps = r->caps;
    const char *plus = strchr(r->path, '+');
    const char *star = is_prefix ? r->path + keylen : NULL;
    e->first_wc = plus ? (size_t)(plus - r->path) : star ? keylen : 0;
    for (const char *p = r->path; (p = strchr(p, '+')); p++)
        if ((p == r->path || p[-1] == '/') &&
            (p[1] == '/' || !p[1] || (p[1] == '*' && !p[2])))
            e->wildcards++;
    if (!(r->caps & CF_CAP_DENY) && (r->nallowed || r->ndenied || r->nrequired)) {
        e->src = malloc(sizeof *e->src);
        if (!e->src)
            return CF_ENOMEM;
        e->src[0] = r;
        e->nsrc = 1;
    }
    t->n++;
    return 0;
}

/* Sorts by key and folds duplicates: union of capabilities, deny wins and
 * drops the parameter constraints. */
static int table_merge(struct table *t)
{
    if (!t->n)
        return 0;
    qsort(t->e, t->n, sizeof *t->e, entry_cmp);
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        struct entry *cur = &t->e[i];
        if (!w || entry_cmp(&t->e[w - 1], cur)) {
            t->e[w++] = *cur;
            continue;
        }
        struct entry *ex = &t->e[w - 1];
        if (ex->caps & CF_CAP_DENY) {
            free(cur->src);
            continue;
        }
        if (cur->caps & CF_CAP_DENY) {
            ex->caps = CF_CAP_DENY;
            free(ex->src);
            free(cur->src);
            ex->src = NULL;
            ex->nsrc = 0;
            continue;
        }
        ex->caps |= cur->caps;
        if (cur->nsrc) {
            const struct cf_path_rule **ns =
                realloc(ex->src, (ex->nsrc + cur->nsrc) * sizeof *ns);
            if (!ns) {
                /* keep the table consistent for table_free */
                for (size_t k = i; k < t->n; k++)
                    t->e[w++] = t->e[k];
                t->n = w;
                return CF_ENOMEM;
            }
            memcpy(ns + ex->nsrc, cur->src, cur->nsrc * sizeof *ns);
            ex->src = ns;
            ex->nsrc += cur->nsrc;
            free(cur->src);
        }
    }
    t->n = w;
    return 0;
}

int cf_acl_from_policies(struct cf_policy *const *pols, size_t n, int is_root,
                         struct cf_acl **out)
{
    struct cf_acl *a = calloc(1, sizeof *a);
    if (!a)
        return CF_ENOMEM;
    atomic_init(&a->refs, 1);
    a->root = is_root;
    if (n && !(a->pols = calloc(n, sizeof *a->pols))) {
        free(a);
        return CF_ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pols[i])
            continue;
        a->pols[a->npols++] = cf_policy_ref(pols[i]);
        for (size_t k = 0; k < pols[i]->nrules && !rc; k++) {
            const struct cf_path_rule *r = &pols[i]->rules[k];
            if (r->templated)
                continue; /* no identity: the template resolves to nothing */
            if (r->unenforced)
                continue; /* stored before such rules were refused: fail closed */
            size_t len = strlen(r->path);
            if (has_segment_wildcard(r->path))
                rc = table_add(&a->seg, r, len, len && r->path[len - 1] == '*');
            else if (len && r->path[len - 1] == '*')
                rc = table_add(&a->prefix, r, len - 1, 1);
            else
                rc = table_add(&a->exact, r, len, 0);
        }
    }
    if (!rc)
        rc = table_merge(&a->exact);
    if (!rc)
        rc = table_merge(&a->prefix);
    if (!rc)
        rc = table_merge(&a->seg);
    if (rc) {
        cf_acl_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int cf_acl_new(struct cf_policy_store *ps, char *const *policies, size_t n,
               struct cf_acl **out)
{
    int root = 0;
    struct cf_policy **pols = n ? calloc(n, sizeof *pols) : NULL;
    if (n && !pols)
        return CF_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!strcmp(policies[i], "root")) {
            root = 1;
            continue;
        }
        rc = cf_policy_store_get(ps, policies[i], &pols[i]);
        if (rc == CF_ENOENT)
            rc = 0;
    }
    if (!rc)
        rc = cf_acl_from_policies(pols, n, root, out);
    for (size_t i = 0; i < n; i++)
        cf_policy_free(pols[i]);
    free(pols);
    return rc;
}

static const struct entry *find_exact(const struct table *t, const char *path, size_t len)
{
    size_t lo = 0, hi = t->n;
    struct entry k = {.key = path, .keylen = len};
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = entry_cmp(&k, &t->e[mid]);
        if (!c)
            return &t->e[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Vault's priority, lowest first: earlier first wildcard, glob over exact
 * end, more '+', shorter, lexicographically smaller. 1 if a < b. */
static int lower_priority(const struct entry *a, const struct entry *b)
{
    if (a->first_wc != b->first_wc)
        return a->first_wc < b->first_wc;
    if (a->is_prefix != b->is_prefix)
        return a->is_prefix;
    if (a->wildcards != b->wildcards)
        return a->wildcards > b->wildcards;
    if (a->wclen != b->wclen)
        return a->wclen < b->wclen;
    return memcmp(a->key, b->key, a->wclen) < 0;
}

static int seg_match(const struct entry *e, const char *path)
{
    /* Split both on '/'; '+' takes any one segment; a trailing '*' pattern
     * matches by prefix within its last segment and beyond. */
    size_t plen = e->is_prefix ? e->keylen - 1 : e->keylen;
    const char *pat = e->key, *pend = e->key + plen;
    const char *s = path;
    size_t pat_segs = 1, path_segs = 1;
    for (const char *q = pat; q < pend; q++)
        pat_segs += *q == '/';
    for (const char *q = path; *q; q++)
        path_segs += *q == '/';
    if (path_segs < pat_segs)
        return 0;
    if (!e->is_prefix && path_segs != pat_segs)
        return 0;
    for (size_t i = 0; i < pat_segs; i++) {
        const char *pe = memchr(pat, '/', (size_t)(pend - pat));
        if (!pe)
            pe = pend;
        const char *se = strchr(s, '/');
        if (!se)
            se = s + strlen(s);
        size_t pl = (size_t)(pe - pat), sl = (size_t)(se - s);
        int last = i == pat_segs - 1;
        if (pl == 1 && pat[0] == '+') {
            /* any one segment */
        } else if (pl == sl && !memcmp(pat, s, pl)) {
            /* equal */
        } else if (e->is_prefix && last && sl >= pl && !memcmp(pat, s, pl)) {
            return 1;
        } else {
            return 0;
        }
        if (last)
            return 1;
        pat = pe + 1;
        s = *se ? se + 1 : se;
    }
    return 1;
}

static const struct entry *match(const struct cf_acl *a, const char *path, size_t len)
{
    const struct entry *e = find_exact(&a->exact, path, len);
    if (e)
        return e;
    const struct entry *best = NULL;
    for (size_t i = 0; i < a->prefix.n; i++) {
        const struct entry *p = &a->prefix.e[i];
        if (p->keylen <= len && !memcmp(p->key, path, p->keylen) &&
            (!best || p->keylen > best->keylen))
            best = p;
    }
    if (a->seg.n) {
        char *tmp = strndup(path, len);
        if (!tmp)
            return NULL; /* fail closed */
        for (size_t i = 0; i < a->seg.n; i++) {
            const struct entry *s = &a->seg.e[i];
            if (seg_match(s, tmp) && (!best || lower_priority(best, s)))
                best = s;
        }
        free(tmp);
    }
    return best;
}

unsigned cf_acl_capabilities(const struct cf_acl *a, const char *path)
{
    if (!a)
        return 0;
    if (a->root)
        return CF_CAP_CREATE | CF_CAP_READ | CF_CAP_UPDATE | CF_CAP_DELETE | CF_CAP_LIST |
            CF_CAP_SUDO | CF_CAP_PATCH | CF_CAP_SUBSCRIBE | CF_CAP_RECOVER;
    const struct entry *e = match(a, path, strlen(path));
    return e ? e->caps : 0;
}

static unsigned op_cap(enum cf_op op)
{
    switch (op) {
    case CF_OP_READ:
        return CF_CAP_READ;
    case CF_OP_LIST:
        return CF_CAP_LIST;
    case CF_OP_CREATE:
        return CF_CAP_CREATE;
    case CF_OP_UPDATE:
        return CF_CAP_UPDATE;
    case CF_OP_PATCH:
        return CF_CAP_PATCH;
    case CF_OP_DELETE:
        return CF_CAP_DELETE;
    }
    return 0;
}

/* Vault's strutil.GlobbedStringsMatch: '*' at either end of item. */
static int glob_match(const char *item, const char *val)
{
    size_t il = strlen(item), vl = strlen(val);
    if (il >= 2 && item[0] == '*' && item[il - 1] == '*') {
        char *mid = strndup(item + 1, il - 2);
        int r = mid && strstr(val, mid) != NULL;
        free(mid);
        return r;
    }
    if (il >= 1 && item[0] == '*')
        return vl >= il - 1 && !strcmp(val + vl - (il - 1), item + 1);
    if (il >= 1 && item[il - 1] == '*')
        return !strncmp(val, item, il - 1);
    return !strcmp(item, val);
}

/* One parameter the backend will read: a body value, or a query string
 * value (text, with v NULL). */
struct pval {
    const char *name;
    yajl_val v;
    const char *text;
};

/* What the backend reads as data: the body's top-level keys and the query
 * parameters, which cf_req_param_str falls back to on every method. */
struct params {
    yajl_val body; /* an object, or NULL */
    const struct cf_pair *query;
    size_t nquery;
};

static size_t params_len(const struct params *ps)
{
    return (YAJL_IS_OBJECT(ps->body) ? ps->body->u.object.len : 0) + ps->nquery;
}

static struct pval params_at(const struct params *ps, size_t i)
{
    size_t nb = YAJL_IS_OBJECT(ps->body) ? ps->body->u.object.len : 0;
    if (i < nb)
        return (struct pval){ps->body->u.object.keys[i], ps->body->u.object.values[i],
                             NULL};
    return (struct pval){ps->query[i - nb].key, NULL, ps->query[i - nb].value};
}

/* A scalar as policy text; NULL for null, lists and maps, which never equal
 * a policy value. */
static const char *scalar_text(yajl_val v)
{
    if (YAJL_IS_STRING(v))
        return v->u.string;
    if (YAJL_IS_NUMBER(v))
        return v->u.number.r;
    if (YAJL_IS_TRUE(v))
        return "true";
    if (YAJL_IS_FALSE(v))
        return "false";
    return NULL;
}

static int scalar_in_list(const char *text, int is_string, char *const *list, size_t n)
{
    if (!text)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (is_string ? glob_match(list[i], text) : !strcmp(list[i], text))
            return 1;
    return 0;
}

/* The merged allowed (or denied) constraint on name at e: 0 absent, 1 any
 * value (an empty list in some policy wins, as Vault merges), 2 lists. */
static int param_lookup(const struct entry *e, int denied, const char *name)
{
    int found = 0;
    for (size_t i = 0; i < e->nsrc; i++) {
        const struct cf_path_rule *r = e->src[i];
        const struct cf_param_rule *p = denied ? r->denied : r->allowed;
        size_t n = denied ? r->ndenied : r->nallowed;
        for (size_t k = 0; k < n; k++) {
            /* policy names are lower-cased; Vault lower-cases the request's */
            if (strcasecmp(p[k].name, name))
                continue;
            if (!p[k].nvalues)
                return 1;
            found = 2;
        }
    }
    return found;
}

/* Whether one scalar is in the union of the lists for name at e. */
static int scalar_in_union(const struct entry *e, int denied, const char *name,
                           const char *text, int is_string)
{
    for (size_t i = 0; i < e->nsrc; i++) {
        const struct cf_path_rule *r = e->src[i];
        const struct cf_param_rule *p = denied ? r->denied : r->allowed;
        size_t n = denied ? r->ndenied : r->nallowed;
        for (size_t k = 0; k < n; k++)
            if (!strcasecmp(p[k].name, name) &&
                scalar_in_list(text, is_string, p[k].values, p[k].nvalues))
                return 1;
    }
    return 0;
}

/* Vault 1.21's per-element rule: a list value is denied when any element
 * is in the denied lists, and allowed only when every element is in the
 * allowed lists, so wrapping a value in a list cannot slip it past. */
static int value_matches(const struct entry *e, int denied, const struct pval *pv)
{
    if (!pv->v)
        return scalar_in_union(e, denied, pv->name, pv->text, 1);
    if (!YAJL_IS_ARRAY(pv->v))
        return scalar_in_union(e, denied, pv->name, scalar_text(pv->v),
                               YAJL_IS_STRING(pv->v));
    for (size_t i = 0; i < pv->v->u.array.len; i++) {
        yajl_val el = pv->v->u.array.values[i];
        int m = scalar_in_union(e, denied, pv->name, scalar_text(el), YAJL_IS_STRING(el));
        if (denied ? m : !m)
            return denied;
    }
    return !denied;
}

static size_t count_params(const struct entry *e, int denied, size_t *nstar)
{
    size_t n = 0;
    *nstar = 0;
    for (size_t i = 0; i < e->nsrc; i++) {
        const struct cf_path_rule *r = e->src[i];
        const struct cf_param_rule *p = denied ? r->denied : r->allowed;
        size_t c = denied ? r->ndenied : r->nallowed;
        for (size_t k = 0; k < c; k++) {
            n++;
            if (!strcmp(p[k].name, "*"))
                (*nstar)++;
        }
    }
    return n;
}

static int has_param(const struct params *ps, const char *name)
{
    size_t n = params_len(ps);
    for (size_t j = 0; j < n; j++)
        if (!strcmp(params_at(ps, j).name, name))
            return 1;
    return 0;
}

/* Vault's order (vault/acl.go): required names must be present exactly as
 * written (lower case), no data passes, then denied ("*" denies all), then
 * allowed ("*" alone allows all, "*" among others admits unlisted names). */
static int params_ok(const struct entry *e, const struct params *ps)
{
    for (size_t i = 0; i < e->nsrc; i++)
        for (size_t k = 0; k < e->src[i]->nrequired; k++)
            if (!has_param(ps, e->src[i]->required[k]))
                return 0;
    size_t n = params_len(ps);
    if (!n)
        return 1;
    size_t star;
    if (count_params(e, 1, &star)) {
        if (star)
            return 0;
        for (size_t j = 0; j < n; j++) {
            struct pval pv = params_at(ps, j);
            int f = param_lookup(e, 1, pv.name);
            if (f == 1 || (f == 2 && value_matches(e, 1, &pv)))
                return 0;
        }
    }
    size_t nallowed = count_params(e, 0, &star);
    if (!nallowed || nallowed == star)
        return 1;
    for (size_t j = 0; j < n; j++) {
        struct pval pv = params_at(ps, j);
        int f = param_lookup(e, 0, pv.name);
        if (!f && !star)
            return 0;
        if (f == 2 && !value_matches(e, 0, &pv))
            return 0;
    }
    return 1;
}

static int allowed(const struct cf_acl *a, const char *path, enum cf_op op,
                   int needs_sudo, const struct params *ps)
{
    if (!a)
        return 0;
    if (a->root)
        return 1;
    size_t len = strlen(path);
    const struct entry *e = find_exact(&a->exact, path, len);
    if (!e && op == CF_OP_LIST && len && path[len - 1] == '/')
        e = find_exact(&a->exact, path, len - 1);
    if (!e)
        e = match(a, path, len);
    if (!e || (e->caps & CF_CAP_DENY))
        return 0;
    if (!(e->caps & op_cap(op)))
        return 0;
    if (needs_sudo && !(e->caps & CF_CAP_SUDO))
        return 0;
    if (ps && e->nsrc &&
        (op == CF_OP_READ || op == CF_OP_CREATE || op == CF_OP_UPDATE ||
         op == CF_OP_PATCH))
        return params_ok(e, ps);
    return 1;
}

int cf_acl_allowed(const struct cf_acl *a, const char *path, enum cf_op op,
                   int needs_sudo)
{
    return allowed(a, path, op, needs_sudo, NULL);
}

int cf_acl_allowed_params(const struct cf_acl *a, const char *path, enum cf_op op,
                          int needs_sudo, yajl_val data)
{
    struct params ps = {data, NULL, 0};
    return allowed(a, path, op, needs_sudo, &ps);
}

int cf_acl_allowed_request(const struct cf_acl *a, const struct cf_request *req,
                           int needs_sudo)
{
    struct params ps = {req->data, req->query, req->nquery};
    return allowed(a, req->path, req->op, needs_sudo, &ps);
}

/* Whether any rule grants something at or below prefix: Vault's
 * hasMountAccess, used by sys/internal/ui/mounts. A rule counts when its
 * literal part (up to the first wildcard) and prefix agree. */
static int table_reaches(const struct table *t, const char *prefix, int exact)
{
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < t->n; i++) {
        const struct entry *e = &t->e[i];
        if (!e->caps || (e->caps & CF_CAP_DENY))
            continue;
        size_t lit = exact ? strlen(e->key) : e->first_wc;
        size_t n = lit < pl ? lit : pl;
        if (exact && lit < pl)
            continue; /* an exact rule above the mount grants nothing in it */
        if (!strncmp(e->key, prefix, n))
            return 1;
    }
    return 0;
}

int cf_acl_reaches(const struct cf_acl *a, const char *prefix)
{
    if (!a)
        return 0;
    if (a->root)
        return 1;
    return table_reaches(&a->exact, prefix, 1) || table_reaches(&a->prefix, prefix, 0) ||
        table_reaches(&a->seg, prefix, 0);
}
