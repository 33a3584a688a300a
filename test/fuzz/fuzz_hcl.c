/* Fuzz entry for the HCL/JSON parser and the config schema on top of it.
 * Built with -DCF_FUZZ_STANDALONE it replays the seed files, then a fixed
 * series of byte-level mutations of them, so `make check` fuzzes a little. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/hcl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct coffer_err err = {""};
    struct cf_hcl_node *n;
    if (cf_hcl_parse((const char *)data, size, "fuzz", &n, &err) == 0) {
        /* exercise the readers on whatever came out */
        for (size_t i = 0; i < n->nentries; i++) {
            const struct cf_hcl_node *v = n->entries[i].value;
            const char *s;
            long long ll;
            int b;
            (void)cf_hcl_as_string(v, &s);
            (void)cf_hcl_as_int(v, &ll);
            (void)cf_hcl_as_bool(v, &b);
            (void)cf_hcl_get(n, n->entries[i].key);
        }
        cf_hcl_free(n);
    }
    struct cf_config *c;
    if (cf_config_parse((const char *)data, size, "fuzz", &c, &err) == 0)
        cf_config_free(c);
    return 0;
}

#ifdef CF_FUZZ_STANDALONE
#include <dirent.h>

#define MUTATIONS 20000
#define MAX_SEEDS 64
#define MAX_LEN 65536

struct corpus {
    char *data[MAX_SEEDS];
    size_t len[MAX_SEEDS];
    int n;
};

static int add_file(struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    char *buf = malloc(MAX_LEN);
    size_t n = buf ? fread(buf, 1, MAX_LEN, f) : 0;
    fclose(f);
    if (!buf || c->n == MAX_SEEDS) {
        free(buf);
        return -1;
    }
    c->data[c->n] = buf;
    c->len[c->n++] = n;
    return 0;
}

static int add_dir(struct corpus *c, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) && !rc) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096 + 256 + 2];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = add_file(c, path);
    }
    closedir(d);
    return rc;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int main(int argc, char **argv)
{
    struct corpus c = { .n = 0 };
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (add_file(&c, argv[i]))
                return 1;
    } else {
        const char *top = getenv("top_srcdir");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/test/fuzz/seeds", top ? top : ".");
        if (add_dir(&c, dir))
            return 1;
    }
    if (!c.n) {
        fprintf(stderr, "no seed files\n");
        return 1;
    }
    for (int i = 0; i < c.n; i++)
        LLVMFuzzerTestOneInput((const uint8_t *)c.data[i], c.len[i]);

    uint64_t seed = 0x9E3779B97F4A7C15ull;
    uint8_t *buf = malloc(MAX_LEN + 64);
    if (!buf)
        return 1;
    static const char dict[] = "{}[]=:,\"\\#/*<-\n \0tu0123456789.eE";
    for (int m = 0; m < MUTATIONS; m++) {
        int s = (int)(xorshift(&seed) % (uint64_t)c.n);
        size_t len = c.len[s];
        memcpy(buf, c.data[s], len);
        int edits = 1 + (int)(xorshift(&seed) % 8);
        for (int k = 0; k < edits; k++) {
            uint64_t r = xorshift(&seed);
            size_t at = len ? (size_t)(r >> 8) % (len + 1) : 0;
            uint8_t byte = (r >> 40) & 1 ? (uint8_t)dict[(r >> 16) % (sizeof dict - 1)]
                                         : (uint8_t)(r >> 24);
            switch (r % 4) {
            case 0:     /* flip a bit */
                if (at < len)
                    buf[at] ^= (uint8_t)(1u << ((r >> 32) % 8));
                break;
            case 1:     /* insert */
                if (len < MAX_LEN + 63) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = byte;
                    len++;
                }
                break;
            case 2:     /* delete */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            default:    /* overwrite */
                if (at < len)
                    buf[at] = byte;
                break;
            }
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    free(buf);
    for (int i = 0; i < c.n; i++)
        free(c.data[i]);
    printf("fuzz_hcl: %d seeds, %d mutations, no crash\n", c.n, MUTATIONS);
    return 0;
}
#endif
