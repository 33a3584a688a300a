/* Shamir secret sharing over GF(256) (libgfshare), in Vault's share
 * format: the share's y bytes (as long as the secret) then one byte, the
 * non-zero x coordinate. */
#ifndef CF_SHAMIR_H
#define CF_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

/* Splits secret (len 1..65536, borrowed) into n shares (1..255), any t
 * (1..n) of which give it back. *shares is a malloc'd array of n malloc'd
 * buffers of len + 1 bytes; free with cf_shamir_shares_free. CF_EINVAL on
 * bad parameters. */
int cf_shamir_split(const uint8_t *secret, size_t len, int n, int t, uint8_t ***shares);
/* Zeroes and frees what cf_shamir_split returned. NULL is fine. */
void cf_shamir_shares_free(uint8_t **shares, size_t n, size_t share_len);
/* Interpolates n shares (borrowed, each share_len bytes) back into a secret
 * of share_len - 1 bytes: malloc'd, free with cf_free_secret. Fewer shares
 * than the threshold yield a wrong secret, not an error (that is the
 * scheme). CF_EINVAL for no shares, share_len < 2, or an x coordinate that
 * is zero or repeated. */
int cf_shamir_combine(const uint8_t *const *shares, size_t n, size_t share_len,
                      uint8_t **secret, size_t *len);

#endif
