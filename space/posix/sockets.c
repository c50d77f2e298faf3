/*
 * Sockets: AF_INET, SOCK_STREAM and SOCK_DGRAM, as fds of kind
 * POSIX_SOCKET, over netd's socket protocol (aion/socket.h) on the "net"
 * capability the parent gave (__aion_posix_net). Each fd's state is a
 * struct sk (sockstate.c, pure): it says which netd call a POSIX call
 * needs; this file makes the calls. netd's socket capability lives in the
 * description's cap once netd opened it: UDP at bind (or the first
 * send/receive/connect), TCP at listen, connect or accept.
 *
 * Data moves through the IPC payload, AION_IPC_PAYLOAD_MAX bytes a call:
 * a TCP send loops until all is taken, a receive answers at most that
 * much (a short read, as POSIX allows), a datagram is at most that big
 * (EMSGSIZE beyond). docs/posix.md "Sockets" has the decisions.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include "aion/ipc.h"
#include "aion/socket.h"
#include "libaion/sys.h"
#include "posix.h"
#include "sockstate.h"

#define PAYLOAD         AION_IPC_PAYLOAD_MAX
#define MSG_KNOWN       (MSG_DONTWAIT | MSG_WAITALL | MSG_NOSIGNAL)

aion_handle_t __aion_posix_net;

static struct posix_file *sock_file(long fd, long *err)
{
	struct posix_file *f = __aion_fd_get(fd);
	*err = !f ? -EBADF : f->kind != POSIX_SOCKET ? -ENOTSOCK : 0;
	return *err ? NULL : f;
}

static long sys_socket(long domain, long type, long proto)
{
	int kind = sk_type_of(domain, type, proto);
	if (kind < 0)
		return kind;
	/* Capabilities decide: a process not given the network has none. */
	if (!__aion_posix_net)
		return -EACCES;
	struct sk *s = malloc(sizeof(*s));
	struct posix_file *f = s ? __aion_file_new(POSIX_SOCKET) : NULL;
	if (!f) {
		free(s);
		return s ? -ENFILE : -ENOMEM;
	}
	sk_init(s, (enum sk_type)kind, type & SOCK_NONBLOCK);
	f->sock = s;
	long fd = __aion_fd_install(f, 0, !!(type & SOCK_CLOEXEC));
	if (fd < 0)
		__aion_file_put(f);
	return fd;
}

/* SOCK_UDP_OPEN, SOCK_TCP_LISTEN or SOCK_TCP_CONNECT on "net": the socket's capability. */
static long open_at_netd(struct posix_file *f, int what)
{
	struct sk *s = f->sock;
	struct posix_vfs_call c = { .accept_cap = 1 };
	if (what == SK_DO_UDP_OPEN) {
		c.label = SOCK_UDP_OPEN;
		c.w0 = s->local_port;
	} else if (what == SK_DO_LISTEN) {
		c.label = SOCK_TCP_LISTEN;
		c.w0 = s->local_port;
		c.w1 = s->backlog;
	} else {
		/* Blocking even on a non-blocking socket: netd has no connect in
		 * progress to ask about (docs/posix.md "Sockets"). */
		c.label = SOCK_TCP_CONNECT;
		c.w0 = s->peer_addr;
		c.w1 = s->peer_port;
		c.w2 = s->snd_ms;
	}
	long r = __aion_vfs_call(__aion_posix_net, &c);
	if (r < 0)
		return sk_call_error((int)r, what);
	if (!c.caps_out[0])
		return -EIO;
	f->cap = c.caps_out[0];
	if (what == SK_DO_CONNECT)
		sk_connected(s, s->peer_addr, s->peer_port);
	else
		sk_opened(s, (uint16_t)c.reply_w1);
	return 0;
}

/* step is sk_*'s answer; an open the call needs first is made here. 0: go on. */
static long need_open(struct posix_file *f, int *step, int (*again)(const struct sk *, bool),
		      bool arg)
{
	if (*step != SK_DO_UDP_OPEN)
		return *step < 0 ? *step : 0;
	long r = open_at_netd(f, SK_DO_UDP_OPEN);
	if (r)
		return r;
	*step = again(f->sock, arg);
	return *step < 0 ? *step : 0;
}

static long sys_bind(struct posix_file *f, const void *sa, long len)
{
	uint32_t addr;
	uint16_t port;
	long err = sk_addr_in(sa, (size_t)len, &addr, &port);
	if (err)
		return err;
	int step = sk_bind(f->sock, addr, port);
	if (step == SK_DO_UDP_OPEN) {
		long r = open_at_netd(f, step);
		if (r)
			f->sock->local_port = 0;        /* not bound: bind may be tried again */
		return r;
	}
	return step < 0 ? step : 0;
}

static long sys_listen(struct posix_file *f, long backlog)
{
	int step = sk_listen(f->sock, (int)backlog);
	return step == SK_DO_LISTEN ? open_at_netd(f, step) : step < 0 ? step : 0;
}

static long sys_connect(struct posix_file *f, const void *sa, long len)
{
	uint32_t addr;
	uint16_t port;
	sa_family_t family = AF_INET;
	if (sa && len >= (long)sizeof(family))
		memcpy(&family, sa, sizeof(family));
	if (family == AF_UNSPEC)        /* UDP: forget the peer */
		return sk_disconnect(f->sock);
	long err = sk_addr_in(sa, (size_t)len, &addr, &port);
	if (err)
		return err;
	int step = sk_connect(f->sock, addr, port);
	if (step == SK_DO_CONNECT || step == SK_DO_UDP_OPEN)
		return open_at_netd(f, step);
	return step < 0 ? step : 0;
}

static void netd_close(aion_handle_t cap)
{
	struct posix_vfs_call c = { .label = SOCK_CLOSE };
	__aion_vfs_call(cap, &c);       /* an error: netd closed it already */
	aion_handle_close(cap);         /* ECAP once netd revoked it: nothing to undo */
}

static long sys_accept4(struct posix_file *f, void *sa, uint32_t *len, long flags)
{
	if (flags & ~(long)(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	int step = sk_accept(f->sock);
	if (step < 0)
		return step;
	struct posix_vfs_call c = { .label = SOCK_ACCEPT, .accept_cap = 1,
				    .w0 = sk_timeout_ms(f->sock, true, false) };
	long r = __aion_vfs_call(f->cap, &c);
	if (r < 0)
		return sk_call_error((int)r, SK_DO_ACCEPT);
	if (!c.caps_out[0])
		return -EIO;
	struct sk *s = malloc(sizeof(*s));
	struct posix_file *nf = s ? __aion_file_new(POSIX_SOCKET) : NULL;
	if (!nf) {
		free(s);
		netd_close(c.caps_out[0]);
		return s ? -ENFILE : -ENOMEM;
	}
	sk_init(s, SK_STREAM, flags & SOCK_NONBLOCK);
	sk_connected(s, (uint32_t)c.reply_w1, (uint16_t)c.reply_w2);
	s->local_port = f->sock->local_port;
	nf->sock = s;
	nf->cap = c.caps_out[0];
	long nfd = __aion_fd_install(nf, 0, !!(flags & SOCK_CLOEXEC));
	if (nfd < 0) {
		__aion_file_put(nf);
		return nfd;
	}
	sk_addr_out(s->peer_addr, s->peer_port, sa, len);
	return nfd;
}

static long tcp_send(struct posix_file *f, const char *p, size_t n, bool dontwait)
{
	size_t done = 0;
	while (done < n) {
		size_t chunk = n - done < PAYLOAD ? n - done : PAYLOAD;
		struct posix_vfs_call c = { .label = SOCK_SEND, .in = p + done,
					    .in_len = (unsigned)chunk,
					    .w0 = sk_timeout_ms(f->sock, false, dontwait) };
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return done ? (long)done : sk_call_error((int)r, SK_DO_SEND);
		if (r == 0 || (size_t)r > chunk)
			return done ? (long)done : -EIO;
		done += (size_t)r;
	}
	return (long)done;
}

static long tcp_recv(struct posix_file *f, char *p, size_t n, bool dontwait, bool waitall)
{
	size_t done = 0;
	do {
		size_t want = n - done < PAYLOAD ? n - done : PAYLOAD;
		struct posix_vfs_call c = { .label = SOCK_RECV, .out = p + done,
					    .out_max = (unsigned)want, .w1 = want,
					    .w0 = sk_timeout_ms(f->sock, true, dontwait) };
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return done ? (long)done : sk_call_error((int)r, SK_DO_RECV);
		if (r == 0)
			break;          /* the peer closed */
		done += c.out_len;
	} while (waitall && done < n);
	return (long)done;
}

/* One datagram to addr:port. */
static long udp_send(struct posix_file *f, const void *p, size_t n, uint32_t addr,
		     uint16_t port)
{
	if (n > PAYLOAD)
		return -EMSGSIZE;
	struct posix_vfs_call c = { .label = SOCK_SENDTO, .in = p, .in_len = (unsigned)n,
				    .w0 = addr, .w1 = port };
	long r = __aion_vfs_call(f->cap, &c);
	return r < 0 ? sk_call_error((int)r, SK_DO_SENDTO) : (long)n;
}

/* One datagram into p (cut to n); its whole length, and its source. A
 * connected socket takes only its peer's (others are dropped, as Linux does). */
static long udp_recv(struct posix_file *f, void *p, size_t n, bool dontwait,
		     uint32_t *addr, uint16_t *port)
{
	const struct sk *s = f->sock;
	for (;;) {
		struct posix_vfs_call c = { .label = SOCK_RECVFROM, .out = p,
					    .out_max = n < PAYLOAD ? (unsigned)n : PAYLOAD,
					    .w0 = sk_timeout_ms(s, true, dontwait) };
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return sk_call_error((int)r, SK_DO_RECVFROM);
		if (s->has_peer && (c.reply_w1 != s->peer_addr || c.reply_w2 != s->peer_port))
			continue;
		*addr = (uint32_t)c.reply_w1;
		*port = (uint16_t)c.reply_w2;
		return r;
	}
}

static int sk_send_again(const struct sk *s, bool has_dest)
{
	return sk_send(s, has_dest);
}

static int sk_recv_again(const struct sk *s, bool unused)
{
	(void)unused;
	return sk_recv(s);
}

/* send, sendto, write: dest NULL for the connected peer. */
static long sock_send(struct posix_file *f, const void *p, size_t n, long flags,
		      const void *dest, long dest_len)
{
	uint32_t addr = 0;
	uint16_t port = 0;
	if (flags & ~(long)MSG_KNOWN)
		return -EOPNOTSUPP;
	bool has_dest = dest != NULL && f->sock->type == SK_DGRAM;
	if (has_dest) {
		long err = sk_addr_in(dest, (size_t)dest_len, &addr, &port);
		if (err)
			return err;
	}
	int step = sk_send(f->sock, has_dest);
	long err = need_open(f, &step, sk_send_again, has_dest);
	if (err)
		return err;
	if (step == SK_DO_SEND)
		return tcp_send(f, p, n, flags & MSG_DONTWAIT);
	if (!has_dest) {
		addr = f->sock->peer_addr;
		port = f->sock->peer_port;
	}
	return udp_send(f, p, n, addr, port);
}

/* recv, recvfrom, read: the source into sa when not NULL. *trunc: a datagram cut. */
static long sock_recv(struct posix_file *f, void *p, size_t n, long flags, void *sa,
		      uint32_t *len, int *trunc)
{
	if (flags & ~(long)MSG_KNOWN)
		return -EOPNOTSUPP;     /* MSG_PEEK, MSG_OOB: netd has no such receive */
	int step = sk_recv(f->sock);
	long err = need_open(f, &step, sk_recv_again, false);
	if (err)
		return err;
	if (step == SK_DO_EOF || n == 0)
		return 0;
	bool dontwait = flags & MSG_DONTWAIT;
	if (step == SK_DO_RECV) {
		long r = tcp_recv(f, p, n, dontwait, flags & MSG_WAITALL);
		if (r >= 0)
			sk_addr_out(f->sock->peer_addr, f->sock->peer_port, sa, len);
		return r;
	}
	uint32_t addr = 0;
	uint16_t port = 0;
	long r = udp_recv(f, p, n, dontwait, &addr, &port);
	if (r < 0)
		return r;
	sk_addr_out(addr, port, sa, len);
	if (trunc)
		*trunc = (size_t)r > n;
	return (size_t)r > n ? (long)n : r;
}

long __aion_sock_rw(struct posix_file *f, void *p, size_t n, int write)
{
	return write ? sock_send(f, p, n, 0, NULL, 0) : sock_recv(f, p, n, 0, NULL, NULL, NULL);
}

static size_t iov_total(const struct msghdr *m)
{
	size_t total = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++)
		total += m->msg_iov[i].iov_len;
	return total;
}

static long sys_sendmsg(struct posix_file *f, const struct msghdr *m, long flags)
{
	if ((unsigned long)m->msg_iovlen > 1024)      /* UIO_MAXIOV; a negative one too */
		return -EMSGSIZE;
	if (f->sock->type == SK_DGRAM) {
		/* One datagram: the pieces gathered. */
		char buf[PAYLOAD];
		size_t total = iov_total(m), at = 0;
		if (total > sizeof(buf))
			return -EMSGSIZE;
		for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
			memcpy(buf + at, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
			at += m->msg_iov[i].iov_len;
		}
		return sock_send(f, buf, total, flags, m->msg_name, m->msg_namelen);
	}
	long total = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
		long r = sock_send(f, m->msg_iov[i].iov_base, m->msg_iov[i].iov_len, flags, NULL, 0);
		if (r < 0)
			return total ? total : r;
		total += r;
	}
	return total;
}

static long sys_recvmsg(struct posix_file *f, struct msghdr *m, long flags)
{
	if ((unsigned long)m->msg_iovlen > 1024)      /* UIO_MAXIOV; a negative one too */
		return -EMSGSIZE;
	uint32_t namelen = m->msg_name ? m->msg_namelen : 0;
	int trunc = 0;
	m->msg_controllen = 0;
	m->msg_flags = 0;
	if (f->sock->type == SK_DGRAM) {
		/* One datagram, scattered. */
		char buf[PAYLOAD];
		size_t want = iov_total(m), at = 0;
		long r = sock_recv(f, buf, want < sizeof(buf) ? want : sizeof(buf), flags,
				   m->msg_name, m->msg_name ? &namelen : NULL, &trunc);
		if (r < 0)
			return r;
		for (size_t i = 0; i < (size_t)m->msg_iovlen && at < (size_t)r; i++) {
			size_t k = (size_t)r - at < m->msg_iov[i].iov_len ? (size_t)r - at :
				   m->msg_iov[i].iov_len;
			memcpy(m->msg_iov[i].iov_base, buf + at, k);
			at += k;
		}
		m->msg_namelen = namelen;
		m->msg_flags = trunc ? MSG_TRUNC : 0;
		return r;
	}
	long total = 0;
	for (size_t i = 0; i < (size_t)m->msg_iovlen; i++) {
		size_t n = m->msg_iov[i].iov_len;
		long r = sock_recv(f, m->msg_iov[i].iov_base, n, flags, NULL, NULL, NULL);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < n)
			break;
		flags |= MSG_DONTWAIT;  /* after the first piece: only what is there */
	}
	if (m->msg_name)
		sk_addr_out(f->sock->peer_addr, f->sock->peer_port, m->msg_name, &namelen);
	m->msg_namelen = namelen;
	return total;
}

static long sys_shutdown(struct posix_file *f, long how)
{
	int step = sk_shutdown(f->sock, (int)how);
	if (step != SK_DO_SHUTDOWN)
		return step < 0 ? step : 0;
	struct posix_vfs_call c = { .label = SOCK_SHUTDOWN, .w0 = f->sock->shut_bits };
	long r = __aion_vfs_call(f->cap, &c);
	return r < 0 ? sk_call_error((int)r, SK_DO_SHUTDOWN) : 0;
}

static long sys_getsockname(struct posix_file *f, void *sa, uint32_t *len)
{
	uint32_t addr = f->sock->local_addr;
	uint16_t port = f->sock->local_port;
	if (f->cap) {
		struct posix_vfs_call c = { .label = SOCK_NAME };
		long r = __aion_vfs_call(f->cap, &c);
		if (r < 0)
			return sk_call_error((int)r, SK_DO_NONE);
		if (c.reply_w1)
			addr = (uint32_t)c.reply_w1;    /* 0: every address, as bound */
		port = (uint16_t)c.reply_w2;
	}
	sk_addr_out(addr, port, sa, len);
	return 0;
}

static long sys_getpeername(struct posix_file *f, void *sa, uint32_t *len)
{
	long err = sk_peer(f->sock);
	if (err)
		return err;
	sk_addr_out(f->sock->peer_addr, f->sock->peer_port, sa, len);
	return 0;
}

void __aion_sock_close(struct posix_file *f)
{
	if (f->cap)
		netd_close(f->cap);
	f->cap = 0;
	free(f->sock);
	f->sock = NULL;
}

long __aion_sock_getfl(struct posix_file *f)
{
	return O_RDWR | (f->sock->nonblock ? O_NONBLOCK : 0);
}

long __aion_sock_setfl(struct posix_file *f, long fl)
{
	f->sock->nonblock = (fl & O_NONBLOCK) != 0;
	return 0;
}

long __aion_sockets_syscall(long n, long a, long b, long c, long d, long e, long f,
			    int *handled)
{
	*handled = 1;
	if (n == SYS_socket)
		return sys_socket(a, b, c);
	if (n == SYS_socketpair)
		return a == AF_UNIX ? -EAFNOSUPPORT : -EOPNOTSUPP;
	long err;
	struct posix_file *file = NULL;
	switch (n) {
	case SYS_bind: case SYS_listen: case SYS_connect: case SYS_accept: case SYS_accept4:
	case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg:
	case SYS_shutdown: case SYS_getsockname: case SYS_getpeername:
	case SYS_setsockopt: case SYS_getsockopt:
		/* Every other call names a socket fd first. */
		if (!(file = sock_file(a, &err)))
			return err;
		break;
	default:
		*handled = 0;
		return -ENOSYS;
	}
	switch (n) {
	case SYS_bind: return sys_bind(file, (const void *)b, c);
	case SYS_listen: return sys_listen(file, b);
	case SYS_connect: return sys_connect(file, (const void *)b, c);
	case SYS_accept: return sys_accept4(file, (void *)b, (uint32_t *)c, 0);
	case SYS_accept4: return sys_accept4(file, (void *)b, (uint32_t *)c, d);
	case SYS_sendto: return sock_send(file, (const void *)b, (size_t)c, d, (const void *)e, f);
	case SYS_recvfrom:
		return sock_recv(file, (void *)b, (size_t)c, d, (void *)e, (uint32_t *)f, NULL);
	case SYS_sendmsg: return sys_sendmsg(file, (const struct msghdr *)b, c);
	case SYS_recvmsg: return sys_recvmsg(file, (struct msghdr *)b, c);
	case SYS_shutdown: return sys_shutdown(file, b);
	case SYS_getsockname: return sys_getsockname(file, (void *)b, (uint32_t *)c);
	case SYS_getpeername: return sys_getpeername(file, (void *)b, (uint32_t *)c);
	case SYS_setsockopt: return sk_setopt(file->sock, (int)b, (int)c, (const void *)d, (size_t)e);
	default: return sk_getopt(file->sock, (int)b, (int)c, (void *)d, (uint32_t *)e);
	}
}
