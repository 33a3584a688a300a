/* The leader advertisement: what the active node writes through the barrier
 * at "core/leader/<lock value>" so standbys can find and reach it. Field
 * names follow Vault's (redirect_addr, cluster_addr, cluster_cert, ...). */
#ifndef CF_HA_ADVERTISE_H
#define CF_HA_ADVERTISE_H

#include <stddef.h>

/* All strings NUL-terminated. key_pem is secret: the cluster identity's
 * private key, shared with standbys so they can present it. */
struct cf_advert {
    char *api_addr;            /* JSON "redirect_addr" */
    char *cluster_addr;        /* "" when clustering is disabled */
    char *cert_pem;            /* "cluster_cert" */
    char *key_pem;             /* "cluster_key" */
    long long active_since_ns; /* "active_since", RFC 3339 with nanoseconds */
    char *node_id;
    char *hostname;
};

/* The storage key for an advertisement: "core/leader/" + lock value. */
#define CF_ADVERT_PREFIX "core/leader/"

/* a borrowed. api_addr, cert_pem and key_pem must be set (CF_EINVAL);
 * cluster_addr, node_id and hostname may be NULL, written as "". *json
 * belongs to the caller and holds the key: free it with cf_free_secret_str.
 * The encoder's own buffers are zeroed before they are freed. */
int cf_advert_encode(const struct cf_advert *a, char **json);

/* json (len bytes, no NUL needed) borrowed. *out belongs to the caller, freed
 * with cf_advert_free. CF_EINVAL, with nothing allocated, unless json is an
 * object whose redirect_addr, cluster_addr, cluster_cert, cluster_key and
 * active_since are strings (active_since a valid RFC 3339 time) and whose
 * node_id and hostname, when present, are strings (absent: ""). Unknown
 * fields are ignored, as a newer writer may add some. */
int cf_advert_decode(const char *json, size_t len, struct cf_advert **out);

/* Zeroes key_pem before freeing it. NULL is fine. */
void cf_advert_free(struct cf_advert *a);

#endif
