/* yajl wrappers: a latching writer, a bounded tree builder and typed
 * object lookups. Everything freed here is zeroed first: request bodies
 * and stored records carry secret values. */
#include "util/json.h"
#include "util/secret.h"
#include <coffer/errors.h>
#include <assert.h>
#include <errno.h>
#include <yajl/yajl_parse.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* yajl allocator that wipes every block it gives back: generator buffers
 * and the parser's string buffers hold secret values. */
static void *z_malloc(void *ctx, size_t sz)
{
    (void)ctx;
    return malloc(sz);
}

static void z_free(void *ctx, void *p)
{
    (void)ctx;
    if (p)
        cf_free_secret(p, malloc_usable_size(p));
}

static void *z_realloc(void *ctx, void *p, size_t sz)
{
    if (!p)
        return z_malloc(ctx, sz);
    void *n = malloc(sz);
    if (!n)
        return NULL;
    size_t old = malloc_usable_size(p);
    memcpy(n, p, old < sz ? old : sz);
    z_free(ctx, p);
    return n;
}

static const yajl_alloc_funcs zeroing_alloc = {z_malloc, z_realloc, z_free, NULL};

int cf_json_init(struct cf_json *j)
{
    j->err = 0;
    j->g = yajl_gen_alloc(&zeroing_alloc);
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

/* Recursion is bounded by the parser's depth limit, so a tree deep enough
 * to exhaust the stack is refused rather than walked. */
static void value_at(struct cf_json *j, yajl_val v, int depth)
{
    if (!v) {
        cf_json_null(j);
        return;
    }
    /* depth counts containers, as the parser's limit does */
    if (depth > CF_JSON_MAX_DEPTH &&
        (v->type == yajl_t_object || v->type == yajl_t_array)) {
        if (!j->err)
            j->err = CF_EINVAL;
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
        for (size_t i = 0; i < v->u.object.len && !j->err; i++) {
            cf_json_key(j, v->u.object.keys[i]);
            value_at(j, v->u.object.values[i], depth + 1);
        }
        cf_json_obj_close(j);
        break;
    case yajl_t_array:
        cf_json_arr_open(j);
        for (size_t i = 0; i < v->u.array.len && !j->err; i++)
            value_at(j, v->u.array.values[i], depth + 1);
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

void cf_json_value(struct cf_json *j, yajl_val v) { value_at(j, v, 1); }
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

/* The tree builder. yajl_tree_parse has no depth or size limit and frees
 * recursively, so a hostile body could exhaust the heap or the stack
 * before authentication; this one stops at the limits while parsing. */
struct builder {
    yajl_val root;
    yajl_val open[CF_JSON_MAX_DEPTH]; /* containers not yet closed */
    size_t cap[CF_JSON_MAX_DEPTH];    /* their allocated slots */
    size_t depth;
    size_t values;
    struct cf_json_limits lim; /* 0 = none; depth and values always set */
    char *key;                 /* object key awaiting its value */
    const char *why;           /* set when a callback refuses */
    char msg[96];              /* why, when it carries a number */
};

const struct cf_json_limits cf_json_request_limits = {
    CF_JSON_DEFAULT_DEPTH,   CF_JSON_DEFAULT_STRING_LENGTH,
    CF_JSON_DEFAULT_ENTRIES, CF_JSON_DEFAULT_ENTRIES,
    CF_JSON_MAX_VALUES,
};

static int refuse(struct builder *b, const char *what, size_t limit)
{
    snprintf(b->msg, sizeof b->msg, "%s (%zu)", what, limit);
    b->why = b->msg;
    return 0;
}

int cf_json_utf8_valid(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len;
        unsigned cp, min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            len = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            len = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            len = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}

static int refuse_str(struct builder *b, const unsigned char *s, size_t n)
{
    if (b->lim.string_len && n > b->lim.string_len)
        return !refuse(b, "JSON string value exceeds allowed length", b->lim.string_len);
    if (cf_json_utf8_valid((const char *)s, n))
        return 0;
    b->why =
        memchr(s, 0, n) ? "NUL character in JSON string" : "invalid UTF-8 in JSON string";
    return 1;
}

/* A node and its text in one block: half the allocations of yajl_tree. */
static yajl_val node_new(struct builder *b, yajl_type t, const void *text, size_t n)
{
    yajl_val v = malloc(sizeof *v + (text ? n + 1 : 0));
    if (!v) {
        b->why = "out of memory";
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    if (text) {
        char *s = (char *)(v + 1);
        memcpy(s, text, n);
        s[n] = '\0';
        if (t == yajl_t_string)
            v->u.string = s;
        else
            v->u.number.r = s;
    }
    return v;
}

static int grow(yajl_val **slots, size_t len, size_t *cap)
{
    if (len < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    yajl_val *n = realloc(*slots, ncap * sizeof *n);
    if (!n)
        return -1;
    *slots = n;
    *cap = ncap;
    return 0;
}

/* Hangs v under the innermost open container (or makes it the root); v
 * belongs to the tree even when this fails, so one free releases all. */
static int attach(struct builder *b, yajl_val v)
{
    if (!v)
        return 0;
    if (!b->depth) {
        b->root = v;
        return 1;
    }
    yajl_val top = b->open[b->depth - 1];
    size_t *cap = &b->cap[b->depth - 1];
    size_t len = top->type == yajl_t_array ? top->u.array.len : top->u.object.len;
    size_t max =
        top->type == yajl_t_array ? b->lim.array_elements : b->lim.object_entries;
    if (max && len >= max) {
        cf_json_free(v);
        return refuse(b,
                      top->type == yajl_t_array
                          ? "JSON array exceeds allowed element count"
                          : "JSON object exceeds allowed entry count",
                      max);
    }
    if (top->type == yajl_t_array) {
        if (grow(&top->u.array.values, top->u.array.len, cap))
            goto nomem;
        top->u.array.values[top->u.array.len++] = v;
        return 1;
    }
    /* keys and values grow together: cap counts both */
    size_t kcap = *cap;
    if (grow(&top->u.object.values, top->u.object.len, cap))
        goto nomem;
    if (*cap != kcap) {
        const char **k = realloc(top->u.object.keys, *cap * sizeof *k);
        if (!k) {
            *cap = kcap;
            goto nomem;
        }
        top->u.object.keys = k;
    }
    top->u.object.keys[top->u.object.len] = b->key;
    top->u.object.values[top->u.object.len++] = v;
    b->key = NULL;
    return 1;
nomem:
    cf_json_free(v);
    b->why = "out of memory";
    return 0;
}

static int budget(struct builder *b)
{
    if (b->values++ < b->lim.values)
        return 1;
    return refuse(b, "too many JSON values in one text", b->lim.values);
}

static int leaf(struct builder *b, yajl_type t, const void *text, size_t n)
{
    return budget(b) && attach(b, node_new(b, t, text, n));
}

static int on_null(void *ctx) { return leaf(ctx, yajl_t_null, NULL, 0); }

static int on_bool(void *ctx, int v)
{
    return leaf(ctx, v ? yajl_t_true : yajl_t_false, NULL, 0);
}

/* Same flags as yajl_tree: integer and double views where they fit. */
static int on_number(void *ctx, const char *s, size_t n)
{
    struct builder *b = ctx;
    assert(s); /* yajl always hands the digits, so node_new sets u.number.r */
    yajl_val v = budget(b) ? node_new(b, yajl_t_number, s, n) : NULL;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    v->u.number.i = strtoll(v->u.number.r, &end, 10);
    if (!errno && !*end)
        v->u.number.flags |= YAJL_NUMBER_INT_VALID;
    errno = 0;
    v->u.number.d = strtod(v->u.number.r, &end);
    if (!errno && !*end)
        v->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
    return attach(b, v);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    struct builder *b = ctx;
    return !refuse_str(b, s, n) && leaf(b, yajl_t_string, s, n);
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
    struct builder *b = ctx;
    if (refuse_str(b, s, n))
        return 0;
    b->key = strndup((const char *)s, n);
    if (!b->key)
        b->why = "out of memory";
    return b->key != NULL;
}

static int open_container(struct builder *b, yajl_type t)
{
    if (b->depth == b->lim.depth)
        return refuse(b, "JSON input exceeds allowed nesting depth", b->lim.depth);
    yajl_val v = budget(b) ? node_new(b, t, NULL, 0) : NULL;
    if (!attach(b, v))
        return 0;
    b->open[b->depth] = v;
    b->cap[b->depth++] = 0;
    return 1;
}

static int on_start_map(void *ctx) { return open_container(ctx, yajl_t_object); }
static int on_start_array(void *ctx) { return open_container(ctx, yajl_t_array); }

static int on_end(void *ctx)
{
    struct builder *b = ctx;
    b->depth--;
    return 1;
}

static const yajl_callbacks builder_cbs = {
    on_null,      on_bool, NULL,   NULL,           on_number, on_string,
    on_start_map, on_key,  on_end, on_start_array, on_end,
};

int cf_json_parse(const char *text, size_t len, yajl_val *out, struct coffer_err *err)
{
    return cf_json_parse_limited(text, len, NULL, out, err);
}

int cf_json_parse_limited(const char *text, size_t len, const struct cf_json_limits *lim,
                          yajl_val *out, struct coffer_err *err)
{
    if (memchr(text, 0, len)) {
        coffer_err_set(err, "NUL byte in JSON");
        return CF_EINVAL;
    }
    struct builder b = {.root = NULL};
    if (lim)
        b.lim = *lim;
    if (!b.lim.depth || b.lim.depth > CF_JSON_MAX_DEPTH)
        b.lim.depth = CF_JSON_MAX_DEPTH;
    if (!b.lim.values)
        b.lim.values = SIZE_MAX;
    /* yajl copies the table and never writes through the pointer */
    yajl_handle h = yajl_alloc(&builder_cbs, (yajl_alloc_funcs *)&zeroing_alloc, &b);
    if (!h) {
        coffer_err_set(err, "out of memory");
        return CF_ENOMEM;
    }
    /* as yajl_tree_parse did: callers' stored JSON may carry comments */
    yajl_config(h, yajl_allow_comments, 1);
    yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    int rc = 0;
    if (st != yajl_status_ok) {
        rc = b.why && !strcmp(b.why, "out of memory") ? CF_ENOMEM : CF_EINVAL;
        if (b.why) {
            coffer_err_set(err, "%s", b.why);
        } else {
            /* yajl's message spans lines with a context snippet (client
             * bytes): keep line 1. */
            unsigned char *e = yajl_get_error(h, 0, NULL, 0);
            char *nl = e ? strchr((char *)e, '\n') : NULL;
            if (nl)
                *nl = '\0';
            coffer_err_set(err, "%s", e && *e ? (char *)e : "malformed JSON");
            if (e)
                yajl_free_error(h, e);
        }
        cf_free_secret_str(b.key);
        cf_json_free(b.root);
    } else {
        *out = b.root;
    }
    yajl_free(h);
    return rc;
}

static void leaf_free(yajl_val v)
{
    if (v->type == yajl_t_string)
        cf_zero(v->u.string, strlen(v->u.string));
    else if (v->type == yajl_t_number)
        cf_zero(v->u.number.r, strlen(v->u.number.r));
    free(v);
}

static int is_container(yajl_val v)
{
    return v->type == yajl_t_object || v->type == yajl_t_array;
}

/* Walks with an explicit stack of open containers, so depth costs heap,
 * not the thread's stack. Only trees from cf_json_parse are freed here. */
void cf_json_free(yajl_val v)
{
    yajl_val local[CF_JSON_MAX_DEPTH + 1], *stack = local;
    size_t n = 0, cap = sizeof local / sizeof *local;
    while (v) {
        size_t *len = v->type == yajl_t_object ? &v->u.object.len : &v->u.array.len;
        if (is_container(v) && *len) {
            yajl_val c;
            if (v->type == yajl_t_object) {
                c = v->u.object.values[--*len];
                cf_free_secret_str((char *)v->u.object.keys[*len]);
            } else {
                c = v->u.array.values[--*len];
            }
            if (!c || !is_container(c)) {
                if (c)
                    leaf_free(c);
                continue;
            }
            if (n == cap) {
                yajl_val *ns = malloc(2 * cap * sizeof *ns);
                if (!ns) {
                    /* leak the rest of this branch rather than fail */
                    continue;
                }
                memcpy(ns, stack, n * sizeof *ns);
                if (stack != local)
                    free(stack);
                stack = ns;
                cap *= 2;
            }
            stack[n++] = v;
            v = c;
            continue;
        }
        if (v->type == yajl_t_object) {
            free(v->u.object.keys);
            free(v->u.object.values);
        } else if (v->type == yajl_t_array) {
            free(v->u.array.values);
        }
        leaf_free(v);
        v = n ? stack[--n] : NULL;
    }
    if (stack != local)
        free(stack);
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
        errno = 0;
        long long x = strtoll(v->u.string, &end, 10);
        if (end == v->u.string || *end || errno == ERANGE)
            return CF_EINVAL; /* past 64 bits: refused, never clamped */
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
