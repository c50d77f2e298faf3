/*
 * Hostile units (issue 16): each test is the regression test of one way a
 * unit used to halt or corrupt the kernel with a few instructions. A test
 * passes when the unit gets an error or is ended and the kernel carries
 * on; boot_units.py also fails the run on any kernel fault or halt.
 */
#include "utest.h"

#define FAIL(name, ...) do { utest_fail(name, __VA_ARGS__); return; } while (0)

#define RFLAGS_TF               (1ull << 8)
#define RFLAGS_DF               (1ull << 10)
#define RFLAGS_NT               (1ull << 14)
#define RFLAGS_AC               (1ull << 18)
#define ODD_FLAGS               (RFLAGS_NT | RFLAGS_AC | RFLAGS_DF)
#define ODD_FLAGS_NS            (200 * MS)      /* many timer ticks land in user mode */
#define ODD_FLAGS_MIN_CALLS     100

/*
 * CLOCK_NS calls with NT, AC and DF set until the clock passes `until`:
 * system call returns and timer interrupts both meet the flags. Below the
 * red zone, as the pushes would clobber it. Returns the count; *seen:
 * RFLAGS at the end, before the flags are cleared again.
 */
static uint64_t calls_with_flags(uint64_t flags, uint64_t until, uint64_t *seen)
{
	uint64_t calls = 0, f;

	__asm__ volatile("subq $128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq %[flags], (%%rsp)\n\t"
			 "popfq\n"
			 "1:\n\t"
			 "movl %[nr], %%eax\n\t"
			 "syscall\n\t"
			 "incq %[calls]\n\t"
			 "cmpq %[until], %%rax\n\t"
			 "jb 1b\n\t"
			 "pushfq\n\t"
			 "movq (%%rsp), %[f]\n\t"
			 "notq %[flags]\n\t"
			 "andq %[flags], (%%rsp)\n\t"
			 "popfq\n\t"
			 "addq $128, %%rsp"
			 : [calls] "+r"(calls), [f] "=&r"(f), [flags] "+r"(flags)
			 : [nr] "i"(AION_SYS_CLOCK_NS), [until] "r"(until)
			 : "rax", "rcx", "r11", "memory", "cc");
	*seen = f;
	return calls;
}

/* Exit 0: the calls ran with the flags set and the flags came back. */
static int64_t odd_flags(void)
{
	uint64_t seen;
	uint64_t calls = calls_with_flags(ODD_FLAGS, aion_clock_ns() + ODD_FLAGS_NS, &seen);

	aion_printf("odd flags: calls=%lu rflags=0x%lx", (unsigned long)calls,
		    (unsigned long)seen);
	if (calls < ODD_FLAGS_MIN_CALLS)
		return 2;
	return (seen & ODD_FLAGS) == ODD_FLAGS ? 0 : 3;
}

/* SYSCALL straight after setting TF: the unit must end with #DB, in ring 3. */
static int64_t trap_flag(void)
{
	__asm__ volatile("subq $128, %%rsp\n\t"
			 "pushfq\n\t"
			 "orq %[tf], (%%rsp)\n\t"
			 "popfq\n\t"
			 "syscall\n\t"
			 "nop\n\t"
			 "nop\n\t"
			 "addq $128, %%rsp"
			 : : [tf] "i"(RFLAGS_TF), "a"(AION_SYS_CLOCK_NS)
			 : "rcx", "r11", "memory", "cc");
	return 2;       /* not reached: #DB after the return */
}

int64_t hostile_role(enum role role)
{
	switch (role) {
	case ROLE_ODD_FLAGS:
		return odd_flags();
	case ROLE_TRAP_FLAG:
		return trap_flag();
	default:
		return 99;
	}
}

static int64_t run_role(enum role role, struct aion_unit_info *info)
{
	aion_handle_t u, t;
	int64_t err = utest_spawn_role(role, 100, &u, &t);
	if (err)
		return err;
	err = aion_unit_wait(u, 5000 * MS, info);
	utest_reap(u, t);
	return err;
}

/* NT, AC, DF and TF from popf survive neither into nor out of the kernel. */
void test_flags(void)
{
	struct aion_unit_info odd = { 0 }, trap = { 0 };
	int64_t e1 = run_role(ROLE_ODD_FLAGS, &odd);
	int64_t e2 = run_role(ROLE_TRAP_FLAG, &trap);

	if (e1 || e2 || odd.state != AION_UNIT_EXITED || odd.exit_code != 0 ||
	    trap.state != AION_UNIT_FAULTED || trap.fault_vector != 1)
		FAIL("flags", "odd=%s/%u/%d trap=%s/%u/vector=%u", aion_error_name(e1), odd.state,
		     odd.exit_code, aion_error_name(e2), trap.state, trap.fault_vector);
	utest_ok("flags", "odd_exit=%d trap_state=%u trap_vector=%u", odd.exit_code,
		 trap.state, trap.fault_vector);
}

