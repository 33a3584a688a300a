/* JSON writing (yajl_gen with UTF-8 validation) and reading helpers
 * (yajl_tree) used by every layer. */
#ifndef CF_JSON_H
#define CF_JSON_H

#include <stddef.h>
#include <coffer/errors.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* A writer latches its first error; cf_json_finish reports it. */
struct cf_json {
    yajl_gen g;
    int err;
};

int cf_json_init(struct cf_json *j);
void cf_json_obj_open(struct cf_json *j);
void cf_json_obj_close(struct cf_json *j);
void cf_json_arr_open(struct cf_json *j);
void cf_json_arr_close(struct cf_json *j);
void cf_json_key(struct cf_json *j, const char *k);
void cf_json_str(struct cf_json *j, const char *s);     /* NULL writes null */
void cf_json_strn(struct cf_json *j, const char *s, size_t n);
void cf_json_int(struct cf_json *j, long long v);
void cf_json_bool(struct cf_json *j, int v);
void cf_json_null(struct cf_json *j);
/* Writes a parsed value (deep copy of the tree); NULL writes null. */
void cf_json_value(struct cf_json *j, yajl_val v);
/* Convenience: key + value. */
void cf_json_kstr(struct cf_json *j, const char *k, const char *s);
void cf_json_kint(struct cf_json *j, const char *k, long long v);
void cf_json_kbool(struct cf_json *j, const char *k, int v);
/* Returns 0 and the text (malloc'd, caller frees) or CF_EINVAL/CF_ENOMEM.
 * Always releases the writer. */
int cf_json_finish(struct cf_json *j, char **out);
void cf_json_abort(struct cf_json *j);

/* Parses len bytes (need not be NUL-terminated) into *out, the caller's
 * (yajl_tree_free). CF_EINVAL with the parser's one-line message in err on
 * malformed input, CF_ENOMEM; err may be NULL. */
int cf_json_parse(const char *text, size_t len, yajl_val *out, struct coffer_err *err);

/* Lookups on an object; all return NULL / CF_ENOENT when absent. */
yajl_val cf_json_get(yajl_val obj, const char *key);
const char *cf_json_get_str(yajl_val obj, const char *key);
/* Integer, or a string holding an integer; CF_EINVAL for another type. */
int cf_json_get_int(yajl_val obj, const char *key, long long *out);
/* true/false, or the strings "true"/"false"/"1"/"0". */
int cf_json_get_bool(yajl_val obj, const char *key, int *out);
/* A list of strings: a JSON array of strings or one comma-separated string.
 * *out is a malloc'd array of malloc'd strings; free with cf_strv_free. */
int cf_json_get_strv(yajl_val obj, const char *key, char ***out, size_t *n);
void cf_strv_free(char **v, size_t n);

#endif
