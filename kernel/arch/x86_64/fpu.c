/*
 * x87/SSE for user mode: enabled once at boot, each thread's registers
 * saved and loaded on every switch between threads (eager: FXSAVE64 and
 * FXRSTOR64, no CR0.TS trap; docs/posix.md has the cost and why).
 */
#include "arch/fpu.h"
#include "common/string.h"

#define CR0_MP          (1ull << 1)     /* WAIT obeys TS */
#define CR0_EM          (1ull << 2)     /* x87 emulation: every x87/SSE op #NM/#UD */
#define CR0_TS          (1ull << 3)
#define CR0_NE          (1ull << 5)     /* x87 errors as #MF, not the FERR# pin */
#define CR4_OSFXSR      (1ull << 9)     /* FXSAVE/FXRSTOR and SSE allowed */
#define CR4_OSXMMEXCPT  (1ull << 10)    /* unmasked SSE errors as #XM, not #UD */

#define FCW_DEFAULT     0x037f          /* FNINIT: all masked, 64-bit precision */
#define MXCSR_DEFAULT   0x1f80          /* reset: all masked, round to nearest */

/* Sets and clears bits of control register CRn (n a literal: 0, 4). */
#define CR_UPDATE(n, set, clear) do {                                   \
		uint64_t cr_;                                           \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(cr_));     \
		cr_ = (cr_ | (set)) & ~(uint64_t)(clear);               \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(cr_) : "memory"); \
	} while (0)

void fpu_init(void)
{
	CR_UPDATE(0, CR0_MP | CR0_NE, CR0_EM | CR0_TS);
	CR_UPDATE(4, CR4_OSFXSR | CR4_OSXMMEXCPT, 0);
}

void fpu_area_init(struct fpu_area *a)
{
	memset(a, 0, sizeof(*a));       /* FTW 0 (abridged): every x87 register empty */
	a->fcw = FCW_DEFAULT;
	a->mxcsr = MXCSR_DEFAULT;
}
