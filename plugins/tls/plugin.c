/* The tls plugin's face: descriptor and transport vtable. Request
 * forwarding between cluster nodes over mutually authenticated TLS
 * (GnuTLS); every listener and dial handle hangs off one instance. */
#include "tls.h"
#include <stdlib.h>

static int tls_open(const struct coffer_host *host, void **inst, struct coffer_err *err)
{
    struct tls_inst *in = host->alloc(sizeof *in);
    if (!in)
        return CF_ENOMEM;
    in->host = host;
    atomic_init(&in->client_handshakes, 0);
    atomic_init(&in->server_handshakes, 0);
    *inst = in;
    return 0;
}

static void tls_close(void *inst)
{
    struct tls_inst *in = inst;
    if (!in)
        return;
    TLOG(in, CF_LOG_DEBUG,
         "closing: client handshakes=%llu, server "
         "handshakes=%llu",
         (unsigned long long)atomic_load(&in->client_handshakes),
         (unsigned long long)atomic_load(&in->server_handshakes));
    in->host->free(in);
}

static void tls_response_free(void *inst, struct coffer_fwd_response *resp)
{
    struct tls_inst *in = inst;
    if (resp)
        cf_tls_response_clear(in->host, resp);
}

static const struct coffer_transport tls_transport = {
    .struct_size = sizeof(struct coffer_transport),
    .open = tls_open,
    .close = tls_close,
    .listen = cf_tls_listen,
    .stop = cf_tls_stop,
    .dial = cf_tls_dial,
    .roundtrip = cf_tls_roundtrip,
    .echo = cf_tls_echo,
    .response_free = tls_response_free,
    .hangup = cf_tls_hangup,
};

/* No keys: the identity arrives with each listen/dial, timeouts with
 * each call. */
static const struct coffer_config_key tls_keys[] = {
    {NULL, 0, 0, NULL},
};

static const struct coffer_plugin tls_plugin = {
    .magic = COFFER_PLUGIN_MAGIC,
    .abi_major = COFFER_PLUGIN_ABI_MAJOR,
    .abi_minor = COFFER_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(struct coffer_plugin),
    .name = "tls",
    .version = COFFER_VERSION,
    .config_keys = tls_keys,
    .transport = &tls_transport,
};

COFFER_PLUGIN_EXPORT const struct coffer_plugin *coffer_plugin_entry(void)
{
    return &tls_plugin;
}
