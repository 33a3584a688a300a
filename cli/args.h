/* Command-line shaping for the CLI: Go-style flag parsing (flags before
 * positional arguments, -flag=value or -flag value, - or -- prefix), the
 * key=value / key=@file / key=- data arguments Vault commands take, and the
 * rewriting of a KV path into its v2 form (secret/app -> secret/data/app). */
#ifndef CF_CLI_ARGS_H
#define CF_CLI_ARGS_H

#include <stdio.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>
#include <coffer/errors.h>

enum cf_flag_type {
    CF_FLAG_BOOL,     /* int *: -f, -f=true|false|1|0|t|f */
    CF_FLAG_STR,      /* const char **: points into argv */
    CF_FLAG_INT,      /* long long * */
    CF_FLAG_DURATION, /* const char **: validated like "1h30m" or "90" */
    CF_FLAG_STRLIST,  /* struct cf_strlist *: repeatable, also "a,b" */
    CF_FLAG_STRARR,   /* struct cf_strlist *: repeatable, no comma split */
};

/* A repeatable string flag; "-p=a,b -p c" gives a, b, c. The array and
 * its strings are malloc'd; free with cf_strlist_free. */
struct cf_strlist {
    char **v;
    size_t n;
};

struct cf_flag {
    const char *name;
    enum cf_flag_type type;
    void *dest;
    int *set; /* optional: becomes 1 when the flag was given */
};

/* Parses flags from argv[0..argc) against the NULL-terminated list of
 * tables (each ends with a {NULL} entry). *first_pos receives the index of
 * the first positional argument. *help is 1 for -h/-help/--help.
 * Returns 0, or CF_EINVAL with Go's message in err ("flag provided but not
 * defined: -foo"); on failure every strlist in the tables is left empty. */
int cf_args_parse(const struct cf_flag *const *tables, int argc, char **argv,
                  int *first_pos, int *help, struct coffer_err *err);
/* Frees the list's arrays; the list is empty afterwards. */
void cf_strlist_free(struct cf_strlist *l);

/* Data given as arguments: "-" alone reads a JSON object from in;
 * k=v, k=@file (file contents), k=- (all of in). */
struct cf_kvdata {
    size_t n;
    char **keys;
    char **vals;   /* malloc'd; may hold secrets, freed zeroed */
    yajl_val json; /* object read from stdin for "-", or NULL */
};

/* Parses args into out (caller frees with cf_kvdata_free). CF_EINVAL with a
 * message naming the bad argument, CF_EIO when a file cannot be read. */
int cf_kvdata_parse(char **args, int n, FILE *in, struct cf_kvdata *out,
                    struct coffer_err *err);
void cf_kvdata_free(struct cf_kvdata *d);
/* Writes the data as the members of a JSON object (no braces), stdin JSON
 * first, then k=v pairs in order; a later key wins on the server. The
 * caller owns the open object. Values are strings, as in Vault's CLI. */
struct cf_json;
void cf_kvdata_emit(const struct cf_kvdata *d, struct cf_json *j);

/* "secret/app" under mount "secret/" with prefix "data" -> "secret/data/app".
 * mount may lack its trailing slash; path must start with the mount.
 * Result malloc'd, caller frees. CF_EINVAL if path is outside the mount. */
int cf_kv_v2_path(const char *mount, const char *path, const char *prefix, char **out);
/* Turns the -versions list into a malloc'd array of ints >= 0. CF_EINVAL
 * on an empty list or a non-number. */
int cf_parse_versions(const struct cf_strlist *l, long long **out, size_t *n);

#endif
