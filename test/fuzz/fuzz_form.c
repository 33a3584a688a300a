/* Fuzz entry for the form-body decoder (cf_http_form_to_json), run on
 * anonymous bodies. What comes out must be a JSON object the bounded
 * parser takes, with no more keys than the field cap. See fuzz.h. */
#include "fuzz.h"
#include "http/request_parse.h"
#include "util/json.h"
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("form", "&=%+;a0fF2E\xC3\xA9\x80\xff");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = NULL;
    struct coffer_err err = {""};
    if (cf_http_form_to_json((const char *)data, size, &json, &err)) {
        if (!err.msg[0] || json)
            abort();
        return 0;
    }
    yajl_val v = NULL;
    if (cf_json_parse(json, strlen(json), &v, NULL) || !YAJL_IS_OBJECT(v) ||
        v->u.object.len > CF_HTTP_MAX_FORM_FIELDS)
        abort();
    cf_json_free(v);
    cf_free_secret_str(json);
    return 0;
}
