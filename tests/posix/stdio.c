/*
 * posix-diff (stdio): stdio's streams over files (relative paths under
 * tmp): fopen's modes, formatted and binary writes and reads, fseek,
 * ftell and rewind, ungetc, getline, fscanf, "a" and "r+" modes, feof
 * and ferror, fdopen and fileno, and the errors of missing files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

#define F "tmp/stdio.txt"
#define B "tmp/stdio.bin"

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	FILE *f = fopen(F, "w");
	for (int i = 1; i <= 5; i++)
		fprintf(f, "line %d: %s %5.2f\n", i, i % 2 ? "odd" : "even", i / 3.0);
	printf("ftell after writing: %ld\n", ftell(f));
	fclose(f);

	f = fopen(F, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int count = 0;
	while ((n = getline(&line, &cap, f)) > 0)
		count++;
	printf("getline read %d lines; feof %d ferror %d\n", count, feof(f) != 0, ferror(f) != 0);
	rewind(f);
	int num;
	char word[16];
	float x;
	int got = fscanf(f, "line %d: %15s %f", &num, word, &x);
	printf("fscanf: %d fields: %d %s %.2f\n", got, num, word, x);
	fseek(f, -13, SEEK_END);
	printf("13 bytes from the end: '%s'", fgets(word, sizeof(word), f));
	printf("ungetc: %c", ungetc('Q', f));
	printf(" then getc: %c", getc(f));
	printf(" then at the end: %d\n", getc(f));
	fclose(f);

	f = fopen(F, "a");
	fputs("appended\n", f);
	fseek(f, 0, SEEK_SET);          /* "a" writes at the end whatever the position */
	fputs("also at the end\n", f);
	fclose(f);
	f = fopen(F, "r+");
	fputs("LINE", f);               /* overwrites, does not insert */
	fflush(f);
	fseek(f, 0, SEEK_SET);
	count = 0;
	while (getline(&line, &cap, f) > 0) {
		count++;
		if (count == 1 || count >= 6)
			printf("r+ line %d: %s", count, line);
	}
	fclose(f);

	double in[4] = { 1.5, -2.25, 1e300, 0 }, out[4] = { 0 };
	f = fopen(B, "wb");
	printf("fwrite: %zu\n", fwrite(in, sizeof(double), 4, f));
	fclose(f);
	f = fopen(B, "rb");
	size_t items = fread(out, sizeof(double), 8, f);
	printf("fread: %zu, same: %s\n", items, memcmp(in, out, sizeof(in)) ? "no" : "yes");
	printf("then feof: %d\n", feof(f) != 0);
	clearerr(f);
	printf("after clearerr: %d\n", feof(f) != 0);
	fclose(f);

	int fd = dup(fileno(stdout));
	FILE *g = fdopen(fd, "w");
	fprintf(g, "through fdopen of a dup of stdout's fd\n");
	fclose(g);
	fflush(stdout);

	errno = 0;
	f = fopen("tmp/none/x", "r");
	printf("fopen of a missing file: %s %s\n", f ? "opened" : "NULL", en(errno));
	errno = 0;
	f = fopen(F, "z");
	printf("fopen with a bad mode: %s %s\n", f ? "opened" : "NULL", en(errno));
	f = fopen(F, "r");
	int put = fputs("x", f);
	printf("fputs to a read-only stream: %d, ferror %d\n", put, ferror(f) != 0);
	fclose(f);
	free(line);
	int r1 = remove(F), r2 = remove(B);
	printf("remove: %d %d; again: %s\n", r1, r2, fails(remove(F)));
	return 0;
}
