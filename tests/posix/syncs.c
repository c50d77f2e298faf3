/*
 * posix-diff (syncs): pthreads' synchronisation with results that do not
 * depend on scheduling: a mutex-guarded counter, a condition variable
 * hand-off in strict turns, a barrier's one serial thread, a rwlock's
 * try-calls, pthread_once, semaphores, thread-local storage, join's
 * return values, detached threads, and the error codes of misuse.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define THREADS 4
#define ROUNDS  2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static long counter;
static int turn;                        /* whose turn in the ping-pong */
static int serial;
static _Thread_local int mine = 7;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static sem_t sem;

static void once_fn(void)
{
	once_runs++;
}

static void *adder(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	pthread_once(&once, once_fn);
	mine += (int)(intptr_t)arg;
	if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD)
		__atomic_add_fetch(&serial, 1, __ATOMIC_SEQ_CST);
	return (void *)(intptr_t)mine;
}

/* Two threads take strict turns 0,1,0,1... through one condition variable. */
static void *pinger(void *arg)
{
	int me = (int)(intptr_t)arg, done = 0;
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&mu);
		while (turn % 2 != me)
			pthread_cond_wait(&cv, &mu);
		turn++;
		done++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return (void *)(intptr_t)done;
}

static void *poster(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		sem_post(&sem);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	void *ret;

	pthread_barrier_init(&bar, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, (void *)(intptr_t)(i + 1));
	int sum = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], &ret);
		sum += (int)(intptr_t)ret;
	}
	printf("counter %ld (want %d), once ran %d, serial threads %d\n", counter, THREADS * ROUNDS,
	       once_runs, serial);
	printf("each thread's TLS began at 7: sum of returns %d, main's own %d\n", sum, mine);

	pthread_t a, b;
	pthread_create(&a, NULL, pinger, (void *)0);
	pthread_create(&b, NULL, pinger, (void *)1);
	void *ra, *rb;
	pthread_join(a, &ra);
	pthread_join(b, &rb);
	printf("ping-pong: turns %d, each %d %d\n", turn, (int)(intptr_t)ra, (int)(intptr_t)rb);

	sem_init(&sem, 0, 0);
	pthread_t p;
	pthread_create(&p, NULL, poster, NULL);
	for (int i = 0; i < 5; i++)
		sem_wait(&sem);
	pthread_join(p, NULL);
	int v;
	sem_getvalue(&sem, &v);
	printf("semaphore: took 5, value now %d, trywait: %s\n", v,
	       sem_trywait(&sem) ? (errno == EAGAIN ? "EAGAIN" : "?") : "took");

	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlock_rdlock(&rw);
	int r1 = pthread_rwlock_tryrdlock(&rw);
	int w1 = pthread_rwlock_trywrlock(&rw);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_unlock(&rw);
	int w2 = pthread_rwlock_trywrlock(&rw);
	int r2 = pthread_rwlock_tryrdlock(&rw);
	printf("rwlock: second reader %s, writer among readers %s, writer alone %s, reader then %s\n",
	       r1 ? strerror(r1) : "ok", w1 == EBUSY ? "EBUSY" : "?", w2 ? strerror(w2) : "ok",
	       r2 == EBUSY ? "EBUSY" : "?");
	pthread_rwlock_unlock(&rw);

	pthread_mutex_t em;
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&em, &at);
	pthread_mutex_lock(&em);
	int relock = pthread_mutex_lock(&em);
	pthread_mutex_unlock(&em);
	int unowned = pthread_mutex_unlock(&em);
	printf("errorcheck mutex: relock %s, unlock unowned %s\n", relock == EDEADLK ? "EDEADLK" : "?",
	       unowned == EPERM ? "EPERM" : "?");
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_t rm;
	pthread_mutex_init(&rm, &at);
	int l1 = pthread_mutex_lock(&rm);
	int l2 = pthread_mutex_lock(&rm);
	int busy = pthread_mutex_trylock(&mu);
	printf("recursive mutex locked twice: %d %d; trylock of a free mutex: %d\n", l1, l2, busy);
	pthread_mutex_unlock(&mu);

	struct timespec past = { 0, 0 };
	pthread_mutex_lock(&mu);
	int tw = pthread_cond_timedwait(&cv, &mu, &past);
	pthread_mutex_unlock(&mu);
	printf("timedwait with a past deadline: %s\n", tw == ETIMEDOUT ? "ETIMEDOUT" : "?");
	return 0;
}
