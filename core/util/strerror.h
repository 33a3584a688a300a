/* Names for the CF_E* codes. */
#ifndef CF_UTIL_ERRORS_H
#define CF_UTIL_ERRORS_H

#include <coffer/errors.h>

/* A short static description of code ("no such key"), never NULL. */
const char *cf_strerror(int code);
/* The symbolic name ("CF_ENOENT"), never NULL. */
const char *cf_err_name(int code);

#endif
