/* Jobs in a FIFO under one mutex; idle threads wait on one condition. A
 * thread that leaves (idle or at free) is detached, and free waits for
 * the count of live threads to reach zero instead of joining each one,
 * which keeps the bookkeeping to two counters. */
#include "util/pool.h"
#include "util/timeutil.h"
#include "coffer/errors.h"
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct job {
    cf_pool_fn fn;
    void *arg;
    struct job *next;
};

struct cf_pool {
    pthread_mutex_t mu;
    pthread_cond_t work; /* a job is queued, or stopping */
    pthread_cond_t gone; /* a thread left */
    struct job *head, *tail;
    unsigned max, idle_ms;
    unsigned threads, idle; /* live threads, those waiting for work */
    int stopping;
};

static void *worker(void *arg)
{
    struct cf_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping) {
            struct timespec until;
            cf_deadline_in(CLOCK_MONOTONIC, p->idle_ms, &until);
            p->idle++;
            int rc = pthread_cond_timedwait(&p->work, &p->mu, &until);
            p->idle--;
            if (rc && !p->head)
                goto leave; /* idle long enough */
        }
        struct job *j = p->head;
        if (!j)
            break; /* stopping, queue drained */
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&p->mu);
    }
leave:
    p->threads--;
    pthread_cond_broadcast(&p->gone);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int cf_pool_new(unsigned max, unsigned idle_ms, struct cf_pool **out)
{
    struct cf_pool *p = calloc(1, sizeof *p);
    if (!p)
        return CF_ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, &ca);
    pthread_cond_init(&p->gone, &ca);
    pthread_condattr_destroy(&ca);
    p->max = max ? max : 1;
    p->idle_ms = idle_ms;
    *out = p;
    return 0;
}

/* Caller holds p->mu. 0 when a thread was started. */
static int spawn(struct cf_pool *p)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &a, worker, p);
    pthread_attr_destroy(&a);
    if (rc)
        return CF_ENOMEM;
    p->threads++;
    return 0;
}

int cf_pool_submit(struct cf_pool *p, cf_pool_fn fn, void *arg)
{
    struct job *j = malloc(sizeof *j);
    if (!j)
        return CF_ENOMEM;
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->stopping) {
        pthread_mutex_unlock(&p->mu);
        free(j);
        return CF_EUNAVAIL;
    }
    /* A thread is started when every live one is busy; failing that the
     * job waits for one, unless there is none at all to run it. */
    if (p->idle == 0 && p->threads < p->max && spawn(p) && p->threads == 0) {
        pthread_mutex_unlock(&p->mu);
        free(j);
        return CF_ENOMEM;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void cf_pool_drain(struct cf_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->work);
    while (p->threads > 0)
        pthread_cond_wait(&p->gone, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void cf_pool_free(struct cf_pool *p)
{
    if (!p)
        return;
    cf_pool_drain(p);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->gone);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
