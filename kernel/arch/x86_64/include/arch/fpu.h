/*
 * A user thread's x87/SSE registers (FXSAVE format). The kernel itself
 * is built without SSE, MMX and x87 (meson/aion-x86_64.ini), so these
 * registers always hold user state and only a switch between threads
 * touches them.
 */
#ifndef ARCH_FPU_H
#define ARCH_FPU_H

#include <stdint.h>

/*
 * The area sits at the very top of the thread's kernel stack slot, above
 * the trap frame: it comes with the stack's two frames (already charged
 * to the unit), so the thread object and the unit's quota stay as they
 * were. Page-aligned top, so the area is 16-aligned as FXSAVE requires.
 */
#define FPU_AREA_SIZE   512

/* The fields the kernel writes; the rest of the 512 bytes are registers. */
struct fpu_area {
	uint16_t fcw, fsw;
	uint8_t ftw, reserved0;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t regs[FPU_AREA_SIZE - 32];
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct fpu_area) == FPU_AREA_SIZE, "FXSAVE area is 512 bytes");

/* CR0/CR4 bits that let ring 3 use x87 and SSE (boot CPU, once). */
void fpu_init(void);
/* A clean state, as after FNINIT and a reset MXCSR: every exception masked. */
void fpu_area_init(struct fpu_area *a);

static inline void fpu_save(struct fpu_area *a)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*a));
}

static inline void fpu_load(const struct fpu_area *a)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*a));
}

#endif /* ARCH_FPU_H */
