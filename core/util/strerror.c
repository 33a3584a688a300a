/* Static tables for the error codes of include/coffer/errors.h. */
#include "util/strerror.h"

struct row {
    int code;
    const char *name;
    const char *text;
};

static const struct row ROWS[] = {
    {CF_OK, "CF_OK", "success"},
    {CF_ENOENT, "CF_ENOENT", "no such key"},
    {CF_EINVAL, "CF_EINVAL", "invalid argument"},
    {CF_EIO, "CF_EIO", "storage I/O error"},
    {CF_ETIMEDOUT, "CF_ETIMEDOUT", "timed out"},
    {CF_ECANCELED, "CF_ECANCELED", "canceled"},
    {CF_ENOTSUP, "CF_ENOTSUP", "not supported"},
    {CF_ENOMEM, "CF_ENOMEM", "out of memory"},
    {CF_ECONFIG, "CF_ECONFIG", "configuration error"},
    {CF_ELOCKLOST, "CF_ELOCKLOST", "lock lost"},
    {CF_EUNAVAIL, "CF_EUNAVAIL", "service unavailable"},
    {CF_EEXIST, "CF_EEXIST", "already exists"},
    {CF_EDENIED, "CF_EDENIED", "permission denied"},
    {CF_ESEALED, "CF_ESEALED", "Vault is sealed"},
};

static const struct row *find(int code)
{
    for (unsigned i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        if (ROWS[i].code == code)
            return &ROWS[i];
    return 0;
}

const char *cf_strerror(int code)
{
    const struct row *r = find(code);
    return r ? r->text : "unknown error";
}

const char *cf_err_name(int code)
{
    const struct row *r = find(code);
    return r ? r->name : "CF_E?";
}
