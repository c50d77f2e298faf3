/*
 * crash: ends by a fault (a write through a null pointer), for the shell
 * test (posix-sh): the fault ends this process only, its parent sees
 * SIGSEGV (status 139 in the shell's $?).
 */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;
	printf("crash: writing through NULL\n");
	fflush(stdout);
	*p = 1;
	return 0;
}
