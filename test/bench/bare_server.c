/* Bench anchor: a bare libmicrohttpd server answering every GET with one shared
 * 100-byte JSON body, so Coffer's read path can be reported as a ratio to the
 * cost of the HTTP stack alone (research/performance.md §3.4, §4.1).
 *
 * The daemon flags MUST follow core/http/listener.c: the anchor is only fair if
 * it uses the same thread model as Coffer's listener.  Change both together. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Mirror of the listener's MHD flags and connection limit (core/http/listener.c,
 * cf_http_listener_start): keep them identical, minus TLS and IPv6. */
/* As core/http/listener.c: epoll threads (2, 4 from 4 cores), answers on
 * the epoll thread as the listener's inline reads are. */
#define BARE_MHD_FLAGS                                                                   \
    (MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |        \
     MHD_USE_ERROR_LOG)
#define BARE_CONNECTION_LIMIT 1024U

struct bare {
    struct MHD_Response *body; /* shared, persistent: built once */
    char marker;               /* address used as the "seen once" con_cls */
};

/* Queue on the second call: MHD 0.9.75 answers a first-call reply with
 * "Connection: close", which would measure TCP setup instead of the stack. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    struct bare *b = cls;

    (void)url;
    (void)version;
    (void)upload_data;
    if (*con_cls == NULL) {
        *con_cls = &b->marker;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* drain any body; reply once it is complete */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, b->body);
    return MHD_queue_response(conn, MHD_HTTP_OK, b->body);
}

int main(int argc, char **argv)
{
    /* 100 bytes exactly, shaped like a small KV v2 answer. */
    static const char json[] =
        "{\"request_id\":\"bench\",\"data\":{\"data\":{\"v\":\""
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}},\"warnings\":null}\n";
    struct bare b = {0};
    struct sockaddr_in sa;
    struct MHD_Daemon *d;
    sigset_t set;
    long port;
    int sig;

    if (argc != 2 || (port = strtol(argv[1], NULL, 10)) <= 0 || port > 65535) {
        fprintf(stderr, "usage: %s PORT   (listens on 127.0.0.1:PORT)\n", argv[0]);
        return 2;
    }
    _Static_assert(sizeof(json) - 1 == 100, "bench body must be 100 bytes");

    /* Block the stop signals before MHD starts threads, so only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    b.body = MHD_create_response_from_buffer(sizeof(json) - 1, (void *)json,
                                             MHD_RESPMEM_PERSISTENT);
    if (b.body == NULL ||
        MHD_add_response_header(b.body, "Content-Type", "application/json") != MHD_YES) {
        fprintf(stderr, "bare_server: cannot build the response\n");
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    d = MHD_start_daemon(BARE_MHD_FLAGS, (uint16_t)port, NULL, NULL, answer, &b,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_CONNECTION_LIMIT, BARE_CONNECTION_LIMIT,
                         MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned)(sysconf(_SC_NPROCESSORS_ONLN) >= 4 ? 4 : 2),
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16u << 10),
                         MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "bare_server: cannot listen on 127.0.0.1:%ld\n", port);
        MHD_destroy_response(b.body);
        return 1;
    }
    fprintf(stderr, "bare_server: listening on 127.0.0.1:%ld\n", port);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    MHD_destroy_response(b.body);
    return 0;
}
