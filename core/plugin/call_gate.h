/* The call gate shared by the host-side wrappers of plugin instances
 * (ha_backend, transport_backend): counts calls inside the plugin so that
 * free can raise the instance's cancelled flag and wait for them to leave
 * before the instance is closed. */
#ifndef CF_PLUGIN_GATE_H
#define CF_PLUGIN_GATE_H

#include <coffer/errors.h>
#include <pthread.h>
#include <stdatomic.h>

/* Embedded in a wrapper; fields are private to plugin_gate.c. */
struct cf_plugin_gate {
    char *name;                /* the plugin's name, owned */
    atomic_int *cancelled;     /* behind host->cancelled; may be NULL */
    void (*on_free)(void *);
    void *on_free_arg;
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int calls;                 /* calls inside the plugin now */
};

/* Fills g: name is copied (NULL becomes "?"), cancelled and on_free_arg
 * are borrowed until cf_plugin_gate_destroy. CF_ENOMEM leaves nothing
 * to free. */
int cf_plugin_gate_init(struct cf_plugin_gate *g, const char *name,
                        atomic_int *cancelled, void (*on_free)(void *),
                        void *on_free_arg);
/* Before a call into the plugin: 0 (pair it with cf_plugin_gate_leave),
 * or CF_ECANCELED once close has begun. */
int cf_plugin_gate_enter(struct cf_plugin_gate *g);
/* After the call: wakes a close waiting for the instance to be idle. */
void cf_plugin_gate_leave(struct cf_plugin_gate *g);
/* 1 once close has raised the cancelled flag (polled by long calls). */
int cf_plugin_gate_cancelled(const struct cf_plugin_gate *g);
/* Raises the cancelled flag and waits until no call is inside the
 * plugin; after it the caller may close the instance. */
void cf_plugin_gate_close(struct cf_plugin_gate *g);
/* Runs on_free(on_free_arg), then releases what init took. */
void cf_plugin_gate_destroy(struct cf_plugin_gate *g);

/* A plugin may return any non-zero code; the core sees only CF_E*:
 * positive or unknown negative codes become CF_EIO. */
int cf_plugin_norm_rc(int rc);

/* The plugin's name (borrowed, lives until destroy). */
const char *cf_plugin_gate_name(const struct cf_plugin_gate *g);

#endif
