/* A canned HTTP server for the CLI tests: it listens on a free loopback
 * port, answers each connection with the next scripted response and records
 * what the client sent, so a test can run a real command against it. One
 * request per connection (Connection: close), served from one thread. */
#ifndef TEST_CLI_FAKE_H
#define TEST_CLI_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>
#include "cli/cli.h"

#define FAKE_MAX 6

struct fake_reply {
    int status;
    const char *body;     /* NULL: no body */
    const char *location; /* Location header, or NULL */
};

struct fake_http {
    int fd;
    int port;
    pthread_t th;
    int nreplies;
    struct fake_reply reply[FAKE_MAX];
    int served;
    char line[FAKE_MAX][512];  /* "PUT /v1/sys/step-down HTTP/1.1" */
    char token[FAKE_MAX][128]; /* X-Vault-Token value, "" if none */
    char base[64];             /* "http://127.0.0.1:<port>" */
};

static void fake_header(const char *req, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r';
         p = strstr(p + 2, "\r\n")) {
        if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r");
            if (l >= outlen)
                l = outlen - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return;
        }
    }
}

static void *fake_loop(void *arg)
{
    struct fake_http *f = arg;
    while (f->served < f->nreplies) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            return NULL; /* fake_stop shut the socket down */
        char req[8192];
        size_t n = 0;
        ssize_t got;
        while (n < sizeof req - 1 && (got = read(c, req + n, sizeof req - 1 - n)) > 0) {
            n += (size_t)got;
            req[n] = '\0';
            char *end = strstr(req, "\r\n\r\n");
            if (!end)
                continue;
            char cl[32];
            fake_header(req, "Content-Length", cl, sizeof cl);
            if (n >= (size_t)(end + 4 - req) + (size_t)atol(cl))
                break;
        }
        req[n] = '\0';
        int i = f->served++;
        size_t l = strcspn(req, "\r");
        snprintf(f->line[i], sizeof f->line[i], "%.*s", (int)l, req);
        fake_header(req, "X-Vault-Token", f->token[i], sizeof f->token[i]);
        const struct fake_reply *r = &f->reply[i];
        char head[1024];
        size_t bl = r->body ? strlen(r->body) : 0;
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n%s%s%s\r\n",
                          r->status, bl, r->location ? "Location: " : "",
                          r->location ? r->location : "", r->location ? "\r\n" : "");
        if (write(c, head, (size_t)hl) < 0 || (bl && write(c, r->body, bl) < 0))
            perror("fake_http write");
        close(c);
    }
    return NULL;
}

/* Starts serving the replies in order. 0, or -1 when no socket could be
 * made (the test then fails on its assertion). */
static int fake_start(struct fake_http *f, const struct fake_reply *replies, int n)
{
    memset(f, 0, sizeof *f);
    f->nreplies = n < FAKE_MAX ? n : FAKE_MAX;
    memcpy(f->reply, replies, sizeof *replies * (size_t)f->nreplies);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (f->fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(f->fd, (struct sockaddr *)&a, sizeof a) || listen(f->fd, 8) ||
        getsockname(f->fd, (struct sockaddr *)&a, &al)) {
        close(f->fd);
        return -1;
    }
    f->port = ntohs(a.sin_port);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
    if (pthread_create(&f->th, NULL, fake_loop, f)) {
        close(f->fd);
        return -1;
    }
    return 0;
}

/* Stops the server (an accept still waiting returns) and joins it. */
static void fake_stop(struct fake_http *f)
{
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->th, NULL);
    close(f->fd);
}

/* Runs one CLI command group the way cf_cli_main does, with stdout and
 * stderr captured into malloc'd strings (caller frees both) and stdin
 * empty. Returns the exit code. */
typedef int (*fake_cmd_fn)(struct cf_cli *, const char *, int, char **);

static int fake_cli(fake_cmd_fn fn, const char *sub, int argc, char **argv, char **out,
                    char **err)
{
    size_t ol = 0, el = 0;
    struct cf_cli cli = {0};
    cli.out = open_memstream(out, &ol);
    cli.err = open_memstream(err, &el);
    cli.in = fopen("/dev/null", "r");
    int code = fn(&cli, sub, argc, argv);
    if (cli.have_client)
        cf_client_free(&cli.client);
    fclose(cli.out);
    fclose(cli.err);
    fclose(cli.in);
    return code;
}

/* The environment a test command sees: a known token, nothing else of
 * Vault's, and a HOME without a token file. */
static void fake_env(void)
{
    unsetenv("VAULT_ADDR");
    unsetenv("VAULT_FORMAT");
    unsetenv("VAULT_CACERT");
    unsetenv("VAULT_CAPATH");
    unsetenv("VAULT_SKIP_VERIFY");
    unsetenv("VAULT_CLIENT_TIMEOUT");
    setenv("VAULT_TOKEN", "s.testtoken", 1);
    setenv("HOME", "/nonexistent", 1);
}

#endif
