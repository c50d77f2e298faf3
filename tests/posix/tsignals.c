/*
 * Signals and threads (posix-diff: the same lines on Linux and Aion):
 * each thread has its own mask; pthread_kill runs the handler in the
 * thread it names, or leaves the signal pending for that thread alone;
 * a process signal goes to a thread that does not block it; sigwait in
 * one thread takes a process signal every thread blocks; a new thread
 * starts with its creator's mask; pthread_kill cuts a sem_wait short.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

static volatile pthread_t ran_in;
static volatile int runs, cut;
static sem_t go, done;

static void note(int sig)
{
	(void)sig;
	ran_in = pthread_self();
	runs++;
}

static void catch(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = note;   /* no SA_RESTART: a cut sem_wait ends EINTR */
	sigaction(sig, &sa, NULL);
}

static int blocked(int sig)
{
	sigset_t s;
	pthread_sigmask(SIG_SETMASK, NULL, &s);
	return sigismember(&s, sig);
}

static void block(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

/* Waits on go, then does what main asks in `step`; done after each. */
static volatile int step;
static pthread_t main_thread;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		while (sem_wait(&go) && errno == EINTR)
			;
		int s = step;
		if (s == 0)
			return NULL;
		if (s == 1) {           /* block SIGUSR2 here only */
			block(SIG_BLOCK, SIGUSR2);
		} else if (s == 2) {    /* what is pending here, then unblock */
			sigset_t p;
			sigpending(&p);
			int here = sigismember(&p, SIGUSR2);
			int before = runs;
			block(SIG_UNBLOCK, SIGUSR2);
			int after = runs;
			int mine = pthread_equal(ran_in, pthread_self());
			printf("worker: pending %d, handler ran on unblock %d, in worker %d\n",
			       here, after - before, mine);
		} else if (s == 5) {    /* a signal for the first thread */
			pthread_kill(main_thread, SIGUSR2);
		} else if (s == 3) {    /* a sem_wait that pthread_kill cuts */
			sem_post(&done);
			int r = sem_wait(&go);
			int e = errno;
			int mine = pthread_equal(ran_in, pthread_self());
			cut = 1;
			printf("worker: sem_wait %d %s, handler in worker %d\n", r,
			       r ? en(e) : "-", mine);
			continue;       /* main posts go once more for the next step */
		} else if (s == 4) {    /* sigwait for a signal every thread blocks */
			sigset_t w;
			sigemptyset(&w);
			sigaddset(&w, SIGHUP);
			pthread_sigmask(SIG_BLOCK, &w, NULL);
			sem_post(&done);
			int got = 0;
			int r = sigwait(&w, &got);
			printf("worker: sigwait %d got %s\n", r, got == SIGHUP ? "SIGHUP" : "other");
		}
		sem_post(&done);
	}
}

static void *child_mask(void *arg)
{
	(void)arg;
	int u1 = blocked(SIGUSR1), t = blocked(SIGTERM);
	printf("new thread: SIGUSR1 blocked %d, SIGTERM blocked %d\n", u1, t);
	return NULL;
}

static void run(pthread_t t, int s)
{
	step = s;
	sem_post(&go);
	while (sem_wait(&done) && errno == EINTR)
		;
	(void)t;
}

int main(void)
{
	pthread_t t;
	setvbuf(stdout, NULL, _IONBF, 0);
	main_thread = pthread_self();
	sem_init(&go, 0, 0);
	sem_init(&done, 0, 0);
	catch(SIGUSR1);
	catch(SIGUSR2);
	pthread_create(&t, NULL, worker, NULL);

	/* 1: pthread_kill of the worker runs the handler there. */
	runs = 0;
	pthread_kill(t, SIGUSR1);
	for (int i = 0; i < 1000000 && !runs; i++)
		sched_yield();
	int in_worker = pthread_equal(ran_in, t);
	printf("pthread_kill: runs %d, in worker %d\n", runs, in_worker);

	/* 2: masks are per thread. */
	run(t, 1);
	int mine = blocked(SIGUSR2);
	printf("worker blocked SIGUSR2; main blocks it %d\n", mine);

	/* 3: pending for the worker only, runs when it unblocks. */
	runs = 0;
	pthread_kill(t, SIGUSR2);
	sigset_t p;
	sigpending(&p);
	int main_pending = sigismember(&p, SIGUSR2);
	printf("main: SIGUSR2 pending %d, runs %d\n", main_pending, runs);
	run(t, 2);

	/* 4: a process signal main blocks goes to the worker. */
	block(SIG_BLOCK, SIGUSR1);
	runs = 0;
	kill(getpid(), SIGUSR1);
	for (int i = 0; i < 1000000 && !runs; i++)
		sched_yield();
	in_worker = pthread_equal(ran_in, t);
	printf("kill with main blocking: runs %d, in worker %d\n", runs, in_worker);

	/* 5: a new thread starts with its creator's mask. */
	pthread_t c;
	pthread_create(&c, NULL, child_mask, NULL);
	pthread_join(c, NULL);

	/* 5b: the worker signals the first thread: it runs there. */
	runs = 0;
	run(t, 5);
	for (int i = 0; i < 1000000 && !runs; i++)
		sched_yield();
	int in_main = pthread_equal(ran_in, main_thread);
	printf("pthread_kill of main: runs %d, in main %d\n", runs, in_main);

	/* 6: pthread_kill cuts the worker's sem_wait: EINTR. One sent before
	 * the worker waits runs there and cuts nothing: send until one cuts. */
	step = 3;
	sem_post(&go);
	while (sem_wait(&done) && errno == EINTR)
		;
	while (!cut) {
		pthread_kill(t, SIGUSR2);
		usleep(10000);
	}
	usleep(20000);          /* its line before the next */

	/* 7: sigwait in the worker for a process signal all block. */
	block(SIG_BLOCK, SIGHUP);       /* main; the worker blocks it below */
	step = 4;
	sem_post(&go);
	while (sem_wait(&done) && errno == EINTR)
		;
	usleep(20000);
	kill(getpid(), SIGHUP);
	while (sem_wait(&done) && errno == EINTR)
		;

	/* 8: signal 0 checks that the thread is there. */
	int r0 = pthread_kill(t, 0);
	step = 0;
	sem_post(&go);
	pthread_join(t, NULL);
	printf("pthread_kill 0: %d\n", r0);
	return 0;
}
