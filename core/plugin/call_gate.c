/* The call gate behind ha_backend and transport_backend: a counter of
 * calls inside the plugin and the cancelled flag, both under one mutex so
 * that close never lets a call enter an instance about to be closed. */
#include "plugin/call_gate.h"
#include <stdlib.h>
#include <string.h>

int cf_plugin_gate_init(struct cf_plugin_gate *g, const char *name,
                        atomic_int *cancelled, void (*on_free)(void *),
                        void *on_free_arg)
{
    memset(g, 0, sizeof *g);
    if (!(g->name = strdup(name ? name : "?")))
        return CF_ENOMEM;
    g->cancelled = cancelled;
    g->on_free = on_free;
    g->on_free_arg = on_free_arg;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->idle, NULL);
    return 0;
}

/* The flag is read under mu so that close, which sets it under mu, never
 * returns with a call about to enter. */
int cf_plugin_gate_enter(struct cf_plugin_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->cancelled && atomic_load(g->cancelled)) {
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

void cf_plugin_gate_close(struct cf_plugin_gate *g)
{
    pthread_mutex_lock(&g->mu);
    if (g->cancelled)
        atomic_store(g->cancelled, 1);
    while (g->calls > 0)
        pthread_cond_wait(&g->idle, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

void cf_plugin_gate_destroy(struct cf_plugin_gate *g)
{
    if (g->on_free)
        g->on_free(g->on_free_arg);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->idle);
    free(g->name);
    g->name = NULL;
}

int cf_plugin_norm_rc(int rc)
{
    return rc > 0 || rc < CF_ESEALED ? CF_EIO : rc;
}

const char *cf_plugin_gate_name(const struct cf_plugin_gate *g)
{
    return g->name;
}
