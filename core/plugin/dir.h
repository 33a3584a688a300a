/* Resolution of the plugin folder. */
#ifndef CF_PLUGIN_DIR_H
#define CF_PLUGIN_DIR_H

#include <stddef.h>

/* Fills out (n bytes) with the folder to load plugins from. */
int cf_plugin_dir(const char *configured, char *out, size_t n);

#endif
