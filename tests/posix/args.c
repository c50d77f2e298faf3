/*
 * posix-diff (args): argv as the program was given it, spaces and empty
 * strings kept, then the environment's size (the differential test runs
 * both sides with an empty one).
 */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv)
{
	int envc = 0;

	printf("argc %d\n", argc);
	for (int i = 0; i < argc; i++)
		printf("argv[%d] [%s]\n", i, argv[i]);
	printf("argv[argc] %s\n", argv[argc] ? "set" : "NULL");
	while (environ[envc])
		envc++;
	printf("envc %d\n", envc);
	argv[1][0] = 'X';               /* the strings are the program's own */
	printf("changed [%s]\n", argv[1]);
	return argc;
}
