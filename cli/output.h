/* What the CLI prints: Vault's aligned tables (columns joined by four
 * spaces, a dashed line under the header), Go-%v style value text, the
 * "==== Title ====" banners, and pretty JSON for -format=json. Everything
 * renders into a cf_buf so that tests compare exact strings. */
#ifndef CF_CLI_OUTPUT_H
#define CF_CLI_OUTPUT_H

#include <stddef.h>
#include <yajl/yajl_tree.h>
#include "util/buf.h"

/* Rows of cells, row 0 the header. Cells are malloc'd copies. */
struct cf_table {
    size_t ncols;
    size_t nrows;
    char **cells; /* nrows * ncols, row-major */
};

/* ncols >= 1. The table starts empty; free with cf_table_free. */
void cf_table_init(struct cf_table *t, size_t ncols);
/* Copies ncols cells (NULL prints as empty). 0 or CF_ENOMEM (no row added). */
int cf_table_add(struct cf_table *t, const char *const *cells);
/* Two-column convenience. */
int cf_table_add2(struct cf_table *t, const char *k, const char *v);
/* Appends the text; with header, row 0 gets a row of dashes under it.
 * A table holding only its header renders nothing. 0 or CF_ENOMEM. */
int cf_table_render(const struct cf_table *t, int header, struct cf_buf *out);
void cf_table_free(struct cf_table *t);

/* A value as Vault's table shows it (Go's %v): strings raw ("" -> "n/a"),
 * null -> "<nil>", arrays "[a b]", objects "map[k:v]" with sorted keys. */
int cf_format_value(yajl_val v, struct cf_buf *out);
/* Pretty JSON, two-space indent, trailing newline. 0, CF_EINVAL, CF_ENOMEM. */
int cf_format_json(yajl_val v, struct cf_buf *out);
/* Seconds as Vault prints durations: 2764800 -> "768h", 90 -> "1m30s",
 * 0 -> "0s". out holds at least 32 bytes. */
void cf_human_duration(long long secs, char out[32]);
/* "=== Title ===" sized for content of total columns (Vault's padEqualSigns). */
int cf_banner(const char *title, size_t total, struct cf_buf *out);

/* An object's members as a Key/Value table, keys sorted; skip (NULL-ended,
 * may be NULL) lists keys to leave out. */
int cf_render_map(yajl_val obj, const char *const *skip, struct cf_buf *out);
/* A Vault response envelope as "vault read" prints it: lease lines, auth
 * lines, then the data keys sorted. Renders nothing for an empty secret. */
int cf_render_secret(yajl_val secret, struct cf_buf *out);
/* A list response's keys: "Keys\n----\n" then one per line. */
int cf_render_keys(yajl_val keys, struct cf_buf *out);
/* The text of one field for -field: first data[field], then the auth
 * fields as the table names them (token, token_accessor, ...).
 * CF_ENOENT when absent. */
int cf_render_field(yajl_val secret, yajl_val data, const char *field,
                    struct cf_buf *out);

/* Sorted copy of an object's keys (pointers into the tree). Caller frees
 * the array only. 0 or CF_ENOMEM; an empty or non-object gives n = 0. */
int cf_sorted_keys(yajl_val obj, const char ***out, size_t *n);

#endif
