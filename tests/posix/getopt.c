/*
 * posix-diff (getopt): command-line parsing as utilities do it, over the
 * argv the test gives: getopt's short options with and without
 * arguments, clustered flags, "--", unknown options and missing
 * arguments (with opterr off, so the result is ours to print), then
 * getopt_long over the same argv after a reset (optind = 0 is musl's and
 * glibc's way to restart), and the operands left.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int c;
	opterr = 0;
	printf("short options:\n");
	while ((c = getopt(argc, argv, ":ab:c::v")) != -1) {
		if (c == '?')
			printf("  unknown -%c\n", optopt);
		else if (c == ':')
			printf("  -%c lacks its argument\n", optopt);
		else if (c == 'b' || c == 'c')  /* optarg is only theirs */
			printf("  -%c = %s\n", c, optarg ? optarg : "(none)");
		else
			printf("  -%c\n", c);
	}
	printf("  operands from %d:", optind);
	for (int i = optind; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");

	static const struct option longs[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "block", required_argument, NULL, 'b' },
		{ "color", optional_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	optind = 0;
	printf("long options:\n");
	int idx = -1;
	while ((c = getopt_long(argc, argv, ":ab:c::v", longs, &idx)) != -1) {
		int named = idx;         /* set only for a long option */
		idx = -1;
		if (c == '?')
			printf("  unknown %s\n", optopt ? (char[]){ '-', (char)optopt, 0 } : "long option");
		else if (c == ':')
			printf("  missing argument\n");
		else if (c == 'b' || c == 'c')
			printf("  %c = %s (%s)\n", c, optarg ? optarg : "(none)",
			       named >= 0 ? longs[named].name : "short");
		else
			printf("  %c\n", c);
	}
	printf("  operands from %d:", optind);
	for (int i = optind; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n");
	return 0;
}
