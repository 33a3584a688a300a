/* Where plugins are looked up: the config's plugin_directory, then
 * $COFFER_PLUGIN_DIR, then plugins/ beside the binary (the build tree),
 * then the installed folder. */
#include "plugin/dir.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CF_PLUGIN_DIR
#define CF_PLUGIN_DIR "/usr/local/lib/coffer/plugins"
#endif

int cf_plugin_dir(const char *configured, char *out, size_t n)
{
    const char *env = getenv("COFFER_PLUGIN_DIR");
    if (configured && *configured) {
        snprintf(out, n, "%s", configured);
        return 0;
    }
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 32];
            struct stat st;
            snprintf(cand, sizeof cand, "%s/plugins/inmem.so", exe);
            size_t el = strlen(exe);
            if (stat(cand, &st) == 0 && el + sizeof "/plugins" <= n) {
                memcpy(out, exe, el);
                memcpy(out + el, "/plugins", sizeof "/plugins");
                return 0;
            }
        }
    }
    snprintf(out, n, "%s", CF_PLUGIN_DIR);
    return 0;
}
