/* HTTP for the CLI over libcurl, configured as Vault's api.Client is:
 * address, token and TLS settings from flags then the environment, and
 * 307 redirects followed by hand so that the method and body survive. */
#include "cli/client.h"
#include <coffer/errors.h>
#include "util/buf.h"
#include "util/json.h"
#include "util/secret.h"
#include "util/timeutil.h"
#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REDIRECTS 5

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

static int parse_bool_env(const char *v, int *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
    for (int i = 0; t[i]; i++)
        if (!strcmp(v, t[i]))
            return *out = 1, 0;
    for (int i = 0; f[i]; i++)
        if (!strcmp(v, f[i]))
            return *out = 0, 0;
    return CF_EINVAL;
}

/* ~/.vault-token as Vault's token helper keeps it; surrounding blanks go. */
static char *token_from_file(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    struct cf_buf path = {0};
    if (cf_buf_printf(&path, "%s/.vault-token", home)) {
        cf_buf_free(&path);
        return NULL;
    }
    FILE *f = fopen(path.data, "r");
    cf_buf_free(&path);
    if (!f)
        return NULL;
    char line[4096];
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *s = line;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1]))
        l--;
    char *tok = l ? strndup(s, l) : NULL;
    cf_zero(line, sizeof line);
    return tok;
}

void cf_client_free(struct cf_client *c)
{
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->addr);
    cf_free_secret_str(c->token);
    free(c->cacert);
    free(c->capath);
    memset(c, 0, sizeof *c);
}

int cf_client_init(struct cf_client *c, const struct cf_client_opts *opts,
                   struct coffer_err *err)
{
    struct cf_client n = {0};
    const char *addr = opts && opts->address ? opts->address : getenv("VAULT_ADDR");
    if (!addr || !*addr)
        addr = "https://127.0.0.1:8200";
    size_t al = strlen(addr);
    while (al && addr[al - 1] == '/')
        al--;
    n.addr = strndup(addr, al);
    n.timeout_s = 60;
    const char *to = getenv("VAULT_CLIENT_TIMEOUT");
    long long secs;
    if (to && *to) {
        if (cf_duration_parse(to, &secs)) {
            snprintf(err->msg, sizeof err->msg,
                     "could not parse VAULT_CLIENT_TIMEOUT \"%s\"", to);
            goto inval;
        }
        n.timeout_s = (long)secs;
    }
    const char *sv = getenv("VAULT_SKIP_VERIFY");
    if (opts && opts->skip_verify >= 0)
        n.skip_verify = opts->skip_verify;
    else if (sv && *sv && parse_bool_env(sv, &n.skip_verify)) {
        snprintf(err->msg, sizeof err->msg, "could not parse VAULT_SKIP_VERIFY");
        goto inval;
    }
    n.cacert = dup_or_null(opts && opts->cacert ? opts->cacert : getenv("VAULT_CACERT"));
    n.capath = dup_or_null(opts && opts->capath ? opts->capath : getenv("VAULT_CAPATH"));
    const char *tok = getenv("VAULT_TOKEN");
    n.token = tok && *tok ? strdup(tok) : token_from_file();
    if (!n.addr) {
        cf_client_free(&n);
        snprintf(err->msg, sizeof err->msg, "out of memory");
        return CF_ENOMEM;
    }
    *c = n;
    return 0;
inval:
    cf_client_free(&n);
    return CF_EINVAL;
}

void cf_resp_free(struct cf_resp *r)
{
    if (r->json)
        cf_json_free(r->json);
    if (r->body)
        cf_free_secret(r->body, r->len);
    r->json = NULL;
    r->body = NULL;
    r->len = 0;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct cf_buf *b = ud;
    size_t n = size * nmemb;
    /* Grow without leaving copies of earlier bytes (tokens) behind. */
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = malloc(cap);
        if (!nb)
            return 0;
        if (b->data) {
            memcpy(nb, b->data, b->len + 1);
            cf_free_secret(b->data, b->cap);
        }
        b->data = nb;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Go prints the method as "Put", "Get" in transport errors. */
static void go_method(const char *m, char out[16])
{
    size_t i = 0;
    for (; i < 15 && m[i]; i++)
        out[i] = i ? (char)tolower((unsigned char)m[i]) : m[i];
    out[i] = '\0';
}

static int attempt(struct cf_client *c, const char *method, const char *body,
                   const char *ctype, struct cf_resp *r, char **location)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    struct cf_buf b = {0};
    char ebuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdr = NULL, *t;
    struct cf_buf th = {0};
    int rc = 0;

    if (c->token && cf_buf_printf(&th, "X-Vault-Token: %s", c->token))
        rc = CF_ENOMEM;
    if (!rc && th.data && !(t = curl_slist_append(hdr, th.data)))
        rc = CF_ENOMEM;
    else if (!rc && th.data)
        hdr = t;
    if (th.data)
        cf_free_secret(th.data, th.cap);
    if (!rc && (t = curl_slist_append(hdr, "X-Vault-Request: true")))
        hdr = t;
    if (!rc && (t = curl_slist_append(hdr, "Expect:")))
        hdr = t;
    if (!rc && !body && (t = curl_slist_append(hdr, "Content-Type:")))
        hdr = t;
    if (!rc && body) {
        struct cf_buf ct = {0};
        if (cf_buf_printf(&ct, "Content-Type: %s", ctype ? ctype : "application/json"))
            rc = CF_ENOMEM;
        else if ((t = curl_slist_append(hdr, ct.data)))
            hdr = t;
        cf_buf_free(&ct);
    }
    if (rc) {
        curl_slist_free_all(hdr);
        snprintf(r->err, sizeof r->err, "out of memory");
        return rc;
    }

    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (c->cacert)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
    if (c->capath)
        curl_easy_setopt(h, CURLOPT_CAPATH, c->capath);
    if (c->skip_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!strcmp(method, "GET") && !body) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        if (body || !strcmp(method, "PUT") || !strcmp(method, "POST")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
        }
    }

    CURLcode cc = curl_easy_perform(h);
    curl_slist_free_all(hdr);
    if (cc != CURLE_OK) {
        char gm[16];
        go_method(method, gm);
        snprintf(r->err, sizeof r->err, "%s \"%s\": %s", gm, r->url,
                 ebuf[0] ? ebuf : curl_easy_strerror(cc));
        if (b.data)
            cf_free_secret(b.data, b.cap);
        return CF_EUNAVAIL;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    /* Every allocation that can fail comes before *location is set: a
     * failed attempt leaves nothing for the caller to free. */
    if (!b.data) {
        b.data = calloc(1, 1);
        b.cap = 1;
        if (!b.data)
            return CF_ENOMEM;
    }
    if (r->status == 307) {
        char *loc = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
        if (loc && !(*location = strdup(loc))) {
            cf_free_secret(b.data, b.cap);
            return CF_ENOMEM;
        }
    }
    r->body = b.data;
    r->len = b.len;
    return 0;
}

int cf_client_do(struct cf_client *c, const char *method, const char *path,
                 const char *query, const char *body, const char *ctype,
                 struct cf_resp *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->method, sizeof r->method, "%s", method);
    while (*path == '/')
        path++;
    snprintf(r->url, sizeof r->url, "%s/v1/%s%s%s", c->addr, path,
             query && *query ? "?" : "", query && *query ? query : "");
    if (!c->curl && !(c->curl = curl_easy_init())) {
        snprintf(r->err, sizeof r->err, "cannot initialise libcurl");
        return CF_ENOMEM;
    }
    for (int hop = 0;; hop++) {
        char *loc = NULL;
        int rc = attempt(c, method, body, ctype, r, &loc);
        if (rc)
            return rc;
        if (r->status != 307 || !loc) {
            free(loc);
            break;
        }
        /* Vault's client refuses to follow https -> http. */
        if (!strncmp(r->url, "https:", 6) && strncmp(loc, "https:", 6)) {
            snprintf(r->err, sizeof r->err, "redirect would cause protocol downgrade");
            free(loc);
            cf_resp_free(r);
            r->status = 0;
            return CF_EINVAL;
        }
        if (hop + 1 >= MAX_REDIRECTS) {
            snprintf(r->err, sizeof r->err, "stopped after %d redirects", MAX_REDIRECTS);
            free(loc);
            cf_resp_free(r);
            r->status = 0;
            return CF_EINVAL;
        }
        snprintf(r->url, sizeof r->url, "%s", loc);
        free(loc);
        cf_resp_free(r);
        r->status = 0;
    }
    if (r->len)
        cf_json_parse(r->body, r->len, &r->json, NULL);
    return 0;
}

yajl_val cf_resp_data(const struct cf_resp *r)
{
    if (!r->json || r->json->type != yajl_t_object)
        return NULL;
    yajl_val d = cf_json_get(r->json, "data");
    if (d && d->type == yajl_t_object)
        return d;
    return r->json;
}

void cf_client_print_error(FILE *err, const char *what, const struct cf_resp *r)
{
    if (r->status == 0) {
        fprintf(err, "%s: %s\n", what, r->err[0] ? r->err : "request failed");
        return;
    }
    yajl_val errs = r->json ? cf_json_get(r->json, "errors") : NULL;
    int raw = !errs || errs->type != yajl_t_array;
    fprintf(err, "%s: Error making API request.\n\nURL: %s %s\nCode: %ld. %s:\n\n", what,
            r->method, r->url, r->status, raw ? "Raw Message" : "Errors");
    if (raw) {
        fprintf(err, "%s\n", r->body ? r->body : "");
        return;
    }
    for (size_t i = 0; i < errs->u.array.len; i++) {
        yajl_val e = errs->u.array.values[i];
        fprintf(err, "* %s\n", e->type == yajl_t_string ? e->u.string : "");
    }
}

char *cf_url_escape(const char *s)
{
    struct cf_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int rc;
        if (isalnum(*p) || strchr("-_.~", *p))
            rc = cf_buf_append(&b, p, 1);
        else
            rc = cf_buf_printf(&b, "%%%02X", *p);
        if (rc) {
            cf_buf_free(&b);
            return NULL;
        }
    }
    if (!b.data && cf_buf_append(&b, "", 0))
        return NULL;
    return cf_buf_take(&b);
}
