/*
 * Pipes, poll and select (docs/posix.md "Pipes", "poll and select"): a
 * plain C program with two threads (a forked child would need fds
 * carried over fork). Each check prints one exact line that posix-pipes
 * looks for; the same lines come out on Linux (SIGPIPE ignored there; on
 * Aion outside procd no signal can be delivered). Exit 0 only when every
 * check held.
 */
#define _GNU_SOURCE     /* pipe2, ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STREAM_BYTES    20000

static int failed;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s errno=%s\n", \
	__LINE__, #cond, en(errno)); failed = 1; } } while (0)

static const char *en(int e)
{
	static const struct { int e; const char *name; } names[] = {
		{ 0, "0" }, { EAGAIN, "EAGAIN" }, { EPIPE, "EPIPE" }, { ESPIPE, "ESPIPE" },
		{ EBADF, "EBADF" }, { EINVAL, "EINVAL" }, { ENOSYS, "ENOSYS" },
	};
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	return "other";
}

static const char *fails(long r)
{
	return r < 0 ? en(errno) : "none";
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static unsigned char byte_at(unsigned i)
{
	return (unsigned char)(i * 31 + (i >> 8));
}

/* Writes STREAM_BYTES in chunks of 1..1,500 bytes, then closes its end. */
static void *streamer(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char buf[1500];
	unsigned sent = 0, step = 0;
	while (sent < STREAM_BYTES) {
		unsigned n = 1 + (step++ * 389) % sizeof(buf);
		if (n > STREAM_BYTES - sent)
			n = STREAM_BYTES - sent;
		for (unsigned i = 0; i < n; i++)
			buf[i] = byte_at(sent + i);
		if (write(fd, buf, n) != (ssize_t)n)
			return (void *)1;
		sent += n;
	}
	return (void *)(intptr_t)close(fd);
}

/* Data in order across a thread, then end of file once the writer closed. */
static void stream(void)
{
	int p[2];
	pthread_t t;
	unsigned char buf[700];
	unsigned got = 0, bad = 0;
	ssize_t n;

	CHECK(pipe(p) == 0);
	CHECK(pthread_create(&t, NULL, streamer, (void *)(intptr_t)p[1]) == 0);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != byte_at(got + (unsigned)i);
		got += (unsigned)n;
	}
	void *ret;
	pthread_join(t, &ret);
	CHECK(n == 0 && ret == NULL);
	printf("stream bytes=%u bad=%u eof=%s\n", got, bad, n == 0 ? "yes" : fails(n));
	struct stat st;
	CHECK(fstat(p[0], &st) == 0);
	printf("fstat fifo=%d lseek=%s pread=%s\n", S_ISFIFO(st.st_mode),
	       fails(lseek(p[0], 0, SEEK_SET)), fails(pread(p[0], buf, 1, 0)));
	printf("read on write end=%s write on read end=%s\n", fails(read(p[1], buf, 1)),
	       fails(write(p[0], buf, 1)));
	close(p[0]);
}

static volatile int writer_done;

static void *big_writer(void *arg)
{
	static char chunk[1000];
	memset(chunk, 'w', sizeof(chunk));
	ssize_t n = write((int)(intptr_t)arg, chunk, sizeof(chunk));
	writer_done = 1;
	return (void *)(intptr_t)n;
}

/* O_NONBLOCK's EAGAIN; a blocked writer goes on once the reader drains. */
static void full(void)
{
	int p[2];
	char buf[512];
	long filled = 0;
	ssize_t n;

	CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
	printf("pipe2 cloexec=%d nonblock=%d,%d\n", fcntl(p[0], F_GETFD) == FD_CLOEXEC,
	       !!(fcntl(p[0], F_GETFL) & O_NONBLOCK), !!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
	printf("empty read=%s\n", fails(read(p[0], buf, sizeof(buf))));
	memset(buf, 'f', sizeof(buf));
	/* 100 bytes at a time, all or nothing, then the last bytes one by one. */
	while ((n = write(p[1], buf, 100)) > 0)
		filled += n;
	while ((n = write(p[1], buf, 1)) > 0)
		filled += n;
	printf("full filled>=4096=%d write=%s\n", filled >= 4096, fails(n));

	CHECK(fcntl(p[1], F_SETFL, 0) == 0);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, big_writer, (void *)(intptr_t)p[1]) == 0);
	sleep_ms(50);
	int blocked = !writer_done;
	long drained = 0;
	void *ret;
	while (drained < filled + 1000 && (n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EAGAIN) {
			sleep_ms(1);
			continue;
		}
		if (n < 0)
			break;
		drained += n;
	}
	pthread_join(t, &ret);
	printf("blocked writer waited=%d wrote=%ld drained=%d\n", blocked, (long)(intptr_t)ret,
	       drained == filled + 1000);

	/* No reader: EPIPE (and SIGPIPE, ignored here). */
	close(p[0]);
	printf("no reader write=%s\n", fails(write(p[1], buf, 10)));
	struct pollfd pf = { .fd = p[1], .events = POLLOUT };
	int r = poll(&pf, 1, 0);
	printf("no reader poll=%d revents=0x%x\n", r, pf.revents);
	close(p[1]);
}

static void *late_writer(void *arg)
{
	sleep_ms(30);
	return (void *)(intptr_t)write((int)(intptr_t)arg, "x", 1);
}

/* poll and select: readiness, timeouts, a wake-up by another thread, HUP. */
static void polling(void)
{
	int p[2];
	char c;
	CHECK(pipe(p) == 0);
	struct pollfd pf[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = POLLOUT } };

	uint64_t t0 = now_ms();
	int r = poll(pf, 1, 100);
	uint64_t waited = now_ms() - t0;
	printf("poll empty=%d waited>=90ms=%d\n", r, waited >= 90);
	r = poll(pf, 2, 0);
	printf("poll now=%d in=0x%x out=0x%x\n", r, pf[0].revents, pf[1].revents);

	pthread_t t;
	void *ret;
	CHECK(pthread_create(&t, NULL, late_writer, (void *)(intptr_t)p[1]) == 0);
	r = poll(pf, 1, -1);
	pthread_join(t, &ret);
	printf("poll woken=%d in=0x%x wrote=%ld\n", r, pf[0].revents, (long)(intptr_t)ret);

	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	struct timeval tv = { 0, 0 };
	r = select(p[1] + 1, &rd, &wr, NULL, &tv);
	printf("select ready=%d read=%d write=%d\n", r, FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));
	CHECK(read(p[0], &c, 1) == 1 && c == 'x');
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 60000 };
	t0 = now_ms();
	r = select(p[0] + 1, &rd, NULL, NULL, &tv);
	waited = now_ms() - t0;
	printf("select empty=%d read=%d waited>=50ms=%d\n", r, FD_ISSET(p[0], &rd), waited >= 50);
	struct timespec ts = { 0, 20000000 };
	printf("ppoll empty=%d\n", ppoll(pf, 1, &ts, NULL));
	pf[0].fd = 200;
	r = poll(pf, 1, 0);
	printf("poll closed fd=%d revents=0x%x\n", r, pf[0].revents);
	pf[0].fd = p[0];

	CHECK(write(p[1], "yz", 2) == 2);
	close(p[1]);
	r = poll(pf, 1, 1000);
	printf("writer gone poll=%d in=0x%x\n", r, pf[0].revents);
	char two[4];
	CHECK(read(p[0], two, sizeof(two)) == 2);
	r = poll(pf, 1, 1000);
	long last = (long)read(p[0], two, 1);
	printf("drained poll=%d in=0x%x read=%ld\n", r, pf[0].revents, last);
	close(p[0]);
}

#define RECORD          1000
#define RECORDS         20

struct recorder {
	int fd;
	char letter;
};

static void *recorder(void *arg)
{
	const struct recorder *r = arg;
	char buf[RECORD];
	memset(buf, r->letter, sizeof(buf));
	for (int i = 0; i < RECORDS; i++)
		if (write(r->fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return (void *)1;
	return NULL;
}

/* Writes of at most PIPE_BUF bytes from two threads never interleave. */
static void atomic(void)
{
	static char all[2 * RECORDS * RECORD];
	int p[2];
	size_t got = 0;
	ssize_t n;
	CHECK(pipe(p) == 0);
	struct recorder ra = { p[1], 'a' }, rb = { p[1], 'b' };
	pthread_t ta, tb;
	CHECK(pthread_create(&ta, NULL, recorder, &ra) == 0);
	CHECK(pthread_create(&tb, NULL, recorder, &rb) == 0);
	while (got < sizeof(all) && (n = read(p[0], all + got, sizeof(all) - got)) > 0)
		got += (size_t)n;
	void *ra_ret, *rb_ret;
	pthread_join(ta, &ra_ret);
	pthread_join(tb, &rb_ret);
	int whole = 0;
	for (size_t i = 0; i + RECORD <= got; i += RECORD) {
		size_t j = 1;
		while (j < RECORD && all[i + j] == all[i])
			j++;
		whole += j == RECORD;
	}
	printf("atomic %d-byte writes from 2 threads: %d of %d whole%s\n", RECORD, whole,
	       2 * RECORDS, ra_ret || rb_ret ? " (a write failed)" : "");
	close(p[0]);
	close(p[1]);
}

/* stdout onto a pipe: printf's bytes come out of the read end. */
static void redirect(void)
{
	int p[2];
	char buf[64] = { 0 };
	CHECK(pipe(p) == 0);
	fflush(stdout);
	int saved = dup(1);
	CHECK(dup2(p[1], 1) == 1);
	printf("through the pipe %d\n", 42);
	fflush(stdout);
	CHECK(dup2(saved, 1) == 1);
	close(saved);
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	printf("dup2 stdout read=%ld \"%s\"\n", (long)n, buf);
	close(p[0]);
}

/* fsync of a pipe: nothing to flush, EINVAL (Linux; PTS fsync/7-1). */
static void sync_pipe(void)
{
	int fds[2];
	pipe(fds);
	int r = fsync(fds[1]);
	printf("fsync of a pipe: %d %s\n", r, r ? (errno == EINVAL ? "EINVAL" : "other") : "0");
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);       /* Linux; on Aion no handler exists yet */
	sync_pipe();
	stream();
	full();
	polling();
	atomic();
	redirect();
	printf("pipes: %s\n", failed ? "FAILED" : "ok");
	return failed;
}
