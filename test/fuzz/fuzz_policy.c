/* Fuzz entry for cf_policy_parse, which reads every policy a token holder
 * writes to sys/policy. A refusal must say why on one line under Vault's
 * prefix; a parsed policy must hold only rules the ACL can act on. See
 * fuzz.h for the two ways it is built. */
#include "fuzz.h"
#include "auth/policy.h"
#include "util/json.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("policy",
               "path\"{}[]=:,#\n *+{{}}capabilities\"deny\"read\"sudo"
               "allowed_parameters denied_parameters required_parameters "
               "min_wrapping_ttl max_wrapping_ttl policy mfa_methods 1h -0.5e9");

#define ALL_CAPS 0x3ffu

static int is_lower(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return 0;
    return 1;
}

static void check_params(const struct cf_param_rule *p, size_t n)
{
    if (n && !p)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!p[i].name || !is_lower(p[i].name) || (p[i].nvalues && !p[i].values))
            abort();
        for (size_t k = 0; k < p[i].nvalues; k++)
            if (!p[i].values[k])
                abort();
    }
}

static void check_rule(const struct cf_path_rule *r)
{
    if (!r->path || r->path[0] == '/' || (r->caps & ~ALL_CAPS))
        abort();
    /* deny stands alone and carries nothing else */
    if ((r->caps & CF_CAP_DENY) &&
        (r->caps != CF_CAP_DENY || r->nallowed || r->ndenied || r->nrequired ||
         r->unenforced))
        abort();
    check_params(r->allowed, r->nallowed);
    check_params(r->denied, r->ndenied);
    for (size_t i = 0; i < r->nrequired; i++)
        if (!r->required[i] || !is_lower(r->required[i]))
            abort();
    char **names;
    size_t n;
    if (cf_cap_names(r->caps, 0, &names, &n) == 0) {
        if (!n)
            abort(); /* an empty bitmap still reads as ["deny"] */
        cf_strv_free(names, n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct coffer_err err = {""};
    struct cf_policy *p = NULL;
    int rc = cf_policy_parse("Fuzz", (const char *)data, size, &p, &err);
    if (rc) {
        if (p || (rc != CF_EINVAL && rc != CF_ENOMEM))
            abort();
        if (rc == CF_EINVAL &&
            (strncmp(err.msg, "failed to parse policy: ", 24) || !err.msg[24] ||
             strchr(err.msg, '\n')))
            abort(); /* every refusal says why, on one line */
        return 0;
    }
    if (!p->name || strcmp(p->name, "fuzz") || !p->raw || (p->nrules && !p->rules))
        abort();
    for (size_t i = 0; i < p->nrules; i++)
        check_rule(&p->rules[i]);
    err.msg[0] = '\0';
    if (cf_policy_check_enforceable(p, &err) && !err.msg[0])
        abort();
    struct cf_policy *q = cf_policy_ref(p);
    cf_policy_free(p);
    cf_policy_free(q);
    return 0;
}
