/* The worker pool: every job runs once, never more threads than the cap,
 * blocking jobs overlap, free waits for what is queued, and a stopped pool
 * refuses work. */
#include "cf_test.h"
#include "util/pool.h"
#include <coffer/errors.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

struct count {
    atomic_int ran, running, peak;
    unsigned sleep_us;
};

static void job(void *arg)
{
    struct count *c = arg;
    int now = atomic_fetch_add(&c->running, 1) + 1;
    int peak = atomic_load(&c->peak);
    while (now > peak && !atomic_compare_exchange_weak(&c->peak, &peak, now))
        ;
    if (c->sleep_us)
        usleep(c->sleep_us);
    atomic_fetch_sub(&c->running, 1);
    atomic_fetch_add(&c->ran, 1);
}

static void test_all_run_within_cap(void)
{
    struct cf_pool *p = NULL;
    CF_ASSERT_INT_EQ(cf_pool_new(4, 1000, &p), 0);
    struct count c = {.sleep_us = 2000};
    for (int i = 0; i < 200; i++)
        CF_ASSERT_INT_EQ(cf_pool_submit(p, job, &c), 0);
    cf_pool_free(p); /* waits for all 200 */
    CF_ASSERT_INT_EQ(atomic_load(&c.ran), 200);
    CU_ASSERT(atomic_load(&c.peak) <= 4);
    CU_ASSERT(atomic_load(&c.peak) >= 2); /* 2 ms sleepers overlap */
}

static void test_blocking_jobs_overlap(void)
{
    struct cf_pool *p = NULL;
    CF_ASSERT_INT_EQ(cf_pool_new(64, 1000, &p), 0);
    struct count c = {.sleep_us = 200000};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 32; i++)
        CF_ASSERT_INT_EQ(cf_pool_submit(p, job, &c), 0);
    cf_pool_drain(p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    CF_ASSERT_INT_EQ(atomic_load(&c.ran), 32);
    CU_ASSERT(ms < 3000); /* one after another: 6.4 s */
    /* drained: new work is refused, and fn is not called */
    CF_ASSERT_INT_EQ(cf_pool_submit(p, job, &c), CF_EUNAVAIL);
    cf_pool_free(p);
    CF_ASSERT_INT_EQ(atomic_load(&c.ran), 32);
}

static void test_idle_threads_leave(void)
{
    struct cf_pool *p = NULL;
    CF_ASSERT_INT_EQ(cf_pool_new(8, 50, &p), 0);
    struct count c = {.sleep_us = 1000};
    for (int i = 0; i < 16; i++)
        cf_pool_submit(p, job, &c);
    usleep(400 * 1000); /* every thread idle past 50 ms: gone */
    for (int i = 0; i < 16; i++)
        CF_ASSERT_INT_EQ(cf_pool_submit(p, job, &c), 0); /* new ones start */
    cf_pool_free(p);
    CF_ASSERT_INT_EQ(atomic_load(&c.ran), 32);
    cf_pool_free(NULL);
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"every job runs, within the cap", test_all_run_within_cap},
        {"blocking jobs overlap; drained pools refuse", test_blocking_jobs_overlap},
        {"idle threads leave and come back", test_idle_threads_leave},
        {NULL, NULL},
    };
    return cf_test_run("pool", cases);
}
