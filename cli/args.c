/* Flag parsing with Go's flag package semantics (what Vault's CLI uses),
 * data arguments (k=v, k=@file, k=-, -) and KV v2 path rewriting. */
#include "cli/args.h"
#include <coffer/errors.h>
#include "util/buf.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cf_strlist_free(struct cf_strlist *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int strlist_push(struct cf_strlist *l, const char *s, size_t len)
{
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return CF_ENOMEM;
    l->v = nv;
    nv[l->n] = strndup(s, len);
    if (!nv[l->n])
        return CF_ENOMEM;
    l->n++;
    return 0;
}

/* Comma-separated, as Vault's StringSliceVar; blanks around items dropped. */
static int strlist_add(struct cf_strlist *l, const char *val)
{
    const char *p = val;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len && *s == ' ') {
            s++;
            len--;
        }
        while (len && s[len - 1] == ' ')
            len--;
        if (len && strlist_push(l, s, len))
            return CF_ENOMEM;
        if (!e)
            return 0;
        p = e + 1;
    }
}

static int parse_bool(const char *s, int *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
    for (int i = 0; t[i]; i++)
        if (!strcmp(s, t[i])) {
            *out = 1;
            return 0;
        }
    for (int i = 0; f[i]; i++)
        if (!strcmp(s, f[i])) {
            *out = 0;
            return 0;
        }
    return CF_EINVAL;
}

static const struct cf_flag *find_flag(const struct cf_flag *const *tables,
                                       const char *name, size_t len)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cf_flag *f = tables[t]; f->name; f++)
            if (strlen(f->name) == len && !strncmp(f->name, name, len))
                return f;
    return NULL;
}

static void free_lists(const struct cf_flag *const *tables)
{
    for (size_t t = 0; tables[t]; t++)
        for (const struct cf_flag *f = tables[t]; f->name; f++)
            if (f->type == CF_FLAG_STRLIST || f->type == CF_FLAG_STRARR)
                cf_strlist_free(f->dest);
}

static int set_value(const struct cf_flag *f, const char *val, struct coffer_err *err)
{
    switch (f->type) {
    case CF_FLAG_BOOL:
        if (parse_bool(val, f->dest)) {
            snprintf(err->msg, sizeof err->msg,
                     "invalid boolean value \"%s\" for -%s: parse error", val, f->name);
            return CF_EINVAL;
        }
        break;
    case CF_FLAG_STR:
        *(const char **)f->dest = val;
        break;
    case CF_FLAG_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(val, &end, 10);
        if (!*val || *end || errno) {
            snprintf(err->msg, sizeof err->msg,
                     "invalid value \"%s\" for flag -%s: parse error", val, f->name);
            return CF_EINVAL;
        }
        *(long long *)f->dest = x;
        break;
    }
    case CF_FLAG_DURATION: {
        long long secs;
        if (cf_duration_parse(val, &secs)) {
            snprintf(err->msg, sizeof err->msg,
                     "invalid value \"%s\" for flag -%s: "
                     "time: invalid duration \"%s\"",
                     val, f->name, val);
            return CF_EINVAL;
        }
        *(const char **)f->dest = val;
        break;
    }
    case CF_FLAG_STRARR:
        if (strlist_push(f->dest, val, strlen(val))) {
            snprintf(err->msg, sizeof err->msg, "out of memory");
            return CF_ENOMEM;
        }
        break;
    case CF_FLAG_STRLIST:
        if (strlist_add(f->dest, val)) {
            snprintf(err->msg, sizeof err->msg, "out of memory");
            return CF_ENOMEM;
        }
        break;
    }
    if (f->set)
        *f->set = 1;
    return 0;
}

int cf_args_parse(const struct cf_flag *const *tables, int argc, char **argv,
                  int *first_pos, int *help, struct coffer_err *err)
{
    int i = 0;
    *help = 0;
    while (i < argc) {
        const char *a = argv[i];
        /* Go stops at the first non-flag; a lone "-" is a positional. */
        if (a[0] != '-' || a[1] == '\0')
            break;
        i++;
        if (!strcmp(a, "--"))
            break;
        const char *name = a + 1;
        if (*name == '-')
            name++;
        if (*name == '-' || *name == '=') {
            snprintf(err->msg, sizeof err->msg, "bad flag syntax: %s", a);
            goto fail;
        }
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct cf_flag *f = find_flag(tables, name, nlen);
        if (!f) {
            if ((nlen == 1 && name[0] == 'h') ||
                (nlen == 4 && !strncmp(name, "help", 4))) {
                *help = 1;
                free_lists(tables);
                *first_pos = i;
                return 0;
            }
            snprintf(err->msg, sizeof err->msg, "flag provided but not defined: -%.*s",
                     (int)nlen, name);
            goto fail;
        }
        const char *val;
        if (eq) {
            val = eq + 1;
        } else if (f->type == CF_FLAG_BOOL) {
            val = "true";
        } else if (i < argc) {
            val = argv[i++];
        } else {
            snprintf(err->msg, sizeof err->msg, "flag needs an argument: -%s", f->name);
            goto fail;
        }
        if (set_value(f, val, err))
            goto fail;
    }
    *first_pos = i;
    return 0;
fail:
    free_lists(tables);
    return CF_EINVAL;
}

/* --- data arguments --- */

void cf_kvdata_free(struct cf_kvdata *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->keys[i]);
        cf_free_secret_str(d->vals[i]);
    }
    free(d->keys);
    free(d->vals);
    if (d->json)
        cf_json_free(d->json);
    memset(d, 0, sizeof *d);
}

static int read_stream(FILE *f, struct cf_buf *b)
{
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (cf_buf_append(b, chunk, n))
            return CF_ENOMEM;
    cf_zero(chunk, sizeof chunk);
    if (ferror(f))
        return CF_EIO;
    if (!b->data && cf_buf_append(b, "", 0))
        return CF_ENOMEM;
    return 0;
}

static void buf_free_secret(struct cf_buf *b)
{
    if (b->data)
        cf_free_secret(b->data, b->cap);
    memset(b, 0, sizeof *b);
}

/* All of in into b, for "-" and k=-: stdin can be read once only. On
 * failure b is released and err says why. */
static int read_stdin(FILE *in, int *used, struct cf_buf *b, struct coffer_err *err)
{
    if ((*used)++) {
        snprintf(err->msg, sizeof err->msg, "stdin (-) can be used only once");
        return CF_EINVAL;
    }
    int rc = read_stream(in, b);
    if (rc) {
        buf_free_secret(b);
        snprintf(err->msg, sizeof err->msg, "failed to read stdin");
    }
    return rc;
}

static int kv_push(struct cf_kvdata *d, const char *k, size_t klen, char *v)
{
    char **nk = realloc(d->keys, (d->n + 1) * sizeof *nk);
    if (!nk)
        return CF_ENOMEM;
    d->keys = nk;
    char **nv = realloc(d->vals, (d->n + 1) * sizeof *nv);
    if (!nv)
        return CF_ENOMEM;
    d->vals = nv;
    nk[d->n] = strndup(k, klen);
    if (!nk[d->n])
        return CF_ENOMEM;
    nv[d->n] = v;
    d->n++;
    return 0;
}

int cf_kvdata_parse(char **args, int n, FILE *in, struct cf_kvdata *out,
                    struct coffer_err *err)
{
    struct cf_kvdata d = {0};
    int stdin_used = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *a = args[i];
        struct cf_buf b = {0};
        if (!strcmp(a, "-")) {
            if ((rc = read_stdin(in, &stdin_used, &b, err)))
                goto fail;
            struct coffer_err perr;
            yajl_val v = NULL;
            int prc = cf_json_parse(b.data, b.len, &v, &perr);
            buf_free_secret(&b);
            if (prc || v->type != yajl_t_object) {
                if (v)
                    cf_json_free(v);
                coffer_err_set(err, "failed to parse JSON input: %s",
                               prc ? perr.msg : "not a JSON object");
                rc = CF_EINVAL;
                goto fail;
            }
            d.json = v;
            continue;
        }
        const char *eq = strchr(a, '=');
        if (!eq || eq == a) {
            snprintf(err->msg, sizeof err->msg,
                     "invalid key/value pair \"%s\": format must be key=value", a);
            rc = CF_EINVAL;
            goto fail;
        }
        const char *val = eq + 1;
        if (val[0] == '@') {
            FILE *f = fopen(val + 1, "r");
            if (!f) {
                snprintf(err->msg, sizeof err->msg, "error reading file \"%s\": %s",
                         val + 1, strerror(errno));
                rc = CF_EIO;
                goto fail;
            }
            rc = read_stream(f, &b);
            fclose(f);
            if (rc) {
                buf_free_secret(&b);
                snprintf(err->msg, sizeof err->msg, "error reading file \"%s\"", val + 1);
                goto fail;
            }
        } else if (!strcmp(val, "-")) {
            if ((rc = read_stdin(in, &stdin_used, &b, err)))
                goto fail;
            /* A value piped with echo carries one trailing newline. */
            if (b.len && b.data[b.len - 1] == '\n')
                b.data[--b.len] = '\0';
        } else if (cf_buf_puts(&b, val)) {
            buf_free_secret(&b);
            snprintf(err->msg, sizeof err->msg, "out of memory");
            rc = CF_ENOMEM;
            goto fail;
        }
        char *v = b.data;
        if (kv_push(&d, a, (size_t)(eq - a), v)) {
            buf_free_secret(&b);
            snprintf(err->msg, sizeof err->msg, "out of memory");
            rc = CF_ENOMEM;
            goto fail;
        }
    }
    *out = d;
    return 0;
fail:
    cf_kvdata_free(&d);
    return rc ? rc : CF_EINVAL;
}

void cf_kvdata_emit(const struct cf_kvdata *d, struct cf_json *j)
{
    if (d->json)
        for (size_t i = 0; i < d->json->u.object.len; i++) {
            cf_json_key(j, d->json->u.object.keys[i]);
            cf_json_value(j, d->json->u.object.values[i]);
        }
    for (size_t i = 0; i < d->n; i++)
        cf_json_kstr(j, d->keys[i], d->vals[i]);
}

/* --- KV v2 paths --- */

int cf_kv_v2_path(const char *mount, const char *path, const char *prefix, char **out)
{
    size_t ml = strlen(mount);
    while (ml && mount[ml - 1] == '/')
        ml--;
    while (*path == '/')
        path++;
    if (!ml || strncmp(path, mount, ml) || (path[ml] && path[ml] != '/'))
        return CF_EINVAL;
    const char *rest = path + ml;
    while (*rest == '/')
        rest++;
    struct cf_buf b = {0};
    if (cf_buf_printf(&b, "%.*s/%s/%s", (int)ml, mount, prefix, rest)) {
        cf_buf_free(&b);
        return CF_ENOMEM;
    }
    *out = cf_buf_take(&b);
    return 0;
}

int cf_parse_versions(const struct cf_strlist *l, long long **out, size_t *n)
{
    if (!l->n)
        return CF_EINVAL;
    long long *v = malloc(l->n * sizeof *v);
    if (!v)
        return CF_ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        char *end;
        errno = 0;
        v[i] = strtoll(l->v[i], &end, 10);
        if (!*l->v[i] || *end || errno || v[i] < 0) {
            free(v);
            return CF_EINVAL;
        }
    }
    *out = v;
    *n = l->n;
    return 0;
}
