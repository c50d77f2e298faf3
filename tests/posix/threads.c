/*
 * pthreads on Aion (docs/posix.md, Threads): an unmodified C program.
 * Each check prints one exact line the boot test (posix-threads) looks
 * for; the program returns 0 only when every check held, and its exit
 * ends it while one thread still waits (or the test times out).
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <time.h>

#define WORKERS         4
#define ROUNDS          20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_word = 7;      /* .tdata: every thread starts at 7 */
static __thread char tls_zero[64];      /* .tbss */
static int failures;

static void check(int ok, const char *line)
{
	if (ok)
		printf("%s\n", line);
	else {
		printf("FAIL %s\n", line);
		failures++;
	}
}

/* Adds ROUNDS under the mutex; its TLS word must stay its own throughout. */
static void *count(void *arg)
{
	long id = (long)(intptr_t)arg;
	int tls_ok = tls_word == 7 && tls_zero[63] == 0;

	tls_word = 1000 + id;
	tls_zero[63] = 1;               /* this thread's copy only */
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
		if (i % 1000 == 0)
			sched_yield();
		if (tls_word != 1000 + id)
			tls_ok = 0;
	}
	return (void *)(intptr_t)(tls_ok ? 100 + id : -1);
}

/* Condition variable handoff: a producer hands values one at a time. */
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int slot, full;

static void *produce(void *arg)
{
	(void)arg;
	for (int v = 1; v <= 100; v++) {
		pthread_mutex_lock(&lock);
		while (full)
			pthread_cond_wait(&cond, &lock);
		slot = v;
		full = 1;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_fn(void)
{
	once_runs++;
}

static void *call_once(void *arg)
{
	(void)arg;
	pthread_once(&once, once_fn);
	return NULL;
}

/* Detached: nobody joins; each frees its own stack and TLS at its end. */
static sem_t detached_done;

static void *detached(void *arg)
{
	(void)arg;
	tls_word++;
	sem_post(&detached_done);
	return NULL;
}

/* Sleeps 1 ms at a time (nanosleep: a cancellation point) until cancelled. */
static volatile int cleaned;

static void cleanup(void *arg)
{
	(void)arg;
	cleaned = 1;
}

static void *sleep_until_cancelled(void *arg)
{
	struct timespec ms = { 0, 1000000 };
	(void)arg;
	pthread_cleanup_push(cleanup, NULL);
	for (;;)
		nanosleep(&ms, NULL);
	pthread_cleanup_pop(0);
	return NULL;
}

/* Blocks for good: exit must end the process with it (exit_group). */
static pthread_mutex_t never_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *block_forever(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&never_lock);
	for (;;)
		pthread_cond_wait(&never, &never_lock);
	return NULL;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	pthread_t t[WORKERS];
	void *ret;
	int joined = 1;

	tls_word = 1;
	for (long i = 0; i < WORKERS; i++)
		if (pthread_create(&t[i], NULL, count, (void *)(intptr_t)i))
			joined = 0;
	for (long i = 0; i < WORKERS; i++)
		if (!joined || pthread_join(t[i], &ret) || ret != (void *)(intptr_t)(100 + i))
			joined = 0;
	char line[96];
	snprintf(line, sizeof(line), "threads: counter %ld", counter);
	check(counter == (long)WORKERS * ROUNDS, line);
	check(joined, "threads: join values and tls ok");
	check(tls_word == 1 && tls_zero[63] == 0, "threads: main tls kept");

	pthread_t p;
	int sum = 0, got = 0;
	pthread_create(&p, NULL, produce, NULL);
	while (got < 100) {
		pthread_mutex_lock(&lock);
		while (!full)
			pthread_cond_wait(&cond, &lock);
		sum += slot;
		got++;
		full = 0;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
	}
	pthread_join(p, NULL);
	snprintf(line, sizeof(line), "threads: handoff sum %d", sum);
	check(sum == 5050, line);

	pthread_t o[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&o[i], NULL, call_once, NULL);
	pthread_once(&once, once_fn);
	for (int i = 0; i < 3; i++)
		pthread_join(o[i], NULL);
	check(once_runs == 1, "threads: once ran once");

	/* A timed wait nobody signals: ETIMEDOUT after about 50 ms. */
	pthread_condattr_t ca;
	pthread_cond_t lonely;
	struct timespec at;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lonely, &ca);
	clock_gettime(CLOCK_MONOTONIC, &at);
	at.tv_nsec += 50 * 1000000;
	if (at.tv_nsec >= 1000000000) {
		at.tv_sec++;
		at.tv_nsec -= 1000000000;
	}
	long t0 = now_ms();
	pthread_mutex_lock(&lock);
	int r = pthread_cond_timedwait(&lonely, &lock, &at);
	pthread_mutex_unlock(&lock);
	long waited = now_ms() - t0;
	snprintf(line, sizeof(line), "threads: timedwait %s", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
	check(r == ETIMEDOUT && waited >= 45 && waited < 5000, line);

	/* 6 detached threads, 3 at a time; the later ones may reuse memory
	 * the earlier ones gave back. A fault in their end ends the program. */
	pthread_attr_t da;
	int started = 0, posted = 0;
	sem_init(&detached_done, 0, 0);
	pthread_attr_init(&da);
	pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			pthread_t d;
			started += pthread_create(&d, &da, detached, NULL) == 0;
		}
		for (int i = 0; i < 3; i++)
			posted += sem_wait(&detached_done) == 0;
		struct timespec pause = { 0, 20 * 1000000 };
		nanosleep(&pause, NULL);        /* they finish exiting */
	}
	snprintf(line, sizeof(line), "threads: detached %d %d", started, posted);
	check(started == 6 && posted == 6, line);

	pthread_t victim;
	void *vret = NULL;
	int cr = pthread_create(&victim, NULL, sleep_until_cancelled, NULL);
	struct timespec pause = { 0, 10 * 1000000 };
	nanosleep(&pause, NULL);
	if (!cr)
		cr = pthread_cancel(victim);
	if (!cr)
		cr = pthread_join(victim, &vret);
	snprintf(line, sizeof(line), "threads: cancel %d %s cleanup %d", cr,
		 vret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "other", cleaned);
	check(cr == 0 && vret == PTHREAD_CANCELED && cleaned, line);

	pthread_t blocked;
	check(pthread_create(&blocked, NULL, block_forever, NULL) == 0,
	      "threads: exit leaves one blocked");
	printf("threads: %s\n", failures ? "failed" : "ok");
	return failures ? 1 : 0;
}
