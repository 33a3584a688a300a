/* Hex and base64 (standard and URL alphabets) codecs. */
#ifndef CF_ENCODE_H
#define CF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Outputs are malloc'd, NUL-terminated, owned by the caller. 0 or CF_E*. */
int cf_hex_encode(const uint8_t *in, size_t n, char **out);
/* The value of hex digit c in either case, or -1; locale-independent. */
int cf_hexval(int c);
/* CF_EINVAL on odd length or a non-hex digit. */
int cf_hex_decode(const char *in, uint8_t **out, size_t *outlen);
int cf_b64_encode(const uint8_t *in, size_t n, char **out);
/* Accepts padded or unpadded standard base64; CF_EINVAL on bad input. */
int cf_b64_decode(const char *in, uint8_t **out, size_t *outlen);
/* Random base62 string of n characters from the system RNG. */
int cf_random_base62(size_t n, char **out);
/* RFC 4122 v4 UUID text (36 chars + NUL) into out. */
int cf_uuid(char out[37]);
int cf_random_bytes(void *p, size_t n);
/* Appends path percent-encoded for a URL (unreserved characters and '/'
 * stay as they are). 0 or CF_ENOMEM. */
struct cf_buf;
int cf_url_path_encode(struct cf_buf *b, const char *path);

/* Replaces control bytes (< 0x20, 0x7f) in s with '?', in place: text
 * that quotes what a client sent (a key, a path) stays one line in a log
 * line or an error message. */
void cf_str_oneline(char *s);

#endif
