/*
 * Which signal a CPU fault is (faultsig.h): Linux's mapping, kept pure so
 * the host's unit test runs the code that ships.
 */
#define _GNU_SOURCE             /* SI_KERNEL, TRAP_TRACE */
#include <signal.h>
#include "faultsig.h"

#define PF_PRESENT      0x1u            /* the page was mapped: the access was refused */

/* The first unmasked x87/SSE flag, in Linux's order (invalid, divide,
 * overflow, underflow or denormal, inexact). */
static int float_code(uint32_t flags)
{
	return flags & 0x01 ? FPE_FLTINV : flags & 0x04 ? FPE_FLTDIV : flags & 0x08 ? FPE_FLTOVF :
	       flags & 0x12 ? FPE_FLTUND : flags & 0x20 ? FPE_FLTRES : 0;
}

static struct fault_sig page_fault(uint64_t err, uint64_t addr, int mem_kind)
{
	if (mem_kind == FAULT_MEM_PAST_EOF && !(err & PF_PRESENT))
		return (struct fault_sig){ SIGBUS, BUS_ADRERR, addr };
	bool refused = err & PF_PRESENT || mem_kind != FAULT_MEM_UNMAPPED;
	return (struct fault_sig){ SIGSEGV, refused ? SEGV_ACCERR : SEGV_MAPERR, addr };
}

struct fault_sig fault_sig_of(uint32_t vector, uint64_t err, uint64_t addr, int mem_kind,
			      uint32_t fp_flags)
{
	switch (vector) {
	case FAULT_VEC_PF:
		return page_fault(err, addr, mem_kind);
	case FAULT_VEC_UD:
		return (struct fault_sig){ SIGILL, ILL_ILLOPN, addr };
	case FAULT_VEC_DE:
		return (struct fault_sig){ SIGFPE, FPE_INTDIV, addr };
	case FAULT_VEC_MF:
	case FAULT_VEC_XM:
		return (struct fault_sig){ SIGFPE, float_code(fp_flags), addr };
	case FAULT_VEC_AC:
		return (struct fault_sig){ SIGBUS, BUS_ADRALN, addr };
	case FAULT_VEC_NP:
	case FAULT_VEC_SS:
		return (struct fault_sig){ SIGBUS, SI_KERNEL, 0 };
	case FAULT_VEC_DB:
		return (struct fault_sig){ SIGTRAP, TRAP_TRACE, addr };
	case FAULT_VEC_BP:
		return (struct fault_sig){ SIGTRAP, SI_KERNEL, 0 };
	default:                        /* #GP, #TS, #OF, #BR, ...: no address (Linux) */
		return (struct fault_sig){ SIGSEGV, SI_KERNEL, 0 };
	}
}

bool fault_sig_kernel_alike(uint32_t vector, int signo)
{
	if (vector == FAULT_VEC_DB || vector == FAULT_VEC_BP || vector == FAULT_VEC_OF)
		return false;
	return vector != FAULT_VEC_PF || signo == SIGSEGV;
}
