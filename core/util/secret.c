/* Key-material hygiene helpers. */
#include "util/secret.h"
#include <stdlib.h>
#include <string.h>

void cf_zero(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

void cf_free_secret(void *p, size_t n)
{
    if (!p)
        return;
    cf_zero(p, n);
    free(p);
}

void cf_free_secret_str(char *s)
{
    if (s)
        cf_free_secret(s, strlen(s));
}

int cf_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    const unsigned char *x = a, *y = b;
    unsigned char d = (unsigned char)(alen != blen);
    size_t n = alen < blen ? alen : blen;
    for (size_t i = 0; i < n; i++)
        d |= x[i] ^ y[i];
    return d == 0;
}

int cf_ct_streq(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    return cf_ct_equal(a, strlen(a), b, strlen(b));
}
