/*
 * AionCore system calls: numbers and calling convention (docs/abi.md has
 * each call with its arguments and errors).
 *
 * Convention (x86_64 SYSCALL): number in rax; arguments in rdi, rsi, rdx,
 * r10, r8, r9; result in rax: >= 0 on success, -AION_E... on failure. The
 * kernel preserves every register but rax, rcx and r11.
 */
#ifndef AION_SYSCALL_H
#define AION_SYSCALL_H

/* X(name, number) */
#define AION_SYSCALLS(X)                \
	X(DEBUG_LOG,          0)        \
	X(CLOCK_NS,           1)        \
	X(YIELD,              2)        \
	X(SLEEP_UNTIL,        3)        \
	X(THREAD_EXIT,        4)        \
	X(THREAD_CREATE,      5)        \
	X(THREAD_START,       6)        \
	X(THREAD_SET_PRIORITY,7)        \
	X(THREAD_INFO,        8)        \
	X(UNIT_CREATE,        9)        \
	X(UNIT_DESTROY,      10)        \
	X(UNIT_INFO,         11)        \
	X(MEM_MAP,           12)        \
	X(MEM_UNMAP,         13)        \
	X(MEM_WRITE,         14)        \
	X(SYSTEM_INFO,       15)        \
	X(HANDLE_CLOSE,      16)

enum aion_syscall {
#define AION_SYSCALL_ENUM(name, num) AION_SYS_##name = num,
	AION_SYSCALLS(AION_SYSCALL_ENUM)
#undef AION_SYSCALL_ENUM
	AION_SYS_COUNT
};

/* Largest buffer one DEBUG_LOG or MEM_WRITE call moves: bounds its time. */
#define AION_LOG_MAX          256
#define AION_MEM_WRITE_MAX    (64u << 10)

#endif /* AION_SYSCALL_H */
