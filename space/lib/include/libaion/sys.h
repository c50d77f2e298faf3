/*
 * libaion: system call stubs. One inline function per call of
 * include/aion/syscall.h's list, aion_<name>; results are >= 0 or
 * -AION_E... (aion/error.h).
 */
#ifndef AION_SYS_H
#define AION_SYS_H

#include <stddef.h>
#include <stdint.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "aion/syscall.h"
#include "aion/upcall.h"

static inline int64_t aion_syscall(uint64_t n, uint64_t a0, uint64_t a1,
				   uint64_t a2, uint64_t a3, uint64_t a4)
{
	int64_t r;
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

/*
 * The stubs of aion/syscall.h's list: one static inline function
 * aion_name(type arg, ...) for every entry with ARGSn, made here by the
 * preprocessor, so adding a call to the list adds its stub. The entries
 * marked OWN are written by hand below.
 */
#define AION_STUB_U64(x) ((uint64_t)(x))
#define AION_STUB_FLAT(...) __VA_ARGS__
#define AION_STUB_ARGS0() GEN, (void), (0, 0, 0, 0, 0)
#define AION_STUB_ARGS1(t0, n0) GEN, (t0 n0), (AION_STUB_U64(n0), 0, 0, 0, 0)
#define AION_STUB_ARGS2(t0, n0, t1, n1) GEN, (t0 n0, t1 n1), \
	(AION_STUB_U64(n0), AION_STUB_U64(n1), 0, 0, 0)
#define AION_STUB_ARGS3(t0, n0, t1, n1, t2, n2) GEN, (t0 n0, t1 n1, t2 n2), \
	(AION_STUB_U64(n0), AION_STUB_U64(n1), AION_STUB_U64(n2), 0, 0)
#define AION_STUB_ARGS4(t0, n0, t1, n1, t2, n2, t3, n3) GEN, \
	(t0 n0, t1 n1, t2 n2, t3 n3), \
	(AION_STUB_U64(n0), AION_STUB_U64(n1), AION_STUB_U64(n2), AION_STUB_U64(n3), 0)
#define AION_STUB_ARGS5(t0, n0, t1, n1, t2, n2, t3, n3, t4, n4) GEN, \
	(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4), \
	(AION_STUB_U64(n0), AION_STUB_U64(n1), AION_STUB_U64(n2), AION_STUB_U64(n3), \
	 AION_STUB_U64(n4))
#define AION_STUB_OWN OWN, (), ()
#define AION_STUB_MAKE_GEN(NAME, name, params, values)                          \
	static inline int64_t aion_##name params                                \
	{                                                                       \
		return aion_syscall(AION_SYS_##NAME, AION_STUB_FLAT values);    \
	}
#define AION_STUB_MAKE_OWN(NAME, name, params, values)
#define AION_STUB_MAKE(NAME, name, kind, params, values) \
	AION_STUB_MAKE_##kind(NAME, name, params, values)
#define AION_STUB_OF(NAME, name, ...) AION_STUB_MAKE(NAME, name, __VA_ARGS__)
#define AION_STUB(NAME, name, num, args, use, doc) AION_STUB_OF(NAME, name, AION_STUB_##args)

AION_SYSCALLS(AION_STUB)

/* --- the OWN stubs: each says why it is not generated --- */

static inline uint64_t aion_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * The clock is unsigned: nanoseconds since boot, never an error. Read
 * without a system call: the kernel's terms for it (SYSTEM_INFO's
 * clock_base, clock_mult), asked once a program, applied to RDTSC. Under
 * TCG a system call costs far more than the counter, and a busy server
 * reads the clock several times a request (meshd: about six a main-loop
 * pass; docs/network.md "Fewer system calls and switches a packet"). A weak
 * definition: every file that includes this shares one copy in a program.
 * state 0: not asked yet; 1: the terms hold; -1: CLOCK_NS each time.
 */
struct aion_clock_terms {
	uint64_t base, mult;
	int state;
};
__attribute__((weak)) struct aion_clock_terms aion_clock_terms;

__attribute__((cold, noinline)) static uint64_t aion_clock_ns_first(void)
{
	struct aion_system_info info;

	if (aion_system_info(&info) == 0 && info.clock_mult) {
		aion_clock_terms.base = info.clock_base;
		aion_clock_terms.mult = info.clock_mult;
		__atomic_store_n(&aion_clock_terms.state, 1, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&aion_clock_terms.state, -1, __ATOMIC_RELEASE);
	}
	return (uint64_t)aion_syscall(AION_SYS_CLOCK_NS, 0, 0, 0, 0, 0);
}

static inline uint64_t aion_clock_ns(void)
{
	int state = __atomic_load_n(&aion_clock_terms.state, __ATOMIC_ACQUIRE);

	if (state > 0)
		return aion_clock_from_counter(aion_rdtsc(), aion_clock_terms.base,
					       aion_clock_terms.mult);
	if (state == 0)
		return aion_clock_ns_first();
	return (uint64_t)aion_syscall(AION_SYS_CLOCK_NS, 0, 0, 0, 0, 0);
}

/* Not a call of its own: SLEEP_UNTIL now + ns. */
static inline int64_t aion_sleep_ns(uint64_t ns)
{
	return aion_sleep_until(aion_clock_ns() + ns);
}

/* Does not return: the compiler must know. */
__attribute__((noreturn)) static inline void aion_thread_exit(int64_t code)
{
	aion_syscall(AION_SYS_THREAD_EXIT, (uint64_t)code, 0, 0, 0, 0);
	__builtin_unreachable();
}

/* Does not return either: the whole unit ends. */
__attribute__((noreturn)) static inline void aion_unit_exit(int64_t code)
{
	aion_syscall(AION_SYS_UNIT_EXIT, (uint64_t)code, 0, 0, 0, 0);
	__builtin_unreachable();
}

/*
 * The IPC shape: a0 in rdi, the message (tag, words) in rsi, rdx, r10, r8,
 * a5 in r9; a received message comes back in rdi (badge) .. r8. CALL,
 * RECV, REPLY_RECV, WAIT and POLL return values in registers besides rax,
 * which a generated stub cannot.
 */
static inline int64_t aion_syscall_msg(uint64_t n, uint64_t a0, struct aion_msg *m,
				       uint64_t a5)
{
	register int64_t rax __asm__("rax") = (int64_t)n;
	register uint64_t rdi __asm__("rdi") = a0;
	register uint64_t rsi __asm__("rsi") = m->tag;
	register uint64_t rdx __asm__("rdx") = m->w[0];
	register uint64_t r10 __asm__("r10") = m->w[1];
	register uint64_t r8 __asm__("r8") = m->w[2];
	register uint64_t r9 __asm__("r9") = a5;
	__asm__ volatile("syscall"
			 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 : "r"(r9)
			 : "rcx", "r11", "memory");
	if (rax == 0) {
		m->badge = rdi;
		m->tag = rsi;
		m->w[0] = rdx;
		m->w[1] = r10;
		m->w[2] = r8;
	}
	return rax;
}

/* Calls through ep: m holds the request, and the reply on success. */
static inline int64_t aion_call(aion_handle_t ep, struct aion_msg *m, uint64_t timeout_ns)
{
	return aion_syscall_msg(AION_SYS_CALL, ep, m, timeout_ns);
}

static inline int64_t aion_recv(aion_handle_t ep, struct aion_msg *m, uint64_t timeout_ns)
{
	*m = (struct aion_msg){ 0 };
	return aion_syscall_msg(AION_SYS_RECV, ep, m, timeout_ns);
}

/* Signals n with bits, then receives into m: n's waiter runs once this
 * thread blocks, not before (SIGNAL_RECV). */
static inline int64_t aion_signal_recv(aion_handle_t ep, aion_handle_t n, uint64_t bits,
				       struct aion_msg *m, uint64_t timeout_ns)
{
	*m = (struct aion_msg){ .tag = n, .w = { bits } };
	int64_t err = aion_syscall_msg(AION_SYS_SIGNAL_RECV, ep, m, timeout_ns);
	if (err)
		*m = (struct aion_msg){ 0 };    /* as aion_recv's: no message */
	return err;
}

/* Replies with m, then receives the next message into m. */
static inline int64_t aion_reply_recv(aion_handle_t ep, struct aion_msg *m,
				      uint64_t timeout_ns)
{
	return aion_syscall_msg(AION_SYS_REPLY_RECV, ep, m, timeout_ns);
}

/* REPLY and REPLY_TO take the message as a struct aion_msg. */
static inline int64_t aion_reply(const struct aion_msg *m)
{
	return aion_syscall(AION_SYS_REPLY, m->tag, m->w[0], m->w[1], m->w[2], 0);
}

static inline int64_t aion_reply_to(aion_handle_t reply, const struct aion_msg *m)
{
	return aion_syscall(AION_SYS_REPLY_TO, reply, m->tag, m->w[0], m->w[1], m->w[2]);
}

/* Deletes every capability derived from h; loops over the bounded steps. */
static inline int64_t aion_cap_revoke(aion_handle_t h)
{
	int64_t r;
	while ((r = aion_syscall(AION_SYS_CAP_REVOKE, h, 0, 0, 0, 0)) == -AION_EAGAIN)
		;
	return r;
}

/* Waits for signal bits (returned in *bits). */
static inline int64_t aion_wait(aion_handle_t n, uint64_t *bits, uint64_t timeout_ns)
{
	struct aion_msg m = { 0 };
	int64_t r = aion_syscall_msg(AION_SYS_WAIT, n, &m, timeout_ns);
	*bits = m.badge;
	return r;
}

static inline int64_t aion_poll(aion_handle_t n, uint64_t *bits)
{
	struct aion_msg m = { 0 };
	int64_t r = aion_syscall_msg(AION_SYS_POLL, n, &m, 0);
	*bits = m.badge;
	return r;
}

static inline uint8_t aion_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void aion_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t aion_inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t aion_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void aion_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void aion_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

#endif /* AION_SYS_H */
