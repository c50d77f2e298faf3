/*
 * AionCore system calls: numbers and calling convention (docs/abi.md has
 * each call with its arguments and errors).
 *
 * Convention (x86_64 SYSCALL): number in rax; arguments in rdi, rsi, rdx,
 * r10, r8, r9; result in rax: >= 0 on success, -AION_E... on failure. The
 * kernel preserves every register but rax, rcx and r11, except that the
 * IPC calls return a message in rdi (badge), rsi (tag), rdx, r10, r8
 * (words) and WAIT/POLL return the signal bits in rdi (aion/ipc.h).
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
	X(HANDLE_CLOSE,      16)        \
	X(CAP_COPY,          17)        \
	X(CAP_MINT,          18)        \
	X(CAP_REVOKE,        19)        \
	X(CAP_INFO,          20)        \
	X(ENDPOINT_CREATE,   21)        \
	X(CALL,              22)        \
	X(RECV,              23)        \
	X(REPLY,             24)        \
	X(REPLY_RECV,        25)        \
	X(REPLY_SAVE,        26)        \
	X(REPLY_TO,          27)        \
	X(IPC_BUFFER,        28)        \
	X(NOTIFY_CREATE,     29)        \
	X(SIGNAL,            30)        \
	X(WAIT,              31)        \
	X(POLL,              32)        \
	X(NOTIFY_BIND,       33)        \
	X(CAP_GIVE,          34)        \
	X(MEMORY_CREATE,     35)        \
	X(MEMORY_MAP,        36)        \
	X(MEMORY_UNMAP,      37)        \
	X(MEMORY_PHYS,       38)        \
	X(DEVICE_MEMORY,     39)        \
	X(IOPORT_CREATE,     40)        \
	X(IOPORT_ENABLE,     41)        \
	X(IRQ_CREATE,        42)        \
	X(IRQ_SET_NOTIFY,    43)        \
	X(IRQ_ACK,           44)        \
	X(UNIT_FAULT_EP,     45)        \
	X(CAP_LIST,          46)

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
