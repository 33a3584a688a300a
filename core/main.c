/* The coffer binary: `coffer server …` runs the server, everything else is
 * a client command. */
#include "server.h"
#include "cli/cli.h"
#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "server"))
        return cf_server_main(argc - 1, argv + 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cf_cli_main(argc, argv);
    curl_global_cleanup();
    return rc;
}
