/*
 * utest: kernel tests that must run in user mode. init starts it when the
 * boot command line has aion.test=NAME; it prints one line per result,
 *   test NAME ok key=value ...     or     test NAME FAIL why
 * and the boot suite (tests/boot/) asserts on those values again. It also
 * starts helper units from its own image, each with a role as argument.
 */
#ifndef UTEST_H
#define UTEST_H

#include <stdbool.h>
#include "aion/lib.h"

enum role {
	ROLE_SPIN = 1,          /* spins forever */
	ROLE_FAULT_PF,          /* writes to an unmapped page */
	ROLE_FAULT_UD,          /* ud2 */
	ROLE_FAULT_GP,          /* hlt in ring 3 */
	ROLE_FAULT_DE,          /* divides by zero */
	ROLE_EXIT,              /* maps and touches memory, exits with 7 */
	ROLE_YIELDER,           /* yields BENCH_ITERS + slack times */
	ROLE_COUNT
};

#define MS                      1000000ull
#define BENCH_ITERS             10000u
#define ROLE_EXIT_CODE          7

/* The test's verdict: prints the line, counts it. */
void utest_ok(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void utest_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Starts a helper unit running `role`; fills the handles. */
int64_t utest_spawn_role(enum role role, unsigned prio, aion_handle_t *unit,
			 aion_handle_t *thread);
/* Destroys a helper unit and closes both handles. */
void utest_reap(aion_handle_t unit, aion_handle_t thread);

int64_t role_main(enum role role);

void test_preempt(void);
void test_fair(void);
void test_sleep(void);
void test_efault(void);
void test_fault(void);
void test_destroy(void);
void bench_kernel(void);

#endif /* UTEST_H */
