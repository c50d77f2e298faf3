/*
 * The bound of each system call: the most work one invocation does, the
 * "bound per call" column of docs/abi.md's table (scripts/lib/abi-table).
 * A separate list from AION_SYSCALLS so the rows there stay one call each;
 * tests/abi/abi_lists.c checks at compile time that this list names every
 * call exactly once. Only that host program expands the strings.
 *
 * Words used below: "O(1)" is a fixed amount of work, independent of any
 * count a unit controls; "release" is dropping the last reference to a
 * kernel object, which may wake every thread blocked on it (at most 512,
 * THREAD_MAX) and free its frames (a memory object: at most 512). A call
 * marked "restartable" does a fixed chunk, then, when an interrupt is
 * pending (the local APIC's IRR), returns to user mode with its `syscall`
 * instruction to run again; its progress is kept in the kernel's objects,
 * so the restart continues where the last chunk ended.
 *
 * X(NAME, bound)
 */
#ifndef AION_SYSCALL_BOUNDS_H
#define AION_SYSCALL_BOUNDS_H

#define AION_SYSCALL_BOUNDS(X)                                                        \
	X(DEBUG_LOG,           "copy ≤ 256 bytes; ≤ 290 port writes and, per serial "  \
	                       "port, ≤ 100 M TSC cycles (~50 ms) of waiting per call")  \
	X(CLOCK_NS,            "O(1)")                                                  \
	X(YIELD,               "O(1) (a run-queue bitmap scan)")                        \
	X(SLEEP_UNTIL,         "O(sleepers) sorted insert, ≤ 512")                      \
	X(THREAD_EXIT,         "O(1) plus the thread's release")                        \
	X(THREAD_CREATE,       "O(1); one kernel stack slot")                           \
	X(THREAD_START,        "O(1)")                                                  \
	X(THREAD_SET_PRIORITY, "O(1)")                                                  \
	X(THREAD_INFO,         "O(1)")                                                  \
	X(UNIT_CREATE,         "≤ 16 levels up to the caller; name ≤ 31 bytes")         \
	X(UNIT_DESTROY,        "restartable: slices of 128 threads, handle slots, "     \
	                       "pages or page tables (a mapped memory object counts "   \
	                       "its pages: ≤ 512 over), each after a walk of ≤ 16 "     \
	                       "levels that ends the units it passes (≤ 512 threads "   \
	                       "each); the progress is in the units, so a later "       \
	                       "destroy or the orphan reaper goes on")                  \
	X(UNIT_INFO,           "O(threads of the unit) ≤ 512: the CPUs they are on")   \
	X(ANON_MAP,            "restartable: chunks of 64 pages allocated, zeroed "     \
	                       "and mapped (≤ 1,024 in all); a cut map given up is "    \
	                       "unmapped by the caller's next call (≤ 1,024 pages)")    \
	X(ANON_UNMAP,          "restartable: chunks of 256 pages unmapped and freed "   \
	                       "(≤ 1,024 in all)")                                      \
	X(MEM_WRITE,           "copy ≤ 64 KiB")                                         \
	X(SYSTEM_INFO,         "O(1)")                                                  \
	X(HANDLE_CLOSE,        "O(1) (its children join its parent's as one ring) "     \
	                       "plus the object's release; a unit it leaves with no "   \
	                       "holder goes at the call's end, restartable as "         \
	                       "`UNIT_DESTROY`")                                        \
	X(CAP_COPY,            "O(1)")                                                  \
	X(CAP_MINT,            "O(1)")                                                  \
	X(CAP_REVOKE,          "restartable: chunks of 16 deletions, each O(1) (a "    \
	                       "child goes, its own join the revoked slot's), a scan "  \
	                       "of the holder's 256 slots and a release; while it "     \
	                       "runs, "                                                 \
	                       "copies of the object are refused (`EAGAIN`) and it "    \
	                       "returns only when no descendant is left")               \
	X(CAP_INFO,            "O(1)")                                                  \
	X(ENDPOINT_CREATE,     "O(1)")                                                  \
	X(CALL,                "copy ≤ 512 bytes and ≤ 4 capabilities")                 \
	X(RECV,                "copy ≤ 512 bytes and ≤ 4 capabilities")                 \
	X(REPLY,               "copy ≤ 512 bytes and ≤ 4 capabilities")                 \
	X(REPLY_RECV,          "as `REPLY` then `RECV`")                                \
	X(REPLY_SAVE,          "O(1)")                                                  \
	X(REPLY_TO,            "as `REPLY`")                                            \
	X(IPC_BUFFER,          "O(1)")                                                  \
	X(NOTIFY_CREATE,       "O(1)")                                                  \
	X(SIGNAL,              "O(1): wakes ≤ 1 thread")                                \
	X(WAIT,                "O(1)")                                                  \
	X(POLL,                "O(1)")                                                  \
	X(NOTIFY_BIND,         "O(1)")                                                  \
	X(CAP_GIVE,            "O(1)")                                                  \
	X(MEMORY_CREATE,       "restartable: chunks of 64 pages allocated and zeroed "  \
	                       "(≤ 512 in all); a cut create given up is freed by "     \
	                       "the caller's next call")                                \
	X(MEMORY_MAP,          "≤ 512 pages mapped; ≤ 256 handle slots searched")       \
	X(MEMORY_UNMAP,        "≤ 512 pages unmapped")                                  \
	X(MEMORY_PHYS,         "O(1)")                                                  \
	X(DEVICE_MEMORY,       "O(1) per RAM range of the memory map (≤ 64)")           \
	X(IOPORT_CREATE,       "O(1)")                                                  \
	X(IOPORT_ENABLE,       "≤ 64 bits of the I/O bitmap")                           \
	X(IRQ_CREATE,          "O(1)")                                                  \
	X(IRQ_SET_NOTIFY,      "O(1)")                                                  \
	X(IRQ_ACK,             "O(1)")                                                  \
	X(UNIT_FAULT_EP,       "O(1)")                                                  \
	X(CAP_LIST,            "O(1)")                                                  \
	X(THREAD_SET_TLS,      "O(1)")                                                  \
	X(FUTEX_WAIT,          "copy 4 bytes; O(1) link; O(log sleepers) deadline")     \
	X(FUTEX_WAKE,          "a walk of one of 64 wait chains: ≤ 2048 links (every "  \
	                       "waiting thread, THREAD_MAX), ≤ count woken")           \
	X(UNIT_EXIT,           "O(threads of the unit) ≤ 512: each ended and reaped")  \
	X(THREAD_INTERRUPT,    "O(1) (a blocked target leaves one queue)")             \
	X(UPCALL_SET,          "O(1)")                                                  \
	X(UPCALL_RETURN,       "copy 160 bytes")                                        \
	X(THREAD_SELF,         "O(1)")                                                  \
	/* A move of a queued or sleeping thread: O(log threads) for its     */   \
	/* sleep entry.                                                      */   \
	X(THREAD_SET_CPU,      "O(log threads)")                                        \
	X(SIGNAL_RECV,         "as `SIGNAL` then `RECV`")                               \
	X(MEMORY_READ,         "copy ≤ 64 KiB (≤ 17 pages of the caller checked)")      \
	X(MEMORY_WRITE,        "copy ≤ 64 KiB (≤ 17 pages of the caller checked)")      \
	X(IRQ_MSI_MESSAGE,     "O(1)")                                                  \
	/* The guest's 256 top-level user entries checked empty.           */   \
	X(UNIT_COLOCATE,       "O(256)")

#endif /* AION_SYSCALL_BOUNDS_H */
