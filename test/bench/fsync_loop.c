/* Bench anchor: the durability ceiling of one synchronous writer.  Appends
 * 128-byte records to a scratch file in DIR, fdatasync after each, for SECONDS,
 * and prints ops/s with p50/p99 of write+sync latency (research/performance.md §3.1). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REC_SIZE 128

struct samples {
    uint64_t *ns; /* owned; one write+sync latency per op */
    size_t len;
    size_t cap;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int push(struct samples *s, uint64_t v)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *p = realloc(s->ns, cap * sizeof(*p));

        if (p == NULL)
            return -1;
        s->ns = p;
        s->cap = cap;
    }
    s->ns[s->len++] = v;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile over sorted samples. */
static double pct_us(const struct samples *s, double p)
{
    size_t i = (size_t)(p / 100.0 * (double)s->len);

    if (i >= s->len)
        i = s->len - 1;
    return (double)s->ns[i] / 1000.0;
}

int main(int argc, char **argv)
{
    struct samples s = {0};
    char rec[REC_SIZE], path[4096];
    uint64_t start, end, t0, t1;
    double secs;
    int fd, rc = 1;

    if (argc != 3 || (secs = strtod(argv[2], NULL)) <= 0) {
        fprintf(stderr, "usage: %s DIR SECONDS\n", argv[0]);
        return 2;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/fsync_loop.XXXXXX", argv[1]) >=
        sizeof(path)) {
        fprintf(stderr, "fsync_loop: directory name too long\n");
        return 2;
    }
    fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "fsync_loop: cannot create a file in %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    memset(rec, 'r', sizeof(rec));
    rec[REC_SIZE - 1] = '\n';

    start = now_ns();
    end = start + (uint64_t)(secs * 1e9);
    for (t0 = start; t0 < end; t0 = t1) {
        if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) || fdatasync(fd) != 0) {
            fprintf(stderr, "fsync_loop: write/fdatasync: %s\n", strerror(errno));
            goto out;
        }
        t1 = now_ns();
        if (push(&s, t1 - t0) != 0) {
            fprintf(stderr, "fsync_loop: out of memory\n");
            goto out;
        }
    }
    if (s.len == 0) {
        fprintf(stderr, "fsync_loop: no operation completed\n");
        goto out;
    }
    qsort(s.ns, s.len, sizeof(*s.ns), cmp_u64);
    /* One machine-readable line: the run script parses key=value pairs. */
    printf("fsync_loop ops=%zu seconds=%.3f ops_per_s=%.0f p50_us=%.1f p99_us=%.1f\n",
           s.len, (double)(t0 - start) / 1e9,
           (double)s.len / ((double)(t0 - start) / 1e9), pct_us(&s, 50), pct_us(&s, 99));
    rc = 0;
out:
    close(fd);
    unlink(path);
    free(s.ns);
    return rc;
}
