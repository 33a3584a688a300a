/* yajl wrappers: a latching writer and typed object lookups. */
#include "util/json.h"
#include <coffer/errors.h>
#include <stdlib.h>
#include <string.h>

int cf_json_init(struct cf_json *j)
{
    j->err = 0;
    j->g = yajl_gen_alloc(NULL);
    if (!j->g)
        return CF_ENOMEM;
    yajl_gen_config(j->g, yajl_gen_validate_utf8, 1);
    return 0;
}

static void chk(struct cf_json *j, yajl_gen_status s)
{
    if (s != yajl_gen_status_ok && !j->err)
        j->err = s == yajl_gen_invalid_string ? CF_EINVAL : CF_EINVAL;
}

void cf_json_obj_open(struct cf_json *j) { chk(j, yajl_gen_map_open(j->g)); }
void cf_json_obj_close(struct cf_json *j) { chk(j, yajl_gen_map_close(j->g)); }
void cf_json_arr_open(struct cf_json *j) { chk(j, yajl_gen_array_open(j->g)); }
void cf_json_arr_close(struct cf_json *j) { chk(j, yajl_gen_array_close(j->g)); }
void cf_json_null(struct cf_json *j) { chk(j, yajl_gen_null(j->g)); }
void cf_json_bool(struct cf_json *j, int v) { chk(j, yajl_gen_bool(j->g, v)); }
void cf_json_int(struct cf_json *j, long long v) { chk(j, yajl_gen_integer(j->g, v)); }

void cf_json_strn(struct cf_json *j, const char *s, size_t n)
{
    chk(j, yajl_gen_string(j->g, (const unsigned char *)s, n));
}

void cf_json_str(struct cf_json *j, const char *s)
{
    if (!s)
        cf_json_null(j);
    else
        cf_json_strn(j, s, strlen(s));
}

void cf_json_key(struct cf_json *j, const char *k) { cf_json_str(j, k); }

void cf_json_kstr(struct cf_json *j, const char *k, const char *s)
{
    cf_json_key(j, k);
    cf_json_str(j, s);
}

void cf_json_kint(struct cf_json *j, const char *k, long long v)
{
    cf_json_key(j, k);
    cf_json_int(j, v);
}

void cf_json_kbool(struct cf_json *j, const char *k, int v)
{
    cf_json_key(j, k);
    cf_json_bool(j, v);
}

void cf_json_value(struct cf_json *j, yajl_val v)
{
    if (!v) {
        cf_json_null(j);
        return;
    }
    switch (v->type) {
    case yajl_t_string:
        cf_json_str(j, v->u.string);
        break;
    case yajl_t_number:
        /* Keep the original text: yajl reformats doubles badly. */
        chk(j, yajl_gen_number(j->g, v->u.number.r, strlen(v->u.number.r)));
        break;
    case yajl_t_object:
        cf_json_obj_open(j);
        for (size_t i = 0; i < v->u.object.len; i++) {
            cf_json_key(j, v->u.object.keys[i]);
            cf_json_value(j, v->u.object.values[i]);
        }
        cf_json_obj_close(j);
        break;
    case yajl_t_array:
        cf_json_arr_open(j);
        for (size_t i = 0; i < v->u.array.len; i++)
            cf_json_value(j, v->u.array.values[i]);
        cf_json_arr_close(j);
        break;
    case yajl_t_true:
        cf_json_bool(j, 1);
        break;
    case yajl_t_false:
        cf_json_bool(j, 0);
        break;
    default:
        cf_json_null(j);
    }
}

int cf_json_finish(struct cf_json *j, char **out)
{
    int rc = j->err;
    if (!rc) {
        const unsigned char *buf;
        size_t len;
        if (yajl_gen_get_buf(j->g, &buf, &len) != yajl_gen_status_ok) {
            rc = CF_EINVAL;
        } else {
            char *s = malloc(len + 1);
            if (!s) {
                rc = CF_ENOMEM;
            } else {
                memcpy(s, buf, len);
                s[len] = '\0';
                *out = s;
            }
        }
    }
    yajl_gen_free(j->g);
    j->g = NULL;
    return rc;
}

void cf_json_abort(struct cf_json *j)
{
    if (j->g)
        yajl_gen_free(j->g);
    j->g = NULL;
}

int cf_json_parse(const char *text, size_t len, yajl_val *out, struct coffer_err *err)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        coffer_err_set(err, "out of memory");
        return CF_ENOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    if (strlen(copy) != len) {
        free(copy);
        coffer_err_set(err, "NUL byte in JSON");
        return CF_EINVAL;
    }
    char e[sizeof err->msg] = "";
    yajl_val v = yajl_tree_parse(copy, e, sizeof e);
    free(copy);
    if (!v) {
        /* yajl's message spans lines with a context snippet: keep line 1. */
        char *nl = strchr(e, '\n');
        if (nl)
            *nl = '\0';
        coffer_err_set(err, "%s", e[0] ? e : "malformed JSON");
        return CF_EINVAL;
    }
    *out = v;
    return 0;
}

yajl_val cf_json_get(yajl_val obj, const char *key)
{
    if (!obj || obj->type != yajl_t_object)
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

const char *cf_json_get_str(yajl_val obj, const char *key)
{
    yajl_val v = cf_json_get(obj, key);
    return v && v->type == yajl_t_string ? v->u.string : NULL;
}

int cf_json_get_int(yajl_val obj, const char *key, long long *out)
{
    yajl_val v = cf_json_get(obj, key);
    if (!v || v->type == yajl_t_null)
        return CF_ENOENT;
    if (YAJL_IS_INTEGER(v)) {
        *out = YAJL_GET_INTEGER(v);
        return 0;
    }
    if (v->type == yajl_t_string) {
        char *end;
        long long x = strtoll(v->u.string, &end, 10);
        if (end == v->u.string || *end)
            return CF_EINVAL;
        *out = x;
        return 0;
    }
    return CF_EINVAL;
}

int cf_json_get_bool(yajl_val obj, const char *key, int *out)
{
    yajl_val v = cf_json_get(obj, key);
    if (!v || v->type == yajl_t_null)
        return CF_ENOENT;
    if (v->type == yajl_t_true || v->type == yajl_t_false) {
        *out = v->type == yajl_t_true;
        return 0;
    }
    if (v->type == yajl_t_string) {
        if (!strcmp(v->u.string, "true") || !strcmp(v->u.string, "1")) {
            *out = 1;
            return 0;
        }
        if (!strcmp(v->u.string, "false") || !strcmp(v->u.string, "0")) {
            *out = 0;
            return 0;
        }
    }
    return CF_EINVAL;
}

void cf_strv_free(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int strv_push(char ***v, size_t *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return CF_ENOMEM;
    *v = nv;
    nv[*n] = strndup(s, len);
    if (!nv[*n])
        return CF_ENOMEM;
    (*n)++;
    return 0;
}

int cf_json_get_strv(yajl_val obj, const char *key, char ***out, size_t *n)
{
    yajl_val v = cf_json_get(obj, key);
    char **res = NULL;
    size_t cnt = 0;
    if (!v || v->type == yajl_t_null)
        return CF_ENOENT;
    if (v->type == yajl_t_array) {
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val s = v->u.array.values[i];
            if (s->type != yajl_t_string) {
                cf_strv_free(res, cnt);
                return CF_EINVAL;
            }
            if (strv_push(&res, &cnt, s->u.string, strlen(s->u.string))) {
                cf_strv_free(res, cnt);
                return CF_ENOMEM;
            }
        }
    } else if (v->type == yajl_t_string) {
        const char *p = v->u.string;
        while (*p) {
            while (*p == ' ' || *p == ',')
                p++;
            const char *e = p;
            while (*e && *e != ',')
                e++;
            size_t l = (size_t)(e - p);
            while (l && p[l - 1] == ' ')
                l--;
            if (l && strv_push(&res, &cnt, p, l)) {
                cf_strv_free(res, cnt);
                return CF_ENOMEM;
            }
            p = e;
        }
    } else {
        return CF_EINVAL;
    }
    *out = res;
    *n = cnt;
    return 0;
}
