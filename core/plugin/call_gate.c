/* The call gate behind every plugin instance wrapper: a counter of calls
 * inside the plugin and the closing flag, both under one mutex so that
 * free never lets a call enter an instance about to be closed. */
#include "plugin/call_gate.h"
#include <stdlib.h>
#include <string.h>

int cf_plugin_gate_new(size_t size, void *inst, void (*close_fn)(void *inst),
                       const char *name, atomic_int *cancelled, void (*on_free)(void *),
                       void *on_free_arg, void **out)
{
    struct cf_plugin_gate *g = calloc(1, size < sizeof *g ? sizeof *g : size);
    if (!g)
        return CF_ENOMEM;
    if (!(g->name = strdup(name ? name : "?"))) {
        free(g);
        return CF_ENOMEM;
    }
    g->inst = inst;
    g->close = close_fn;
    g->cancelled = cancelled;
    g->on_free = on_free;
    g->on_free_arg = on_free_arg;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->idle, NULL);
    *out = g;
    return 0;
}

/* closing is read under mu so that free, which sets it under mu, never
 * returns with a call about to enter. The cancelled flag counts too: it
 * is the instance's, and only free raises it. */
int cf_plugin_gate_enter(struct cf_plugin_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->closing || (g->cancelled && atomic_load(g->cancelled))) {
        pthread_mutex_unlock(&g->mu);
        return CF_ECANCELED;
    }
    g->calls++;
    pthread_mutex_unlock(&g->mu);
    return 0;
}

void cf_plugin_gate_leave(struct cf_plugin_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (--g->calls == 0)
        pthread_cond_broadcast(&g->idle);
    pthread_mutex_unlock(&g->mu);
}

int cf_plugin_gate_cancelled(const struct cf_plugin_gate *g)
{
    return g->cancelled && atomic_load(g->cancelled);
}

void cf_plugin_gate_free(struct cf_plugin_gate *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->closing = 1;
    if (g->cancelled)
        atomic_store(g->cancelled, 1);
    while (g->calls > 0)
        pthread_cond_wait(&g->idle, &g->mu);
    pthread_mutex_unlock(&g->mu);
    if (g->close)
        g->close(g->inst);
    if (g->on_free)
        g->on_free(g->on_free_arg);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->idle);
    free(g->name);
    free(g);
}

int cf_plugin_norm_rc(int rc) { return rc > 0 || rc < CF_ESEALED ? CF_EIO : rc; }

void cf_plugin_err_copy(struct coffer_err *err, const struct coffer_err *perr,
                        const char *fallback)
{
    if (!err)
        return;
    if (perr->msg[0] || !fallback)
        memcpy(err->msg, perr->msg, sizeof err->msg);
    else
        coffer_err_set(err, "%s", fallback);
}

const char *cf_plugin_gate_name(const struct cf_plugin_gate *g) { return g->name; }
