/*
 * Which signal a CPU fault is (faultsig.c): pure logic, no IPC, built for
 * Aion (sigfault.c) and for the host's unit test (tests/unit/test_faultsig.c).
 * Linux's choices of signal, si_code and si_addr (docs/posix.md "Faults").
 */
#ifndef AION_POSIX_FAULTSIG_H
#define AION_POSIX_FAULTSIG_H

#include <stdbool.h>
#include <stdint.h>

/* What is at a page fault's address (mem.c's __aion_mem_fault_kind):
 * nothing, a mapping or reservation, or a private file mapping's pages
 * past the page that holds the file's end. */
enum { FAULT_MEM_UNMAPPED, FAULT_MEM_MAPPED, FAULT_MEM_PAST_EOF };

enum {
	FAULT_VEC_DE = 0, FAULT_VEC_DB = 1, FAULT_VEC_BP = 3, FAULT_VEC_OF = 4, FAULT_VEC_UD = 6,
	FAULT_VEC_NP = 11, FAULT_VEC_SS = 12, FAULT_VEC_GP = 13, FAULT_VEC_PF = 14,
	FAULT_VEC_MF = 16, FAULT_VEC_AC = 17, FAULT_VEC_XM = 19,
};

struct fault_sig {
	int signo, code;
	uint64_t addr;          /* si_addr */
};

/*
 * The signal for fault vector with the CPU's error code err and address
 * addr (CR2 for #PF, else rip); mem_kind: what is at addr (#PF only);
 * fp_flags: the x87 or SSE exception flags not masked (#MF, #XM only).
 */
struct fault_sig fault_sig_of(uint32_t vector, uint64_t err, uint64_t addr, int mem_kind,
			      uint32_t fp_flags);

/* Whether the instruction run again without fault upcalls makes the
 * kernel end the process with the same signal (procd's proc_fault_signal
 * from the vector): not for traps, whose rip is past the instruction, nor
 * for a page fault that is SIGBUS. */
bool fault_sig_kernel_alike(uint32_t vector, int signo);

#endif /* AION_POSIX_FAULTSIG_H */
