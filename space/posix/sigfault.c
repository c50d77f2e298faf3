/*
 * Faults as signals (docs/posix.md "Faults"). Each thread registers its
 * upcall entry with AION_UPCALL_FAULTS (signal.c, thread.c), so a CPU
 * exception its own instruction raises comes here instead of ending the
 * process: the vector becomes Linux's signal and si_code, and the handler
 * runs at once on this thread (__aion_sig_sync). A handler that returns
 * resumes the faulting instruction, which faults again unless the handler
 * changed what it touches (mprotect, mmap): POSIX leaves that undefined,
 * and Linux loops the same way.
 *
 * A fault whose signal is blocked, ignored or SIG_DFL ends the process,
 * as on Linux. Where the kernel's own path gives the same status, this
 * thread drops its opt-in and runs the instruction again: the kernel
 * ends the unit as without fault upcalls, with its `unit fault` log line
 * (rip, address) and procd's fault notice (the signal from the vector).
 * Elsewhere (a trap, whose rip is past the instruction; SIGBUS for a page
 * fault) the process ends through procd with the signal itself.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "libaion/sys.h"
#include "sigfault.h"

enum {
	VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_OF = 4, VEC_UD = 6, VEC_NP = 11, VEC_SS = 12,
	VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_XM = 19,
};
#define PF_PRESENT      0x1u            /* the page was mapped: the access was refused */

/* si_code of an x87 or SSE error: the first unmasked exception flag, in
 * Linux's order (invalid, divide, overflow, underflow or denormal, inexact). */
static int float_code(uint32_t vector)
{
	uint32_t flags;
	if (vector == VEC_XM) {
		uint32_t mxcsr;
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		flags = mxcsr & ~(mxcsr >> 7);
	} else {
		uint16_t sw, cw;
		__asm__ volatile("fnstsw %0\n\tfnstcw %1" : "=m"(sw), "=m"(cw));
		flags = (uint32_t)(sw & ~cw);
	}
	return flags & 0x01 ? FPE_FLTINV : flags & 0x04 ? FPE_FLTDIV : flags & 0x08 ? FPE_FLTOVF :
	       flags & 0x12 ? FPE_FLTUND : flags & 0x20 ? FPE_FLTRES : 0;
}

/* A page fault: unmapped (MAPERR), refused (ACCERR), or past a file's end (SIGBUS). */
static int page_fault(uint64_t err, uint64_t addr, siginfo_t *si)
{
	int kind = __aion_mem_fault_kind((uintptr_t)addr);
	if (kind == POSIX_MEM_PAST_EOF && !(err & PF_PRESENT)) {
		si->si_code = BUS_ADRERR;
		return SIGBUS;
	}
	si->si_code = err & PF_PRESENT || kind == POSIX_MEM_MAPPED ? SEGV_ACCERR : SEGV_MAPERR;
	return SIGSEGV;
}

/* The signal for vector, with si_code and si_addr set in si (Linux's choices). */
static int fault_signal(uint32_t vector, uint64_t err, uint64_t addr, siginfo_t *si)
{
	si->si_addr = (void *)addr;
	switch (vector) {
	case VEC_PF:
		return page_fault(err, addr, si);
	case VEC_UD:
		si->si_code = ILL_ILLOPN;
		return SIGILL;
	case VEC_DE:
		si->si_code = FPE_INTDIV;
		return SIGFPE;
	case VEC_MF:
	case VEC_XM:
		si->si_code = float_code(vector);
		return SIGFPE;
	case VEC_AC:
		si->si_code = BUS_ADRALN;
		return SIGBUS;
	case VEC_NP:
	case VEC_SS:
		si->si_code = SI_KERNEL;
		si->si_addr = NULL;
		return SIGBUS;
	case VEC_DB:
		si->si_code = TRAP_TRACE;
		return SIGTRAP;
	case VEC_BP:
		si->si_code = SI_KERNEL;
		si->si_addr = NULL;
		return SIGTRAP;
	default:                        /* #GP, #TS, #OF, #BR, ...: no address (Linux) */
		si->si_code = SI_KERNEL;
		si->si_addr = NULL;
		return SIGSEGV;
	}
}

/* Whether the instruction run again without the opt-in makes the kernel
 * end the unit with sig as procd's status (procd/table.c proc_fault_signal). */
static bool kernel_ends_alike(uint32_t vector, int sig)
{
	if (vector == VEC_DB || vector == VEC_BP || vector == VEC_OF)
		return false;           /* traps: the context's rip is past the instruction */
	return vector != VEC_PF || sig == SIGSEGV;
}

void __aion_sig_fault(const struct aion_upcall_context *ctx)
{
	uint32_t vector = ctx->fault - 1;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = fault_signal(vector, ctx->fault_error, ctx->fault_addr, &si);
	/* The faulting code may have been building a message in the IPC
	 * buffer, and the handler may make calls: kept aside, as for any
	 * upcall (a handler that fixes the page and returns resumes it). */
	struct aion_ipc_buffer keep;
	__aion_vfs_buf_keep(&keep, 0);
	bool ran = __aion_sig_sync(si.si_signo, &si, ctx);
	__aion_vfs_buf_keep(&keep, 1);
	if (ran)
		return;
	if (!kernel_ends_alike(vector, si.si_signo))
		__aion_sig_exit(si.si_signo);
	aion_upcall_set((uint64_t)__aion_sig_entry, 0);        /* the entry's return faults again */
}
