/*
 * The <stdlib.h> lwIP sees: core/netif.c wants atoi() (netif_find); it is
 * in netstack/port/libc.c. lwIP's heap is its own (MEM_LIBC_MALLOC 0).
 */
#ifndef NETSTACK_LIBC_STDLIB_H
#define NETSTACK_LIBC_STDLIB_H

#include <stddef.h>

int atoi(const char *s);

#endif /* NETSTACK_LIBC_STDLIB_H */
