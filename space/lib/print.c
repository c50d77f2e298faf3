#include <stdarg.h>
#include "aion/lib.h"
#include "format.h"

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
