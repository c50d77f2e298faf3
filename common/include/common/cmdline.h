/*
 * Kernel command line options: space-separated words, "key=value" or bare
 * "key". Pure: compiled into the kernel and the host tests.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <stddef.h>
#include <stdbool.h>

/*
 * Copies the value of the last "key=value" word into out (NUL-terminated,
 * truncated to n-1 bytes). Returns true when the key is present; a bare
 * "key" gives an empty value.
 */
bool cmdline_get(const char *cmdline, const char *key, char *out, size_t n);

/* The value of the decimal digits s starts with (0 if none), saturating
 * near 2^60 so that no input overflows. */
unsigned long long cmdline_decimal(const char *s);
/* The hex number s starts with (at most 16 digits, no prefix), 0 if none. */
unsigned long long cmdline_hex(const char *s);

#endif /* KERNEL_CMDLINE_H */
