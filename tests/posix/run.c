/*
 * run PATH ARG...: execs PATH with argv ARG... as given after it (argv[0]
 * = PATH). procd carries this one program for the tests whose programs
 * live in the initramfs's /bin (posix-forkfiles, posix-exec,
 * posix-spawn): utest's image, which every helper unit of utest loads,
 * does not grow with each of them.
 */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: run PATH [ARG...]\n", stderr);
		return 127;
	}
	execv(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
