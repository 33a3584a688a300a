/* JSON writing (yajl_gen with UTF-8 validation) and reading (a bounded
 * builder of yajl_tree-shaped values) used by every layer. */
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
void cf_json_str(struct cf_json *j, const char *s); /* NULL writes null */
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

/* Limits on what a parse builds. Request bodies are parsed before
 * authentication, so the listener's limits (Vault's max_json_* options,
 * with Vault's defaults) bound what one anonymous request can cost;
 * stored JSON, which went through them on the way in, is held only to the
 * depth ceiling, which also bounds the serializer's recursion. */
struct cf_json_limits {
    size_t depth;          /* containers open at once; 0 or more: the ceiling */
    size_t string_len;     /* bytes of one string or key; 0 = no limit */
    size_t object_entries; /* per object; 0 = no limit */
    size_t array_elements; /* per array; 0 = no limit */
    size_t values;         /* scalars and containers per text; 0 = no limit */
};
/* The ceiling of max_json_depth: yajl's generator nests at most 128
 * levels, and an answer wraps stored data in up to three more. Vault's
 * default of 500 is past it; Coffer keeps its own 64. */
#define CF_JSON_MAX_DEPTH 120
#define CF_JSON_DEFAULT_DEPTH 64
#define CF_JSON_DEFAULT_STRING_LENGTH (1024 * 1024)
#define CF_JSON_DEFAULT_ENTRIES 10000
/* Per request body, whatever the options: the bound on parser memory
 * (each value costs a node) and the ceiling of the two count options. */
#define CF_JSON_MAX_VALUES 100000
#define CF_JSON_XSTR(x) #x
#define CF_JSON_STR(x) CF_JSON_XSTR(x)
/* Vault's defaults (depth: Coffer's) with the value budget: what a
 * listener uses unless configured otherwise. */
extern const struct cf_json_limits cf_json_request_limits;

/* Parses len bytes (need not be NUL-terminated) into *out, the caller's
 * (cf_json_free). CF_EINVAL with a one-line message in err on malformed
 * input: syntax, a limit of lim (NULL: the depth ceiling only), a NUL or
 * invalid UTF-8 (overlong, surrogate, past U+10FFFF) in a string or key;
 * CF_ENOMEM. err may be NULL. The message never quotes the input, e.g.
 * "JSON input exceeds allowed nesting depth (500)". */
int cf_json_parse_limited(const char *text, size_t len, const struct cf_json_limits *lim,
                          yajl_val *out, struct coffer_err *err);
/* cf_json_parse_limited with lim NULL: for JSON Coffer stored or made. */
int cf_json_parse(const char *text, size_t len, yajl_val *out, struct coffer_err *err);
/* 1 when n bytes are strict UTF-8 (RFC 3629: no overlong form, surrogate
 * or code point past U+10FFFF) without a NUL, which every consumer would
 * read as the end; what cf_json_parse asks of strings and keys. */
int cf_json_utf8_valid(const char *s, size_t n);
/* Frees a tree from cf_json_parse without recursion, zeroing its strings
 * and numbers first. NULL is fine. */
void cf_json_free(yajl_val v);

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
