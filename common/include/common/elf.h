/*
 * ELF64 executable parser: checks an image and lists its loadable segments.
 * Pure: used by init to load units, by the kernel only to start init, and
 * by the host tests (tests/unit/test_elf.c).
 */
#ifndef AION_ELF64_H
#define AION_ELF64_H

#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 8

struct elf_segment {
	uint64_t vaddr, memsz;          /* where it lives in the unit */
	uint64_t offset, filesz;        /* what of the file fills it; rest zero */
	uint32_t prot;                  /* AION_PROT_* */
};

struct elf_image {
	uint64_t entry;
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * Errors, one per kind of defect:
 *   -AION_ENOEXEC   not an ELF64 little-endian x86_64 executable (bad magic,
 *                   class, data, machine, type or version)
 *   -AION_ETRUNC    header, program headers or segment bytes past the file
 *   -AION_EMALFORMED  phentsize wrong, filesz > memsz, no loadable segment
 *   -AION_ENOSPC    more than ELF_MAX_SEGMENTS loadable segments
 *   -AION_EFAULT    a segment outside the user half (kernel addresses)
 *   -AION_EOVERLAP  two segments share a page
 *   -AION_ERANGE    entry point outside every executable segment
 */
int elf_parse(const void *file, size_t size, struct elf_image *out);

/*
 * The same checks for a file of `size` bytes of which only the first
 * `head` are in memory (a loader that reads segments from a file as it
 * maps them: the POSIX layer's exec): the program headers must lie in
 * them (-AION_ENOSPC otherwise). elf_parse is elf_parse_head(f, n, n).
 */
int elf_parse_head(const void *file, size_t head, uint64_t size, struct elf_image *out);

#endif /* AION_ELF64_H */
