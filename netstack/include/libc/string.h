/*
 * The <string.h> lwIP sees: only what libaion provides (common/string.c).
 * netstack/meson.build builds lwIP with -nostdinc so this, not a host
 * libc header, is what `#include <string.h>` finds. It repeats the
 * prototypes of common/include/common/string.h on purpose: lwIP sees only
 * netstack/include, no other project header.
 */
#ifndef NETSTACK_LIBC_STRING_H
#define NETSTACK_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* NETSTACK_LIBC_STRING_H */
