/* Fuzz entry for the HCL/JSON parser and the config schema on top of it.
 * See fuzz.h for the two ways it is built. */
#include "fuzz.h"
#include "config/config.h"
#include "config/hcl.h"

CF_FUZZ_TARGET("hcl", "{}[]=:,\"\\#/*<-\n \0tu0123456789.eE");

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct coffer_err err = {""};
    struct cf_hcl_node *n;
    if (cf_hcl_parse((const char *)data, size, "fuzz", &n, &err) == 0) {
        /* exercise the readers on whatever came out */
        for (size_t i = 0; i < n->nentries; i++) {
            const struct cf_hcl_node *v = n->entries[i].value;
            const char *s;
            long long ll;
            int b;
            (void)cf_hcl_as_string(v, &s);
            (void)cf_hcl_as_int(v, &ll);
            (void)cf_hcl_as_bool(v, &b);
            (void)cf_hcl_get(n, n->entries[i].key);
        }
        cf_hcl_free(n);
    }
    struct cf_config *c;
    if (cf_config_parse((const char *)data, size, "fuzz", &c, &err) == 0)
        cf_config_free(c);
    return 0;
}
