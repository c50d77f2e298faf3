/*
 * The System V initial stack of a POSIX program, built from Aion's startup
 * record (start.S calls this before musl's _start). Layout, from the new
 * stack pointer up: argc; argv[0..argc-1], NULL; envp NULL (no
 * environment yet); auxv pairs ending in AT_NULL (AT_PHDR: the program
 * headers, where musl finds the TLS segment); then the argument
 * strings and AT_RANDOM's 16 bytes, all within the page below top.
 *
 * argv: the startup record's args split at spaces (the parent puts the
 * program's name first). No record: argv = { "program" }.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include "libaion/lib.h"
#include "posix.h"

#define BLOCK_BYTES     4096            /* start.S leaves this page */

/* The program's own ELF header, mapped first in its text (posix.ld). */
extern const Elf64_Ehdr __ehdr_start;
#define ARGV_MAX        (AION_ARGS_MAX / 2)

uint64_t *__aion_posix_stack(uint64_t startup, uint64_t *top)
{
	const struct aion_startup *st = (const struct aion_startup *)startup;
	char *strings = (char *)top - AION_ARGS_MAX - 16;
	char *random = (char *)top - 16;
	char *argv[ARGV_MAX];
	unsigned argc = 0;

	/* The record is read-only and may be absent: copy its args. */
	if (startup == AION_STARTUP_VADDR && st->magic == AION_STARTUP_MAGIC) {
		for (unsigned i = 0; i < AION_ARGS_MAX; i++)
			strings[i] = st->args[i];
		strings[AION_ARGS_MAX - 1] = '\0';
	} else {
		const char name[] = "program";
		for (unsigned i = 0; i < sizeof(name); i++)
			strings[i] = name[i];
	}
	for (char *p = strings; *p && argc < ARGV_MAX; ) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}

	/* Not random: the boot clock, until a random source exists (docs/posix.md). */
	uint64_t seed = aion_clock_ns() * 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < 16; i++, seed = seed * 6364136223846793005ull + 1)
		random[i] = (char)(seed >> 56);

	const uint64_t aux[][2] = {
		{ AT_PHDR, (uint64_t)&__ehdr_start + __ehdr_start.e_phoff },
		{ AT_PHNUM, __ehdr_start.e_phnum },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PAGESZ, 4096 },
		{ AT_RANDOM, (uint64_t)random },
		{ AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
		{ AT_SECURE, 0 },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + argc + 1 + 1 + 2 * (sizeof(aux) / sizeof(aux[0]));
	uint64_t *sp = (uint64_t *)(((uintptr_t)strings - words * 8) & ~(uintptr_t)15);
	uint64_t *w = sp;

	_Static_assert(BLOCK_BYTES > AION_ARGS_MAX + 16 + 8 * (4 + ARGV_MAX + 2 * 12) + 16,
		       "the block fits its page");
	*w++ = argc;
	for (unsigned i = 0; i < argc; i++)
		*w++ = (uint64_t)argv[i];
	*w++ = 0;
	*w++ = 0;
	for (size_t i = 0; i < sizeof(aux) / sizeof(aux[0]); i++) {
		*w++ = aux[i][0];
		*w++ = aux[i][1];
	}
	return sp;
}
