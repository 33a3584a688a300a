/* The type → backend registry: a small array, read-only once the node
 * has started. */
#include "router/registry.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

struct cf_registry {
    const struct cf_backend_type **t;
    size_t n;
};

int cf_registry_new(struct cf_registry **out)
{
    struct cf_registry *r = calloc(1, sizeof *r);
    if (!r)
        return CF_ENOMEM;
    *out = r;
    return 0;
}

void cf_registry_free(struct cf_registry *r)
{
    if (!r)
        return;
    free(r->t);
    free(r);
}

int cf_registry_add(struct cf_registry *r, const struct cf_backend_type *t)
{
    if (!t->name || !t->backend || !t->backend->handle)
        return CF_EINVAL;
    if (cf_registry_find(r, t->name))
        return CF_EEXIST;
    const struct cf_backend_type **nt = realloc(r->t, (r->n + 1) * sizeof *nt);
    if (!nt)
        return CF_ENOMEM;
    r->t = nt;
    r->t[r->n++] = t;
    return 0;
}

const struct cf_backend_type *cf_registry_find(const struct cf_registry *r,
                                               const char *name)
{
    for (size_t i = 0; name && i < r->n; i++)
        if (!strcmp(r->t[i]->name, name))
            return r->t[i];
    return NULL;
}

const struct cf_backend_type *cf_registry_at(const struct cf_registry *r, size_t i)
{
    return i < r->n ? r->t[i] : NULL;
}
