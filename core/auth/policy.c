/* Parsing of Vault ACL policy documents (HCL or JSON, through the config
 * parser) into cf_path_rule arrays, with Vault's validation messages, and
 * the small policy-name helpers the token code shares. */
#include "auth/policy.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coffer/errors.h>
#include "config/hcl.h"
#include "util/encode.h"
#include "util/json.h"
#include "util/timeutil.h"

static const struct {
    const char *name;
    unsigned bit;
} caps_table[] = {
    {"create", CF_CAP_CREATE},   {"delete", CF_CAP_DELETE},       {"deny", CF_CAP_DENY},
    {"list", CF_CAP_LIST},       {"patch", CF_CAP_PATCH},         {"read", CF_CAP_READ},
    {"recover", CF_CAP_RECOVER}, {"subscribe", CF_CAP_SUBSCRIBE}, {"sudo", CF_CAP_SUDO},
    {"update", CF_CAP_UPDATE},
};

unsigned cf_cap_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof caps_table / sizeof caps_table[0]; i++)
        if (!strcmp(caps_table[i].name, name))
            return caps_table[i].bit;
    return 0;
}

static int strv_add(char ***v, size_t *n, const char *s, size_t len)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return CF_ENOMEM;
    *v = nv;
    char *c = strndup(s, len);
    if (!c)
        return CF_ENOMEM;
    nv[(*n)++] = c;
    return 0;
}

int cf_cap_names(unsigned caps, int is_root, char ***out, size_t *n)
{
    char **v = NULL;
    size_t cnt = 0;
    int rc = 0;
    if (is_root)
        rc = strv_add(&v, &cnt, "root", 4);
    else if (!caps || (caps & CF_CAP_DENY))
        rc = strv_add(&v, &cnt, "deny", 4);
    else
        for (size_t i = 0; !rc && i < sizeof caps_table / sizeof caps_table[0]; i++)
            if (caps & caps_table[i].bit)
                rc = strv_add(&v, &cnt, caps_table[i].name, strlen(caps_table[i].name));
    if (rc) {
        cf_strv_free(v, cnt);
        return rc;
    }
    *out = v;
    *n = cnt;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cf_policies_sanitize(char *const *in, size_t n, int add_default, char ***out,
                         size_t *nout)
{
    char **v = NULL;
    size_t cnt = 0;
    int root = 0, rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *s = in[i];
        while (isspace((unsigned char)*s))
            s++;
        size_t l = strlen(s);
        while (l && isspace((unsigned char)s[l - 1]))
            l--;
        if (!l)
            continue;
        rc = strv_add(&v, &cnt, s, l);
        if (!rc) {
            for (char *p = v[cnt - 1]; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!strcmp(v[cnt - 1], "root"))
                root = 1;
        }
    }
    if (!rc && root) {
        cf_strv_free(v, cnt);
        v = NULL;
        cnt = 0;
        rc = strv_add(&v, &cnt, "root", 4);
        add_default = 0;
    }
    if (!rc && add_default)
        rc = strv_add(&v, &cnt, "default", 7);
    if (rc) {
        cf_strv_free(v, cnt);
        return rc;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (w && !strcmp(v[w - 1], v[i])) {
            free(v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    *out = v;
    *nout = w;
    return 0;
}

/* ---- parsing ---- */

/* err may be NULL. Returns CF_EINVAL, the code of every policy mistake. */
static int perr(struct coffer_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int perr(struct coffer_err *err, const char *fmt, ...)
{
    if (err) {
        int n = snprintf(err->msg, sizeof err->msg, "failed to parse policy: ");
        if (n > 0 && (size_t)n < sizeof err->msg) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
            va_end(ap);
        }
        /* The text quotes the writer's paths, which may hold any byte. */
        cf_str_oneline(err->msg);
    }
    return CF_EINVAL;
}

static void free_params(struct cf_param_rule *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        cf_strv_free(p[i].values, p[i].nvalues);
    }
    free(p);
}

static void free_rule(struct cf_path_rule *r)
{
    free(r->path);
    free_params(r->allowed, r->nallowed);
    free_params(r->denied, r->ndenied);
    cf_strv_free(r->required, r->nrequired);
}

int cf_policy_check_enforceable(const struct cf_policy *p, struct coffer_err *err)
{
    for (size_t i = 0; i < p->nrules; i++)
        if (p->rules[i].unenforced)
            return perr(err,
                        "path \"%s\": %s cannot be enforced by this server "
                        "(response wrapping, MFA and control groups are not "
                        "supported); remove it",
                        p->rules[i].path, p->rules[i].unenforced);
    return 0;
}

struct cf_policy *cf_policy_ref(struct cf_policy *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
    return p;
}

void cf_policy_free(struct cf_policy *p)
{
    if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (size_t i = 0; i < p->nrules; i++)
        free_rule(&p->rules[i]);
    free(p->rules);
    free(p->name);
    free(p->raw);
    free(p);
}

/* A scalar node as text, as Vault compares parameter values. */
static int scalar_text(const struct cf_hcl_node *n, char **out)
{
    const char *s = NULL;
    if (n->type == CF_HCL_STRING || n->type == CF_HCL_NUMBER)
        s = n->str;
    else if (n->type == CF_HCL_BOOL)
        s = n->boolean ? "true" : "false";
    else
        return CF_EINVAL;
    *out = strdup(s ? s : "");
    return *out ? 0 : CF_ENOMEM;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static int parse_params(struct coffer_err *err, const char *path, const char *what,
                        const struct cf_hcl_node *n, struct cf_param_rule **out,
                        size_t *nout)
{
    /* HCL gives `x = {...}` an object, a block `x {...}` too; JSON may
     * wrap it in a list. Repeated occurrences add up. */
    if (n->type == CF_HCL_LIST) {
        for (size_t i = 0; i < n->nitems; i++) {
            int rc = parse_params(err, path, what, n->items[i], out, nout);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (n->type != CF_HCL_OBJECT)
        return perr(err,
                    "path \"%s\": %s must be a map of parameter names "
                    "to value lists (line %d)",
                    path, what, n->line);
    for (size_t i = 0; i < n->nentries; i++) {
        const struct cf_hcl_entry *e = &n->entries[i];
        struct cf_param_rule *np = realloc(*out, (*nout + 1) * sizeof **out);
        if (!np)
            return CF_ENOMEM;
        *out = np;
        struct cf_param_rule *pr = &np[*nout];
        memset(pr, 0, sizeof *pr);
        if (!(pr->name = strdup(e->key)))
            return CF_ENOMEM;
        (*nout)++;
        lower(pr->name);
        const struct cf_hcl_node *v = e->value;
        size_t cnt = v->type == CF_HCL_LIST ? v->nitems : 1;
        for (size_t k = 0; k < cnt; k++) {
            const struct cf_hcl_node *item = v->type == CF_HCL_LIST ? v->items[k] : v;
            if (item->type == CF_HCL_OBJECT && !item->nentries)
                continue; /* `"key" = {}` in JSON: any value */
            char *t;
            int rc = scalar_text(item, &t);
            if (rc == CF_EINVAL)
                return perr(err,
                            "path \"%s\": %s \"%s\": values must be "
                            "strings, numbers or booleans (line %d)",
                            path, what, e->key, item->line);
            if (rc)
                return rc;
            char **nv = realloc(pr->values, (pr->nvalues + 1) * sizeof *nv);
            if (!nv) {
                free(t);
                return CF_ENOMEM;
            }
            pr->values = nv;
            nv[pr->nvalues++] = t;
        }
    }
    return 0;
}

static int string_list(const struct cf_hcl_node *v, const char ***items, size_t *n,
                       int *bad_line)
{
    /* A list of strings, or one string (HCL decodes it into a slice). */
    size_t cnt = v->type == CF_HCL_LIST ? v->nitems : 1;
    const char **arr = calloc(cnt ? cnt : 1, sizeof *arr);
    if (!arr)
        return CF_ENOMEM;
    for (size_t i = 0; i < cnt; i++) {
        const struct cf_hcl_node *it = v->type == CF_HCL_LIST ? v->items[i] : v;
        if (it->type != CF_HCL_STRING) {
            *bad_line = it->line;
            free(arr);
            return CF_EINVAL;
        }
        arr[i] = it->str;
    }
    *items = arr;
    *n = cnt;
    return 0;
}

static const char *const path_keys[] = {"comment",
                                        "policy",
                                        "capabilities",
                                        "allowed_parameters",
                                        "denied_parameters",
                                        "required_parameters",
                                        "min_wrapping_ttl",
                                        "max_wrapping_ttl",
                                        "mfa_methods",
                                        "control_group",
                                        "subscribe_event_types",
                                        NULL};

static int ttl_value(struct coffer_err *err, const char *path, const char *key,
                     const struct cf_hcl_node *v, long long *out)
{
    long long s;
    if (v->type == CF_HCL_NUMBER && v->is_int && v->inum >= 0) {
        *out = v->inum;
        return 0;
    }
    if (v->type == CF_HCL_STRING && !cf_duration_parse(v->str, &s)) {
        *out = s;
        return 0;
    }
    return perr(err, "path \"%s\": %s: invalid duration (line %d)", path, key, v->line);
}

/* The rule's own path: leading '/' dropped, as Vault does. */
static int rule_path(struct coffer_err *err, const char *key, struct cf_path_rule *r)
{
    const char *path = key;
    while (*path == '/')
        path++;
    if (!(r->path = strdup(path)))
        return CF_ENOMEM;
    r->templated = strstr(path, "{{") != NULL;
    if (strstr(path, "+*"))
        return perr(err,
                    "path \"%s\": invalid use of wildcards ('+*' is "
                    "forbidden)",
                    path);
    return 0;
}

static int is_path_key(const char *name)
{
    for (const char *const *k = path_keys; *k; k++)
        if (!strcmp(*k, name))
            return 1;
    return 0;
}

/* string_list for the value of what in path key, with the user's message.
 * *items (borrowed strings) is the caller's to free. */
static int path_strings(struct coffer_err *err, const char *key, const char *what,
                        const struct cf_hcl_node *v, const char ***items, size_t *n)
{
    int bad = 0;
    int rc = string_list(v, items, n, &bad);
    if (rc == CF_EINVAL)
        return perr(err, "path \"%s\": %s must be a list of strings (line %d)", key, what,
                    bad);
    return rc;
}

static int rule_caps(struct coffer_err *err, const char *key, const struct cf_hcl_node *v,
                     struct cf_path_rule *r)
{
    const char **items;
    size_t n;
    int rc = path_strings(err, key, "capabilities", v, &items, &n);
    if (rc)
        return rc;
    for (size_t k = 0; k < n && !rc; k++) {
        unsigned bit = cf_cap_from_name(items[k]);
        if (bit)
            r->caps |= bit;
        else
            rc = perr(err, "path \"%s\": invalid capability \"%s\"", key, items[k]);
    }
    free(items);
    return rc;
}

static int rule_required(struct coffer_err *err, const char *key,
                         const struct cf_hcl_node *v, struct cf_path_rule *r)
{
    const char **items;
    size_t n;
    int rc = path_strings(err, key, "required_parameters", v, &items, &n);
    if (rc)
        return rc;
    for (size_t k = 0; k < n && !rc; k++) {
        rc = strv_add(&r->required, &r->nrequired, items[k], strlen(items[k]));
        if (!rc)
            lower(r->required[r->nrequired - 1]);
    }
    free(items);
    return rc;
}

/* One key of a path block. *legacy keeps the last `policy = "..."`, which
 * applies once the whole block is read. */
static int rule_key(struct coffer_err *err, const char *key, const struct cf_hcl_entry *e,
                    struct cf_path_rule *r, const char **legacy)
{
    const struct cf_hcl_node *v = e->value;
    if (!is_path_key(e->key))
        return perr(err, "path \"%s\": invalid key \"%s\" on line %d", key, e->key,
                    e->line);
    if (!strcmp(e->key, "policy")) {
        if (v->type != CF_HCL_STRING)
            return perr(err, "path \"%s\": policy must be a string (line %d)", key,
                        e->line);
        *legacy = v->str;
        return 0;
    }
    if (!strcmp(e->key, "capabilities"))
        return rule_caps(err, key, v, r);
    if (!strcmp(e->key, "allowed_parameters"))
        return parse_params(err, key, "allowed_parameters", v, &r->allowed, &r->nallowed);
    if (!strcmp(e->key, "denied_parameters"))
        return parse_params(err, key, "denied_parameters", v, &r->denied, &r->ndenied);
    if (!strcmp(e->key, "required_parameters"))
        return rule_required(err, key, v, r);
    int is_min = !strcmp(e->key, "min_wrapping_ttl");
    if (is_min || !strcmp(e->key, "max_wrapping_ttl")) {
        long long *ttl = is_min ? &r->min_wrapping_ttl : &r->max_wrapping_ttl;
        int rc = ttl_value(err, key, e->key, v, ttl);
        if (!rc && *ttl && !r->unenforced)
            r->unenforced = is_min ? "min_wrapping_ttl" : "max_wrapping_ttl";
        return rc;
    }
    if (!r->unenforced && !strcmp(e->key, "mfa_methods"))
        r->unenforced = "mfa_methods";
    if (!r->unenforced && !strcmp(e->key, "control_group"))
        r->unenforced = "control_group";
    /* comment and subscribe_event_types (which only narrows "subscribe",
     * a capability no endpoint here needs) are accepted and ignored. */
    return 0;
}

/* Vault maps the pre-0.5 shorthand onto capabilities. */
static int legacy_caps(struct coffer_err *err, const char *key, const char *legacy,
                       unsigned *caps)
{
    if (!strcmp(legacy, "deny"))
        *caps |= CF_CAP_DENY;
    else if (!strcmp(legacy, "read"))
        *caps |= CF_CAP_READ | CF_CAP_LIST;
    else if (!strcmp(legacy, "write"))
        *caps |=
            CF_CAP_CREATE | CF_CAP_READ | CF_CAP_UPDATE | CF_CAP_DELETE | CF_CAP_LIST;
    else if (!strcmp(legacy, "sudo"))
        *caps |= CF_CAP_CREATE | CF_CAP_READ | CF_CAP_UPDATE | CF_CAP_DELETE |
            CF_CAP_LIST | CF_CAP_SUDO;
    else
        return perr(err, "path \"%s\": invalid policy \"%s\"", key, legacy);
    return 0;
}

/* deny overrides everything else on the same rule */
static void apply_deny(struct cf_path_rule *r)
{
    if (!(r->caps & CF_CAP_DENY))
        return;
    r->caps = CF_CAP_DENY;
    free_params(r->allowed, r->nallowed);
    free_params(r->denied, r->ndenied);
    cf_strv_free(r->required, r->nrequired);
    r->allowed = r->denied = NULL;
    r->required = NULL;
    r->nallowed = r->ndenied = r->nrequired = 0;
    r->unenforced = NULL; /* a deny is enforced whatever else it says */
}

/* `path "key" { ... }` into r. On failure r may hold part of the rule; the
 * policy's free releases it. */
static int parse_path(struct coffer_err *err, const char *key,
                      const struct cf_hcl_node *body, struct cf_path_rule *r)
{
    int rc = rule_path(err, key, r);
    if (rc)
        return rc;
    if (body->type == CF_HCL_LIST && body->nitems == 1)
        body = body->items[0];
    if (body->type != CF_HCL_OBJECT)
        return perr(err, "path \"%s\": expected a block (line %d)", key, body->line);
    const char *legacy = NULL;
    for (size_t i = 0; i < body->nentries && !rc; i++)
        rc = rule_key(err, key, &body->entries[i], r, &legacy);
    if (!rc && legacy)
        rc = legacy_caps(err, key, legacy, &r->caps);
    if (rc)
        return rc;
    apply_deny(r);
    if (r->min_wrapping_ttl && r->max_wrapping_ttl &&
        r->max_wrapping_ttl < r->min_wrapping_ttl)
        return perr(err,
                    "path \"%s\": max_wrapping_ttl cannot be less than "
                    "min_wrapping_ttl",
                    key);
    return 0;
}

static int add_paths(struct coffer_err *err, struct cf_policy *p,
                     const struct cf_hcl_node *v)
{
    if (v->type == CF_HCL_LIST) {
        for (size_t i = 0; i < v->nitems; i++) {
            int rc = add_paths(err, p, v->items[i]);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (v->type != CF_HCL_OBJECT)
        return perr(err, "\"path\" must be a block (line %d)", v->line);
    for (size_t i = 0; i < v->nentries; i++) {
        struct cf_path_rule *nr = realloc(p->rules, (p->nrules + 1) * sizeof *nr);
        if (!nr)
            return CF_ENOMEM;
        p->rules = nr;
        memset(&nr[p->nrules], 0, sizeof *nr);
        p->nrules++;
        int rc =
            parse_path(err, v->entries[i].key, v->entries[i].value, &nr[p->nrules - 1]);
        if (rc)
            return rc;
    }
    return 0;
}

int cf_policy_parse(const char *name, const char *text, size_t len,
                    struct cf_policy **out, struct coffer_err *err)
{
    if (err)
        err->msg[0] = 0;
    struct cf_policy *p = calloc(1, sizeof *p);
    if (!p)
        return CF_ENOMEM;
    p->refs = 1;
    p->name = strdup(name ? name : "");
    p->raw = strndup(text ? text : "", text ? len : 0);
    if (!p->name || !p->raw) {
        cf_policy_free(p);
        return CF_ENOMEM;
    }
    lower(p->name);
    struct coffer_err herr = {""};
    struct cf_hcl_node *root = NULL;
    int rc = cf_hcl_parse(p->raw, strlen(p->raw), "policy", &root, &herr);
    if (rc) {
        if (rc == CF_EINVAL)
            perr(err, "%s", herr.msg);
        cf_policy_free(p);
        return rc;
    }
    if (root->type != CF_HCL_OBJECT) {
        rc = perr(err, "expected an object at the top level");
        goto out;
    }
    for (size_t i = 0; i < root->nentries && !rc; i++) {
        const struct cf_hcl_entry *e = &root->entries[i];
        if (!strcmp(e->key, "path"))
            rc = add_paths(err, p, e->value);
        else if (strcmp(e->key, "name"))
            rc = perr(err, "invalid key \"%s\" on line %d", e->key, e->line);
    }
out:
    cf_hcl_free(root);
    if (rc) {
        cf_policy_free(p);
        return rc;
    }
    *out = p;
    return 0;
}
