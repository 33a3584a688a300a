/* Fuzz entry for cf_http_route, which turns a raw request URL into the
 * path the router, the ACL and the logs see. A path that comes out must be
 * clean: no control byte, no ".", ".." or empty segment. See fuzz.h. */
#include "fuzz.h"
#include "http/request_parse.h"
#include <stdlib.h>
#include <string.h>

CF_FUZZ_TARGET("path", "/.%2e2E2F2f00a0d7f/v1/\x01\x1b\x7f");

static int clean(const char *p)
{
    for (const char *c = p; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return 0;
    if (!*p)
        return 1;
    if (*p == '/' || strstr(p, "//") || !strcmp(p, ".") || !strcmp(p, "..") ||
        !strncmp(p, "./", 2) || !strncmp(p, "../", 3) || strstr(p, "/./") ||
        strstr(p, "/../"))
        return 0;
    size_t n = strlen(p);
    return !(n >= 2 && !strcmp(p + n - 2, "/.")) &&
        !(n >= 3 && !strcmp(p + n - 3, "/.."));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* most inputs get the /v1/ prefix, so that the decoder is reached */
    int prefix = !(size && data[0] == '/');
    char *url = malloc(size + 5);
    if (!url)
        return 0;
    memcpy(url, "/v1/", prefix ? 4 : 0);
    memcpy(url + (prefix ? 4 : 0), data, size);
    url[size + (prefix ? 4 : 0)] = '\0';
    char *path = NULL;
    int rc = cf_http_route(url, &path);
    if (rc == 0 && !clean(path))
        abort();
    if (rc && path)
        abort();
    free(path);
    free(url);
    return 0;
}
