/*
 * AionCore system calls: numbers, calling convention, and each call's
 * arguments, result and errors (the table in docs/abi.md is made from them).
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
 * The list of system calls: the one place a call is declared and
 * documented. The kernel's handler table and prototypes, the AION_SYS_*
 * numbers and libaion's stubs all come from it by the preprocessor, and
 * docs/abi.md's table of calls from its DOC strings (scripts/lib/abi-table;
 * the unit test abi-doc fails when the doc's table is not what it makes).
 *
 * X(NAME, name, number, args, use, doc)
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
 *   use     USE(...): what the kernel does with each argument register
 *           (rdi, rsi, rdx, r10, r8, r9), for the tests made from the list
 *           (space/utest/matrix_tests.c: the rights matrix and the bad
 *           pointer cases; a new pointer or handle argument is tested as
 *           soon as it is listed here):
 *             HANDLE(TYPE, RIGHT)  a handle that must name an AION_OBJ_TYPE
 *                                  (ANY: any type) with AION_RIGHT_RIGHT
 *                                  (NONE: no right): -AION_ETYPE, -AION_ERIGHTS
 *             BUF_IN, BUF_OUT      a user buffer the kernel reads / writes
 *                                  (length: the argument after, or the
 *                                  struct the DOC names): -AION_EFAULT
 *             ADDR                 a user address the kernel keeps or maps
 *                                  but does not copy: -AION_EFAULT outside
 *                                  the user half
 *             MSG                  a message tag: its payload and
 *                                  capabilities come from the IPC buffer
 *                                  (-AION_EFAULT when it is not mapped)
 *             VAL(v)               a plain value; v is one the call takes
 *   doc     DOC(arguments, returns, errors): markdown strings, the columns
 *           of the call's row in docs/abi.md. Only the host program
 *           tests/abi/abi_lists.c expands them; every other user of the
 *           list drops them, so no string reaches the kernel or a program.
 */
#define AION_SYSCALLS(X)                                                              \
	X(DEBUG_LOG,           debug_log,            0, ARGS2(const char *, buf, size_t, len), \
		USE(BUF_IN, VAL(16)),                                                        \
		DOC("`buf`, `len` (≤ `AION_LOG_MAX` = 256)", "0",                            \
		    "`EINVAL` len too long; `EFAULT`"))                                      \
	X(CLOCK_NS,            clock_ns,             1, OWN,                                 \
		USE(),                                                                       \
		DOC("–", "monotonic ns since boot", "–"))                                    \
	X(YIELD,               yield,                2, ARGS0(),                             \
		USE(),                                                                       \
		DOC("–", "0", "–"))                                                          \
	X(SLEEP_UNTIL,         sleep_until,          3, ARGS1(uint64_t, deadline_ns),        \
		USE(VAL(0)),                                                                 \
		DOC("`deadline_ns` (monotonic)", "0 (at once if past)",                      \
		    "`ENOSPC` sleep queue full"))                                            \
	X(THREAD_EXIT,         thread_exit,          4, OWN,                                 \
		USE(VAL(0)),                                                                 \
		DOC("`code`", "does not return", "–"))                                       \
	X(THREAD_CREATE,       thread_create,        5, ARGS5(aion_handle_t, unit,           \
		uint64_t, entry, uint64_t, stack_top, uint64_t, arg, unsigned, prio),        \
		USE(HANDLE(UNIT, CONTROL), ADDR, ADDR, VAL(0), VAL(1)),                      \
		DOC("`unit`, `entry`, `stack_top`, `arg`, `prio`", "thread handle",          \
		    "handle (unit, `CONTROL`); `EINVAL` prio > 255; `EPERM` prio above "     \
		    "the unit's maximum; `EFAULT` entry or stack outside the user half; "    \
		    "`EDEAD` unit ended; `ENOMEM` that unit's quota; `ENOSPC` that unit's "  \
		    "share of kernel stack slots is used, or no handle slot"))               \
	X(THREAD_START,        thread_start,         6, ARGS1(aion_handle_t, thread),        \
		USE(HANDLE(THREAD, CONTROL)),                                                \
		DOC("`thread`", "0",                                                         \
		    "handle (thread, `CONTROL`); `EDEAD`; `EBUSY` already started"))         \
	X(THREAD_SET_PRIORITY, thread_set_priority,  7, ARGS2(aion_handle_t, thread,         \
		unsigned, prio),                                                             \
		USE(HANDLE(THREAD, CONTROL), VAL(1)),                                        \
		DOC("`thread`, `prio`", "0",                                                 \
		    "handle (thread, `CONTROL`); `EINVAL` prio > 255; `EPERM` above the "    \
		    "unit's maximum; `EDEAD`"))                                              \
	X(THREAD_INFO,         thread_info,          8, ARGS2(aion_handle_t, thread,         \
		struct aion_thread_info *, out),                                             \
		USE(HANDLE(THREAD, READ), BUF_OUT),                                          \
		DOC("`thread` (`AION_HANDLE_SELF`: the caller), `out` "                     \
		    "(`struct aion_thread_info`)", "0",                                      \
		    "handle (thread, `READ`); `EFAULT`"))                                    \
	X(UNIT_CREATE,         unit_create,          9, ARGS5(aion_handle_t, parent,         \
		const char *, name, size_t, name_len, uint64_t, quota, unsigned, max_prio),  \
		USE(HANDLE(UNIT, SPAWN), BUF_IN, VAL(16), VAL(1), VAL(1)),                   \
		DOC("`parent`, `name`, `name_len` (1..31), `quota_frames`, `max_prio`",      \
		    "unit handle",                                                           \
		    "handle (parent, `SPAWN`); `EPERM` parent is neither the caller's "      \
		    "own unit nor one of its descendants, or max_prio above the "            \
		    "parent's; `EDEAD` parent being destroyed; `EINVAL` name_len or "        \
		    "max_prio; `EFAULT` name; `ENOMEM` quota above the caller's unused "     \
		    "quota, or kernel memory; `ENOSPC` handle table full, or no kernel "     \
		    "stack slot left to lend it"))                                           \
	X(UNIT_DESTROY,        unit_destroy,        10, ARGS1(aion_handle_t, unit),          \
		USE(HANDLE(UNIT, DESTROY)),                                                  \
		DOC("`unit`", "0",                                                           \
		    "handle (unit, `DESTROY`); `EBUSY` the caller's own unit; `ENOENT` "     \
		    "already destroyed"))                                                    \
	X(UNIT_INFO,           unit_info,           11, ARGS2(aion_handle_t, unit,           \
		struct aion_unit_info *, out),                                               \
		USE(HANDLE(UNIT, READ), BUF_OUT),                                            \
		DOC("`unit`, `out` (`struct aion_unit_info`)", "0",                          \
		    "handle (unit, `READ`); `EFAULT`"))                                      \
	/* Fresh zeroed pages charged to the unit (not a memory object). */                  \
	X(ANON_MAP,            anon_map,            12, ARGS4(aion_handle_t, unit,           \
		uint64_t, va, uint64_t, len, unsigned, prot),                                \
		USE(HANDLE(UNIT, WRITE), ADDR, VAL(4096), VAL(AION_PROT_READ)),              \
		DOC("`unit`, `va`, `len`, `prot`", "0",                                      \
		    "handle (unit, `WRITE`); `EINVAL` va or len not page-aligned, len 0 "    \
		    "or > 4 MiB, unknown prot bits; `EFAULT` outside the user half; "        \
		    "`EDEAD` destroyed or being destroyed; `ENOMEM` quota; `EEXIST` a "      \
		    "page is mapped already. All or nothing."))                              \
	X(ANON_UNMAP,          anon_unmap,          13, ARGS3(aion_handle_t, unit,           \
		uint64_t, va, uint64_t, len),                                                \
		USE(HANDLE(UNIT, WRITE), ADDR, VAL(4096)),                                   \
		DOC("`unit`, `va`, `len`", "0",                                              \
		    "as `ANON_MAP`; `ENOENT` some page was not mapped (the others are "      \
		    "unmapped)"))                                                            \
	X(MEM_WRITE,           mem_write,           14, ARGS4(aion_handle_t, unit,           \
		uint64_t, dst, const void *, src, uint64_t, len),                            \
		USE(HANDLE(UNIT, WRITE), BUF_OUT, BUF_IN, VAL(16)),                          \
		DOC("`unit`, `dst`, `src`, `len` (≤ 64 KiB)", "0",                           \
		    "handle (unit, `WRITE`); `EINVAL` len; `EDEAD`; `EFAULT` dst not "       \
		    "mapped in the unit or src not readable in the caller; `EPERM` dst "     \
		    "is a borrowed page (a boot module)"))                                   \
	X(SYSTEM_INFO,         system_info,         15, ARGS1(struct aion_system_info *, out), \
		USE(BUF_OUT),                                                                \
		DOC("`out` (`struct aion_system_info`)", "0", "`EFAULT`"))                   \
	X(HANDLE_CLOSE,        handle_close,        16, ARGS1(aion_handle_t, h),             \
		USE(HANDLE(ANY, NONE)),                                                      \
		DOC("`handle`", "0 (the last handle to a unit outside it destroys the unit)", \
		    "`ECAP`; `EPERM` for `AION_HANDLE_SELF`"))                               \
	X(CAP_COPY,            cap_copy,            17, ARGS2(aion_handle_t, h,              \
		uint32_t, rights),                                                           \
		USE(HANDLE(ANY, NONE), VAL(AION_RIGHTS_ALL)),                                \
		DOC("`h`, `rights_mask`", "new handle",                                      \
		    "`ECAP`; `ENOSPC` table full; `EAGAIN` a revoke of the object runs"))    \
	X(CAP_MINT,            cap_mint,            18, ARGS3(aion_handle_t, h,              \
		uint32_t, rights, uint64_t, badge),                                          \
		USE(HANDLE(ANY, NONE), VAL(AION_RIGHTS_ALL), VAL(1)),                        \
		DOC("`h`, `rights_mask`, `badge` (≠ 0)", "new handle",                       \
		    "`ECAP`; `EINVAL` badge 0; `EPERM` source already badged; `ERIGHTS` "    \
		    "an endpoint without `RECV`; `ENOSPC`; `EAGAIN` as `CAP_COPY`"))                                               \
	X(CAP_REVOKE,          cap_revoke,          19, OWN,                                 \
		USE(HANDLE(ANY, NONE)),                                                      \
		DOC("`h`", "0 (every descendant deleted)", "`ECAP`"))                        \
	X(CAP_INFO,            cap_info,            20, ARGS2(aion_handle_t, h,              \
		struct aion_cap_info *, out),                                                \
		USE(HANDLE(ANY, NONE), BUF_OUT),                                             \
		DOC("`h`, `out` (`struct aion_cap_info`)", "0", "`ECAP`; `EFAULT`"))         \
	X(ENDPOINT_CREATE,     endpoint_create,     21, ARGS0(),                             \
		USE(),                                                                       \
		DOC("–", "handle (all rights)", "`ENOMEM` quota; `ENOSPC`"))                 \
	X(CALL,                call,                22, OWN,                                 \
		USE(HANDLE(ENDPOINT, SEND), MSG, VAL(0), VAL(0), VAL(0), VAL(1000000)),      \
		DOC("`ep`, `tag` (with `AION_TAG_ACCEPT(n)`: the reply may carry n "         \
		    "capabilities)", "0; reply in registers",                                \
		    "handle (endpoint, `SEND`; `GRANT` if the tag carries "                  \
		    "capabilities); `EINVAL` payload > 512 bytes, > 4 capabilities sent "    \
		    "or accepted, or payload/capabilities without an IPC buffer; `EDEAD` "   \
		    "no receiver can ever take it (it did not run); `EINDOUBT` the server "  \
		    "took it and died, received again or dropped the saved reply "           \
		    "without answering (it may have run); `ETIMEDOUT`; sender-side "         \
		    "transfer errors (`EFAULT` buffer, `ECAP` "                              \
		    "a handle to send, `EPERM` moving `SELF`, `EINVAL` the same "            \
		    "capability twice with a move, `EAGAIN` a copied one is being "          \
		    "revoked); receiver-side errors as the reply (`EFAULT`, `ENOSPC`, "      \
		    "`ENOMEM`)"))                                                            \
	X(RECV,                recv,                23, OWN,                                 \
		USE(HANDLE(ENDPOINT, RECV), VAL(0), VAL(0), VAL(0), VAL(0), VAL(1000000)),   \
		DOC("`ep`, –, –, –, –, `timeout`", "0; message in registers",                \
		    "handle (endpoint, `RECV`); `ETIMEDOUT`; `EDEAD` the endpoint lost "     \
		    "its last receive right; `EFAULT` our buffer cannot take the "           \
		    "message (the caller stays queued); `ENOSPC` our table cannot take "     \
		    "its capabilities, `ENOMEM` our quota not the table page they need "     \
		    "(nothing delivered either way, the caller stays queued)"))              \
	X(REPLY,               reply,               24, OWN,                                 \
		USE(MSG, VAL(0), VAL(0), VAL(0)),                                            \
		DOC("`tag`, `w0`, `w1`, `w2`", "0",                                          \
		    "`EINVAL` tag; `ENOENT` no call to answer; `EDEAD` the caller timed "    \
		    "out or died; `ERIGHTS` more capabilities than the call accepted (the "  \
		    "call stays ours to answer); transfer errors"))                          \
	X(REPLY_RECV,          reply_recv,          25, OWN,                                 \
		USE(HANDLE(ENDPOINT, RECV), MSG, VAL(0), VAL(0), VAL(0), VAL(1000000)),      \
		DOC("`ep`, `tag`, `w0`, `w1`, `w2`, `timeout`", "as `RECV`",                 \
		    "as `RECV`; a reply that fails through our own buffer is returned "      \
		    "and nothing is received"))                                              \
	X(REPLY_SAVE,          reply_save,          26, ARGS0(),                             \
		USE(),                                                                       \
		DOC("–", "reply handle (`SEND`)",                                            \
		    "`ENOENT` no call to answer; `ENOMEM` quota; `ENOSPC`"))                 \
	X(REPLY_TO,            reply_to,            27, OWN,                                 \
		USE(HANDLE(REPLY, SEND), MSG, VAL(0), VAL(0), VAL(0)),                       \
		DOC("`reply`, `tag`, `w0`, `w1`, `w2`", "0",                                 \
		    "handle (reply, `SEND`); `EDEAD` the caller timed out or died; "         \
		    "`ERIGHTS` as `REPLY`; transfer errors. The reply handle is deleted "    \
		    "once used (a reply that moves it to the caller gives the caller a "     \
		    "used one: `EDEAD`)"))                                                   \
	X(IPC_BUFFER,          ipc_buffer,          28, ARGS1(struct aion_ipc_buffer *, buf), \
		USE(ADDR),                                                                   \
		DOC("`vaddr` (page-aligned, 0 to unset)", "0",                               \
		    "`EINVAL` not page-aligned; `EFAULT` outside the user half"))            \
	X(NOTIFY_CREATE,       notify_create,       29, ARGS0(),                             \
		USE(),                                                                       \
		DOC("–", "handle", "`ENOMEM` quota; `ENOSPC`"))                              \
	X(SIGNAL,              signal,              30, ARGS2(aion_handle_t, n,              \
		uint64_t, bits),                                                             \
		USE(HANDLE(NOTIFICATION, SEND), VAL(1)),                                     \
		DOC("`n`, `bits`", "0", "handle (notification, `SEND`)"))                    \
	X(WAIT,                wait,                31, OWN,                                 \
		USE(HANDLE(NOTIFICATION, RECV), VAL(0), VAL(0), VAL(0), VAL(0), VAL(1000000)), \
		DOC("`n`, –, –, –, –, `timeout`", "0; bits in `rdi`",                        \
		    "handle (notification, `RECV`); `EBUSY` another thread waits; "          \
		    "`ETIMEDOUT`"))                                                          \
	X(POLL,                poll,                32, OWN,                                 \
		USE(HANDLE(NOTIFICATION, RECV)),                                             \
		DOC("`n`", "0; bits in `rdi` (0: none)", "handle (notification, `RECV`)"))   \
	X(NOTIFY_BIND,         notify_bind,         33, ARGS2(aion_handle_t, n,              \
		aion_handle_t, thread),                                                      \
		USE(HANDLE(NOTIFICATION, RECV), HANDLE(THREAD, CONTROL)),                    \
		DOC("`n`, `thread`", "0",                                                    \
		    "handles (`RECV`, thread `CONTROL`); `EBUSY` either is bound; "          \
		    "`EDEAD`"))                                                              \
	/* A copy of h (rights & mask) into unit's table: the handle there. */               \
	X(CAP_GIVE,            cap_give,            34, ARGS3(aion_handle_t, unit,           \
		aion_handle_t, h, uint32_t, rights),                                         \
		USE(HANDLE(UNIT, WRITE), HANDLE(ANY, NONE), VAL(AION_RIGHTS_ALL)),           \
		DOC("`unit`, `h`, `rights_mask`", "handle in that unit's table",             \
		    "handle (unit, `WRITE`); `ECAP` h; `EDEAD` being destroyed; `ENOSPC`; "  \
		    "`EAGAIN` as `CAP_COPY`"))                                               \
	X(MEMORY_CREATE,       memory_create,       35, ARGS1(unsigned, npages),             \
		USE(VAL(1)),                                                                 \
		DOC("`npages` (1..512)", "handle", "`EINVAL`; `ENOMEM` quota"))              \
	/* Maps pages of memory object mo (pages: 0 for all of them, else           \
	 * AION_MEM_PAGES(first, count)); a read-only capability maps read-only. */ \
	X(MEMORY_MAP,          memory_map,          36, ARGS5(aion_handle_t, mo,             \
		aion_handle_t, unit, uint64_t, va, unsigned, prot, uint64_t, pages),         \
		USE(HANDLE(MEMORY, READ), HANDLE(UNIT, WRITE), ADDR, VAL(AION_PROT_READ),    \
		    VAL(0)),                                                                 \
		DOC("`mo`, `unit`, `va`, `prot`, `pages`", "0",                              \
		    "handles (memory `READ`, plus `WRITE` for a writable mapping; unit "     \
		    "`WRITE`); `EINVAL` prot, alignment or a count of 0; `ERANGE` pages "    \
		    "past the object's end; `EFAULT` range; `ENOSPC` 32 mappings "           \
		    "already; `EEXIST` a page is mapped; `EPERM` another "                   \
		    "unit that holds no such capability to mo. Lasts while the unit "        \
		    "holds one"))                                                            \
	X(MEMORY_UNMAP,        memory_unmap,        37, ARGS2(aion_handle_t, unit,           \
		uint64_t, va),                                                               \
		USE(HANDLE(UNIT, WRITE), ADDR),                                              \
		DOC("`unit`, `va`", "0",                                                     \
		    "handle (unit, `WRITE`); `EFAULT` va outside the user half; "          \
		    "`ENOENT` no object mapped at va"))              \
	/* Physical address of a page, for DMA: needs AION_RIGHT_PHYS. */                    \
	X(MEMORY_PHYS,         memory_phys,         38, ARGS2(aion_handle_t, mo,             \
		unsigned, page),                                                             \
		USE(HANDLE(MEMORY, PHYS), VAL(0)),                                           \
		DOC("`mo`, `page`", "physical address",                                      \
		    "handle (memory, `PHYS`); `ERANGE` page"))                               \
	X(DEVICE_MEMORY,       device_memory,       39, ARGS3(aion_handle_t, platform,       \
		uint64_t, phys, unsigned, npages),                                           \
		USE(HANDLE(PLATFORM, CONTROL), VAL(0xfe000000), VAL(1)),                     \
		DOC("`platform`, `phys`, `npages`", "handle (no `PHYS`)",                    \
		    "handle (platform, `CONTROL`); `EINVAL` alignment or size, or the "      \
		    "range wraps past 2^64 or ends beyond the CPU's physical addresses; "    \
		    "`EPERM` the range touches RAM; `ENOMEM` quota"))                        \
	X(IOPORT_CREATE,       ioport_create,       40, ARGS3(aion_handle_t, platform,       \
		uint16_t, base, uint16_t, count),                                            \
		USE(HANDLE(PLATFORM, CONTROL), VAL(0x80), VAL(1)),                           \
		DOC("`platform`, `base`, `count` (1..64)", "handle",                         \
		    "handle (platform, `CONTROL`); `EINVAL`; `ENOMEM` quota"))               \
	X(IOPORT_ENABLE,       ioport_enable,       41, ARGS1(aion_handle_t, io),            \
		USE(HANDLE(IOPORT, WRITE)),                                                  \
		DOC("`io`", "0", "handle (I/O ports, `WRITE`); `ENOSPC` 4 ranges already. "   \
		    "Lasts while the unit holds a `WRITE` capability to io"))               \
	X(IRQ_CREATE,          irq_create,          42, ARGS2(aion_handle_t, platform,       \
		unsigned, line),                                                             \
		USE(HANDLE(PLATFORM, CONTROL), VAL(255)),                                    \
		DOC("`platform`, `line` (I/O APIC input, or `AION_IRQ_MSI_BASE` + k)", "handle",                         \
		    "handle (platform, `CONTROL`); `EINVAL` no such line; `EBUSY` taken; "   \
		    "`ENOMEM` quota"))                                                       \
	X(IRQ_SET_NOTIFY,      irq_set_notify,      43, ARGS3(aion_handle_t, irq,            \
		aion_handle_t, n, uint64_t, bits),                                           \
		USE(HANDLE(IRQ, CONTROL), HANDLE(NOTIFICATION, SEND), VAL(1)),               \
		DOC("`irq`, `n`, `bits` (≠ 0)", "0",                                         \
		    "handles (IRQ `CONTROL`, notification `SEND`); `EINVAL` bits 0. "        \
		    "Unmasks the line; lasts while the caller's unit holds a `SEND` "        \
		    "capability to n"))                                                      \
	X(IRQ_ACK,             irq_ack,             44, ARGS1(aion_handle_t, irq),           \
		USE(HANDLE(IRQ, CONTROL)),                                                   \
		DOC("`irq`", "0",                                                            \
		    "handle (IRQ, `CONTROL`); `ENOENT` no notification set. Unmasks the "    \
		    "line"))                                                                 \
	/* When unit ends, AION_NOTICE_UNIT_ENDED arrives on ep (badge 0: ep's). */          \
	X(UNIT_FAULT_EP,       unit_fault_ep,       45, ARGS3(aion_handle_t, unit,           \
		aion_handle_t, ep, uint64_t, badge),                                         \
		USE(HANDLE(UNIT, CONTROL), HANDLE(ENDPOINT, SEND), VAL(0)),                  \
		DOC("`unit`, `ep`, `badge` (0: the endpoint capability's)", "0",             \
		    "handles (unit `CONTROL`, endpoint `SEND`). Lasts while the caller's "   \
		    "unit holds a `SEND` capability to ep"))                                 \
	/* Slot index of unit's table: its handle, and what it names in *out. */             \
	X(CAP_LIST,            cap_list,            46, ARGS3(aion_handle_t, unit,           \
		unsigned, index, struct aion_cap_info *, out),                               \
		USE(HANDLE(UNIT, READ), VAL(0), BUF_OUT),                                    \
		DOC("`unit`, `index` (0..255), `out` (`struct aion_cap_info`)",              \
		    "the handle in that unit",                                               \
		    "handle (unit, `READ`); `ERANGE` index; `ENOENT` empty slot; "           \
		    "`EFAULT`"))                                                             \
	/* The FS base thread runs user code with (its TLS pointer); new: 0. */              \
	X(THREAD_SET_TLS,      thread_set_tls,      47, ARGS2(aion_handle_t, thread,         \
		uint64_t, base),                                                             \
		USE(HANDLE(THREAD, CONTROL), ADDR),                                          \
		DOC("`thread` (`AION_HANDLE_SELF`: the caller), `base` (0 or a user-half "  \
		    "address)", "0",                      \
		    "handle (thread, `CONTROL`); `EFAULT` base outside the user half; "      \
		    "`EDEAD` the thread ended"))                                             \
	/* Blocks while the u32 at uaddr equals expected, until a FUTEX_WAKE on  */          \
	/* the same (unit, uaddr) or the monotonic deadline (0: none).           */          \
	X(FUTEX_WAIT,          futex_wait,          48, ARGS3(const uint32_t *, uaddr,       \
		uint32_t, expected, uint64_t, deadline_ns),                                  \
		USE(ADDR, VAL(0xa10e), VAL(1)),                                              \
		DOC("`uaddr` (4-aligned), `expected`, `deadline_ns` (monotonic; 0: none)",   \
		    "0 when woken by `FUTEX_WAKE`",                                          \
		    "`EINVAL` uaddr not 4-aligned; `EFAULT` uaddr not readable; `EAGAIN` "   \
		    "the word is not `expected`; `ETIMEDOUT` the deadline passed; "          \
		    "`ENOSPC` sleep queue full"))                                            \
	/* Wakes up to count threads of the caller's unit waiting on uaddr. */               \
	X(FUTEX_WAKE,          futex_wake,          49, ARGS2(const uint32_t *, uaddr,       \
		uint32_t, count),                                                            \
		USE(ADDR, VAL(1)),                                                           \
		DOC("`uaddr` (4-aligned), `count`", "threads woken (≤ count)",               \
		    "`EINVAL` uaddr not 4-aligned; `EFAULT` uaddr outside the user half"))    \
	/* The caller's unit ends with code, every thread of it (POSIX exit). */             \
	X(UNIT_EXIT,           unit_exit,           50, OWN,                                 \
		USE(VAL(0)),                                                                 \
		DOC("`code`", "does not return", "–"))                                       \
	/* Upcalls (aion/upcall.h): bits for a thread's registered entry; a  */             \
	/* blocked thread's call returns EINTR unless a server took it.      */             \
	X(THREAD_INTERRUPT,    thread_interrupt,    51, ARGS2(aion_handle_t, thread,         \
		uint64_t, bits),                                                             \
		USE(HANDLE(THREAD, CONTROL), VAL(1)),                                        \
		DOC("`thread`, `bits` (≠ 0)", "0",                                           \
		    "handle (thread, `CONTROL`); `EINVAL` bits 0; `EDEAD` the thread "       \
		    "ended; `ENOENT` no entry registered (nothing kept)"))                   \
	X(UPCALL_SET,          upcall_set,          52, ARGS2(uint64_t, entry,               \
		uint32_t, flags),                                                            \
		USE(ADDR, VAL(0)),                                                           \
		DOC("`entry` (0: none) for the calling thread, `flags` "                     \
		    "(`AION_UPCALL_FAULTS`: faults enter it too)", "0",                      \
		    "`EFAULT` entry outside the user half; `EINVAL` unknown flags"))         \
	X(UPCALL_RETURN,       upcall_return,       53, ARGS1(                               \
		const struct aion_upcall_context *, ctx),                                    \
		USE(BUF_IN),                                                                 \
		DOC("`ctx` (0: only unmask)", "unmasks upcalls; with ctx, resumes it "       \
		    "(every register restored)",                                             \
		    "`EFAULT`; `EINVAL` not a context the kernel wrote (magic), or rip/rsp " \
		    "outside the user half"))                                                \
	/* A thread names itself to its siblings (a program's first thread   */             \
	/* holds no handle to itself: its creator does).                     */             \
	X(THREAD_SELF,         thread_self,         54, ARGS0(),                             \
		USE(),                                                                       \
		DOC("–", "a new handle to the calling thread (every right)",                 \
		    "`ENOSPC` no handle slot"))                                              \
	/* Moves a thread to a CPU: its queues, and it runs only there    */             \
	/* (docs/smp.md); THREAD_INFO tells where it is.                     */             \
	X(THREAD_SET_CPU,      thread_set_cpu,      55, ARGS2(aion_handle_t, thread,         \
		unsigned, cpu),                                                              \
		USE(HANDLE(THREAD, CONTROL), VAL(1)),                                        \
		DOC("`thread`, `cpu`", "0",                                                  \
		    "handle (thread, `CONTROL`); `EINVAL` cpu not online; `EDEAD`"))      \
	/* SIGNAL then RECV in one call: the thread the signal wakes runs   */             \
	/* when this one blocks, not in between (docs/network.md: a switch   */             \
	/* saved per handoff between a producer and its consumer).           */             \
	X(SIGNAL_RECV,         signal_recv,         56, OWN,                                 \
		USE(HANDLE(ENDPOINT, RECV), HANDLE(NOTIFICATION, SEND), VAL(1), VAL(0),      \
		    VAL(0), VAL(1000000)),                                                   \
		DOC("`ep`, `n`, `bits`, –, –, `timeout`", "as `RECV`",                       \
		    "handle (endpoint, `RECV`; notification, `SEND`): nothing is signalled " \
		    "then; as `RECV`"))                                                    \
	/* Copies between bytes [off, off+len) of a memory object and the     */          \
	/* caller's memory without mapping it: a server's safe access to a    */          \
	/* client's object, which the client may revoke at any moment (a      */          \
	/* mapping of it would go, and the server fault). All or nothing.     */          \
	X(MEMORY_READ,         memory_read,         57, ARGS4(aion_handle_t, mo,             \
		uint64_t, off, void *, buf, uint64_t, len),                                  \
		USE(HANDLE(MEMORY, READ), VAL(0), BUF_OUT, VAL(16)),                         \
		DOC("`mo`, `off`, `buf`, `len` (≤ 64 KiB)", "0",                             \
		    "handle (memory, `READ`); `EINVAL` len, or device memory; `ERANGE` "     \
		    "past the object's end; `EFAULT` buf not writable"))                     \
	X(MEMORY_WRITE,        memory_write,        58, ARGS4(aion_handle_t, mo,             \
		uint64_t, off, const void *, buf, uint64_t, len),                            \
		USE(HANDLE(MEMORY, WRITE), VAL(0), BUF_IN, VAL(16)),                         \
		DOC("`mo`, `off`, `buf`, `len` (≤ 64 KiB)", "0",                             \
		    "handle (memory, `WRITE`); `EINVAL` len, or device memory; `ERANGE` "    \
		    "past the object's end; `EFAULT` buf not readable"))                     \
	X(IRQ_MSI_MESSAGE,     irq_msi_message,     59, ARGS1(aion_handle_t, irq),           \
		USE(HANDLE(IRQ, READ)),                                                      \
		DOC("`irq`", "the message a device writes to raise it (`AION_MSI_ADDRESS`, " \
		    "`AION_MSI_DATA`)", "handle (IRQ, `READ`); `EINVAL` not a "              \
		    "message-signalled line"))                                               \
	/* guest (host's child, nothing mapped or started) then lives in host's */          \
	/* address space, mapping only in its window: switching between the two */          \
	/* writes no CR3. Each can read and write the other's memory.           */          \
	X(UNIT_COLOCATE,       unit_colocate,       60, ARGS3(aion_handle_t, guest,          \
		aion_handle_t, host, unsigned, window),                                      \
		USE(HANDLE(UNIT, WRITE), HANDLE(UNIT, WRITE), VAL(1)),                       \
		DOC("`guest`, `host`, `window` (1..254)", "0",                               \
		    "handles (units, `WRITE`); `EINVAL` window, guest not host's child, or "   \
		    "either a guest already; `EBUSY` guest has mappings, threads or "         \
		    "children, or host uses the window; `EDEAD` either dying; `ENOMEM`"))

enum aion_syscall {
#define AION_SYSCALL_ENUM(NAME, name, num, args, use, doc) AION_SYS_##NAME = num,
	AION_SYSCALLS(AION_SYSCALL_ENUM)
#undef AION_SYSCALL_ENUM
	AION_SYS_COUNT
};

/* Largest buffer one DEBUG_LOG, MEM_WRITE, MEMORY_READ or MEMORY_WRITE call
 * moves: bounds its time. */
#define AION_LOG_MAX          256
#define AION_MEM_WRITE_MAX    (64u << 10)

#endif /* AION_SYSCALL_H */
