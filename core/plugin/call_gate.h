/* The call gate shared by the host-side wrappers of plugin instances
 * (physical, ha_backend, transport_backend): it owns the instance, counts
 * calls inside the plugin, and on free raises the instance's cancelled
 * flag and waits for those calls to leave before closing the instance. */
#ifndef CF_PLUGIN_GATE_H
#define CF_PLUGIN_GATE_H

#include <coffer/errors.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

/* The first member of every wrapper (cf_plugin_gate_new allocates the
 * wrapper, cf_plugin_gate_free frees it). Wrappers read inst; the other
 * fields are private to call_gate.c. */
struct cf_plugin_gate {
    void *inst;                /* the plugin's instance, owned */
    void (*close)(void *inst); /* the vtable's close; may be NULL */
    char *name;                /* the plugin's name, owned */
    atomic_int *cancelled;     /* behind host->cancelled; may be NULL */
    void (*on_free)(void *);
    void *on_free_arg;
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int calls;   /* calls inside the plugin now */
    int closing; /* free has begun: no call may enter */
};

/* Allocates a zeroed wrapper of size bytes whose first member is a struct
 * cf_plugin_gate, and fills that gate: inst is owned from now on (freeing
 * the wrapper closes it with close_fn, NULL: no close), name is copied
 * (NULL becomes "?"), cancelled and on_free_arg are borrowed until free.
 * CF_ENOMEM leaves nothing to free and inst still the caller's. */
int cf_plugin_gate_new(size_t size, void *inst, void (*close_fn)(void *inst),
                       const char *name, atomic_int *cancelled, void (*on_free)(void *),
                       void *on_free_arg, void **out);
/* Raises the cancelled flag, waits until no call is inside the plugin,
 * closes the instance, runs on_free(on_free_arg), then frees the wrapper
 * g heads. g may be NULL. */
void cf_plugin_gate_free(struct cf_plugin_gate *g);

/* Before a call into the plugin: 0 (pair it with cf_plugin_gate_leave),
 * or CF_ECANCELED once free has begun. */
int cf_plugin_gate_enter(struct cf_plugin_gate *g);
/* After the call: wakes a free waiting for the instance to be idle. */
void cf_plugin_gate_leave(struct cf_plugin_gate *g);
/* 1 once free has raised the cancelled flag (polled by long calls). */
int cf_plugin_gate_cancelled(const struct cf_plugin_gate *g);

/* A plugin may return any non-zero code; the core sees only CF_E*:
 * positive or unknown negative codes become CF_EIO. */
int cf_plugin_norm_rc(int rc);
/* Passes the plugin's message of a failed call on to err (NULL: ignored);
 * an empty one becomes fallback unless fallback is NULL. */
void cf_plugin_err_copy(struct coffer_err *err, const struct coffer_err *perr,
                        const char *fallback);

/* The plugin's name (borrowed, lives until free). */
const char *cf_plugin_gate_name(const struct cf_plugin_gate *g);

#endif
