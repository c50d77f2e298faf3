/*
 * libaion: system call stubs. One inline function per call of
 * include/aion/syscall.h; results are >= 0 or -AION_E... (aion/error.h).
 */
#ifndef AION_SYS_H
#define AION_SYS_H

#include <stddef.h>
#include <stdint.h>
#include "aion/error.h"
#include "aion/ipc.h"
#include "aion/object.h"
#include "aion/syscall.h"

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

static inline int64_t aion_debug_log(const char *buf, size_t len)
{
	return aion_syscall(AION_SYS_DEBUG_LOG, (uint64_t)buf, len, 0, 0, 0);
}

static inline uint64_t aion_clock_ns(void)
{
	return (uint64_t)aion_syscall(AION_SYS_CLOCK_NS, 0, 0, 0, 0, 0);
}

static inline int64_t aion_yield(void)
{
	return aion_syscall(AION_SYS_YIELD, 0, 0, 0, 0, 0);
}

static inline int64_t aion_sleep_until(uint64_t deadline_ns)
{
	return aion_syscall(AION_SYS_SLEEP_UNTIL, deadline_ns, 0, 0, 0, 0);
}

static inline int64_t aion_sleep_ns(uint64_t ns)
{
	return aion_sleep_until(aion_clock_ns() + ns);
}

__attribute__((noreturn)) static inline void aion_thread_exit(int64_t code)
{
	aion_syscall(AION_SYS_THREAD_EXIT, (uint64_t)code, 0, 0, 0, 0);
	__builtin_unreachable();
}

static inline int64_t aion_thread_create(aion_handle_t unit, uint64_t entry,
					 uint64_t stack_top, uint64_t arg,
					 unsigned prio)
{
	return aion_syscall(AION_SYS_THREAD_CREATE, unit, entry, stack_top, arg, prio);
}

static inline int64_t aion_thread_start(aion_handle_t t)
{
	return aion_syscall(AION_SYS_THREAD_START, t, 0, 0, 0, 0);
}

static inline int64_t aion_thread_set_priority(aion_handle_t t, unsigned prio)
{
	return aion_syscall(AION_SYS_THREAD_SET_PRIORITY, t, prio, 0, 0, 0);
}

static inline int64_t aion_thread_info(aion_handle_t t, struct aion_thread_info *out)
{
	return aion_syscall(AION_SYS_THREAD_INFO, t, (uint64_t)out, 0, 0, 0);
}

static inline int64_t aion_unit_create(aion_handle_t parent, const char *name,
				       size_t name_len, uint64_t quota,
				       unsigned max_prio)
{
	return aion_syscall(AION_SYS_UNIT_CREATE, parent, (uint64_t)name, name_len,
			    quota, max_prio);
}

static inline int64_t aion_unit_destroy(aion_handle_t u)
{
	return aion_syscall(AION_SYS_UNIT_DESTROY, u, 0, 0, 0, 0);
}

static inline int64_t aion_unit_info(aion_handle_t u, struct aion_unit_info *out)
{
	return aion_syscall(AION_SYS_UNIT_INFO, u, (uint64_t)out, 0, 0, 0);
}

static inline int64_t aion_mem_map(aion_handle_t u, uint64_t va, uint64_t len,
				   unsigned prot)
{
	return aion_syscall(AION_SYS_MEM_MAP, u, va, len, prot, 0);
}

static inline int64_t aion_mem_unmap(aion_handle_t u, uint64_t va, uint64_t len)
{
	return aion_syscall(AION_SYS_MEM_UNMAP, u, va, len, 0, 0);
}

static inline int64_t aion_mem_write(aion_handle_t u, uint64_t dst,
				     const void *src, uint64_t len)
{
	return aion_syscall(AION_SYS_MEM_WRITE, u, dst, (uint64_t)src, len, 0);
}

static inline int64_t aion_system_info(struct aion_system_info *out)
{
	return aion_syscall(AION_SYS_SYSTEM_INFO, (uint64_t)out, 0, 0, 0, 0);
}

static inline int64_t aion_handle_close(aion_handle_t h)
{
	return aion_syscall(AION_SYS_HANDLE_CLOSE, h, 0, 0, 0, 0);
}

/*
 * The IPC shape: a0 in rdi, the message (tag, words) in rsi, rdx, r10, r8,
 * a5 in r9; a received message comes back in rdi (badge) .. r8.
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

/* Replies with m, then receives the next message into m. */
static inline int64_t aion_reply_recv(aion_handle_t ep, struct aion_msg *m,
				      uint64_t timeout_ns)
{
	return aion_syscall_msg(AION_SYS_REPLY_RECV, ep, m, timeout_ns);
}

static inline int64_t aion_reply(const struct aion_msg *m)
{
	return aion_syscall(AION_SYS_REPLY, m->tag, m->w[0], m->w[1], m->w[2], 0);
}

static inline int64_t aion_reply_save(void)
{
	return aion_syscall(AION_SYS_REPLY_SAVE, 0, 0, 0, 0, 0);
}

static inline int64_t aion_reply_to(aion_handle_t reply, const struct aion_msg *m)
{
	return aion_syscall(AION_SYS_REPLY_TO, reply, m->tag, m->w[0], m->w[1], m->w[2]);
}

static inline int64_t aion_ipc_buffer(struct aion_ipc_buffer *buf)
{
	return aion_syscall(AION_SYS_IPC_BUFFER, (uint64_t)buf, 0, 0, 0, 0);
}

static inline int64_t aion_endpoint_create(void)
{
	return aion_syscall(AION_SYS_ENDPOINT_CREATE, 0, 0, 0, 0, 0);
}

static inline int64_t aion_cap_copy(aion_handle_t h, uint32_t rights)
{
	return aion_syscall(AION_SYS_CAP_COPY, h, rights, 0, 0, 0);
}

static inline int64_t aion_cap_mint(aion_handle_t h, uint32_t rights, uint64_t badge)
{
	return aion_syscall(AION_SYS_CAP_MINT, h, rights, badge, 0, 0);
}

/* Deletes every capability derived from h; loops over the bounded steps. */
static inline int64_t aion_cap_revoke(aion_handle_t h)
{
	int64_t r;
	while ((r = aion_syscall(AION_SYS_CAP_REVOKE, h, 0, 0, 0, 0)) == -AION_EAGAIN)
		;
	return r;
}

static inline int64_t aion_cap_info(aion_handle_t h, struct aion_cap_info *out)
{
	return aion_syscall(AION_SYS_CAP_INFO, h, (uint64_t)out, 0, 0, 0);
}

/* Copies h (rights & mask) into unit's table; returns the handle there. */
static inline int64_t aion_cap_give(aion_handle_t unit, aion_handle_t h, uint32_t rights)
{
	return aion_syscall(AION_SYS_CAP_GIVE, unit, h, rights, 0, 0);
}

static inline int64_t aion_notify_create(void)
{
	return aion_syscall(AION_SYS_NOTIFY_CREATE, 0, 0, 0, 0, 0);
}

static inline int64_t aion_signal(aion_handle_t n, uint64_t bits)
{
	return aion_syscall(AION_SYS_SIGNAL, n, bits, 0, 0, 0);
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

static inline int64_t aion_notify_bind(aion_handle_t n, aion_handle_t thread)
{
	return aion_syscall(AION_SYS_NOTIFY_BIND, n, thread, 0, 0, 0);
}

static inline int64_t aion_memory_create(unsigned npages)
{
	return aion_syscall(AION_SYS_MEMORY_CREATE, npages, 0, 0, 0, 0);
}

/* Maps memory object mo into unit at va; a read-only capability maps read-only. */
static inline int64_t aion_memory_map(aion_handle_t mo, aion_handle_t unit, uint64_t va,
				      unsigned prot)
{
	return aion_syscall(AION_SYS_MEMORY_MAP, mo, unit, va, prot, 0);
}

static inline int64_t aion_memory_unmap(aion_handle_t unit, uint64_t va)
{
	return aion_syscall(AION_SYS_MEMORY_UNMAP, unit, va, 0, 0, 0);
}

/* Physical address of a page, for DMA: needs AION_RIGHT_PHYS. */
static inline int64_t aion_memory_phys(aion_handle_t mo, unsigned page)
{
	return aion_syscall(AION_SYS_MEMORY_PHYS, mo, page, 0, 0, 0);
}

static inline int64_t aion_device_memory(aion_handle_t platform, uint64_t phys, unsigned npages)
{
	return aion_syscall(AION_SYS_DEVICE_MEMORY, platform, phys, npages, 0, 0);
}

static inline int64_t aion_ioport_create(aion_handle_t platform, uint16_t base, uint16_t count)
{
	return aion_syscall(AION_SYS_IOPORT_CREATE, platform, base, count, 0, 0);
}

static inline int64_t aion_ioport_enable(aion_handle_t io)
{
	return aion_syscall(AION_SYS_IOPORT_ENABLE, io, 0, 0, 0, 0);
}

static inline int64_t aion_irq_create(aion_handle_t platform, unsigned line)
{
	return aion_syscall(AION_SYS_IRQ_CREATE, platform, line, 0, 0, 0);
}

static inline int64_t aion_irq_set_notify(aion_handle_t irq, aion_handle_t n, uint64_t bits)
{
	return aion_syscall(AION_SYS_IRQ_SET_NOTIFY, irq, n, bits, 0, 0);
}

static inline int64_t aion_irq_ack(aion_handle_t irq)
{
	return aion_syscall(AION_SYS_IRQ_ACK, irq, 0, 0, 0, 0);
}

/* When unit ends, the kernel sends AION_NOTICE_UNIT_ENDED on ep (badge 0: ep's). */
static inline int64_t aion_unit_fault_ep(aion_handle_t unit, aion_handle_t ep, uint64_t badge)
{
	return aion_syscall(AION_SYS_UNIT_FAULT_EP, unit, ep, badge, 0, 0);
}

/* Slot index of unit's table: its handle, and what it names in *out. */
static inline int64_t aion_cap_list(aion_handle_t unit, unsigned index, struct aion_cap_info *out)
{
	return aion_syscall(AION_SYS_CAP_LIST, unit, index, (uint64_t)out, 0, 0);
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

static inline uint64_t aion_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif /* AION_SYS_H */
