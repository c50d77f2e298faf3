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
 */
#ifndef AION_UPCALL_H
#define AION_UPCALL_H

#include <stdint.h>

#define AION_UPCALL_MAGIC       0x55504341u     /* "UPCA": a context the kernel wrote */
#define AION_UPCALL_RED_ZONE    128

struct aion_upcall_context {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rip, rflags, rsp;
	uint64_t bits;                  /* the bits this entry was given */
	uint32_t magic;                 /* AION_UPCALL_MAGIC, checked on return */
	uint32_t reserved;
};
_Static_assert(sizeof(struct aion_upcall_context) % 16 == 0, "keeps the stack 16-aligned");

/* The rflags bits UPCALL_RETURN takes from a context; IF is always set. */
#define AION_UPCALL_RFLAGS_USER 0x0000000000000cd5ull   /* CF PF AF ZF SF DF OF */

#endif /* AION_UPCALL_H */
