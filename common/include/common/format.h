/*
 * printf-style formatting into a bounded buffer. Pure: compiled into the
 * kernel and into the host tests.
 *
 * Conversions: %d %i %u %x %X %p %s %c %%, with flags '0' and '-', a field
 * width, and the length modifiers l, ll and z. Output is always
 * NUL-terminated when n > 0; the return value is the length the full
 * output would have had (as snprintf), so callers can detect truncation.
 */
#ifndef KERNEL_FORMAT_H
#define KERNEL_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KERNEL_FORMAT_H */
