/* Fuzz entry for cf_json_parse, the bounded tree builder every request
 * body goes through before authentication. A tree that comes out must be
 * within the limits and survive a write and re-parse unchanged. See fuzz.h
 * for the two ways it is built. */
#include "fuzz.h"
#include "util/json.h"
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("json", "{}[],:\"\\u0000ud800 \t\ntruefalsenull-0.5e+9/*\xC0\xED\xF4\x80");

static size_t count(yajl_val v, int depth)
{
    size_t n = 1;
    if ((YAJL_IS_OBJECT(v) || YAJL_IS_ARRAY(v)) && depth > CF_JSON_MAX_DEPTH)
        abort(); /* the limit counts containers */
    if (YAJL_IS_OBJECT(v))
        for (size_t i = 0; i < v->u.object.len; i++)
            n += count(v->u.object.values[i], depth + 1);
    else if (YAJL_IS_ARRAY(v))
        for (size_t i = 0; i < v->u.array.len; i++)
            n += count(v->u.array.values[i], depth + 1);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yajl_val v = NULL;
    struct coffer_err err = {""};
    if (cf_json_parse_limited((const char *)data, size, &cf_json_request_limits, &v,
                              &err)) {
        if (!err.msg[0] || strchr(err.msg, '\n'))
            abort(); /* every refusal says why, on one line */
        return 0;
    }
    if (count(v, 1) > CF_JSON_MAX_VALUES)
        abort();
    (void)cf_json_get_str(v, "a");
    struct cf_json j;
    char *text = NULL, *again = NULL;
    if (cf_json_init(&j) == 0) {
        cf_json_value(&j, v);
        if (cf_json_finish(&j, &text) == 0) {
            yajl_val w = NULL;
            if (cf_json_parse(text, strlen(text), &w, NULL) || cf_json_init(&j))
                abort(); /* what we wrote, we read back */
            cf_json_value(&j, w);
            if (cf_json_finish(&j, &again) || strcmp(text, again))
                abort();
            cf_json_free(w);
        }
    }
    free(text);
    free(again);
    cf_json_free(v);
    return 0;
}
