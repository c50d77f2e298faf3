/*
 * AF_INET sockets through the POSIX layer and netd (docs/posix.md
 * "Sockets"). Plain portable C: built for Linux with musl-gcc it prints
 * the same lines (no port or address is printed, only whether they match).
 *
 *   sockets local          UDP and TCP between sockets of this process on
 *                          127.0.0.1, one thread, then two (posix-sockets,
 *                          one node)
 *   sockets server [ADDR]  a TCP server and a UDP echo on SERVER_PORT, for
 *                          one client each (tests/cluster/cluster_posix_sock.py),
 *                          bound to ADDR (0.0.0.0 if none; the host's run of
 *                          the same test binds 127.0.0.1)
 *   sockets client ADDR    their client on another node: the bytes, the peer's
 *                          address, a refused connect to a closed port
 *
 * Exit 0; 1 after a FAIL line; 2 when the first socket() fails (a process
 * given no network: posix-nonet prints "socket: EACCES").
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#define SERVER_PORT     7300    /* cluster: TCP and UDP */
#define CLOSED_PORT     7399    /* cluster: nobody listens */
#define BIG             3000    /* bytes over TCP: several payloads */

static int failed;

#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s errno=%s\n", \
	__LINE__, #cond, en(errno)); failed = 1; } } while (0)

static struct sockaddr_in addr_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	/* Numeric only: getaddrinfo with AI_NUMERICHOST, no DNS. */
	struct addrinfo hints = { .ai_family = AF_INET, .ai_flags = AI_NUMERICHOST }, *res;
	int r = getaddrinfo(ip, NULL, &hints, &res);
	CHECK(r == 0);
	if (r == 0) {
		a.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
		freeaddrinfo(res);
	}
	return a;
}

static int port_of(int fd, int peer)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
		getsockname(fd, (struct sockaddr *)&a, &len);
	CHECK(r == 0 && len == sizeof(a) && a.sin_family == AF_INET);
	return r == 0 ? ntohs(a.sin_port) : -1;
}

static int new_socket(int type)
{
	int fd = socket(AF_INET, type, 0);
	if (fd < 0) {
		printf("socket: %s\n", en(errno));
		exit(2);
	}
	return fd;
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
}

static void pattern(char *p, int n, int seed)
{
	for (int i = 0; i < n; i++)
		p[i] = (char)(i * 7 + seed);
}

/* Reads exactly n bytes (a stream may come in pieces); the count read. */
static int read_all(int fd, char *p, int n)
{
	int got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0)
			break;
		got += (int)r;
	}
	return got;
}

/* ---- one process: 127.0.0.1 ---- */

static void udp_local(void)
{
	struct sockaddr_in any = addr_of("127.0.0.1", 0), from;
	socklen_t len = sizeof(from);
	char buf[64];
	int a = new_socket(SOCK_DGRAM), b = new_socket(SOCK_DGRAM);
	CHECK(bind(a, (struct sockaddr *)&any, sizeof(any)) == 0);
	int pa = port_of(a, 0);
	struct sockaddr_in to_a = addr_of("127.0.0.1", pa);
	CHECK(sendto(b, "ping", 4, 0, (struct sockaddr *)&to_a, sizeof(to_a)) == 4);
	int pb = port_of(b, 0);
	ssize_t n = recvfrom(a, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	printf("udp bound %d, got %zd '%.*s' from %s, its port %s\n", pa > 0, n,
	       n > 0 ? (int)n : 0, buf, inet_ntoa(from.sin_addr),
	       ntohs(from.sin_port) == pb ? "matches" : "differs");
	CHECK(sendto(a, "pong!", 5, 0, (struct sockaddr *)&from, len) == 5);
	n = recv(b, buf, sizeof(buf), 0);
	printf("udp reply %zd '%.*s'\n", n, n > 0 ? (int)n : 0, buf);

	/* connect: send without an address; a second bind of a's port. */
	CHECK(connect(b, (struct sockaddr *)&to_a, sizeof(to_a)) == 0);
	CHECK(send(b, "via connect", 11, 0) == 11);
	n = recv(a, buf, 3, 0);         /* a datagram cut to the buffer */
	printf("udp connected send, cut to %zd '%.*s', peer port %s\n", n, n > 0 ? (int)n : 0,
	       buf, port_of(b, 1) == pa ? "matches" : "differs");
	int c = new_socket(SOCK_DGRAM);
	printf("udp bind taken port: %s\n", fails(bind(c, (struct sockaddr *)&to_a, sizeof(to_a))));
	set_rcvtimeo(a, 100);
	printf("udp recv timeout: %s, dontwait: %s\n", fails((int)recv(a, buf, sizeof(buf), 0)),
	       fails((int)recv(b, buf, sizeof(buf), MSG_DONTWAIT)));
	close(a);
	close(b);
	close(c);
}

static void tcp_local(void)
{
	struct sockaddr_in any = addr_of("0.0.0.0", 0);
	char out[BIG], in[BIG], buf[16];
	int l = new_socket(SOCK_STREAM);
	int one = 1;
	CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
	CHECK(bind(l, (struct sockaddr *)&any, sizeof(any)) == 0);
	CHECK(listen(l, 4) == 0);
	int port = port_of(l, 0);
	struct sockaddr_in to = addr_of("127.0.0.1", port);

	int c = new_socket(SOCK_STREAM | SOCK_CLOEXEC);
	printf("tcp before connect: recv %s peer %s\n", fails((int)recv(c, buf, 1, 0)),
	       fails(getpeername(c, (struct sockaddr *)&any, &(socklen_t){ sizeof(any) })));
	CHECK(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int s = accept(l, (struct sockaddr *)&peer, &len);
	CHECK(s >= 0);
	printf("tcp accepted from %s, port %s, connect again: %s\n", inet_ntoa(peer.sin_addr),
	       ntohs(peer.sin_port) == port_of(c, 0) ? "matches" : "differs",
	       fails(connect(c, (struct sockaddr *)&to, sizeof(to))));
	printf("tcp peer port %s, local port %s\n", port_of(c, 1) == port ? "matches" : "differs",
	       port_of(s, 0) == port ? "matches" : "differs");

	pattern(out, BIG, 3);
	CHECK(write(c, out, BIG) == BIG);
	int got = read_all(s, in, BIG);
	printf("tcp %d bytes %s\n", got, got == BIG && !memcmp(in, out, BIG) ? "same" : "differ");

	struct iovec iov[2] = { { "hello ", 6 }, { "world", 5 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	CHECK(sendmsg(s, &m, 0) == 11);
	memset(buf, 0, sizeof(buf));
	got = read_all(c, buf, 11);
	printf("tcp sendmsg %d '%s'\n", got, buf);

	/* shutdown(SHUT_WR): the server reads end of file, then answers. */
	CHECK(shutdown(c, SHUT_WR) == 0);
	ssize_t n = read(s, buf, sizeof(buf));
	printf("tcp after shutdown: server reads %zd, client send %s\n", n,
	       fails((int)send(c, "x", 1, MSG_NOSIGNAL)));
	CHECK(write(s, "bye", 3) == 3);
	close(s);
	memset(buf, 0, sizeof(buf));
	got = read_all(c, buf, 3);
	n = read(c, buf + 3, 1);
	printf("tcp last '%s' then %zd\n", buf, n);

	int type = 0, err = -1;
	socklen_t tl = sizeof(type), el = sizeof(err);
	CHECK(getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &tl) == 0);
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0);
	struct stat st;
	CHECK(fstat(c, &st) == 0);
	printf("tcp so_type stream %d so_error %d sock %d cloexec %d\n", type == SOCK_STREAM, err,
	       S_ISSOCK(st.st_mode), fcntl(c, F_GETFD) == FD_CLOEXEC);
	close(c);

	set_rcvtimeo(l, 100);
	printf("tcp accept timeout: %s\n", fails(accept(l, NULL, NULL)));
	int l2 = new_socket(SOCK_STREAM);
	/* Linux refuses the bind, netd the listen (it binds there). */
	int r = bind(l2, (struct sockaddr *)&to, sizeof(to));
	printf("tcp second listener: %s\n", fails(r == 0 ? listen(l2, 1) : r));
	close(l2);
	close(l);
	c = new_socket(SOCK_STREAM);
	printf("tcp connect to closed port: %s\n",
	       fails(connect(c, (struct sockaddr *)&to, sizeof(to))));
	close(c);
	printf("not a socket: %s\n", fails(listen(1, 1)));
}

/* A thread blocks in accept and read while the main thread connects
 * after a pause and writes: each thread's calls go through its own IPC
 * buffer, so the blocked one does not disturb the other. */
static void *echo_upper(void *arg)
{
	int l = *(int *)arg, s = accept(l, NULL, NULL);
	char buf[32];
	ssize_t n = s < 0 ? -1 : read(s, buf, sizeof(buf));
	for (ssize_t i = 0; i < n; i++)
		buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
	if (n > 0 && write(s, buf, n) != n)
		n = -1;
	if (s >= 0)
		close(s);
	return (void *)(long)n;
}

static void tcp_threads(void)
{
	struct sockaddr_in any = addr_of("0.0.0.0", 0);
	int l = new_socket(SOCK_STREAM);
	CHECK(bind(l, (struct sockaddr *)&any, sizeof(any)) == 0 && listen(l, 1) == 0);
	struct sockaddr_in to = addr_of("127.0.0.1", port_of(l, 0));
	pthread_t t;
	void *ret = NULL;
	CHECK(pthread_create(&t, NULL, echo_upper, &l) == 0);
	nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
	int c = new_socket(SOCK_STREAM);
	char buf[32] = { 0 };
	CHECK(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	CHECK(write(c, "threads", 7) == 7);
	int got = read_all(c, buf, 7);
	CHECK(pthread_join(t, &ret) == 0);
	printf("tcp thread echoed %d '%s', it read %ld\n", got, buf, (long)ret);
	close(c);
	close(l);
}

/* A peer that never reads: sends fill the buffers, then a non-blocking
 * send and one with SO_SNDTIMEO are EAGAIN. */
static void tcp_full(void)
{
	struct sockaddr_in any = addr_of("0.0.0.0", 0);
	static char chunk[4096];
	int l = new_socket(SOCK_STREAM);
	CHECK(bind(l, (struct sockaddr *)&any, sizeof(any)) == 0 && listen(l, 1) == 0);
	struct sockaddr_in to = addr_of("127.0.0.1", port_of(l, 0));
	int c = new_socket(SOCK_STREAM);
	CHECK(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	int s = accept(l, NULL, NULL);
	long total = 0, r;
	/* Full once sends stay refused after the acknowledgements in flight
	 * came in (100 ms twice): only then is the timed send's answer sure. */
	for (int quiet = 0; quiet < 2 && total < (64l << 20); ) {
		r = send(c, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (r > 0) {
			total += r;
			quiet = 0;
		} else {
			CHECK(r < 0 && errno == EAGAIN);
			quiet++;
			nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
		}
	}
	const char *nonblock = fails((int)send(c, chunk, sizeof(chunk), MSG_DONTWAIT));
	struct timeval tv = { .tv_usec = 100 * 1000 };
	CHECK(setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0);
	printf("tcp full after >64 KiB %d: dontwait %s, sndtimeo %s\n", total > 65536, nonblock,
	       fails((int)send(c, chunk, sizeof(chunk), 0)));
	close(s);
	close(c);
	close(l);
}

/* ---- two nodes ---- */

static void server(const char *ip)
{
	struct sockaddr_in any = addr_of(ip, SERVER_PORT), from;
	char buf[BIG];
	int u = new_socket(SOCK_DGRAM), l = new_socket(SOCK_STREAM);
	CHECK(bind(u, (struct sockaddr *)&any, sizeof(any)) == 0);
	CHECK(bind(l, (struct sockaddr *)&any, sizeof(any)) == 0);
	CHECK(listen(l, 4) == 0);
	printf("server ready\n");
	fflush(stdout);

	/* UDP echo: one datagram back to where it came from. */
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	CHECK(n > 0 && sendto(u, buf, n, 0, (struct sockaddr *)&from, len) == n);
	printf("server udp echoed %zd\n", n);

	/* TCP: read until end of file, answer with the count and a checksum. */
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	unsigned sum = 0, total = 0;
	while ((n = read(s, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		total += (unsigned)n;
	}
	int m = snprintf(buf, sizeof(buf), "%u %u", total, sum);
	CHECK(write(s, buf, m) == m);
	printf("server tcp got %u bytes\n", total);
	close(s);
	close(l);
	close(u);
}

static void client(const char *ip)
{
	struct sockaddr_in to = addr_of(ip, SERVER_PORT), from;
	char out[BIG * 4], buf[64];
	int u = new_socket(SOCK_DGRAM);
	set_rcvtimeo(u, 2000);
	ssize_t n = -1;
	/* The server may not be up yet: a datagram a second, for 60 s. */
	for (int i = 0; i < 60 && n < 0; i++) {
		socklen_t len = sizeof(from);
		CHECK(sendto(u, "echo me", 7, 0, (struct sockaddr *)&to, sizeof(to)) == 7);
		n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	}
	printf("client udp echo %zd '%.*s' from the server %d\n", n, n > 0 ? (int)n : 0, buf,
	       from.sin_addr.s_addr == to.sin_addr.s_addr && from.sin_port == to.sin_port);
	close(u);

	int c = new_socket(SOCK_STREAM);
	CHECK(connect(c, (struct sockaddr *)&to, sizeof(to)) == 0);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	CHECK(getpeername(c, (struct sockaddr *)&peer, &len) == 0);
	printf("client tcp peer is the server %d\n",
	       peer.sin_addr.s_addr == to.sin_addr.s_addr && peer.sin_port == to.sin_port);
	pattern(out, sizeof(out), 11);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(out); i++)
		sum = sum * 31 + (unsigned char)out[i];
	CHECK(write(c, out, sizeof(out)) == (ssize_t)sizeof(out));
	CHECK(shutdown(c, SHUT_WR) == 0);
	memset(buf, 0, sizeof(buf));
	int got = read_all(c, buf, sizeof(buf) - 1);
	char want[64];
	snprintf(want, sizeof(want), "%u %u", (unsigned)sizeof(out), sum);
	printf("client tcp answer %s\n", got > 0 && !strcmp(buf, want) ? "matches" : buf);
	close(c);

	c = new_socket(SOCK_STREAM);
	struct sockaddr_in closed = addr_of(ip, CLOSED_PORT);
	printf("client connect to closed port: %s\n",
	       fails(connect(c, (struct sockaddr *)&closed, sizeof(closed))));
	close(c);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "local";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "local")) {
		udp_local();
		tcp_local();
		tcp_threads();
		tcp_full();
	} else if (!strcmp(mode, "server")) {
		server(argc > 2 ? argv[2] : "0.0.0.0");
	} else if (!strcmp(mode, "client") && argc > 2) {
		client(argv[2]);
	} else {
		printf("usage: sockets [local | server | client ADDR]\n");
		return 2;
	}
	printf("sockets: %s\n", failed ? "FAILED" : "ok");
	return failed;
}
