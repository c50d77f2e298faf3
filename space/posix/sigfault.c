/*
 * Faults as signals (docs/posix.md "Faults"). Each thread registers its
 * upcall entry with AION_UPCALL_FAULTS (signal.c, thread.c), so a CPU
 * exception its own instruction raises comes here instead of ending the
 * process: the vector becomes Linux's signal and si_code (faultsig.c),
 * and the handler runs at once on this thread (__aion_sig_sync). A
 * handler that returns resumes the faulting instruction, which faults
 * again unless the handler changed what it touches (mprotect, mmap):
 * POSIX leaves that undefined, and Linux loops the same way.
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
#include "faultsig.h"
#include "sigfault.h"

/* The x87 or SSE exception flags not masked: the registers still hold
 * the faulting state (sigentry.S saved them without resetting). */
static uint32_t fp_flags(uint32_t vector)
{
	if (vector == FAULT_VEC_XM) {
		uint32_t mxcsr;
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		return mxcsr & ~(mxcsr >> 7) & 0x3f;
	}
	uint16_t sw, cw;
	__asm__ volatile("fnstsw %0\n\tfnstcw %1" : "=m"(sw), "=m"(cw));
	return (uint32_t)(sw & ~cw) & 0x3f;
}

void __aion_sig_fault(const struct aion_upcall_context *ctx)
{
	uint32_t vector = ctx->fault - 1;
	int kind = vector == FAULT_VEC_PF ? __aion_mem_fault_kind((uintptr_t)ctx->fault_addr) : 0;
	uint32_t fp = vector == FAULT_VEC_MF || vector == FAULT_VEC_XM ? fp_flags(vector) : 0;
	struct fault_sig f = fault_sig_of(vector, ctx->fault_error, ctx->fault_addr, kind, fp);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = f.signo;
	si.si_code = f.code;
	si.si_addr = (void *)f.addr;
	/* The faulting code may have been building a message in the IPC
	 * buffer, and the handler may make calls: kept aside, as for any
	 * upcall (a handler that fixes the page and returns resumes it). */
	struct aion_ipc_buffer keep;
	__aion_vfs_buf_keep(&keep, 0);
	bool ran = __aion_sig_sync(f.signo, &si, ctx);
	__aion_vfs_buf_keep(&keep, 1);
	if (ran)
		return;
	if (!fault_sig_kernel_alike(vector, f.signo))
		__aion_sig_exit(f.signo);
	aion_upcall_set((uint64_t)__aion_sig_entry, 0);        /* the entry's return faults again */
}
