/* One ha instance seen from the core: calls into the plugin's coffer_ha
 * vtable, counted so that free can cancel blocked lock/wait calls and wait
 * for them to leave before the instance is closed. */
#include "plugin/ha_backend.h"
#include "plugin/call_gate.h"
#include <coffer/plugin.h>
#include "util/timeutil.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 100

struct cf_ha_backend {
    struct cf_plugin_gate gate; /* first: the gate allocates and frees b */
    const struct coffer_ha *vt;
};
_Static_assert(offsetof(struct cf_ha_backend, gate) == 0, "gate first");

int cf_ha_backend_new(const struct coffer_ha *vt, void *inst, const char *name,
                      atomic_int *cancelled, void (*on_free)(void *), void *on_free_arg,
                      struct cf_ha_backend **out)
{
    void *w;
    int rc = cf_plugin_gate_new(sizeof(struct cf_ha_backend), inst, vt->close, name,
                                cancelled, on_free, on_free_arg, &w);
    if (rc)
        return rc;
    struct cf_ha_backend *b = w;
    b->vt = vt;
    *out = b;
    return 0;
}

int cf_ha_backend_lock(struct cf_ha_backend *b, const char *key, const char *value,
                       const struct coffer_cancel *cancel, coffer_lock_lost_cb on_lost,
                       void *arg, void **lock, struct coffer_err *err)
{
    if (!key || !value || !lock)
        return CF_EINVAL;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    struct coffer_err perr = {{0}};
    void *l = NULL;
    rc = b->vt->lock(b->gate.inst, key, value, cancel, on_lost, arg, &l, &perr);
    cf_plugin_gate_leave(&b->gate);
    if (rc) {
        cf_plugin_err_copy(err, &perr, NULL);
        return cf_plugin_norm_rc(rc);
    }
    *lock = l;
    return 0;
}

int cf_ha_backend_unlock(struct cf_ha_backend *b, void *lock)
{
    if (!lock)
        return 0;
    /* Not counted as a call: unlock must work while free is cancelling. */
    int rc = b->vt->unlock(lock);
    return cf_plugin_norm_rc(rc);
}

int cf_ha_backend_value(struct cf_ha_backend *b, const char *key, int *held, char **value)
{
    int h = 0;
    char *v = NULL;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    rc = b->vt->value(b->gate.inst, key, &h, &v);
    cf_plugin_gate_leave(&b->gate);
    if (rc) {
        free(v);
        return cf_plugin_norm_rc(rc);
    }
    if (!h) {
        free(v);
        v = NULL;
    }
    *held = h ? 1 : 0;
    *value = v;
    return 0;
}

static int differs(int held, const char *value, const char *known)
{
    if (!held)
        return known != NULL;
    return !known || strcmp(value, known) != 0;
}

/* Called inside enter/leave: the plugin's value() every POLL_MS, until
 * the holder differs, the time is up, or free sets the flag. */
static int poll_change(struct cf_ha_backend *b, const char *key, const char *known,
                       int timeout_ms, int *changed)
{
    uint64_t deadline = cf_mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int held = 0;
        char *v = NULL;
        int rc = b->vt->value(b->gate.inst, key, &held, &v);
        if (rc) {
            free(v);
            return cf_plugin_norm_rc(rc);
        }
        int d = differs(held && v, v, known);
        free(v);
        if (d) {
            *changed = 1;
            return 0;
        }
        uint64_t now = cf_mono_ms();
        if (now >= deadline)
            return CF_ETIMEDOUT;
        if (cf_plugin_gate_cancelled(&b->gate))
            return CF_ECANCELED;
        uint64_t nap = deadline - now < POLL_MS ? deadline - now : POLL_MS;
        struct timespec ts = {(time_t)(nap / 1000), (long)(nap % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int cf_ha_backend_wait_change(struct cf_ha_backend *b, const char *key, const char *known,
                              int timeout_ms, int *changed)
{
    *changed = 0;
    int rc = cf_plugin_gate_enter(&b->gate);
    if (rc)
        return rc;
    int c = 0;
    if (COFFER_VT_HAS(b->vt, wait_change))
        rc = b->vt->wait_change(b->gate.inst, key, known, timeout_ms, &c);
    else
        rc = poll_change(b, key, known, timeout_ms, &c);
    cf_plugin_gate_leave(&b->gate);
    if (rc)
        return cf_plugin_norm_rc(rc);
    *changed = c ? 1 : 0;
    return 0;
}

const char *cf_ha_backend_name(const struct cf_ha_backend *b)
{
    return cf_plugin_gate_name(&b->gate);
}

void cf_ha_backend_free(struct cf_ha_backend *b)
{
    if (b)
        cf_plugin_gate_free(&b->gate);
}
