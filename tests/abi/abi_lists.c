/*
 * Prints the ABI's lists as the compiler sees them, one entry a line, for
 * check_abi_doc.py: "syscall NUMBER NAME name" from aion/syscall.h and
 * "error NUMBER AION_NAME" from aion/error.h. With the argument "table":
 * docs/abi.md's table of system calls, made from each entry's DOC strings
 * (scripts/lib/abi-table puts it in the doc). A host program: the strings
 * stay out of the kernel, whose users of the list drop them.
 */
#include <stdio.h>
#include <string.h>
#include "aion/error.h"
#include "aion/syscall.h"

#define PRINT_SYSCALL(NAME, name, num, args, use, doc) \
	printf("syscall %d %s %s\n", (int)(num), #NAME, #name);
#define PRINT_ERROR(name, num, desc) printf("error %d AION_%s\n", (int)(num), #name);

/* doc is DOC(arguments, returns, errors): pasted, it names ROW_DOC. */
#define ROW_DOC(arguments, returns, errors) arguments, returns, errors
#define PRINT_ROW(NAME, name, num, args, use, doc) \
	printf("| %d | `%s` | %s | %s | %s |\n", (int)(num), #NAME, ROW_##doc);

static void print_table(void)
{
	printf("| # | call | arguments | returns | errors |\n");
	printf("| ---: | --- | --- | --- | --- |\n");
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
