/*
 * posix-diff (pthreads): the parts of pthreads syncs does not cover:
 * mutex types (error-checking, recursive) and their errors, attributes
 * (detach state, stack size), keys with destructors run at each
 * thread's exit, pthread_exit's value, cancellation (deferred, at a
 * cancellation point, with cleanup handlers) and thread ids.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#define THREADS 4

static pthread_key_t key;
static volatile int destroyed, cleaned;
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void destroy(void *v)
{
	__atomic_add_fetch(&destroyed, (int)(intptr_t)v, __ATOMIC_SEQ_CST);
}

static void *keyed(void *arg)
{
	pthread_setspecific(key, arg);
	if ((intptr_t)arg == 3)
		pthread_exit((void *)(intptr_t)33);     /* destructors run here too */
	return (void *)((intptr_t)pthread_getspecific(key) * 10);
}

static void cleanup(void *v)
{
	cleaned += (int)(intptr_t)v;
	pthread_mutex_unlock(&gate);
}

/*
 * Waits on a condition nobody signals, 5 ms at a time: only cancellation
 * ends it, at its next cancellation point. (A thread blocked for good in
 * a futex wait is not woken by a cancel on Aion yet: docs/posix.md,
 * Threads.)
 */
static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_cleanup_push(cleanup, (void *)(intptr_t)7);
	for (;;) {
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_nsec += 5000000;
		if (at.tv_nsec >= 1000000000) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&never, &gate, &at);
	}
	pthread_cleanup_pop(0);
	return NULL;
}

static void *sleeper(void *arg)
{
	(void)arg;
	int old;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	usleep(20000);                  /* a cancel now stays pending */
	pthread_setcancelstate(old, NULL);
	pthread_testcancel();
	return (void *)1;
}

static void *self_id(void *arg)
{
	*(pthread_t *)arg = pthread_self();
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	pthread_mutex_t m;
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &ma);
	printf("errorcheck: unlock unlocked %s\n", en(pthread_mutex_unlock(&m)));
	pthread_mutex_lock(&m);
	printf("errorcheck: relock %s, trylock %s\n", en(pthread_mutex_lock(&m)),
	       en(pthread_mutex_trylock(&m)));
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &ma);
	int a = pthread_mutex_lock(&m), b = pthread_mutex_lock(&m), c = pthread_mutex_trylock(&m);
	int d = pthread_mutex_unlock(&m), e = pthread_mutex_unlock(&m), f = pthread_mutex_unlock(&m);
	printf("recursive: lock lock trylock %s %s %s, unlock x3 %s %s %s, once more %s\n", en(a),
	       en(b), en(c), en(d), en(e), en(f), en(pthread_mutex_unlock(&m)));
	int type;
	pthread_mutexattr_gettype(&ma, &type);
	printf("attr type is recursive: %s\n", type == PTHREAD_MUTEX_RECURSIVE ? "yes" : "no");

	pthread_attr_t at;
	pthread_attr_init(&at);
	int ds;
	pthread_attr_getdetachstate(&at, &ds);
	printf("default detach state joinable: %s\n", ds == PTHREAD_CREATE_JOINABLE ? "yes" : "no");
	printf("stack size 16: %s, 256 KiB: %s\n", en(pthread_attr_setstacksize(&at, 16)),
	       en(pthread_attr_setstacksize(&at, 256 * 1024)));
	size_t ss;
	pthread_attr_getstacksize(&at, &ss);
	printf("stack size read back: %zu\n", ss);

	pthread_key_create(&key, destroy);
	pthread_t t[THREADS];
	for (intptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], &at, keyed, (void *)(i + 1));
	for (int i = 0; i < THREADS; i++) {
		void *v;
		pthread_join(t[i], &v);
		printf("thread %d returned %d\n", i + 1, (int)(intptr_t)v);
	}
	printf("destructors saw 1+2+3+4 = %d\n", destroyed);
	printf("main's value of the key: %s\n", pthread_getspecific(key) ? "set" : "NULL");
	pthread_key_delete(key);

	pthread_t w;
	void *v;
	pthread_create(&w, NULL, waiter, NULL);
	usleep(10000);
	printf("cancel a waiting thread: %s\n", en(pthread_cancel(w)));
	pthread_join(w, &v);
	printf("it ended canceled: %s, its cleanup ran with 7: %d\n",
	       v == PTHREAD_CANCELED ? "yes" : "no", cleaned);
	printf("the mutex its cleanup unlocked is free: %s\n", en(pthread_mutex_trylock(&gate)));
	pthread_mutex_unlock(&gate);
	pthread_create(&w, NULL, sleeper, NULL);
	pthread_cancel(w);
	pthread_join(w, &v);
	printf("cancel held while disabled, acted on at testcancel: %s\n",
	       v == PTHREAD_CANCELED ? "yes" : "no");

	pthread_t id;
	pthread_create(&w, NULL, self_id, &id);
	pthread_join(w, NULL);
	printf("pthread_self in the thread equals create's id: %s; differs from main's: %s\n",
	       pthread_equal(id, w) ? "yes" : "no", pthread_equal(id, pthread_self()) ? "no" : "yes");
	pthread_create(&w, NULL, self_id, &id);
	printf("detach: %s\n", en(pthread_detach(w)));
	usleep(20000);
	return 0;
}
