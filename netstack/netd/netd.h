/* netd's pieces: selftest (main.c), the NIC (nic.c), ping (ping.c), the server loop (server.c). */
#ifndef NETD_H
#define NETD_H

#define NETD_PRIO       120     /* netd's priority in init's manifest */

#include <stdbool.h>
#include <stdint.h>
#include "libaion/lib.h"
#include "common/time.h"


/* The server thread's IPC buffer (server.c): every call netd makes goes through it. */
extern struct aion_ipc_buffer netd_buf;

/* main.c: the loopback self-test; true when it passed. */
bool selftest(void);

/* server.c: the server thread, fn of aion_thread_trampoline; arg = the node number. */
int64_t server_main(uint64_t node);
/* The notification bound to the server thread: NETRING_SIGNAL (a driver's
 * rx), SOCKRING_KICK (a socket's tx ring), NETD_NIC_IRQ (the NIC inside
 * netd, polled: its interrupt). */
extern aion_handle_t netd_notify;
#define NETD_NIC_IRQ    (1ull << 3)

/*
 * nic.c: the driver attachment and lwIP's netif on it.
 * nic_attach: looks up "net0" and attaches (logs `up ...`, `no nic` or the
 * error); false when the node stays loopback-only.
 */
bool nic_attach(unsigned node);
/* nic_in.c: the virtio-net driver's thread inside netd, serving "net0",
 * when init gave netd the NIC (args bar= irq=); false if not started. */
struct aion_startup;
bool nic_in_start(const struct aion_startup *st, unsigned node);
/* Once netd is attached to it: the server thread takes its queues over
 * (NETD_NIC_IRQ on netd_notify); false if not inside or not taken. */
bool nic_in_take(void);
/* The polled NIC's work in the server thread: irq, its interrupt came
 * (NETD_NIC_IRQ); else frames went on tx. */
void nic_in_poll(bool irq);
/* Frames from the rx ring into lwIP, at most a batch; true if more may wait. */
bool nic_rx(void);
/* Signals each driver whose tx ring got frames since the last signal, but
 * for one, whose notification it returns (0: none) for the loop's wait to
 * signal (NETRING_SIGNAL) in the same call: SIGNAL_RECV. */
aion_handle_t nic_kick(void);
/* Periodic work (driver liveness, re-attach); returns when it wants to run next. */
uint64_t nic_check(uint64_t now);
/* The NET_INFO text; its length. */
unsigned nic_info(char *out, unsigned size);
/* Datagrams dropped on a full socket queue or ring, all sockets
 * (sock_events.c), and datagrams from sockets' rings netd could not send
 * (sock_ring.c): the `net` line's udp_dropped and ring_tx_errors. */
extern uint64_t sock_udp_dropped, sock_ring_tx_errors;

/* ping.c: one ICMP echo sequence at a time, answered through a saved reply. */
bool ping_init(void);
bool ping_busy(void);
/* Starts a ping for a saved reply; on an error returns it (the reply is still unused). */
int64_t ping_start(const char *addr, unsigned len, uint64_t count, uint64_t timeout_ms,
		   aion_handle_t reply);
/* Timeouts and the next echo; returns the next deadline (0: none). */
uint64_t ping_poll(uint64_t now);
/* Checks a ping request's arguments: 0 or -AION_EINVAL. */
int64_t ping_check(const char *addr, unsigned len, uint64_t count, uint64_t timeout_ms);

/*
 * The socket protocol (aion/socket.h, sock.h). sock_init takes netd's
 * endpoint (socket capabilities are minted from it); the handlers below
 * are entries of netd's table (server.c): the opening calls on "net" and
 * sock_call for a call on a socket's capability (a socket's badge);
 * sock_poll, after lwIP ran, answers pending calls and returns the next
 * socket deadline (0: none).
 */
struct aion_serve_req;
void sock_init(aion_handle_t ep);
int64_t sock_udp_open(struct aion_serve_req *r);
int64_t sock_tcp_listen(struct aion_serve_req *r);
int64_t sock_tcp_connect(struct aion_serve_req *r);
int64_t sock_call(struct aion_serve_req *r);
uint64_t sock_poll(uint64_t now);

#endif /* NETD_H */
