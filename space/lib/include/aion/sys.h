/*
 * libaion: system call stubs. One inline function per call of
 * include/aion/syscall.h; results are >= 0 or -AION_E... (aion/error.h).
 */
#ifndef AION_SYS_H
#define AION_SYS_H

#include <stddef.h>
#include <stdint.h>
#include "aion/error.h"
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

static inline uint64_t aion_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif /* AION_SYS_H */
