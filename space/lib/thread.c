#include "libaion/lib.h"

#define PAGE            4096ull
#define STACKS_VADDR    0x0000000020000000ull   /* this unit's extra stacks, in its window */

extern char aion_thread_trampoline[];

/* crt0: where a thread's function returns to, with its result. */
__attribute__((noreturn)) void aion_thread_return(int64_t code);
void aion_thread_return(int64_t code)
{
	aion_thread_exit(code);
}
static uint64_t next_stack;

uint64_t aion_stack_alloc(unsigned pages)
{
	if (!next_stack)
		next_stack = aion_window() + STACKS_VADDR;
	uint64_t base = next_stack + PAGE;      /* an unmapped guard page below */
	if (aion_anon_map(AION_HANDLE_SELF, base, pages * PAGE,
			 AION_PROT_READ | AION_PROT_WRITE))
		return 0;
	next_stack = base + pages * PAGE;
	return next_stack;
}

int64_t aion_thread_spawn(int64_t (*fn)(uint64_t), uint64_t arg,
			  uint64_t stack_top, unsigned prio)
{
	uint64_t *sp = (uint64_t *)stack_top;

	sp[-1] = (uint64_t)fn;          /* read by aion_thread_trampoline */
	sp[-2] = 0;
	int64_t t = aion_thread_create(AION_HANDLE_SELF,
				       (uint64_t)aion_thread_trampoline,
				       stack_top - 16, arg, prio);
	if (t < 0)
		return t;
	int64_t err = aion_thread_start((aion_handle_t)t);
	if (err) {
		aion_handle_close((aion_handle_t)t);
		return err;
	}
	return t;
}
