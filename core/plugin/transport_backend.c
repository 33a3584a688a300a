/* One transport instance seen from the core: calls into the plugin's
 * coffer_transport vtable, counted so that free closes the instance only
 * after every call has left it. */
#include "plugin/transport_backend.h"
#include "plugin/call_gate.h"
#include <coffer/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct cf_transport_backend {
    struct cf_plugin_gate gate; /* first: the gate allocates and frees b */
    const struct coffer_transport *vt;
};
_Static_assert(offsetof(struct cf_transport_backend, gate) == 0, "gate first");

int cf_transport_backend_new(const struct coffer_transport *vt, void *inst,
                             const char *name, atomic_int *cancelled,
                             void (*on_free)(void *), void *on_free_arg,
                             struct cf_transport_backend **out)
{
    if (!vt || !out)
        return CF_EINVAL;
    void *w;
    int rc = cf_plugin_gate_new(sizeof(struct cf_transport_backend), inst, vt->close,
                                name, cancelled, on_free, on_free_arg, &w);
    if (rc)
        return rc;
    struct cf_transport_backend *b = w;
    b->vt = vt;
    *out = b;
    return 0;
}

int cf_transport_listen(struct cf_transport_backend *b, const char *addr,
                        const struct coffer_tls_identity *id,
                        coffer_fwd_handler on_request, coffer_echo_handler on_echo,
                        void *arg, void **lsn, struct coffer_err *err)
{
    if (!addr || !id || !on_request || !lsn)
        return CF_EINVAL;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    struct coffer_err perr = {{0}};
    void *l = NULL;
    rc = b->vt->listen(b->gate.inst, addr, id, on_request, on_echo, arg, &l, &perr);
    cf_plugin_gate_leave(&b->gate);
    if (rc) {
        cf_plugin_err_copy(err, &perr, "listen failed without a message");
        return cf_plugin_norm_rc(rc);
    }
    *lsn = l;
    return 0;
}

/* Not counted as a call: stop and hangup must work while free waits. */
void cf_transport_stop(struct cf_transport_backend *b, void *lsn)
{
    if (lsn)
        b->vt->stop(lsn);
}

int cf_transport_dial(struct cf_transport_backend *b, const char *addr,
                      const struct coffer_tls_identity *id, void **conn,
                      struct coffer_err *err)
{
    if (!addr || !id || !conn)
        return CF_EINVAL;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    struct coffer_err perr = {{0}};
    void *c = NULL;
    rc = b->vt->dial(b->gate.inst, addr, id, &c, &perr);
    cf_plugin_gate_leave(&b->gate);
    if (rc) {
        cf_plugin_err_copy(err, &perr, "dial failed without a message");
        return cf_plugin_norm_rc(rc);
    }
    *conn = c;
    return 0;
}

int cf_transport_roundtrip(struct cf_transport_backend *b, void *conn,
                           const struct coffer_fwd_request *req, int timeout_ms,
                           struct coffer_fwd_response *resp, struct coffer_err *err)
{
    if (!conn || !req || !resp)
        return CF_EINVAL;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    struct coffer_err perr = {{0}};
    struct coffer_fwd_response r = {0};
    rc = b->vt->roundtrip(conn, req, timeout_ms, &r, &perr);
    cf_plugin_gate_leave(&b->gate);
    if (rc) {
        cf_plugin_err_copy(err, &perr, "roundtrip failed without a message");
        return cf_plugin_norm_rc(rc);
    }
    *resp = r;
    return 0;
}

int cf_transport_echo(struct cf_transport_backend *b, void *conn, const char *node_info,
                      int timeout_ms, int64_t *rtt_us)
{
    if (!conn)
        return CF_EINVAL;
    if (!COFFER_VT_HAS(b->vt, echo))
        return CF_ENOTSUP;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    int64_t rtt = 0;
    rc = b->vt->echo(conn, node_info ? node_info : "", timeout_ms, &rtt);
    cf_plugin_gate_leave(&b->gate);
    if (rc)
        return cf_plugin_norm_rc(rc);
    if (rtt_us)
        *rtt_us = rtt;
    return 0;
}

void cf_transport_response_free(struct cf_transport_backend *b,
                                struct coffer_fwd_response *resp)
{
    if (!resp)
        return;
    b->vt->response_free(b->gate.inst, resp);
    memset(resp, 0, sizeof *resp);
}

void cf_transport_hangup(struct cf_transport_backend *b, void *conn)
{
    if (conn)
        b->vt->hangup(conn);
}

const char *cf_transport_backend_name(const struct cf_transport_backend *b)
{
    return cf_plugin_gate_name(&b->gate);
}

void cf_transport_backend_free(struct cf_transport_backend *b)
{
    if (b)
        cf_plugin_gate_free(&b->gate);
}
