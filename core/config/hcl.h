/* A small parser for Vault's HCL (version 1 syntax) and JSON into one tree.
 * Blocks `a "b" { ... }` become a = { b = { ... } }; repeated keys are kept
 * in order (listener blocks, policy path blocks). Made to be fuzzed: no
 * recursion deeper than CF_HCL_MAX_DEPTH, no global state. */
#ifndef CF_HCL_H
#define CF_HCL_H

#include <stdarg.h>
#include <stddef.h>
#include <coffer/errors.h>

#define CF_HCL_MAX_DEPTH 64

enum cf_hcl_type {
    CF_HCL_STRING = 1,
    CF_HCL_NUMBER, /* integer or float; see is_int */
    CF_HCL_BOOL,
    CF_HCL_LIST,
    CF_HCL_OBJECT
};

struct cf_hcl_node;

struct cf_hcl_entry {
    char *key;
    int line; /* 1-based line of the key */
    struct cf_hcl_node *value;
};

struct cf_hcl_node {
    enum cf_hcl_type type;
    int line;
    char *str;      /* STRING: the unescaped text; NUMBER: its text */
    long long inum; /* NUMBER with is_int */
    double num;     /* NUMBER */
    int is_int;
    int boolean;                /* BOOL */
    struct cf_hcl_node **items; /* LIST */
    size_t nitems;
    struct cf_hcl_entry *entries; /* OBJECT, in source order, keys may repeat */
    size_t nentries;
};

/* Parses text (len bytes, need not be NUL-terminated; HCL or JSON, told
 * apart by the first non-blank byte being '{'). On error returns CF_EINVAL
 * (bad syntax) or CF_ENOMEM, and err (may be NULL) = "<name>:<line>: <what
 * is wrong>". *out owned by the caller. */
int cf_hcl_parse(const char *text, size_t len, const char *name, struct cf_hcl_node **out,
                 struct coffer_err *err);
/* Writes "<name>:<line>: " and the formatted text into err (NULL is fine),
 * cut to fit: the one shape of every message that points into a file. */
void cf_hcl_verrf(struct coffer_err *err, const char *name, int line, const char *fmt,
                  va_list ap) __attribute__((format(printf, 4, 0)));
void cf_hcl_free(struct cf_hcl_node *n);

/* First entry with that key in an object, or NULL (borrowed). */
const struct cf_hcl_entry *cf_hcl_get(const struct cf_hcl_node *obj, const char *key);

/* Typed reads of a node for config getters. Strings convert: "true"/"false"
 * to bool, numeric strings to int. 0, or CF_EINVAL on another type. */
int cf_hcl_as_string(const struct cf_hcl_node *n, const char **out);
int cf_hcl_as_int(const struct cf_hcl_node *n, long long *out);
int cf_hcl_as_bool(const struct cf_hcl_node *n, int *out);

/* Levenshtein-closest of candidates (NULL-terminated) to word when the
 * distance is at most 2 (and less than word's length), else NULL; for
 * "did you mean" hints. */
const char *cf_hcl_suggest(const char *word, const char *const *candidates);

#endif
