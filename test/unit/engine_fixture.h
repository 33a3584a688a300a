/* Test fixture for the secrets engines: a real barrier over in-memory
 * storage, a mount with a view, and fake requests built from JSON text.
 * Header-only (static functions) so each engine test links it alone. */
#ifndef CF_TEST_ENGINE_FIXTURE_H
#define CF_TEST_ENGINE_FIXTURE_H

#include "cf_test.h"
#include "mem_storage.h"
#include "seal/barrier.h"
#include "seal/view.h"
#include "request/request.h"
#include "request/backend.h"
#include "util/json.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    struct cf_physical *phys;
    struct cf_barrier *b;
    struct cf_view *view;
    struct cf_mount m;
    const struct cf_backend *be;
};

static inline void fx_open(struct fx *f, const struct cf_backend *be, int kv_version)
{
    memset(f, 0, sizeof *f);
    uint8_t key[CF_ROOT_KEY_LEN];
    for (int i = 0; i < CF_ROOT_KEY_LEN; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    CU_ASSERT_FATAL(cf_test_mem_physical(&f->phys) == 0);
    CU_ASSERT_FATAL(cf_barrier_new(f->phys, &f->b) == 0);
    CU_ASSERT_FATAL(cf_barrier_initialize(f->b, key, sizeof key) == 0);
    CU_ASSERT_FATAL(cf_barrier_unseal(f->b, key, sizeof key) == 0);
    CU_ASSERT_FATAL(cf_view_new(f->b, "logical/test/", &f->view) == 0);
    f->be = be;
    f->m.path = (char *)"secret/";
    f->m.type = (char *)"test";
    f->m.kv_version = kv_version;
    f->m.view = f->view;
    f->m.backend = be;
    if (be->init) {
        struct coffer_err err;
        struct cf_backend_env env = {0};
        CU_ASSERT_FATAL(be->init(&env, &f->m, &f->m.state, &err) == 0);
    }
}

static inline void fx_close(struct fx *f)
{
    if (f->be->cleanup)
        f->be->cleanup(f->m.state);
    cf_view_free(f->view);
    cf_barrier_free(f->b);
    cf_physical_free(f->phys);
}

/* A request for rel with an optional JSON body and "k=v" query strings
 * (NULL-terminated). Free with cf_request_free. */
static inline struct cf_request *fx_req(enum cf_op op, const char *rel, const char *body,
                                        ...)
{
    struct cf_request *r = calloc(1, sizeof *r);
    CU_ASSERT_FATAL(r != NULL);
    r->op = op;
    r->path = strdup(rel);
    r->rel = r->path;
    if (body) {
        r->body = strdup(body);
        r->body_len = strlen(body);
        CU_ASSERT_FATAL(cf_json_parse(body, strlen(body), &r->data, NULL) == 0);
    }
    va_list ap;
    va_start(ap, body);
    const char *q;
    while ((q = va_arg(ap, const char *))) {
        r->query = realloc(r->query, (r->nquery + 1) * sizeof *r->query);
        const char *eq = strchr(q, '=');
        r->query[r->nquery].key = eq ? strndup(q, (size_t)(eq - q)) : strdup(q);
        r->query[r->nquery].value = strdup(eq ? eq + 1 : "");
        r->nquery++;
    }
    va_end(ap);
    return r;
}

static inline void fx_header(struct cf_request *r, const char *k, const char *v)
{
    r->headers = realloc(r->headers, (r->nheaders + 1) * sizeof *r->headers);
    r->headers[r->nheaders].key = strdup(k);
    r->headers[r->nheaders].value = strdup(v);
    r->nheaders++;
}

/* Runs req through the backend; the result is reset first. */
static inline int fx_run(struct fx *f, struct cf_request *req, struct cf_result *res)
{
    cf_result_free(res);
    return f->be->handle(&f->m, req, res);
}

/* One-shot: build, run, free the request. Returns the handler's code. */
static inline int fx_call(struct fx *f, enum cf_op op, const char *rel, const char *body,
                          struct cf_result *res)
{
    struct cf_request *r = fx_req(op, rel, body, NULL);
    int rc = fx_run(f, r, res);
    cf_request_free(r);
    return rc;
}

/* The HTTP status the result stands for (0 → 200 with data, else 204). */
static inline int fx_status(const struct cf_result *res)
{
    if (res->status)
        return res->status;
    return res->data ? 200 : 204;
}

/* Parses res->data (caller frees with cf_json_free); NULL if none. */
static inline yajl_val fx_data(const struct cf_result *res)
{
    yajl_val v = NULL;
    if (res->data)
        cf_json_parse(res->data, strlen(res->data), &v, NULL);
    return v;
}

/* The string at a '/'-separated path inside res->data, copied into out. */
static inline const char *fx_str(const struct cf_result *res, const char *path, char *out,
                                 size_t outlen)
{
    yajl_val root = fx_data(res), v = root;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save, *t = strtok_r(buf, "/", &save); t && v;
         t = strtok_r(NULL, "/", &save))
        v = cf_json_get(v, t);
    const char *s = NULL;
    if (v && v->type == yajl_t_string)
        s = v->u.string;
    else if (v && v->type == yajl_t_number)
        s = v->u.number.r;
    else if (v && v->type == yajl_t_true)
        s = "true";
    else if (v && v->type == yajl_t_false)
        s = "false";
    else if (v && v->type == yajl_t_null)
        s = "null";
    else if (v && v->type == yajl_t_object)
        s = "{object}";
    snprintf(out, outlen, "%s", s ? s : "(absent)");
    if (root)
        cf_json_free(root);
    return out;
}

#endif
