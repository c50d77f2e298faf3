/*
 * Kernel log lines on the console (format in log.h). Lines are formatted
 * into a stack buffer and written at once; a line longer than the buffer
 * is cut, never overflowed.
 */
#include <stdint.h>
#include "arch.h"
#include "common/format.h"
#include "log.h"

#define LOG_LINE_MAX 512

static unsigned log_node;

void log_set_node(unsigned node)
{
	log_node = node;
}

/* Lines of several CPUs never interleave; the innermost lock (docs/smp.md). */
static uint32_t console_lock;

static void emit(const char *buf, int len)
{
	if (len < 0)
		return;
	if (len >= LOG_LINE_MAX)
		len = LOG_LINE_MAX - 1;
	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		;                       /* a line's time at most */
	arch_console_write(buf, (unsigned long)len);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

static void log_line(const char *unit, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	uint64_t ns = arch_clock_ns();
	int n = fmt_snprintf(buf, sizeof(buf), "[%5lu.%06lu] node%u %s: ",
			     (unsigned long)(ns / 1000000000u),
			     (unsigned long)(ns % 1000000000u / 1000u), log_node, unit);

	if (n < LOG_LINE_MAX - 2)
		n += fmt_vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > LOG_LINE_MAX - 2)
		n = LOG_LINE_MAX - 2;
	buf[n++] = '\n';
	emit(buf, n);
}

void klog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("kernel", fmt, ap);
	va_end(ap);
}

void ulog(const char *unit, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(unit, fmt, ap);
	va_end(ap);
}

void kprintf(const char *fmt, ...)
{
	char buf[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(buf, n);
}
