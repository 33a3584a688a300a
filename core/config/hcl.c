/* Lexer and recursive-descent parser for Vault's HCL v1 syntax and JSON,
 * both into the cf_hcl_node tree. Every loop is bounded by the input and
 * every descent by CF_HCL_MAX_DEPTH, so any byte string is safe to feed. */
#include "config/hcl.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/encode.h"
#include "util/secret.h"

#define NUM_MAX_LEN 64

enum tok {
    T_EOF,
    T_IDENT,
    T_STRING,
    T_NUMBER,
    T_LBRACE,
    T_RBRACE,
    T_LBRACK,
    T_RBRACK,
    T_EQUAL,
    T_COLON,
    T_COMMA
};

struct parser {
    const char *s;
    size_t len, pos;
    int line;
    const char *name;
    struct coffer_err *err;
    int rc; /* first error, 0 while all is well */
    int json;
    int depth;
    /* the current token; text is owned here until taken */
    enum tok t;
    int tline;
    char *text;
};

void cf_hcl_verrf(struct coffer_err *err, const char *name, int line, const char *fmt,
                  va_list ap)
{
    if (!err)
        return;
    int n = snprintf(err->msg, sizeof err->msg, "%s:%d: ", name, line);
    if (n < 0 || (size_t)n >= sizeof err->msg)
        return;
    vsnprintf(err->msg + n, sizeof err->msg - (size_t)n, fmt, ap);
    /* Errors quote keys and labels of the input, which may hold any byte:
     * every HCL error (config, policy) stays one line. */
    cf_str_oneline(err->msg);
}

/* Returns p->rc, so that every failing step can end in `return fail(...)`
 * and its callers pass the code up unchanged. */
static int fail(struct parser *p, int rc, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int rc, int line, const char *fmt, ...)
{
    if (p->rc)
        return p->rc; /* the first error is the one the user needs */
    p->rc = rc;
    va_list ap;
    va_start(ap, fmt);
    cf_hcl_verrf(p->err, p->name, line, fmt, ap);
    va_end(ap);
    return rc;
}

static int oom(struct parser *p) { return fail(p, CF_ENOMEM, p->line, "out of memory"); }

static int ident_start(int c) { return isalpha(c) || c == '_'; }

static int ident_char(int c) { return isalnum(c) || c == '_' || c == '-' || c == '.'; }

static const char *tok_name(enum tok t)
{
    switch (t) {
    case T_EOF:
        return "end of input";
    case T_IDENT:
        return "a bare word";
    case T_STRING:
        return "a string";
    case T_NUMBER:
        return "a number";
    case T_LBRACE:
        return "'{'";
    case T_RBRACE:
        return "'}'";
    case T_LBRACK:
        return "'['";
    case T_RBRACK:
        return "']'";
    case T_EQUAL:
        return "'='";
    case T_COLON:
        return "':'";
    case T_COMMA:
        return "','";
    }
    return "?";
}

/* Whitespace and the three comment forms; newlines only count lines,
 * because HCL v1 does not need separators between entries. */
static int skip_blank(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == '\n') {
            p->line++;
            p->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p->pos++;
        } else if (c == '#' ||
                   (c == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '/')) {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                p->pos++;
        } else if (c == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '*') {
            int start = p->line;
            p->pos += 2;
            for (;;) {
                if (p->pos + 1 >= p->len)
                    return fail(p, CF_EINVAL, start, "unterminated /* comment");
                if (p->s[p->pos] == '*' && p->s[p->pos + 1] == '/') {
                    p->pos += 2;
                    break;
                }
                if (p->s[p->pos] == '\n')
                    p->line++;
                p->pos++;
            }
        } else {
            break;
        }
    }
    return 0;
}

/* Reads 4 hex digits at pos; -1 if they are not there. */
static long hex4(struct parser *p)
{
    if (p->pos + 4 > p->len)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = cf_hexval(p->s[p->pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    p->pos += 4;
    return v;
}

static int put_utf8(struct cf_buf *b, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return cf_buf_append(b, u, n);
}

static int lex_escape(struct parser *p, struct cf_buf *b)
{
    int line = p->line;
    if (p->pos >= p->len)
        return fail(p, CF_EINVAL, line, "unterminated string");
    char c = p->s[p->pos++];
    char out;
    switch (c) {
    case 'n':
        out = '\n';
        break;
    case 't':
        out = '\t';
        break;
    case 'r':
        out = '\r';
        break;
    case 'b':
        out = '\b';
        break;
    case 'f':
        out = '\f';
        break;
    case '"':
        out = '"';
        break;
    case '\\':
        out = '\\';
        break;
    case '/':
        out = '/';
        break;
    case 'u': {
        long cp = hex4(p);
        if (cp < 0)
            return fail(p, CF_EINVAL, line,
                        "bad escape in string: \\u needs 4 hex digits");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = -1;
            if (p->pos + 2 <= p->len && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                p->pos += 2;
                lo = hex4(p);
            }
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail(p, CF_EINVAL, line,
                            "bad escape in string: lone UTF-16 surrogate \\u%04lX", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return fail(p, CF_EINVAL, line,
                        "bad escape in string: lone UTF-16 surrogate \\u%04lX", cp);
        } else if (cp == 0) {
            return fail(p, CF_EINVAL, line,
                        "bad escape in string: \\u0000 is not allowed");
        }
        if (put_utf8(b, (unsigned long)cp))
            return oom(p);
        return 0;
    }
    default:
        if (isprint((unsigned char)c))
            return fail(p, CF_EINVAL, line, "bad escape in string: \\%c", c);
        return fail(p, CF_EINVAL, line,
                    "bad escape in string: \\ followed by byte 0x%02X", (unsigned char)c);
    }
    if (cf_buf_append(b, &out, 1))
        return oom(p);
    return 0;
}

static int lex_string(struct parser *p)
{
    struct cf_buf b = {0};
    int start = p->line;
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            fail(p, CF_EINVAL, start, "unterminated string (missing closing '\"')");
            goto bad;
        }
        char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c == '\n') {
            fail(p, CF_EINVAL, start,
                 "unterminated string (newline before the closing '\"')");
            goto bad;
        }
        if (c == '\0') {
            fail(p, CF_EINVAL, start, "NUL byte in string");
            goto bad;
        }
        p->pos++;
        if (c == '\\') {
            if (lex_escape(p, &b))
                goto bad;
            continue;
        }
        /* copy the run of plain bytes in one go */
        size_t run = p->pos - 1;
        while (p->pos < p->len && p->s[p->pos] != '"' && p->s[p->pos] != '\\' &&
               p->s[p->pos] != '\n' && p->s[p->pos] != '\0')
            p->pos++;
        if (cf_buf_append(&b, p->s + run, p->pos - run)) {
            oom(p);
            goto bad;
        }
    }
    if (!b.data && cf_buf_append(&b, "", 0)) {
        oom(p);
        goto bad;
    }
    p->text = cf_buf_take(&b);
    p->t = T_STRING;
    return 0;
bad:
    if (b.data)
        cf_free_secret(b.data, b.cap);
    return p->rc;
}

static size_t line_end(const struct parser *p, size_t from)
{
    const char *nl = memchr(p->s + from, '\n', p->len - from);
    return nl ? (size_t)(nl - p->s) : p->len;
}

/* <<EOF or <<-EOF; the marker must end its line and close on a line of its
 * own (<<- allows it indented and strips the common indentation). */
static int lex_heredoc(struct parser *p)
{
    int start = p->line;
    p->pos += 2;
    int indent = 0;
    if (p->pos < p->len && p->s[p->pos] == '-') {
        indent = 1;
        p->pos++;
    }
    size_t m0 = p->pos;
    while (p->pos < p->len &&
           (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_'))
        p->pos++;
    size_t mlen = p->pos - m0;
    if (!mlen)
        return fail(p, CF_EINVAL, start,
                    "heredoc needs a marker after '<<' (e.g. <<EOF)");
    const char *marker = p->s + m0;
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\r'))
        p->pos++;
    if (p->pos >= p->len || p->s[p->pos] != '\n')
        return fail(p, CF_EINVAL, start, "heredoc marker <<%.*s must end its line",
                    (int)(mlen > 64 ? 64 : mlen), marker);
    p->pos++;
    size_t body = p->pos, body_end = 0, close_end = 0;
    size_t min_ind = (size_t)-1;
    int lines = 0, found = 0;
    for (size_t ls = body; ls < p->len;) {
        size_t le = line_end(p, ls);
        size_t te = le;
        if (te > ls && p->s[te - 1] == '\r')
            te--;
        size_t ws = ls;
        while (ws < te && (p->s[ws] == ' ' || p->s[ws] == '\t'))
            ws++;
        size_t ms = indent ? ws : ls;
        if (te - ms == mlen && !memcmp(p->s + ms, marker, mlen)) {
            body_end = ls;
            close_end = te;
            found = 1;
            break;
        }
        if (memchr(p->s + ls, '\0', le - ls))
            return fail(p, CF_EINVAL, start + 1 + lines, "NUL byte in heredoc");
        if (ws < te && ws - ls < min_ind)
            min_ind = ws - ls;
        lines++;
        if (le >= p->len)
            break;
        ls = le + 1;
    }
    if (!found)
        return fail(p, CF_EINVAL, start,
                    "unterminated heredoc: no line \"%.*s\" closes <<%s%.*s",
                    (int)(mlen > 64 ? 64 : mlen), marker, indent ? "-" : "",
                    (int)(mlen > 64 ? 64 : mlen), marker);
    if (!indent || min_ind == (size_t)-1)
        min_ind = 0;
    struct cf_buf b = {0};
    if (cf_buf_append(&b, "", 0))
        goto nomem;
    for (size_t ls = body; ls < body_end;) {
        size_t le = line_end(p, ls);
        size_t from = ls + min_ind;
        if (from > le)
            from = le;
        if (cf_buf_append(&b, p->s + from, le - from) || cf_buf_append(&b, "\n", 1))
            goto nomem;
        ls = le + 1;
    }
    p->line += lines + 1;
    p->pos = close_end;
    p->text = cf_buf_take(&b);
    p->t = T_STRING;
    return 0;
nomem:
    cf_buf_free(&b);
    return oom(p);
}

static int lex_number(struct parser *p)
{
    size_t st = p->pos;
    const char *s = p->s;
    size_t i = p->pos;
    if (s[i] == '-')
        i++;
    size_t d = i;
    while (i < p->len && isdigit((unsigned char)s[i]))
        i++;
    int ok = i > d;
    if (ok && i < p->len && s[i] == '.') {
        size_t f = ++i;
        while (i < p->len && isdigit((unsigned char)s[i]))
            i++;
        ok = i > f;
    }
    if (ok && i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e = i;
        while (i < p->len && isdigit((unsigned char)s[i]))
            i++;
        ok = i > e;
    }
    if (ok && i < p->len && ident_char((unsigned char)s[i]))
        ok = 0;
    if (!ok)
        return fail(p, CF_EINVAL, p->line, "bad number (quote it if it is a string)");
    if (i - st > NUM_MAX_LEN)
        return fail(p, CF_EINVAL, p->line, "number too long (%zu digits)", i - st);
    p->text = strndup(s + st, i - st);
    if (!p->text)
        return oom(p);
    p->pos = i;
    p->t = T_NUMBER;
    return 0;
}

/* Advances to the next token; on error returns p->rc (set). */
static int next(struct parser *p)
{
    cf_free_secret_str(p->text);
    p->text = NULL;
    int rc = skip_blank(p);
    if (rc)
        return rc;
    p->tline = p->line;
    if (p->pos >= p->len) {
        p->t = T_EOF;
        return 0;
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    switch (c) {
    case '{':
        p->t = T_LBRACE;
        p->pos++;
        return 0;
    case '}':
        p->t = T_RBRACE;
        p->pos++;
        return 0;
    case '[':
        p->t = T_LBRACK;
        p->pos++;
        return 0;
    case ']':
        p->t = T_RBRACK;
        p->pos++;
        return 0;
    case '=':
        p->t = T_EQUAL;
        p->pos++;
        return 0;
    case ':':
        p->t = T_COLON;
        p->pos++;
        return 0;
    case ',':
        p->t = T_COMMA;
        p->pos++;
        return 0;
    case '"':
        return lex_string(p);
    default:
        break;
    }
    if (c == '<' && !p->json && p->pos + 1 < p->len && p->s[p->pos + 1] == '<')
        return lex_heredoc(p);
    if (isdigit(c) || c == '-')
        return lex_number(p);
    if (ident_start(c)) {
        size_t st = p->pos;
        while (p->pos < p->len && ident_char((unsigned char)p->s[p->pos]))
            p->pos++;
        p->text = strndup(p->s + st, p->pos - st);
        if (!p->text)
            return oom(p);
        p->t = T_IDENT;
        return 0;
    }
    if (c == 0)
        return fail(p, CF_EINVAL, p->line, "unexpected NUL byte");
    if (isprint(c))
        return fail(p, CF_EINVAL, p->line, "unexpected character '%c'", c);
    return fail(p, CF_EINVAL, p->line, "unexpected byte 0x%02X", c);
}

static char *take(struct parser *p)
{
    char *t = p->text;
    p->text = NULL;
    return t;
}

static struct cf_hcl_node *new_node(struct parser *p, enum cf_hcl_type type, int line)
{
    struct cf_hcl_node *n = calloc(1, sizeof *n);
    if (!n) {
        oom(p);
        return NULL;
    }
    n->type = type;
    n->line = line;
    return n;
}

/* Arrays grow when their count reaches a power of two, so the node needs
 * no capacity field. */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n & (n - 1))
        return 0;
    size_t cap = n ? n * 2 : 1;
    void *a = realloc(*arr, cap * elem);
    if (!a)
        return CF_ENOMEM;
    *arr = a;
    return 0;
}

/* Takes key and value; both are freed on failure. */
static int add_entry(struct parser *p, struct cf_hcl_node *obj, char *key, int line,
                     struct cf_hcl_node *v)
{
    if (grow((void **)&obj->entries, obj->nentries, sizeof *obj->entries)) {
        free(key);
        cf_hcl_free(v);
        return oom(p);
    }
    obj->entries[obj->nentries].key = key;
    obj->entries[obj->nentries].line = line;
    obj->entries[obj->nentries].value = v;
    obj->nentries++;
    return 0;
}

static int add_item(struct parser *p, struct cf_hcl_node *list, struct cf_hcl_node *v)
{
    if (grow((void **)&list->items, list->nitems, sizeof *list->items)) {
        cf_hcl_free(v);
        return oom(p);
    }
    list->items[list->nitems++] = v;
    return 0;
}

static int deeper(struct parser *p, int levels, int line)
{
    if (p->depth + levels > CF_HCL_MAX_DEPTH)
        return fail(p, CF_EINVAL, line, "nesting too deep (more than %d levels)",
                    CF_HCL_MAX_DEPTH);
    return 0;
}

static struct cf_hcl_node *parse_value(struct parser *p);
static int parse_body(struct parser *p, struct cf_hcl_node *obj, enum tok closer,
                      int open_line);

/* At '{': parses through the matching '}' and the token after it. */
static struct cf_hcl_node *parse_object(struct parser *p)
{
    int line = p->tline;
    if (deeper(p, 1, line))
        return NULL;
    struct cf_hcl_node *o = new_node(p, CF_HCL_OBJECT, line);
    if (!o)
        return NULL;
    p->depth++;
    int rc = next(p);
    if (!rc)
        rc = parse_body(p, o, T_RBRACE, line);
    p->depth--;
    if (rc || next(p)) {
        cf_hcl_free(o);
        return NULL;
    }
    return o;
}

static struct cf_hcl_node *parse_list(struct parser *p)
{
    int line = p->tline;
    if (deeper(p, 1, line))
        return NULL;
    struct cf_hcl_node *l = new_node(p, CF_HCL_LIST, line);
    if (!l)
        return NULL;
    p->depth++;
    if (next(p))
        goto bad;
    while (p->t != T_RBRACK) {
        if (p->t == T_EOF) {
            fail(p, CF_EINVAL, p->tline,
                 "unexpected end of input: '[' on line %d is not closed", line);
            goto bad;
        }
        struct cf_hcl_node *v = parse_value(p);
        if (!v || add_item(p, l, v))
            goto bad;
        if (p->t == T_COMMA) {
            if (next(p))
                goto bad;
        } else if (p->t != T_RBRACK) {
            fail(p, CF_EINVAL, p->tline,
                 "expected ',' or ']' in the list opened on line %d, got %s", line,
                 tok_name(p->t));
            goto bad;
        }
    }
    p->depth--;
    if (next(p)) {
        cf_hcl_free(l);
        return NULL;
    }
    return l;
bad:
    p->depth--;
    cf_hcl_free(l);
    return NULL;
}

static struct cf_hcl_node *parse_value(struct parser *p)
{
    struct cf_hcl_node *n = NULL;
    int line = p->tline;
    switch (p->t) {
    case T_LBRACE:
        return parse_object(p);
    case T_LBRACK:
        return parse_list(p);
    case T_STRING:
        if (!(n = new_node(p, CF_HCL_STRING, line)))
            return NULL;
        n->str = take(p);
        break;
    case T_NUMBER: {
        if (!(n = new_node(p, CF_HCL_NUMBER, line)))
            return NULL;
        n->str = take(p);
        if (!strpbrk(n->str, ".eE")) {
            errno = 0;
            n->inum = strtoll(n->str, NULL, 10);
            if (errno == ERANGE) {
                fail(p, CF_EINVAL, line, "integer %s is out of range", n->str);
                cf_hcl_free(n);
                return NULL;
            }
            n->is_int = 1;
            n->num = (double)n->inum;
        } else {
            n->num = strtod(n->str, NULL);
        }
        break;
    }
    case T_IDENT:
        if (!strcmp(p->text, "true") || !strcmp(p->text, "false")) {
            if (!(n = new_node(p, CF_HCL_BOOL, line)))
                return NULL;
            n->boolean = p->text[0] == 't';
            break;
        }
        if (p->json && !strcmp(p->text, "null"))
            fail(p, CF_EINVAL, line, "null values are not supported");
        else
            /* the word is not echoed: it may be an unquoted password */
            fail(p, CF_EINVAL, line, "unexpected bare word (strings need double quotes)");
        return NULL;
    default:
        fail(p, CF_EINVAL, line, "expected a value, got %s", tok_name(p->t));
        return NULL;
    }
    if (next(p)) {
        cf_hcl_free(n);
        return NULL;
    }
    return n;
}

/* `key "l1" "l2" { body }` = key { l1 { l2 { body } } }. At the first label. */
static struct cf_hcl_node *parse_labels(struct parser *p, const char *key)
{
    char *labels[CF_HCL_MAX_DEPTH];
    int lines[CF_HCL_MAX_DEPTH];
    int n = 0;
    struct cf_hcl_node *inner = NULL;
    while (p->t == T_STRING || p->t == T_IDENT) {
        if (deeper(p, n + 2, p->tline))
            goto out;
        lines[n] = p->tline;
        labels[n++] = take(p);
        if (next(p))
            goto out;
    }
    if (p->t != T_LBRACE) {
        fail(p, CF_EINVAL, p->tline,
             "expected '{' after the labels of block \"%.64s\", got %s", key,
             tok_name(p->t));
        goto out;
    }
    p->depth += n;
    inner = parse_object(p);
    p->depth -= n;
    while (inner && n > 0) {
        struct cf_hcl_node *o = new_node(p, CF_HCL_OBJECT, lines[n - 1]);
        if (!o) {
            cf_hcl_free(inner);
            inner = NULL;
            break;
        }
        n--;
        if (add_entry(p, o, labels[n], lines[n], inner)) {
            cf_hcl_free(o);
            inner = NULL;
            break;
        }
        inner = o;
    }
out:
    while (n > 0)
        free(labels[--n]);
    return inner;
}

/* Entries up to closer (not consumed). */
static int parse_body(struct parser *p, struct cf_hcl_node *obj, enum tok closer,
                      int open_line)
{
    int rc;
    for (;;) {
        while (!p->json && p->t == T_COMMA)
            if ((rc = next(p)))
                return rc;
        if (p->t == closer)
            return 0;
        if (p->t == T_EOF)
            return fail(p, CF_EINVAL, p->tline,
                        "unexpected end of input: '{' on line %d is not closed",
                        open_line);
        if (p->t != T_IDENT && p->t != T_STRING)
            return fail(p, CF_EINVAL, p->tline, "expected a key, got %s", tok_name(p->t));
        if (p->json && p->t != T_STRING)
            return fail(p, CF_EINVAL, p->tline,
                        "JSON keys must be quoted strings, got \"%.64s\"", p->text);
        int kline = p->tline;
        char *key = take(p);
        struct cf_hcl_node *v = NULL;
        if (next(p))
            goto bad;
        if (p->json) {
            if (p->t != T_COLON) {
                fail(p, CF_EINVAL, p->tline, "expected ':' after key \"%.64s\"", key);
                goto bad;
            }
            if (next(p) || !(v = parse_value(p)))
                goto bad;
        } else if (p->t == T_EQUAL) {
            if (next(p) || !(v = parse_value(p)))
                goto bad;
        } else if (p->t == T_LBRACE) {
            if (!(v = parse_object(p)))
                goto bad;
        } else if (p->t == T_STRING || p->t == T_IDENT) {
            if (!(v = parse_labels(p, key)))
                goto bad;
        } else {
            fail(p, CF_EINVAL, kline, "expected '=' or '{' after key \"%.64s\"", key);
            goto bad;
        }
        if ((rc = add_entry(p, obj, key, kline, v)))
            return rc;
        /* add_entry returns 0 only with the entry stored; fail() is variadic,
         * which the analyzer does not follow, so it cannot see that. */
        assert(obj->nentries > 0);
        if (p->json) {
            if (p->t == T_COMMA) {
                if ((rc = next(p)))
                    return rc;
                if (p->t == closer)
                    return fail(p, CF_EINVAL, p->tline,
                                "trailing ',' before '}' is not valid JSON");
            } else if (p->t == T_EOF) {
                return fail(p, CF_EINVAL, p->tline,
                            "unexpected end of input: '{' on line %d is not closed",
                            open_line);
            } else if (p->t != closer) {
                return fail(p, CF_EINVAL, p->tline,
                            "expected ',' or '}' after the value of \"%.64s\", got %s",
                            obj->entries[obj->nentries - 1].key, tok_name(p->t));
            }
        }
        continue;
    bad:
        free(key);
        return p->rc;
    }
}

int cf_hcl_parse(const char *text, size_t len, const char *name, struct cf_hcl_node **out,
                 struct coffer_err *err)
{
    struct parser p = {
        .s = text ? text : "",
        .len = text ? len : 0,
        .line = 1,
        .name = name ? name : "<input>",
        .err = err,
    };
    struct cf_hcl_node *root = NULL;
    if (err)
        err->msg[0] = '\0';
    if (next(&p))
        goto bad;
    if (p.t == T_LBRACE) {
        p.json = 1;
        if (!(root = parse_object(&p)))
            goto bad;
        if (p.t != T_EOF) {
            fail(&p, CF_EINVAL, p.tline,
                 "%s after the end of the JSON object is not allowed", tok_name(p.t));
            goto bad;
        }
    } else {
        if (!(root = new_node(&p, CF_HCL_OBJECT, 1)))
            goto bad;
        if (parse_body(&p, root, T_EOF, 1))
            goto bad;
    }
    free(p.text);
    *out = root;
    return 0;
bad:
    cf_free_secret_str(p.text);
    cf_hcl_free(root);
    return p.rc ? p.rc : CF_EINVAL;
}

void cf_hcl_free(struct cf_hcl_node *n)
{
    if (!n)
        return;
    cf_free_secret_str(n->str); /* values may be passwords */
    for (size_t i = 0; i < n->nitems; i++)
        cf_hcl_free(n->items[i]);
    free(n->items);
    for (size_t i = 0; i < n->nentries; i++) {
        free(n->entries[i].key);
        cf_hcl_free(n->entries[i].value);
    }
    free(n->entries);
    free(n);
}

const struct cf_hcl_entry *cf_hcl_get(const struct cf_hcl_node *obj, const char *key)
{
    if (!obj || obj->type != CF_HCL_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->nentries; i++)
        if (!strcmp(obj->entries[i].key, key))
            return &obj->entries[i];
    return NULL;
}

int cf_hcl_as_string(const struct cf_hcl_node *n, const char **out)
{
    if (!n || (n->type != CF_HCL_STRING && n->type != CF_HCL_NUMBER))
        return CF_EINVAL;
    *out = n->str;
    return 0;
}

static int parse_ll(const char *s, long long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return CF_EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE)
        return CF_EINVAL;
    *out = v;
    return 0;
}

int cf_hcl_as_int(const struct cf_hcl_node *n, long long *out)
{
    if (!n)
        return CF_EINVAL;
    if (n->type == CF_HCL_NUMBER && n->is_int) {
        *out = n->inum;
        return 0;
    }
    if (n->type == CF_HCL_STRING)
        return parse_ll(n->str, out);
    return CF_EINVAL;
}

int cf_hcl_as_bool(const struct cf_hcl_node *n, int *out)
{
    if (!n)
        return CF_EINVAL;
    if (n->type == CF_HCL_BOOL) {
        *out = n->boolean;
        return 0;
    }
    if (n->type == CF_HCL_NUMBER && n->is_int && (n->inum == 0 || n->inum == 1)) {
        *out = (int)n->inum;
        return 0;
    }
    if (n->type == CF_HCL_STRING) {
        if (!strcmp(n->str, "true") || !strcmp(n->str, "1")) {
            *out = 1;
            return 0;
        }
        if (!strcmp(n->str, "false") || !strcmp(n->str, "0")) {
            *out = 0;
            return 0;
        }
    }
    return CF_EINVAL;
}

#define SUGGEST_MAX 64

/* Edit distance, or 3 ("too far") when either word is long or the lengths
 * already differ by more than 2. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX || lb > SUGGEST_MAX || (la > lb ? la - lb : lb - la) > 2)
        return 3;
    size_t row[SUGGEST_MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cf_hcl_suggest(const char *word, const char *const *candidates)
{
    if (!word || !candidates)
        return NULL;
    const char *best = NULL;
    size_t bestd = 3;
    for (const char *const *c = candidates; *c; c++) {
        size_t d = distance(word, *c);
        /* "x" is 2 edits from "ui" too, but that is no hint */
        if (d < bestd && d < strlen(word)) {
            bestd = d;
            best = *c;
        }
    }
    return best;
}
