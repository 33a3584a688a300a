/* Named ACL policies kept in a barrier view (sys/policy/), with Vault's
 * built-ins: "root" (implicit, never stored, immutable) and "default"
 * (written on first start, editable, never deletable). Parsed policies are
 * cached in memory behind a rwlock and dropped on every write. */
#ifndef CF_POLICY_STORE_H
#define CF_POLICY_STORE_H

#include <stddef.h>
#include "auth/policy.h"
#include "seal/view.h"

struct cf_policy_store;

/* Vault's default policy text. */
extern const char cf_default_policy_text[];

/* view is borrowed and must outlive the store; the barrier must be
 * unsealed (the "default" policy is created if missing). */
int cf_policy_store_new(struct cf_view *view, struct cf_policy_store **out);
void cf_policy_store_free(struct cf_policy_store *ps);

/* A parsed policy by name (any case). *out is a new reference, release with
 * cf_policy_free. CF_ENOENT when absent, and for "root" (never stored). */
int cf_policy_store_get(struct cf_policy_store *ps, const char *name,
                        struct cf_policy **out);
/* 0 if name is spelled as the store keeps it (lower case, no surrounding
 * space), else CF_EINVAL and err gives the canonical spelling. The API
 * refuses other spellings: an ACL rule on sys/policy/admin must not be
 * bypassed by writing sys/policy/ADMIN (Vault's CVE-2025-5999 class).
 * An all-space name passes: put and delete refuse it as empty. */
int cf_policy_name_canonical(const char *name, struct coffer_err *err);
/* Parses and stores text under the lower-cased name; a policy with a rule
 * the server cannot enforce is refused (cf_policy_check_enforceable). CF_EINVAL with a
 * message in err (a 400 for the user): parse errors, empty name, root. */
int cf_policy_store_put(struct cf_policy_store *ps, const char *name, const char *text,
                        size_t len, struct coffer_err *err);
/* Deletes (absent is fine). CF_EINVAL + err for "root" and "default". */
int cf_policy_store_delete(struct cf_policy_store *ps, const char *name,
                           struct coffer_err *err);
/* Stored policy names, sorted ("root" not included). *names: malloc'd strv,
 * free with cf_strv_free. */
int cf_policy_store_list(struct cf_policy_store *ps, char ***names, size_t *n);
/* Forgets every cached policy (after storage changed underneath, e.g. on a
 * node that just became active). */
void cf_policy_store_invalidate(struct cf_policy_store *ps);
/* A number that changes whenever a cached policy may have changed (put,
 * delete, invalidate, a new load): what derived caches check. */
unsigned long cf_policy_store_generation(struct cf_policy_store *ps);

#endif
