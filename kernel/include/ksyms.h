/*
 * Kernel symbol table for fault dumps. The build writes it from the linked
 * kernel (`nm -n`) as text lines "<hex address> <name>", sorted by address,
 * and GRUB loads it as the module named "ksyms". Pure parsing: the host
 * tests drive ksyms_lookup_in.
 */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

#include <stddef.h>
#include <stdint.h>

#define KSYMS_NAME_MAX 64

/*
 * Finds the symbol with the greatest address <= addr in text[0..len).
 * Returns 0 and fills name (truncated, NUL-terminated) and *off, or
 * -AION_ENOENT when no symbol precedes addr. Malformed lines are skipped.
 */
int ksyms_lookup_in(const char *text, size_t len, uint64_t addr,
		    char *name, size_t n, uint64_t *off);

/* The table the kernel uses; until set, lookups fail with -AION_ENOENT. */
void ksyms_set(const char *text, size_t len);
int ksyms_lookup(uint64_t addr, char *name, size_t n, uint64_t *off);

#endif /* KERNEL_KSYMS_H */
