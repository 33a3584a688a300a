/* ACL policy documents: Vault's HCL (or JSON) policy text parsed into path
 * rules with a capability bitmap and parameter constraints. Parsed policies
 * are immutable and reference-counted so ACLs can share them. */
#ifndef CF_POLICY_H
#define CF_POLICY_H

#include <stddef.h>
#include <coffer/errors.h>

#define CF_CAP_DENY 0x1
#define CF_CAP_CREATE 0x2
#define CF_CAP_READ 0x4
#define CF_CAP_UPDATE 0x8
#define CF_CAP_DELETE 0x10
#define CF_CAP_LIST 0x20
#define CF_CAP_SUDO 0x40
#define CF_CAP_PATCH 0x80
#define CF_CAP_SUBSCRIBE 0x100
#define CF_CAP_RECOVER 0x200

/* One allowed_/denied_parameters entry. nvalues 0 means "any value". */
struct cf_param_rule {
    char *name;    /* lower-cased */
    char **values; /* text form: strings as-is, numbers, true/false */
    size_t nvalues;
};

struct cf_path_rule {
    char *path;    /* as written without a leading '/'; may end in '*' */
    unsigned caps; /* CF_CAP_*; deny alone when deny was given */
    struct cf_param_rule *allowed;
    size_t nallowed;
    struct cf_param_rule *denied;
    size_t ndenied;
    char **required; /* lower-cased names */
    size_t nrequired;
    long long min_wrapping_ttl; /* seconds, parsed but not enforced */
    long long max_wrapping_ttl;
    int templated; /* path holds {{...}}; never matches (no identity) */
    /* The first key of the rule this server cannot enforce (response
     * wrapping, MFA, control groups), or NULL. Such a rule is refused when
     * written and grants nothing if already stored: ignoring it would grant
     * more than its author wrote. Static string. */
    const char *unenforced;
};

struct cf_policy {
    char *name; /* lower-cased */
    char *raw;  /* the text as given */
    struct cf_path_rule *rules;
    size_t nrules;
    int refs; /* atomic; cf_policy_ref / cf_policy_free */
};

/* Parses text (len bytes, HCL or JSON). On error returns CF_EINVAL and err
 * (may be NULL) holds "failed to parse policy: ..." for the user (400), or
 * CF_ENOMEM. *out is owned by the caller (one reference). */
int cf_policy_parse(const char *name, const char *text, size_t len,
                    struct cf_policy **out, struct coffer_err *err);
/* 0 if every rule of p can be enforced, else CF_EINVAL and err names the
 * rule and key to remove (a 400 for the user at write time). */
int cf_policy_check_enforceable(const struct cf_policy *p, struct coffer_err *err);
/* Takes another reference (returns p). */
struct cf_policy *cf_policy_ref(struct cf_policy *p);
/* Drops one reference; frees at zero. NULL is fine. */
void cf_policy_free(struct cf_policy *p);

/* "read" → CF_CAP_READ, 0 if unknown. */
unsigned cf_cap_from_name(const char *name);
/* Vault's capability list for a bitmap: ["deny"] when empty or deny,
 * ["root"] when is_root, else sorted names. *out malloc'd array of
 * malloc'd strings, free with cf_strv_free. */
int cf_cap_names(unsigned caps, int is_root, char ***out, size_t *n);

/* Vault's policyutil.SanitizePolicies: trims, lower-cases, drops empties,
 * collapses to ["root"] when root is present, adds "default" if add_default,
 * sorts and de-duplicates. *out: malloc'd strv (cf_strv_free). */
int cf_policies_sanitize(char *const *in, size_t n, int add_default, char ***out,
                         size_t *nout);

#endif
