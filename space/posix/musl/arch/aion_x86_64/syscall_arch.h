/*
 * musl's system call header for Aion (arch aion_x86_64): the one place
 * musl's code reaches the system. On Linux each __syscallN is a `syscall`
 * instruction; here it is a call into the POSIX layer (space/posix), which
 * turns the Linux call number and arguments into Aion system calls and,
 * later, IPC to the POSIX servers. Results keep Linux's convention:
 * >= 0, or -errno (musl's own errno numbers).
 *
 * Everything else of the arch is x86_64's (the links next to this file).
 */
long __aion_syscall(long n, long a, long b, long c, long d, long e, long f)
	__attribute__((__visibility__("hidden")));

#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

static __inline long __syscall0(long n)
{
	return __aion_syscall(n, 0, 0, 0, 0, 0, 0);
}

static __inline long __syscall1(long n, long a1)
{
	return __aion_syscall(n, a1, 0, 0, 0, 0, 0);
}

static __inline long __syscall2(long n, long a1, long a2)
{
	return __aion_syscall(n, a1, a2, 0, 0, 0, 0);
}

static __inline long __syscall3(long n, long a1, long a2, long a3)
{
	return __aion_syscall(n, a1, a2, a3, 0, 0, 0);
}

static __inline long __syscall4(long n, long a1, long a2, long a3, long a4)
{
	return __aion_syscall(n, a1, a2, a3, a4, 0, 0);
}

static __inline long __syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
	return __aion_syscall(n, a1, a2, a3, a4, a5, 0);
}

static __inline long __syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return __aion_syscall(n, a1, a2, a3, a4, a5, a6);
}

/* No vDSO on Aion: clock_gettime and getcpu go through __aion_syscall. */

#define IPC_64 0
