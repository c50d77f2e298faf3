/*
 * Prints the ABI's lists as the compiler sees them, one entry a line, for
 * check_abi_doc.py: "syscall NUMBER NAME name" from aion/syscall.h and
 * "error NUMBER AION_NAME" from aion/error.h. With the argument "table":
 * docs/abi.md's table of system calls, made from each entry's DOC strings
 * and its bound in aion/syscall_bounds.h (scripts/lib/abi-table puts it in
 * the doc). A host program: the strings
 * stay out of the kernel, whose users of the list drop them.
 */
#include <stdio.h>
#include <string.h>
#include "aion/error.h"
#include "aion/syscall.h"
#include "aion/syscall_bounds.h"

#define PRINT_SYSCALL(NAME, name, num, args, use, doc) \
	printf("syscall %d %s %s\n", (int)(num), #NAME, #name);
#define PRINT_ERROR(name, num, desc) printf("error %d AION_%s\n", (int)(num), #name);

/* doc is DOC(arguments, returns, errors): pasted, it names ROW_DOC. */
#define ROW_DOC(arguments, returns, errors) arguments, returns, errors
#define PRINT_ROW(NAME, name, num, args, use, doc) \
	printf("| %d | `%s` | %s | %s | %s | %s |\n", (int)(num), #NAME, ROW_##doc, \
	       bound_of(AION_SYS_##NAME));

/*
 * The bound list names every call exactly once, checked by the compiler:
 * a name that is no call has no AION_SYS_ constant, a name given twice is
 * a duplicate case label, and the count rules out a call left out.
 */
#define BOUND_CASE(NAME, bound) case AION_SYS_##NAME: return bound;
static const char *bound_of(enum aion_syscall n)
{
	switch (n) {
	AION_SYSCALL_BOUNDS(BOUND_CASE)
	default: return NULL;
	}
}
#define BOUND_ONE(NAME, bound) + 1
_Static_assert(0 AION_SYSCALL_BOUNDS(BOUND_ONE) == AION_SYS_COUNT,
	       "aion/syscall_bounds.h: one bound for each system call");

static void print_table(void)
{
	printf("| # | call | arguments | returns | errors | bound per call |\n");
	printf("| ---: | --- | --- | --- | --- | --- |\n");
	AION_SYSCALLS(PRINT_ROW)
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		if (argc > 2 || strcmp(argv[1], "table") != 0) {
			fprintf(stderr, "usage: abi_lists [table]\n");
			return 2;
		}
		print_table();
		return 0;
	}
	AION_SYSCALLS(PRINT_SYSCALL)
	AION_ERRORS(PRINT_ERROR)
	return 0;
}
