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

/* Waits forever on a condition nobody signals: only cancellation ends it. */
static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate);
	pthread_cleanup_push(cleanup, (void *)(intptr_t)7);
	for (;;)
		pthread_cond_wait(&never, &gate);
	pthread_cleanup_pop(0);
	return NULL;
}

/* Sleeps far longer than the test runs: a cancel cuts the sleep. */
static void *long_sleep(void *arg)
{
	(void)arg;
	sleep(1000);
	return (void *)2;
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

/* Spins until its own CPU clock says 20 ms (or gives up): 1 if it did. */
static void *spin(void *arg)
{
	(void)arg;
	clockid_t c;
	if (pthread_getcpuclockid(pthread_self(), &c))
		return NULL;
	for (long i = 0; i < 2000000000L; i++) {
		struct timespec t;
		if (clock_gettime(c, &t))
			return NULL;
		if (t.tv_sec > 0 || t.tv_nsec >= 20000000L)
			return (void *)1;
	}
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
	pthread_create(&w, NULL, long_sleep, NULL);
	usleep(10000);
	pthread_cancel(w);
	pthread_join(w, &v);
	printf("cancel a thread in sleep(1000): %s\n", v == PTHREAD_CANCELED ? "canceled" : "returned");
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

	/* CPU clocks: a thread's own (pthread_getcpuclockid), read by it and
	 * by main while it lives, and the process's (clock_getcpuclockid). */
	pthread_create(&w, NULL, spin, NULL);
	clockid_t wc, pc;
	int e1 = pthread_getcpuclockid(w, &wc);
	struct timespec t1;
	int r1 = clock_gettime(wc, &t1);
	pthread_join(w, &v);
	int e2 = clock_getcpuclockid(0, &pc);
	struct timespec t2;
	int r2 = clock_gettime(pc, &t2);
	long long pns = (long long)t2.tv_sec * 1000000000LL + t2.tv_nsec;
	printf("thread cpu clock: %s, read by main %d, reached 20 ms in the thread: %s\n", en(e1),
	       r1, v ? "yes" : "no");
	printf("process cpu clock: %s, read %d, at least 20 ms: %s\n", en(e2), r2,
	       pns >= 20000000LL ? "yes" : "no");
	return 0;
}
