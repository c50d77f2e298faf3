/*
 * Prints the ABI's lists as the compiler sees them, one entry a line, for
 * check_abi_doc.py: "syscall NUMBER NAME name" from aion/syscall.h and
 * "error NUMBER AION_NAME" from aion/error.h.
 */
#include <stdio.h>
#include "aion/error.h"
#include "aion/syscall.h"

#define PRINT_SYSCALL(NAME, name, num, args) \
	printf("syscall %d %s %s\n", (int)(num), #NAME, #name);
#define PRINT_ERROR(name, num, desc) printf("error %d AION_%s\n", (int)(num), #name);

int main(void)
{
	AION_SYSCALLS(PRINT_SYSCALL)
	AION_ERRORS(PRINT_ERROR)
	return 0;
}
