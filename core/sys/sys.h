/* The system backend (sys/...): seal lifecycle, health, mounts, policies.
 * It needs the core, unlike other backends, so it lives beside it. */
#ifndef CF_SYS_H
#define CF_SYS_H

#include "request/backend.h"

struct cf_core;

extern const struct cf_backend cf_sys_backend;

/* Whether rel (path below "sys/") is served without a token, sealed or not. */
int cf_sys_is_unauth(const char *rel);
/* Whether rel needs the sudo capability. */
int cf_sys_needs_sudo(const char *rel);

/* Whether rel needs a valid token but no ACL on the sys path itself (the
 * handler checks the target path instead): sys/internal/ui/mounts/... */
int cf_sys_token_only(const char *rel);

/* Unauthenticated endpoints: init, seal-status, unseal, health, leader. */
int cf_sys_unauth_handle(struct cf_core *c, struct cf_request *req,
                         const char *rel, struct cf_result *res);

/* Authenticated endpoints; called with the core's state lock held shared. */
int cf_sys_handle(struct cf_core *c, struct cf_request *req, const char *rel,
                  struct cf_result *res);

/* Pieces, one file each. */
int cf_sys_init(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_seal_status(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_unseal(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_health(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_leader(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_ha_status(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_key_status(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_rotate(struct cf_core *c, struct cf_request *req, struct cf_result *res);
int cf_sys_mounts(struct cf_core *c, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_ui_mount(struct cf_core *c, struct cf_request *req, const char *rel,
                    struct cf_result *res);
int cf_sys_capabilities(struct cf_core *c, struct cf_request *req, const char *rel,
                        struct cf_result *res);

#endif
