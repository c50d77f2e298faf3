/*
 * Host tests for the POSIX layer's socket state machine
 * (space/posix/sockstate.c, as it ships): socket()'s arguments, which
 * netd call each POSIX call needs in each state (netd's socket opened
 * lazily: UDP at bind or first use, TCP at listen or connect), Linux's
 * errors where a call does not fit, shutdown's bits, timeouts and how a
 * netd error becomes the call's, sockaddr_in in and out, socket options.
 * Last, random call sequences never reach a state the calls cannot leave.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>
#include "aion/socket.h"
#include "sockstate.h"

static void test_type_of(void **state)
{
	(void)state;
	assert_int_equal(sk_type_of(AF_INET, SOCK_STREAM, 0), SK_STREAM);
	assert_int_equal(sk_type_of(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0),
			 SK_DGRAM);
	assert_int_equal(sk_type_of(AF_INET, SOCK_STREAM, IPPROTO_TCP), SK_STREAM);
	assert_int_equal(sk_type_of(AF_INET, SOCK_DGRAM, IPPROTO_UDP), SK_DGRAM);
	assert_int_equal(sk_type_of(AF_INET, SOCK_DGRAM, IPPROTO_TCP), -EPROTONOSUPPORT);
	assert_int_equal(sk_type_of(AF_INET6, SOCK_STREAM, 0), -EAFNOSUPPORT);
	assert_int_equal(sk_type_of(AF_UNIX, SOCK_STREAM, 0), -EAFNOSUPPORT);
	assert_int_equal(sk_type_of(AF_INET, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
}

static void test_udp_lazy_open(void **state)
{
	(void)state;
	struct sk s;
	sk_init(&s, SK_DGRAM, false);
	/* Nothing at netd until a call needs a port. */
	assert_int_equal(sk_recv(&s), SK_DO_UDP_OPEN);
	assert_int_equal(sk_send(&s, false), -EDESTADDRREQ);
	assert_int_equal(sk_send(&s, true), SK_DO_UDP_OPEN);
	assert_int_equal(sk_bind(&s, 0, 7000), SK_DO_UDP_OPEN);
	assert_int_equal(s.local_port, 7000);
	sk_opened(&s, 7000);
	assert_int_equal(s.state, SK_OPEN);
	assert_int_equal(sk_bind(&s, 0, 7001), -EINVAL);
	assert_int_equal(sk_send(&s, true), SK_DO_SENDTO);
	assert_int_equal(sk_recv(&s), SK_DO_RECVFROM);
	assert_int_equal(sk_listen(&s, 1), -EOPNOTSUPP);
	assert_int_equal(sk_accept(&s), -EOPNOTSUPP);
	assert_int_equal(sk_peer(&s), -ENOTCONN);
	assert_int_equal(sk_shutdown(&s, SHUT_WR), -ENOTCONN);
	/* connect gives a peer, no netd call once open. */
	assert_int_equal(sk_connect(&s, 0x0a4d0001, 53), SK_DO_NONE);
	assert_int_equal(sk_send(&s, false), SK_DO_SENDTO);
	assert_int_equal(sk_peer(&s), 0);
	assert_int_equal(s.peer_addr, 0x0a4d0001);
	assert_int_equal(sk_disconnect(&s), SK_DO_NONE);
	assert_int_equal(sk_send(&s, false), -EDESTADDRREQ);
	/* A connect before any open opens (port 0). */
	struct sk t;
	sk_init(&t, SK_DGRAM, false);
	assert_int_equal(sk_connect(&t, 0x7f000001, 9), SK_DO_UDP_OPEN);
	assert_int_equal(t.local_port, 0);
	/* shutdown of a connected UDP socket: flags only. */
	sk_opened(&t, 40000);
	assert_int_equal(sk_shutdown(&t, SHUT_RDWR), SK_DO_NONE);
	assert_int_equal(sk_send(&t, false), -EPIPE);
	assert_int_equal(sk_recv(&t), SK_DO_EOF);
}

static void test_tcp_server(void **state)
{
	(void)state;
	struct sk s;
	sk_init(&s, SK_STREAM, false);
	assert_int_equal(sk_accept(&s), -EINVAL);
	assert_int_equal(sk_recv(&s), -ENOTCONN);
	assert_int_equal(sk_send(&s, false), -ENOTCONN);
	assert_int_equal(sk_shutdown(&s, SHUT_RD), -ENOTCONN);
	/* bind keeps the port; netd hears of it at listen. */
	assert_int_equal(sk_bind(&s, 0, 8080), SK_DO_NONE);
	assert_int_equal(s.state, SK_BOUND);
	assert_int_equal(sk_bind(&s, 0, 8081), -EINVAL);
	assert_int_equal(sk_listen(&s, 0), SK_DO_LISTEN);
	assert_int_equal(s.backlog, 4);
	sk_opened(&s, 8080);
	assert_int_equal(s.state, SK_LISTENING);
	assert_int_equal(sk_listen(&s, 9), SK_DO_NONE);
	assert_int_equal(sk_accept(&s), SK_DO_ACCEPT);
	assert_int_equal(sk_connect(&s, 0x7f000001, 80), -EISCONN);
	assert_int_equal(sk_recv(&s), -ENOTCONN);
	assert_int_equal(sk_peer(&s), -ENOTCONN);
}

static void test_tcp_client(void **state)
{
	(void)state;
	struct sk s;
	sk_init(&s, SK_STREAM, false);
	assert_int_equal(sk_connect(&s, 0x0a4d0002, 0), -ECONNREFUSED);
	/* 0.0.0.0 is this host, as on Linux. */
	assert_int_equal(sk_connect(&s, 0, 7), SK_DO_CONNECT);
	assert_int_equal(s.peer_addr, 0x7f000001);
	assert_int_equal(sk_connect(&s, 0x0a4d0002, 7001), SK_DO_CONNECT);
	sk_connected(&s, 0x0a4d0002, 7001);
	assert_int_equal(sk_connect(&s, 0x0a4d0002, 7001), -EISCONN);
	assert_int_equal(sk_listen(&s, 1), -EINVAL);
	assert_int_equal(sk_send(&s, false), SK_DO_SEND);
	assert_int_equal(sk_send(&s, true), SK_DO_SEND);        /* the address is ignored */
	assert_int_equal(sk_recv(&s), SK_DO_RECV);
	assert_int_equal(sk_peer(&s), 0);
	assert_int_equal(sk_disconnect(&s), -EINVAL);
	/* shutdown: each direction once, told to netd as bits. */
	assert_int_equal(sk_shutdown(&s, 7), -EINVAL);
	assert_int_equal(sk_shutdown(&s, SHUT_WR), SK_DO_SHUTDOWN);
	assert_int_equal(s.shut_bits, SOCK_SHUT_WR);
	assert_int_equal(sk_send(&s, false), -EPIPE);
	assert_int_equal(sk_recv(&s), SK_DO_RECV);
	assert_int_equal(sk_shutdown(&s, SHUT_WR), SK_DO_NONE);
	assert_int_equal(sk_shutdown(&s, SHUT_RDWR), SK_DO_SHUTDOWN);
	assert_int_equal(s.shut_bits, SOCK_SHUT_RD);
	assert_int_equal(sk_recv(&s), SK_DO_EOF);
}

static void test_timeouts_and_errors(void **state)
{
	(void)state;
	struct sk s;
	sk_init(&s, SK_STREAM, false);
	assert_int_equal(sk_timeout_ms(&s, true, false), 0);
	assert_int_equal(sk_timeout_ms(&s, true, true), SK_POLL_MS);
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500 };
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(sk_timeout_ms(&s, true, false), 1001);        /* rounded up */
	assert_int_equal(sk_timeout_ms(&s, false, false), 0);
	tv = (struct timeval){ .tv_sec = 2 };
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(sk_timeout_ms(&s, false, false), 2000);
	tv.tv_usec = 1000000;
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), -EDOM);
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_SNDTIMEO, &tv, 4), -EINVAL);
	s.nonblock = true;
	assert_int_equal(sk_timeout_ms(&s, true, false), SK_POLL_MS);
	/* A receive that ran out is EAGAIN; a connect keeps ETIMEDOUT. */
	assert_int_equal(sk_call_error(-ETIMEDOUT, SK_DO_RECV), -EAGAIN);
	assert_int_equal(sk_call_error(-ETIMEDOUT, SK_DO_ACCEPT), -EAGAIN);
	assert_int_equal(sk_call_error(-ETIMEDOUT, SK_DO_CONNECT), -ETIMEDOUT);
	assert_int_equal(sk_call_error(-ENOTCONN, SK_DO_SEND), -EPIPE);
	assert_int_equal(sk_call_error(-ENOTCONN, SK_DO_RECV), -ENOTCONN);
	assert_int_equal(sk_call_error(-ECONNREFUSED, SK_DO_CONNECT), -ECONNREFUSED);
	assert_int_equal(sk_call_error(-ECONNRESET, SK_DO_SEND), -ECONNRESET);
}

static void test_options(void **state)
{
	(void)state;
	struct sk s;
	int v = 1;
	socklen_t len = sizeof(v);
	sk_init(&s, SK_DGRAM, false);
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), 0);
	assert_true(s.reuseaddr);
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_REUSEADDR, &v, 2), -EINVAL);
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)), -ENOPROTOOPT);
	assert_int_equal(sk_setopt(&s, IPPROTO_TCP, 1, &v, sizeof(v)), -ENOPROTOOPT);
	v = 0;
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	assert_int_equal(v, SOCK_DGRAM);
	assert_int_equal(len, sizeof(int));
	s.error = ECONNRESET;
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, ECONNRESET);
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	assert_int_equal(v, 0);                 /* read once, then cleared */
	len = 2;
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_ERROR, &v, &len), -EINVAL);
	struct timeval tv = { .tv_sec = 3, .tv_usec = 250000 }, got;
	assert_int_equal(sk_setopt(&s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	len = sizeof(got);
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	assert_int_equal(got.tv_sec, 3);
	assert_int_equal(got.tv_usec, 250000);
	assert_int_equal(sk_getopt(&s, SOL_SOCKET, SO_KEEPALIVE, &v, &len), -ENOPROTOOPT);
}

static void test_addresses(void **state)
{
	(void)state;
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(7001) };
	uint32_t addr = 0;
	uint16_t port = 0;
	inet_pton(AF_INET, "10.77.0.2", &in.sin_addr);
	assert_int_equal(sk_addr_in(&in, sizeof(in), &addr, &port), 0);
	assert_int_equal(addr, 0x0a4d0002);
	assert_int_equal(port, 7001);
	assert_int_equal(sk_addr_in(&in, sizeof(in) - 1, &addr, &port), -EINVAL);
	assert_int_equal(sk_addr_in(NULL, sizeof(in), &addr, &port), -EINVAL);
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	assert_int_equal(sk_addr_in(&in6, sizeof(in6), &addr, &port), -EAFNOSUPPORT);
	struct sockaddr_in out;
	uint32_t len = sizeof(out);
	memset(&out, 0xff, sizeof(out));
	sk_addr_out(0x7f000001, 80, &out, &len);
	assert_int_equal(len, sizeof(out));
	assert_int_equal(out.sin_family, AF_INET);
	assert_int_equal(ntohs(out.sin_port), 80);
	assert_int_equal(ntohl(out.sin_addr.s_addr), 0x7f000001);
	/* A short buffer gets what fits; len says the whole size. */
	unsigned char four[6];
	memset(four, 0xee, sizeof(four));
	len = 4;
	sk_addr_out(0x7f000001, 80, four, &len);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(four[4], 0xee);
	assert_int_equal(four[2], 0);           /* port 80, big-endian */
	assert_int_equal(four[3], 80);
}

/* Random calls: every answer is a step or an errno, and a state's
 * invariants hold (a listening or open socket always has a port). */
static void test_random(void **state)
{
	(void)state;
	srand(17);
	for (int round = 0; round < 2000; round++) {
		struct sk s;
		sk_init(&s, rand() % 2 ? SK_STREAM : SK_DGRAM, rand() % 2);
		for (int i = 0; i < 40; i++) {
			int r;
			switch (rand() % 9) {
			case 0: r = sk_bind(&s, 0, (uint16_t)(rand() % 3)); break;
			case 1: r = sk_listen(&s, rand() % 10 - 2); break;
			case 2: r = sk_connect(&s, (uint32_t)rand(), (uint16_t)(rand() % 3)); break;
			case 3: r = sk_accept(&s); break;
			case 4: r = sk_send(&s, rand() % 2); break;
			case 5: r = sk_recv(&s); break;
			case 6: r = sk_shutdown(&s, rand() % 4); break;
			case 7: r = sk_disconnect(&s); break;
			default: r = sk_peer(&s); break;
			}
			assert_true(r >= SK_DO_NONE ? r <= SK_DO_SHUTDOWN : -r > 0 && -r < 200);
			/* What sockets.c does after a netd call that succeeded. */
			if (r == SK_DO_UDP_OPEN || r == SK_DO_LISTEN)
				sk_opened(&s, (uint16_t)(1024 + rand() % 1000));
			else if (r == SK_DO_CONNECT)
				sk_connected(&s, s.peer_addr, s.peer_port);
			assert_true(s.type == SK_STREAM ? s.state != SK_OPEN :
				    s.state == SK_NEW || s.state == SK_OPEN);
			if (s.state == SK_LISTENING || s.state == SK_OPEN)
				assert_true(s.local_port >= 1024);
			if (s.state == SK_CONNECTED)
				assert_true(s.has_peer && s.peer_port);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_of),
		cmocka_unit_test(test_udp_lazy_open),
		cmocka_unit_test(test_tcp_server),
		cmocka_unit_test(test_tcp_client),
		cmocka_unit_test(test_timeouts_and_errors),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
