/* A storage view: the barrier seen under a fixed key prefix, so a backend
 * can only reach its own keys (logical/<mount uuid>/...). */
#ifndef CF_VIEW_H
#define CF_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>
#include "seal/barrier.h"

struct cf_view {
    struct cf_barrier *barrier; /* borrowed */
    char *prefix;               /* owned, ends in '/' or is "" */
};

int cf_view_new(struct cf_barrier *b, const char *prefix, struct cf_view **out);
void cf_view_free(struct cf_view *v);

/* As the barrier calls, with the prefix prepended. */
int cf_view_get(const struct cf_view *v, const char *key, uint8_t **val, size_t *len);
int cf_view_put(const struct cf_view *v, const char *key, const void *val, size_t len);
int cf_view_delete(const struct cf_view *v, const char *key);
int cf_view_list(const struct cf_view *v, const char *prefix, char ***keys, size_t *n);
/* cf_barrier_txn with the prefix prepended to every key. */
int cf_view_txn(const struct cf_view *v, const struct coffer_txn_op *ops, size_t n);
/* Deletes every key under prefix (recursively). */
int cf_view_clear(const struct cf_view *v, const char *prefix);

/* JSON conveniences: get parses (CF_ENOENT missing, CF_EIO unparsable);
 * put stores the NUL-terminated text. */
int cf_view_get_json(const struct cf_view *v, const char *key, yajl_val *out);
int cf_view_put_str(const struct cf_view *v, const char *key, const char *s);

#endif
