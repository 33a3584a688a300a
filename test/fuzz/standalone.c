/* The standalone driver every fuzz target links when built for `make
 * check` (see fuzz.h): the target's seeds, then a fixed series of
 * byte-level mutations of them, biased towards the target's dictionary. */
#include "fuzz.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
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
    struct corpus c = {.n = 0};
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (add_file(&c, argv[i]))
                return 1;
    } else {
        const char *top = getenv("top_srcdir");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/test/fuzz/seeds/%s", top ? top : ".",
                 cf_fuzz_target.name);
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
    const char *dict = cf_fuzz_target.dict;
    for (int m = 0; m < MUTATIONS; m++) {
        int s = (int)(xorshift(&seed) % (uint64_t)c.n);
        size_t len = c.len[s];
        memcpy(buf, c.data[s], len);
        int edits = 1 + (int)(xorshift(&seed) % 8);
        for (int k = 0; k < edits; k++) {
            uint64_t r = xorshift(&seed);
            size_t at = len ? (size_t)(r >> 8) % (len + 1) : 0;
            uint8_t byte = (r >> 40) & 1
                ? (uint8_t)dict[(r >> 16) % cf_fuzz_target.dict_len]
                : (uint8_t)(r >> 24);
            switch (r % 4) {
            case 0: /* flip a bit */
                if (at < len)
                    buf[at] ^= (uint8_t)(1u << ((r >> 32) % 8));
                break;
            case 1: /* insert */
                if (len < MAX_LEN + 63) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = byte;
                    len++;
                }
                break;
            case 2: /* delete */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            default: /* overwrite */
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
    printf("fuzz_%s: %d seeds, %d mutations, no crash\n", cf_fuzz_target.name, c.n,
           MUTATIONS);
    return 0;
}
