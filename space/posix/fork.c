/*
 * fork for a single-threaded process, copied eagerly (docs/posix.md
 * "Processes"). procd makes the child's unit and lends us a handle to it
 * with the WRITE right only; we map our own memory into it and copy it
 * with MEM_WRITE: the program's loaded segments (text, rodata, data and
 * bss: posix.ld's symbols), the brk heap and the mmap regions (mem.c),
 * the used part of the stack (the rest mapped, zero), the startup
 * record and the argv block; shared mappings are not copied but mapped
 * into the child (mem.c). Then procd takes the handle back and starts
 * the child's thread at __aion_fork_entry (fork.S), which resumes in
 * __aion_fork with 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include "aion/proc.h"
#include "libaion/lib.h"
#include "posix.h"

#define PAGE            4096ul
#define MAP_CHUNK       (4ul << 20)     /* ANON_MAP's largest */
#define SCRATCH         512             /* the child's first stack: below the saved rsp */

/* The saved context; fork.S reads the child's copy. Order fixed by fork.S. */
struct fork_ctx {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
__attribute__((visibility("hidden"))) struct fork_ctx __aion_fork_ctx;

int __aion_ctx_save(struct fork_ctx *c) __attribute__((returns_twice)) POSIX_HIDDEN;
void __aion_fork_entry(void) POSIX_HIDDEN;
void __aion_fork_child(uint64_t ep) POSIX_HIDDEN;

/* posix.ld: where each kind of the program's segments starts. */
extern char __aion_text_start[], __aion_rodata_start[], __aion_data_start[], _end[];

static uintptr_t page_down(uintptr_t a) { return a & ~(PAGE - 1); }
static uintptr_t page_up(uintptr_t a) { return (a + PAGE - 1) & ~(PAGE - 1); }

/* Maps [a, b) in the child with prot, then copies [from, b) into it. */
static long copy_range(uintptr_t a, uintptr_t b, unsigned prot, void *arg, uintptr_t from)
{
	aion_handle_t u = (aion_handle_t)(uintptr_t)arg;

	for (uintptr_t p = a; p < b; p += MAP_CHUNK)
		if (aion_anon_map(u, p, b - p < MAP_CHUNK ? b - p : MAP_CHUNK, prot))
			return -ENOMEM;
	for (uintptr_t p = from; p < b; p += AION_MEM_WRITE_MAX)
		if (aion_mem_write(u, p, (const void *)p,
				   b - p < AION_MEM_WRITE_MAX ? b - p : AION_MEM_WRITE_MAX))
			return -ENOMEM;
	return 0;
}

static long copy_whole(uintptr_t a, uintptr_t b, unsigned prot, void *arg)
{
	return copy_range(a, b, prot, arg, a);
}

static long copy_all(aion_handle_t u)
{
	void *arg = (void *)(uintptr_t)u;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	long err = copy_whole((uintptr_t)__aion_text_start, (uintptr_t)__aion_rodata_start,
			      AION_PROT_READ | AION_PROT_EXEC, arg);
	if (!err)
		err = copy_whole((uintptr_t)__aion_rodata_start, (uintptr_t)__aion_data_start,
				 AION_PROT_READ, arg);
	if (!err)
		err = copy_whole((uintptr_t)__aion_data_start, page_up((uintptr_t)_end),
				 AION_PROT_READ | AION_PROT_WRITE, arg);
	if (!err)
		err = copy_whole(AION_STARTUP_VADDR, AION_STARTUP_VADDR + PAGE, AION_PROT_READ, arg);
	/* argv and envp's strings: the child's argv points into its copy. */
	const struct aion_startup *st = (const struct aion_startup *)AION_STARTUP_VADDR;
	if (!err && st->argv_len && st->argv_len <= AION_ARGV_MAX)
		err = copy_whole(AION_ARGV_VADDR, page_up(AION_ARGV_VADDR + st->argv_len),
				 AION_PROT_READ | AION_PROT_WRITE, arg);
	if (!err)
		err = __aion_mem_each(copy_whole, arg);
	if (!err)
		err = __aion_mem_fork_shared(u);
	/* Below our own frame nothing the child resumes into is kept. A
	 * thread other than the first forks on its own stack (an mmap
	 * region, copied above): the first's stack is only mapped, zero. */
	uintptr_t stack = AION_STACK_TOP - PROC_STACK_PAGES * PAGE;
	uintptr_t from = sp >= stack && sp < AION_STACK_TOP ? page_down(sp) : AION_STACK_TOP;
	if (!err)
		err = copy_range(stack, AION_STACK_TOP, AION_PROT_READ | AION_PROT_WRITE, arg, from);
	return err;
}

/*
 * The forking thread's thread pointer (musl's, at %fs:0), saved before
 * the copy: the child's thread starts with FS base 0, and the POSIX
 * layer's own state (thread.c's tid) and musl's (errno) are in TLS, so
 * the child sets it before anything else.
 */
static uintptr_t fork_tp;

void __aion_fork_child(uint64_t ep)
{
	aion_thread_set_tls(AION_HANDLE_SELF, fork_tp);
	__aion_proc_forked(ep);
	__aion_thread_forked();
	__aion_vfs_forked();
	__aion_sig_start(1);
}

/* A child that could not be made whole: ended and reaped at once. */
static void drop_child(long pid)
{
	__aion_proc_call(PROC_KILL, (uint64_t)pid, SIGKILL, 0, NULL);
	__aion_proc_call(PROC_WAIT4, (uint64_t)pid, 0, 0, NULL);
}

long __aion_fork(void)
{
	uint64_t unit;

	/* Partial lines would be printed by both. */
	__aion_posix_flush();
	long pid = __aion_proc_call(PROC_FORK, 0, 0, 0, &unit);
	if (pid < 0)
		return pid;
	__asm__ volatile("movq %%fs:0, %0" : "=r"(fork_tp));
	if (__aion_ctx_save(&__aion_fork_ctx))
		return 0;               /* the child, on its copy of this frame */
	long err = copy_all((aion_handle_t)unit);
	int gave = 0;
	/* After the copy: the child's variables are patched to its handles. */
	if (!err)
		gave = !(err = __aion_caps_fork((aion_handle_t)unit));
	aion_handle_close((aion_handle_t)unit);
	if (!err)
		err = __aion_proc_call(PROC_FORK_START, (uint64_t)pid, (uint64_t)__aion_fork_entry,
				       (__aion_fork_ctx.rsp - SCRATCH) & ~15ul, NULL);
	if (err) {
		if (gave)
			__aion_caps_fork_undo();
		drop_child(pid);
		return err;
	}
	return pid;
}

/* clone as musl's fork and vfork make it (SIGCHLD, no new stack); not threads. */
long __aion_clone(unsigned long flags, uintptr_t stack)
{
	if (flags == SIGCHLD && !stack)
		return __aion_fork();
	return -ENOSYS;
}
