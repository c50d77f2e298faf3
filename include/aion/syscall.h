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

/*
 * The list of system calls: the one place a call is declared. The kernel's
 * handler table and prototypes, the AION_SYS_* numbers and libaion's stubs
 * all come from it by the preprocessor; docs/abi.md describes each call
 * and the unit test abi-doc fails when its table and this list disagree.
 *
 * X(NAME, name, number, args)
 *   NAME    AION_SYS_NAME, the name docs/abi.md uses
 *   name    NAME in lower case: the kernel's handler is sys_name (in the
 *           file of the object it acts on: kernel/core/<object>.c) and
 *           libaion's stub aion_name
 *   number  stable: part of the ABI, never renumber
 *   args    ARGSn(type, name, ...): the arguments in register order (rdi,
 *           rsi, rdx, r10, r8) with the types libaion's stub takes; the
 *           stub returns int64_t. OWN: libaion writes the stub by hand
 *           (libaion/sys.h says why: a message in registers, an unsigned
 *           or no result, a loop).
 */
#define AION_SYSCALLS(X)                                                              \
	X(DEBUG_LOG,           debug_log,            0, ARGS2(const char *, buf, size_t, len)) \
	X(CLOCK_NS,            clock_ns,             1, OWN)                                 \
	X(YIELD,               yield,                2, ARGS0())                             \
	X(SLEEP_UNTIL,         sleep_until,          3, ARGS1(uint64_t, deadline_ns))        \
	X(THREAD_EXIT,         thread_exit,          4, OWN)                                 \
	X(THREAD_CREATE,       thread_create,        5, ARGS5(aion_handle_t, unit,           \
		uint64_t, entry, uint64_t, stack_top, uint64_t, arg, unsigned, prio))         \
	X(THREAD_START,        thread_start,         6, ARGS1(aion_handle_t, thread))        \
	X(THREAD_SET_PRIORITY, thread_set_priority,  7, ARGS2(aion_handle_t, thread,         \
		unsigned, prio))                                                              \
	X(THREAD_INFO,         thread_info,          8, ARGS2(aion_handle_t, thread,         \
		struct aion_thread_info *, out))                                              \
	X(UNIT_CREATE,         unit_create,          9, ARGS5(aion_handle_t, parent,         \
		const char *, name, size_t, name_len, uint64_t, quota, unsigned, max_prio))   \
	X(UNIT_DESTROY,        unit_destroy,        10, ARGS1(aion_handle_t, unit))          \
	X(UNIT_INFO,           unit_info,           11, ARGS2(aion_handle_t, unit,           \
		struct aion_unit_info *, out))                                                \
	/* Fresh zeroed pages charged to the unit (not a memory object). */                  \
	X(ANON_MAP,            anon_map,            12, ARGS4(aion_handle_t, unit,           \
		uint64_t, va, uint64_t, len, unsigned, prot))                                 \
	X(ANON_UNMAP,          anon_unmap,          13, ARGS3(aion_handle_t, unit,           \
		uint64_t, va, uint64_t, len))                                                 \
	X(MEM_WRITE,           mem_write,           14, ARGS4(aion_handle_t, unit,           \
		uint64_t, dst, const void *, src, uint64_t, len))                             \
	X(SYSTEM_INFO,         system_info,         15, ARGS1(struct aion_system_info *, out)) \
	X(HANDLE_CLOSE,        handle_close,        16, ARGS1(aion_handle_t, h))             \
	X(CAP_COPY,            cap_copy,            17, ARGS2(aion_handle_t, h,              \
		uint32_t, rights))                                                            \
	X(CAP_MINT,            cap_mint,            18, ARGS3(aion_handle_t, h,              \
		uint32_t, rights, uint64_t, badge))                                           \
	X(CAP_REVOKE,          cap_revoke,          19, OWN)                                 \
	X(CAP_INFO,            cap_info,            20, ARGS2(aion_handle_t, h,              \
		struct aion_cap_info *, out))                                                 \
	X(ENDPOINT_CREATE,     endpoint_create,     21, ARGS0())                             \
	X(CALL,                call,                22, OWN)                                 \
	X(RECV,                recv,                23, OWN)                                 \
	X(REPLY,               reply,               24, OWN)                                 \
	X(REPLY_RECV,          reply_recv,          25, OWN)                                 \
	X(REPLY_SAVE,          reply_save,          26, ARGS0())                             \
	X(REPLY_TO,            reply_to,            27, OWN)                                 \
	X(IPC_BUFFER,          ipc_buffer,          28, ARGS1(struct aion_ipc_buffer *, buf)) \
	X(NOTIFY_CREATE,       notify_create,       29, ARGS0())                             \
	X(SIGNAL,              signal,              30, ARGS2(aion_handle_t, n,              \
		uint64_t, bits))                                                              \
	X(WAIT,                wait,                31, OWN)                                 \
	X(POLL,                poll,                32, OWN)                                 \
	X(NOTIFY_BIND,         notify_bind,         33, ARGS2(aion_handle_t, n,              \
		aion_handle_t, thread))                                                       \
	/* A copy of h (rights & mask) into unit's table: the handle there. */               \
	X(CAP_GIVE,            cap_give,            34, ARGS3(aion_handle_t, unit,           \
		aion_handle_t, h, uint32_t, rights))                                          \
	X(MEMORY_CREATE,       memory_create,       35, ARGS1(unsigned, npages))             \
	/* Maps memory object mo; a read-only capability maps read-only. */                  \
	X(MEMORY_MAP,          memory_map,          36, ARGS4(aion_handle_t, mo,             \
		aion_handle_t, unit, uint64_t, va, unsigned, prot))                           \
	X(MEMORY_UNMAP,        memory_unmap,        37, ARGS2(aion_handle_t, unit,           \
		uint64_t, va))                                                                \
	/* Physical address of a page, for DMA: needs AION_RIGHT_PHYS. */                    \
	X(MEMORY_PHYS,         memory_phys,         38, ARGS2(aion_handle_t, mo,             \
		unsigned, page))                                                              \
	X(DEVICE_MEMORY,       device_memory,       39, ARGS3(aion_handle_t, platform,       \
		uint64_t, phys, unsigned, npages))                                            \
	X(IOPORT_CREATE,       ioport_create,       40, ARGS3(aion_handle_t, platform,       \
		uint16_t, base, uint16_t, count))                                             \
	X(IOPORT_ENABLE,       ioport_enable,       41, ARGS1(aion_handle_t, io))            \
	X(IRQ_CREATE,          irq_create,          42, ARGS2(aion_handle_t, platform,       \
		unsigned, line))                                                              \
	X(IRQ_SET_NOTIFY,      irq_set_notify,      43, ARGS3(aion_handle_t, irq,            \
		aion_handle_t, n, uint64_t, bits))                                            \
	X(IRQ_ACK,             irq_ack,             44, ARGS1(aion_handle_t, irq))           \
	/* When unit ends, AION_NOTICE_UNIT_ENDED arrives on ep (badge 0: ep's). */          \
	X(UNIT_FAULT_EP,       unit_fault_ep,       45, ARGS3(aion_handle_t, unit,           \
		aion_handle_t, ep, uint64_t, badge))                                          \
	/* Slot index of unit's table: its handle, and what it names in *out. */             \
	X(CAP_LIST,            cap_list,            46, ARGS3(aion_handle_t, unit,           \
		unsigned, index, struct aion_cap_info *, out))

enum aion_syscall {
#define AION_SYSCALL_ENUM(NAME, name, num, args) AION_SYS_##NAME = num,
	AION_SYSCALLS(AION_SYSCALL_ENUM)
#undef AION_SYSCALL_ENUM
	AION_SYS_COUNT
};

/* Largest buffer one DEBUG_LOG or MEM_WRITE call moves: bounds its time. */
#define AION_LOG_MAX          256
#define AION_MEM_WRITE_MAX    (64u << 10)

#endif /* AION_SYSCALL_H */
