/*
 * posix-diff (timefmt): calendar arithmetic with no clock read: gmtime,
 * timegm (no local time: the host's zone is not the node's), normalisation
 * of out of range fields, strftime's conversions, strptime, difftime,
 * leap years, and the year-2038 boundary of a 64-bit time_t.
 */
#define _GNU_SOURCE     /* timegm */
#include <stdio.h>
#include <string.h>
#include <time.h>

static void fmt(time_t t, const char *f)
{
	char buf[128];
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), f, &tm);
	printf("%lld %s -> [%s] (%zu)\n", (long long)t, f, buf, n);
}

int main(void)
{
	fmt(0, "%Y-%m-%d %H:%M:%S %a %b %j %U %W %V %G %u %w");
	fmt(951782400, "%c | %x | %X | %D | %T | %e | %C | %y");
	fmt(2147483647, "%F %T %s");
	fmt(2147483648LL, "%F %T %p %I");
	fmt(-86400, "%F %A");
	fmt(4102444800LL, "%F %B %h %%");

	struct tm tm = { .tm_year = 124, .tm_mon = 1, .tm_mday = 30, .tm_hour = 25, .tm_min = 61 };
	time_t t = timegm(&tm);
	printf("timegm of 2024-02-30 25:61 = %lld, normalised to %04d-%02d-%02d %02d:%02d wday %d yday %d\n",
	       (long long)t, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	       tm.tm_wday, tm.tm_yday);
	struct tm m = { .tm_year = 100, .tm_mon = 0, .tm_mday = 1 };
	printf("timegm of 2000-01-01: %lld\n", (long long)timegm(&m));

	struct tm p;
	memset(&p, 0, sizeof(p));
	const char *rest = strptime("2023-07-14 09:08:07 extra", "%Y-%m-%d %H:%M:%S", &p);
	printf("strptime: %04d-%02d-%02d %02d:%02d:%02d rest \"%s\"\n", p.tm_year + 1900, p.tm_mon + 1,
	       p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec, rest ? rest : "(null)");
	printf("strptime of garbage: %s\n", strptime("July", "%Y", &p) ? "parsed" : "NULL");
	printf("difftime: %g\n", difftime(100, 40));

	char buf[32];
	time_t leap = 1709208000;       /* 2024-02-29 12:00 */
	struct tm *g = gmtime(&leap);
	printf("asctime: %s", asctime(g));
	struct tm z;
	printf("asctime_r of 0: %s", asctime_r(gmtime_r(&(time_t){ 0 }, &z), buf));
	static const int years[] = { 1900, 1996, 2000, 2023, 2024, 2100, 2400 };
	for (unsigned i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		int y = years[i];
		struct tm f = { .tm_year = y - 1900, .tm_mon = 1, .tm_mday = 29 };
		timegm(&f);
		printf("%d-02-29 is %s\n", y, f.tm_mon == 1 ? "a day" : "March 1st");
	}
	return 0;
}
