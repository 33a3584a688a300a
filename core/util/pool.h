/* A pool of worker threads for jobs that block (storage, forwarding):
 * threads start on demand up to a cap and leave after a while idle, so a
 * quiet node holds none and a burst gets up to max at once. */
#ifndef CF_POOL_H
#define CF_POOL_H

struct cf_pool;

typedef void (*cf_pool_fn)(void *arg);

/* max: the most threads at once (>= 1); idle_ms: how long a thread with
 * nothing to do waits before it leaves. */
int cf_pool_new(unsigned max, unsigned idle_ms, struct cf_pool **out);
/* Queues fn(arg); a thread runs it as soon as one is free. CF_ENOMEM when
 * no job slot can be allocated and no thread exists to run it, CF_EUNAVAIL
 * once the pool is stopping: fn is then not called. */
int cf_pool_submit(struct cf_pool *p, cf_pool_fn fn, void *arg);
/* Refuses new jobs, runs what is queued and waits until every thread has
 * left; the pool stays allocated. NULL is fine. */
void cf_pool_drain(struct cf_pool *p);
/* cf_pool_drain, then frees the pool. NULL is fine. */
void cf_pool_free(struct cf_pool *p);

#endif
