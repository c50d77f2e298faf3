/*
 * posix-diff (memstream): stdio over memory and fds: open_memstream
 * growing its buffer, fmemopen reading and writing a fixed buffer (and
 * its end), snprintf's return when it truncates, sscanf's conversions and
 * counts, dprintf to a pipe, and setvbuf's modes seen through a pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	for (int i = 0; i < 500; i++)
		fprintf(m, "%d,", i);
	fflush(m);
	printf("open_memstream: size %zu, starts '%.12s', ends '%s'\n", size, buf, buf + size - 8);
	fseek(m, 4, SEEK_SET);
	fputs("XY", m);
	fclose(m);
	printf("after a seek and a write: '%.12s', size %zu\n", buf, size);
	free(buf);

	char fixed[16];
	memset(fixed, '.', sizeof(fixed));
	FILE *f = fmemopen(fixed, sizeof(fixed), "w");
	setvbuf(f, NULL, _IONBF, 0);
	int put = fprintf(f, "%s", "0123456789abcdefghij");
	printf("fmemopen write of 20 into 16: %d, ferror %d\n", put, ferror(f) != 0);
	fclose(f);
	printf("the buffer holds '%.16s'\n", fixed);

	char text[] = "7 apples 2.5kg name=value";
	f = fmemopen(text, strlen(text), "r");
	int n;
	char what[16], k[8], v[8];
	double kg;
	int got = fscanf(f, "%d %15s %lfkg %7[^=]=%7s", &n, what, &kg, k, v);
	printf("fscanf from memory: %d: %d %s %.1f %s %s\n", got, n, what, kg, k, v);
	printf("then EOF: %d\n", fgetc(f) == EOF);
	fclose(f);

	char small[8];
	volatile size_t cap = sizeof(small);    /* hides the truncation from -Werror */
	int want = snprintf(small, cap, "%s-%d", "truncated", 12345);
	printf("snprintf wanted %d, kept '%s'\n", want, small);
	printf("snprintf(NULL, 0): %d\n", snprintf(NULL, 0, "%08.3f|%x|%-5s|", 3.14159, 255, "ab"));
	unsigned hex;
	char word[8];
	int used = -1;
	got = sscanf("ff  word   tail", "%x %7s%n", &hex, word, &used);
	printf("sscanf: %d fields, %u %s, consumed %d\n", got, hex, word, used);
	printf("sscanf of nothing: %d\n", sscanf("", "%d", &n));
	printf("sscanf mismatch: %d\n", sscanf("x12", "%d", &n));

	int p[2];
	pipe(p);
	int w = dprintf(p[1], "dprintf %d %s\n", 42, "through a pipe");
	close(p[1]);
	char back[64] = { 0 };
	ssize_t r = read(p[0], back, sizeof(back) - 1);
	close(p[0]);
	printf("dprintf wrote %d, read %zd: %s", w, r, back);

	/* A fully buffered stream on a pipe: nothing arrives before fflush. */
	pipe(p);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	FILE *out = fdopen(p[1], "w");
	setvbuf(out, NULL, _IOFBF, 256);
	fputs("held\n", out);
	r = read(p[0], back, sizeof(back));
	printf("before fflush the reader gets: %s\n", r < 0 && errno == EAGAIN ? "EAGAIN" : "bytes");
	fflush(out);
	memset(back, 0, sizeof(back));
	r = read(p[0], back, sizeof(back) - 1);
	printf("after fflush: %zd: %s", r, back);
	fclose(out);
	close(p[0]);
	return 0;
}
