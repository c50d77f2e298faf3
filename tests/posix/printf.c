/*
 * posix-printf: printf's conversions, snprintf and strtod, unmodified C on
 * musl. Each printed line is one log line under the unit's name; the boot
 * test wants exactly these, in this order (tests/boot/boot_units.py).
 */
#include <stdio.h>
#include <stdlib.h>

/* Volatile: gcc must not fold a call at compile time; musl does the work. */
static volatile int big = 1234567890;
static volatile double e = 12345.678;

int main(void)
{
	char buf[64];
	double pi = strtod("3.14159", NULL);

	printf("int %d %d %i\n", 42, -7, 0);
	printf("str [%s] [%-6s] [%6s]\n", "aion", "ok", "ok");
	printf("hex %x %X %#x %08x\n", 48879u, 3054u, 255u, 0xabcu);
	printf("long %lu %ld\n", 18446744073709551615ul, -9223372036854775807l - 1);
	printf("float [%5.2f] [%.3f] [%g] [%g] [%g]\n", pi, -0.5, 0.0001, 1e20, 100.0);
	int n = snprintf(buf, sizeof(buf), "%s-%03d-%.3e", "snp", 7, e);
	printf("snprintf %d [%s]\n", n, buf);
	n = snprintf(buf, 8, "%d", big);
	printf("snprintf cut %d [%s]\n", n, buf);
	char *end;
	double x = strtod("-2.5e3xyz", &end);
	printf("strtod %g [%s] %.1f %g\n", x, end, strtod("0x1p4", NULL), strtod("1e-310", NULL));
	return 5;
}
