/*
 * The thread pointer for Aion (arch aion_x86_64). x86_64 reads it from
 * %fs:0, but Aion has no call yet to set a thread's FS base (issue 17 lists
 * it with pthreads). Until then the thread pointer is one word of the
 * POSIX layer, set by set_thread_area/arch_prctl(ARCH_SET_FS) through
 * __aion_syscall: right for a process with one thread, which is all the
 * POSIX layer runs today. Code compiled with __thread variables still
 * addresses %fs directly and faults (docs/posix.md).
 */
extern __attribute__((__visibility__("hidden"))) unsigned long __aion_tp;

static inline uintptr_t __get_tp()
{
	return __aion_tp;
}

#define MC_PC gregs[REG_RIP]
