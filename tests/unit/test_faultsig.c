/*
 * Host tests for the POSIX layer's fault-to-signal mapping
 * (space/posix/faultsig.c, as it ships): each vector's signal, si_code
 * and si_addr as Linux gives them, the page fault's three cases (not
 * mapped, refused, past a file's end), the x87/SSE flag order, and which
 * faults the kernel's own path may end (the same status from the vector).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <cmocka.h>
#include "faultsig.h"

#define ADDR    0x7000123ull
#define PF_READ_ABSENT  0x4u            /* user, read, page not present */
#define PF_WRITE_PRESENT 0x7u           /* user, write, page present */

static void expect(struct fault_sig f, int signo, int code, uint64_t addr)
{
	assert_int_equal(f.signo, signo);
	assert_int_equal(f.code, code);
	assert_int_equal(f.addr, addr);
}

static void test_page_faults(void **state)
{
	(void)state;
	expect(fault_sig_of(FAULT_VEC_PF, PF_READ_ABSENT, ADDR, FAULT_MEM_UNMAPPED, 0),
	       SIGSEGV, SEGV_MAPERR, ADDR);
	expect(fault_sig_of(FAULT_VEC_PF, PF_WRITE_PRESENT, ADDR, FAULT_MEM_MAPPED, 0),
	       SIGSEGV, SEGV_ACCERR, ADDR);
	/* A PROT_NONE reservation: not present, but ours: refused. */
	expect(fault_sig_of(FAULT_VEC_PF, PF_READ_ABSENT, ADDR, FAULT_MEM_MAPPED, 0),
	       SIGSEGV, SEGV_ACCERR, ADDR);
	expect(fault_sig_of(FAULT_VEC_PF, PF_READ_ABSENT, ADDR, FAULT_MEM_PAST_EOF, 0),
	       SIGBUS, BUS_ADRERR, ADDR);
	/* Present means mapped: never SIGBUS, whatever the table says. */
	expect(fault_sig_of(FAULT_VEC_PF, PF_WRITE_PRESENT, ADDR, FAULT_MEM_PAST_EOF, 0),
	       SIGSEGV, SEGV_ACCERR, ADDR);
}

static void test_other_vectors(void **state)
{
	(void)state;
	expect(fault_sig_of(FAULT_VEC_UD, 0, ADDR, 0, 0), SIGILL, ILL_ILLOPN, ADDR);
	expect(fault_sig_of(FAULT_VEC_DE, 0, ADDR, 0, 0), SIGFPE, FPE_INTDIV, ADDR);
	expect(fault_sig_of(FAULT_VEC_AC, 0, ADDR, 0, 0), SIGBUS, BUS_ADRALN, ADDR);
	expect(fault_sig_of(FAULT_VEC_NP, 0x18, ADDR, 0, 0), SIGBUS, SI_KERNEL, 0);
	expect(fault_sig_of(FAULT_VEC_SS, 0, ADDR, 0, 0), SIGBUS, SI_KERNEL, 0);
	expect(fault_sig_of(FAULT_VEC_GP, 0, ADDR, 0, 0), SIGSEGV, SI_KERNEL, 0);
	expect(fault_sig_of(FAULT_VEC_OF, 0, ADDR, 0, 0), SIGSEGV, SI_KERNEL, 0);
	expect(fault_sig_of(FAULT_VEC_BP, 0, ADDR, 0, 0), SIGTRAP, SI_KERNEL, 0);
	expect(fault_sig_of(FAULT_VEC_DB, 0, ADDR, 0, 0), SIGTRAP, TRAP_TRACE, ADDR);
}

static void test_float_codes(void **state)
{
	(void)state;
	/* Flags: IE 0x01, DE 0x02, ZE 0x04, OE 0x08, UE 0x10, PE 0x20. */
	expect(fault_sig_of(FAULT_VEC_XM, 0, ADDR, 0, 0x04), SIGFPE, FPE_FLTDIV, ADDR);
	expect(fault_sig_of(FAULT_VEC_MF, 0, ADDR, 0, 0x01 | 0x04), SIGFPE, FPE_FLTINV, ADDR);
	expect(fault_sig_of(FAULT_VEC_XM, 0, ADDR, 0, 0x08 | 0x20), SIGFPE, FPE_FLTOVF, ADDR);
	expect(fault_sig_of(FAULT_VEC_XM, 0, ADDR, 0, 0x10), SIGFPE, FPE_FLTUND, ADDR);
	expect(fault_sig_of(FAULT_VEC_MF, 0, ADDR, 0, 0x02), SIGFPE, FPE_FLTUND, ADDR);
	expect(fault_sig_of(FAULT_VEC_MF, 0, ADDR, 0, 0x20), SIGFPE, FPE_FLTRES, ADDR);
}

static void test_kernel_alike(void **state)
{
	(void)state;
	assert_true(fault_sig_kernel_alike(FAULT_VEC_PF, SIGSEGV));
	assert_false(fault_sig_kernel_alike(FAULT_VEC_PF, SIGBUS));
	assert_true(fault_sig_kernel_alike(FAULT_VEC_UD, SIGILL));
	assert_true(fault_sig_kernel_alike(FAULT_VEC_DE, SIGFPE));
	assert_true(fault_sig_kernel_alike(FAULT_VEC_GP, SIGSEGV));
	assert_false(fault_sig_kernel_alike(FAULT_VEC_BP, SIGTRAP));
	assert_false(fault_sig_kernel_alike(FAULT_VEC_DB, SIGTRAP));
	assert_false(fault_sig_kernel_alike(FAULT_VEC_OF, SIGSEGV));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_faults),
		cmocka_unit_test(test_other_vectors),
		cmocka_unit_test(test_float_codes),
		cmocka_unit_test(test_kernel_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
