/*
 * Upcalls: how a thread is interrupted and enters a registered entry
 * point with its interrupted user context (THREAD_INTERRUPT,
 * UPCALL_SET, UPCALL_RETURN in aion/syscall.h; docs/abi.md "Upcalls").
 * Generic, not POSIX: the POSIX layer's signals are one user of it.
 *
 * A thread registers an entry with UPCALL_SET. A holder of CONTROL on
 * the thread ORs bits into its pending word with THREAD_INTERRUPT. When
 * the thread next returns to user mode with pending bits and upcalls not
 * masked, the kernel writes a struct aion_upcall_context below its user
 * stack's red zone (128 bytes), 16-aligned, and enters
 * entry(ctx, bits) with rsp = ctx, rdi = ctx, rsi = the bits (which it
 * clears); upcalls are then masked until UPCALL_RETURN. A thread blocked
 * in SLEEP_UNTIL, FUTEX_WAIT, RECV, WAIT or a CALL not yet taken by a
 * server returns -AION_EINTR first (that result is the context's rax); a
 * CALL a server has taken is never cut: the upcall comes after its reply.
 * The x87/SSE registers are not in the context: the entry saves them.
 *
 * Faults: a thread that registered with AION_UPCALL_FAULTS and faults in
 * user mode (a CPU exception its own instruction caused) while upcalls
 * are not masked enters its entry instead of ending its unit: the
 * context holds the registers at the faulting instruction, `fault` the
 * vector + 1, `fault_addr` CR2 for #PF (else rip) and `fault_error` the
 * CPU's error code; the bits are 0 (pending bits stay pending). Masked,
 * not registered, or a stack that cannot take the context: the unit ends
 * as without the flag.
 */
#ifndef AION_UPCALL_H
#define AION_UPCALL_H

#include <stdint.h>

#define AION_UPCALL_MAGIC       0x55504341u     /* "UPCA": a context the kernel wrote */
#define AION_UPCALL_RED_ZONE    128

/* UPCALL_SET's flags. */
#define AION_UPCALL_FAULTS      0x1u            /* faults enter the entry too */
#define AION_UPCALL_FLAGS_ALL   AION_UPCALL_FAULTS

struct aion_upcall_context {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rip, rflags, rsp;
	uint64_t bits;                  /* the bits this entry was given */
	uint32_t magic;                 /* AION_UPCALL_MAGIC, checked on return */
	uint32_t fault;                 /* 0: an interrupt; else the vector + 1 */
	uint64_t fault_addr;            /* #PF: CR2; another fault: rip; else 0 */
	uint64_t fault_error;           /* the CPU's error code (0 if it pushes none) */
};
_Static_assert(sizeof(struct aion_upcall_context) % 16 == 0, "keeps the stack 16-aligned");

/* The rflags bits UPCALL_RETURN takes from a context; IF is always set. */
#define AION_UPCALL_RFLAGS_USER 0x0000000000000cd5ull   /* CF PF AF ZF SF DF OF */

#endif /* AION_UPCALL_H */
