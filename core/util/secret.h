/* Handling of key material: zero before free, constant-time compare. */
#ifndef CF_SECRET_H
#define CF_SECRET_H

#include <stddef.h>

/* Zeroes n bytes of p (the compiler may not elide it), then frees p. */
void cf_free_secret(void *p, size_t n);
/* Zeroes a C string in place and frees it. NULL is fine. */
void cf_free_secret_str(char *s);
void cf_zero(void *p, size_t n);
/* 1 if equal, 0 otherwise; time depends only on the lengths. */
int cf_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
int cf_ct_streq(const char *a, const char *b);

#endif
