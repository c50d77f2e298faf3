#include <stdarg.h>
#include "aion/lib.h"
#include "format.h"

int64_t aion_printf(const char *fmt, ...)
{
	char buf[AION_LOG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > AION_LOG_MAX)
		n = AION_LOG_MAX;
	return aion_debug_log(buf, (size_t)n);
}
