/* Shared by the files of core/sys: the instance, the context every route
 * handler gets, and the handlers the route table names. */
#ifndef CF_SYS_INTERNAL_H
#define CF_SYS_INTERNAL_H

#include "sys/sys.h"

struct cf_sys {
    struct cf_sys_env env;
    struct cf_ha *ha; /* NULL: not an HA node */
    const char *node_id;
    const char *hostname;
};

struct cf_sys_ctx {
    struct cf_sys *sys;
    /* The sys/ mount's environment; NULL for LOCAL routes (the node may be
     * sealed, there is no mount) and for work run after the shared section. */
    const struct cf_backend_env *be;
};

/* rel: the path below "sys/". Returns 0 with res filled, or a CF_E* code. */
typedef int (*cf_sys_fn)(const struct cf_sys_ctx *x, struct cf_request *req,
                         const char *rel, struct cf_result *res);

int cf_sys_init(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                struct cf_result *res);
int cf_sys_seal_status(const struct cf_sys_ctx *x, struct cf_request *req,
                       const char *rel, struct cf_result *res);
int cf_sys_unseal(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_seal(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                struct cf_result *res);
int cf_sys_step_down(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                     struct cf_result *res);
int cf_sys_key_status(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                      struct cf_result *res);
int cf_sys_rotate(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_rotate_config(const struct cf_sys_ctx *x, struct cf_request *req,
                         const char *rel, struct cf_result *res);
int cf_sys_health(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_leader(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_ha_status(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                     struct cf_result *res);
int cf_sys_mounts(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                  struct cf_result *res);
int cf_sys_ui_mount(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                    struct cf_result *res);
int cf_sys_capabilities(const struct cf_sys_ctx *x, struct cf_request *req,
                        const char *rel, struct cf_result *res);
int cf_sys_policies(const struct cf_sys_ctx *x, struct cf_request *req, const char *rel,
                    struct cf_result *res);

#endif
