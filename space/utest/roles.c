/* What helper units started by the tests do. */
#include "utest.h"

static volatile uintptr_t unmapped_addr = 0x0000500000000000ull;
static volatile int zero;

static int64_t exit_after_touching_memory(void)
{
	const uint64_t va = 0x40000000ull, pages = 64;
	if (aion_mem_map(AION_HANDLE_SELF, va, pages * 4096,
			 AION_PROT_READ | AION_PROT_WRITE))
		return 1;
	for (uint64_t i = 0; i < pages; i++)
		((volatile char *)va)[i * 4096] = (char)i;
	return ROLE_EXIT_CODE;
}

int64_t role_main(enum role role)
{
	switch (role) {
	case ROLE_SPIN:
		for (;;)
			__asm__ volatile("" ::: "memory");
	case ROLE_FAULT_PF:
		*(volatile int *)unmapped_addr = 1;
		return 0;
	case ROLE_FAULT_UD:
		__asm__ volatile("ud2");
		return 0;
	case ROLE_FAULT_GP:
		__asm__ volatile("hlt");
		return 0;
	case ROLE_FAULT_DE:
		return 10 / zero;
	case ROLE_EXIT:
		return exit_after_touching_memory();
	case ROLE_YIELDER:
		for (unsigned i = 0; i < BENCH_ITERS + 200; i++)
			aion_yield();
		return 0;
	default:
		return 99;
	}
}
