/* Renders responses the way Vault's CLI does (command/format.go): columnize
 * tables with a four-space glue, Go %v value text, padded banners and
 * indented JSON. */
#include "cli/output.h"
#include <coffer/errors.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cf_table_init(struct cf_table *t, size_t ncols)
{
    t->ncols = ncols ? ncols : 1;
    t->nrows = 0;
    t->cells = NULL;
}

void cf_table_free(struct cf_table *t)
{
    if (!t->cells)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}

int cf_table_add(struct cf_table *t, const char *const *cells)
{
    char **row = calloc(t->ncols, sizeof *row);
    if (!row)
        return CF_ENOMEM;
    for (size_t c = 0; c < t->ncols; c++) {
        row[c] = strdup(cells[c] ? cells[c] : "");
        if (!row[c]) {
            for (size_t k = 0; k < c; k++)
                free(row[k]);
            free(row);
            return CF_ENOMEM;
        }
    }
    char **nc = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *nc);
    if (!nc) {
        for (size_t c = 0; c < t->ncols; c++)
            free(row[c]);
        free(row);
        return CF_ENOMEM;
    }
    memcpy(nc + t->nrows * t->ncols, row, t->ncols * sizeof *row);
    free(row);
    t->cells = nc;
    t->nrows++;
    return 0;
}

int cf_table_add2(struct cf_table *t, const char *k, const char *v)
{
    const char *cells[2] = {k, v};
    return cf_table_add(t, cells);
}

static int dashes(struct cf_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cf_buf_append(b, "-", 1))
            return CF_ENOMEM;
    return 0;
}

int cf_table_render(const struct cf_table *t, int header, struct cf_buf *out)
{
    if (t->nrows == 0 || (header && t->nrows == 1))
        return 0;
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return CF_ENOMEM;
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t l = strlen(t->cells[r * t->ncols + c]);
            if (l > w[c])
                w[c] = l;
        }
    int rc = 0;
    for (size_t r = 0; r < t->nrows && !rc; r++) {
        for (size_t c = 0; c < t->ncols && !rc; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            if (c + 1 < t->ncols)
                rc = cf_buf_printf(out, "%-*s    ", (int)w[c], cell);
            else
                rc = cf_buf_printf(out, "%s\n", cell);
        }
        if (r == 0 && header) {
            for (size_t c = 0; c < t->ncols && !rc; c++) {
                size_t dl = strlen(t->cells[c]);
                rc = dashes(out, dl);
                if (!rc && c + 1 < t->ncols)
                    rc = cf_buf_printf(out, "%*s", (int)(w[c] - dl + 4), "");
            }
            if (!rc)
                rc = cf_buf_puts(out, "\n");
        }
    }
    free(w);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cf_sorted_keys(yajl_val obj, const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!obj || obj->type != yajl_t_object || obj->u.object.len == 0)
        return 0;
    size_t len = obj->u.object.len;
    const char **k = malloc(len * sizeof *k);
    if (!k)
        return CF_ENOMEM;
    for (size_t i = 0; i < len; i++)
        k[i] = obj->u.object.keys[i];
    qsort(k, len, sizeof *k, cmp_str);
    *out = k;
    *n = len;
    return 0;
}

/* Numbers and booleans print alike in Go's %v and in JSON; NULL for the
 * other types. */
static const char *scalar_text(yajl_val v)
{
    switch (v->type) {
    case yajl_t_number:
        return v->u.number.r;
    case yajl_t_true:
        return "true";
    case yajl_t_false:
        return "false";
    default:
        return NULL;
    }
}

static int fmt_value(yajl_val v, int top, struct cf_buf *out)
{
    if (!v)
        return cf_buf_puts(out, "<nil>");
    if (scalar_text(v))
        return cf_buf_puts(out, scalar_text(v));
    switch (v->type) {
    case yajl_t_string:
        return cf_buf_puts(out, top && !v->u.string[0] ? "n/a" : v->u.string);
    case yajl_t_array: {
        int rc = cf_buf_puts(out, "[");
        for (size_t i = 0; i < v->u.array.len && !rc; i++) {
            if (i)
                rc = cf_buf_puts(out, " ");
            if (!rc)
                rc = fmt_value(v->u.array.values[i], 0, out);
        }
        return rc ? rc : cf_buf_puts(out, "]");
    }
    case yajl_t_object: {
        const char **keys;
        size_t n;
        if (cf_sorted_keys(v, &keys, &n))
            return CF_ENOMEM;
        int rc = cf_buf_puts(out, "map[");
        for (size_t i = 0; i < n && !rc; i++) {
            if (i)
                rc = cf_buf_puts(out, " ");
            if (!rc)
                rc = cf_buf_printf(out, "%s:", keys[i]);
            if (!rc) {
                yajl_val m = NULL;
                for (size_t j = 0; j < v->u.object.len; j++)
                    if (v->u.object.keys[j] == keys[i])
                        m = v->u.object.values[j];
                rc = fmt_value(m, 0, out);
            }
        }
        free(keys);
        return rc ? rc : cf_buf_puts(out, "]");
    }
    default:
        return cf_buf_puts(out, "<nil>");
    }
}

int cf_format_value(yajl_val v, struct cf_buf *out) { return fmt_value(v, 1, out); }

/* --- JSON --- */

static int json_str(const char *s, struct cf_buf *out)
{
    int rc = cf_buf_puts(out, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        switch (*p) {
        case '"':
            rc = cf_buf_puts(out, "\\\"");
            break;
        case '\\':
            rc = cf_buf_puts(out, "\\\\");
            break;
        case '\n':
            rc = cf_buf_puts(out, "\\n");
            break;
        case '\r':
            rc = cf_buf_puts(out, "\\r");
            break;
        case '\t':
            rc = cf_buf_puts(out, "\\t");
            break;
        default:
            if (*p < 0x20)
                rc = cf_buf_printf(out, "\\u%04x", *p);
            else
                rc = cf_buf_append(out, p, 1);
        }
    }
    return rc ? rc : cf_buf_puts(out, "\"");
}

static int indent(struct cf_buf *out, int depth)
{
    int rc = cf_buf_puts(out, "\n");
    for (int i = 0; i < depth && !rc; i++)
        rc = cf_buf_puts(out, "  ");
    return rc;
}

static int json_value(yajl_val v, int depth, struct cf_buf *out);

/* Arrays and objects share Go's MarshalIndent layout: one member per
 * line, indented; only the brackets and the "key": prefix differ. */
static int json_container(yajl_val v, int depth, struct cf_buf *out)
{
    int obj = v->type == yajl_t_object;
    size_t n = obj ? v->u.object.len : v->u.array.len;
    yajl_val *vals = obj ? v->u.object.values : v->u.array.values;
    if (!n)
        return cf_buf_puts(out, obj ? "{}" : "[]");
    int rc = cf_buf_puts(out, obj ? "{" : "[");
    for (size_t i = 0; i < n && !rc; i++) {
        if (i)
            rc = cf_buf_puts(out, ",");
        if (!rc)
            rc = indent(out, depth + 1);
        if (!rc && obj)
            rc = json_str(v->u.object.keys[i], out);
        if (!rc && obj)
            rc = cf_buf_puts(out, ": ");
        if (!rc)
            rc = json_value(vals[i], depth + 1, out);
    }
    if (!rc)
        rc = indent(out, depth);
    return rc ? rc : cf_buf_puts(out, obj ? "}" : "]");
}

static int json_value(yajl_val v, int depth, struct cf_buf *out)
{
    if (!v)
        return cf_buf_puts(out, "null");
    if (scalar_text(v))
        return cf_buf_puts(out, scalar_text(v));
    switch (v->type) {
    case yajl_t_string:
        return json_str(v->u.string, out);
    case yajl_t_array:
    case yajl_t_object:
        return json_container(v, depth, out);
    default:
        return cf_buf_puts(out, "null");
    }
}

int cf_format_json(yajl_val v, struct cf_buf *out)
{
    int rc = json_value(v, 0, out);
    return rc ? rc : cf_buf_puts(out, "\n");
}

/* --- durations and banners --- */

void cf_human_duration(long long secs, char out[32])
{
    if (secs <= 0) {
        snprintf(out, 32, "%llds", secs);
        return;
    }
    /* Go's Duration.String, then Vault's trimming of zero units. */
    long long h = secs / 3600, m = (secs % 3600) / 60, s = secs % 60;
    char tmp[32];
    if (h)
        snprintf(tmp, sizeof tmp, "%lldh%lldm%llds", h, m, s);
    else if (m)
        snprintf(tmp, sizeof tmp, "%lldm%llds", m, s);
    else
        snprintf(tmp, sizeof tmp, "%llds", s);
    size_t l = strlen(tmp);
    if (l > 3 && !strcmp(tmp + l - 3, "m0s"))
        tmp[l - 2] = '\0';
    char *hm = strstr(tmp, "h0m");
    if (hm)
        memmove(hm + 1, hm + 3, strlen(hm + 3) + 1);
    snprintf(out, 32, "%s", tmp);
}

int cf_banner(const char *title, size_t total, struct cf_buf *out)
{
    long long eq = (long long)total - (long long)(strlen(title) + 2);
    if (eq < 0)
        eq = 0;
    if (eq % 2)
        eq++;
    int rc = 0;
    for (long long i = 0; i < eq / 2 && !rc; i++)
        rc = cf_buf_puts(out, "=");
    if (!rc)
        rc = cf_buf_printf(out, " %s ", title);
    for (long long i = 0; i < eq / 2 && !rc; i++)
        rc = cf_buf_puts(out, "=");
    return rc ? rc : cf_buf_puts(out, "\n");
}

/* --- responses --- */

static int in_list(const char *const *skip, const char *k)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (!strcmp(skip[i], k))
            return 1;
    return 0;
}

static yajl_val member(yajl_val obj, const char *key)
{
    if (!obj || obj->type != yajl_t_object)
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static int add_value_row(struct cf_table *t, const char *k, yajl_val v)
{
    struct cf_buf b = {0};
    int rc = cf_format_value(v, &b);
    if (!rc)
        rc = cf_table_add2(t, k, b.data);
    cf_buf_free(&b);
    return rc;
}

static int add_map_rows(struct cf_table *t, yajl_val obj, const char *const *skip)
{
    const char **keys;
    size_t n;
    if (cf_sorted_keys(obj, &keys, &n))
        return CF_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (!in_list(skip, keys[i]))
            rc = add_value_row(t, keys[i], member(obj, keys[i]));
    free(keys);
    return rc;
}

int cf_render_map(yajl_val obj, const char *const *skip, struct cf_buf *out)
{
    struct cf_table t;
    cf_table_init(&t, 2);
    int rc = cf_table_add2(&t, "Key", "Value");
    if (!rc)
        rc = add_map_rows(&t, obj, skip);
    if (!rc)
        rc = cf_table_render(&t, 1, out);
    cf_table_free(&t);
    return rc;
}

static long long int_member(yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : 0;
}

static int is_true(yajl_val obj, const char *key)
{
    yajl_val v = member(obj, key);
    return v && v->type == yajl_t_true;
}

/* Go's %q on a []string: ["a" "b"]. */
static int quoted_list(yajl_val arr, struct cf_buf *b)
{
    int rc = cf_buf_puts(b, "[");
    for (size_t i = 0; arr && arr->type == yajl_t_array && i < arr->u.array.len && !rc;
         i++) {
        yajl_val s = arr->u.array.values[i];
        if (i)
            rc = cf_buf_puts(b, " ");
        if (!rc)
            rc = cf_buf_printf(b, "\"%s\"", s->type == yajl_t_string ? s->u.string : "");
    }
    return rc ? rc : cf_buf_puts(b, "]");
}

static int add_auth_rows(struct cf_table *t, yajl_val auth)
{
    char dur[32];
    long long ld = int_member(auth, "lease_duration");
    if (ld)
        cf_human_duration(ld, dur);
    else
        snprintf(dur, sizeof dur, "%s", "\xe2\x88\x9e"); /* ∞ */
    int rc = add_value_row(t, "token", member(auth, "client_token"));
    if (!rc)
        rc = add_value_row(t, "token_accessor", member(auth, "accessor"));
    if (!rc)
        rc = cf_table_add2(t, "token_duration", dur);
    if (!rc)
        rc = cf_table_add2(t, "token_renewable",
                           is_true(auth, "renewable") ? "true" : "false");
    static const char *const lists[][2] = {
        {"token_policies", "token_policies"},
        {"identity_policies", "identity_policies"},
        {"policies", "policies"},
    };
    for (size_t i = 0; i < 3 && !rc; i++) {
        struct cf_buf b = {0};
        rc = quoted_list(member(auth, lists[i][1]), &b);
        if (!rc)
            rc = cf_table_add2(t, lists[i][0], b.data);
        cf_buf_free(&b);
    }
    yajl_val meta = member(auth, "metadata");
    const char **keys;
    size_t n;
    if (!rc && !cf_sorted_keys(meta, &keys, &n)) {
        for (size_t i = 0; i < n && !rc; i++) {
            struct cf_buf k = {0};
            rc = cf_buf_printf(&k, "token_meta_%s", keys[i]);
            if (!rc)
                rc = add_value_row(t, k.data, member(meta, keys[i]));
            cf_buf_free(&k);
        }
        free(keys);
    }
    return rc;
}

static int add_wrap_rows(struct cf_table *t, yajl_val w)
{
    static const char *const rows[][2] = {
        {"wrapping_token:", "token"},
        {"wrapping_accessor:", "accessor"},
        {"wrapping_token_ttl:", "ttl"},
        {"wrapping_token_creation_time:", "creation_time"},
        {"wrapping_token_creation_path:", "creation_path"},
    };
    int rc = 0;
    for (size_t i = 0; i < 5 && !rc; i++) {
        if (!strcmp(rows[i][1], "ttl")) {
            char d[32];
            cf_human_duration(int_member(w, "ttl"), d);
            rc = cf_table_add2(t, rows[i][0], d);
        } else {
            rc = add_value_row(t, rows[i][0], member(w, rows[i][1]));
        }
    }
    return rc;
}

int cf_render_secret(yajl_val secret, struct cf_buf *out)
{
    struct cf_table t;
    cf_table_init(&t, 2);
    int rc = cf_table_add2(&t, "Key", "Value");
    long long ld = int_member(secret, "lease_duration");
    if (!rc && ld > 0) {
        char d[32];
        cf_human_duration(ld, d);
        const char *lid = NULL;
        yajl_val l = member(secret, "lease_id");
        if (l && l->type == yajl_t_string && l->u.string[0])
            lid = l->u.string;
        if (lid) {
            rc = cf_table_add2(&t, "lease_id", lid);
            if (!rc)
                rc = cf_table_add2(&t, "lease_duration", d);
            if (!rc)
                rc = cf_table_add2(&t, "lease_renewable",
                                   is_true(secret, "renewable") ? "true" : "false");
        } else {
            rc = cf_table_add2(&t, "refresh_interval", d);
        }
    }
    yajl_val auth = member(secret, "auth");
    if (!rc && auth && auth->type == yajl_t_object)
        rc = add_auth_rows(&t, auth);
    yajl_val wrap = member(secret, "wrap_info");
    if (!rc && wrap && wrap->type == yajl_t_object)
        rc = add_wrap_rows(&t, wrap);
    if (!rc)
        rc = add_map_rows(&t, member(secret, "data"), NULL);
    if (!rc)
        rc = cf_table_render(&t, 1, out);
    cf_table_free(&t);
    return rc;
}

int cf_render_keys(yajl_val keys, struct cf_buf *out)
{
    int rc = cf_buf_puts(out, "Keys\n----\n");
    for (size_t i = 0; keys && keys->type == yajl_t_array && i < keys->u.array.len && !rc;
         i++) {
        rc = fmt_value(keys->u.array.values[i], 0, out);
        if (!rc)
            rc = cf_buf_puts(out, "\n");
    }
    return rc;
}

int cf_render_field(yajl_val secret, yajl_val data, const char *field, struct cf_buf *out)
{
    yajl_val auth = member(secret, "auth");
    if (auth && auth->type == yajl_t_object) {
        static const char *const map[][2] = {
            {"token", "client_token"},
            {"token_accessor", "accessor"},
            {"token_duration", "lease_duration"},
            {"token_renewable", "renewable"},
            {"token_policies", "token_policies"},
            {"identity_policies", "identity_policies"},
            {"policies", "policies"},
        };
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
            if (!strcmp(field, map[i][0])) {
                yajl_val v = member(auth, map[i][1]);
                if (!v)
                    return CF_ENOENT;
                return fmt_value(v, 0, out);
            }
    }
    yajl_val v = member(data, field);
    if (!v || v->type == yajl_t_null)
        return CF_ENOENT;
    return fmt_value(v, 0, out);
}
