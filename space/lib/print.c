#include <stdarg.h>
#include "libaion/lib.h"
#include "common/format.h"

int64_t aion_vprintf(const char *fmt, va_list ap)
{
	char buf[AION_LOG_MAX + 1];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n > AION_LOG_MAX)
		n = AION_LOG_MAX;
	return n > 0 ? aion_debug_log(buf, (size_t)n) : 0;
}

int64_t aion_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int64_t r = aion_vprintf(fmt, ap);
	va_end(ap);
	return r;
}

void aion_text_add(char *out, unsigned size, const char *fmt, ...)
{
	unsigned len = (unsigned)strlen(out);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	fmt_vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* Appends ",value" (or the first value) if the whole of it fits a log line. */
static int sample_add(char *line, int *len, int first, uint64_t v)
{
	char num[24];
	int n = fmt_snprintf(num, sizeof(num), "%s%lu", first ? "" : ",", (unsigned long)v);

	if (*len + n > AION_LOG_MAX)
		return 0;
	memcpy(line + *len, num, (size_t)n + 1);
	*len += n;
	return 1;
}

void aion_log_samples(const char *head, const char *unit, const uint64_t *v, unsigned n)
{
	for (unsigned i = 0; i < n;) {
		char line[AION_LOG_MAX + 1];
		unsigned from = i;
		int len = fmt_snprintf(line, sizeof(line), "%s from=%u %s=", head, from, unit);

		while (i < n && len < AION_LOG_MAX && sample_add(line, &len, i == from, v[i]))
			i++;
		if (i == from)
			return;         /* head leaves no room for one value */
		aion_printf("%s", line);
	}
}
