/*
 * The System V initial stack of a POSIX program, built from Aion's startup
 * record (start.S calls this before musl's _start). Layout, from the new
 * stack pointer up: argc; argv[0..argc-1], NULL; envp[0..envc-1], NULL;
 * auxv pairs ending in AT_NULL (AT_PHDR: the program headers, where musl
 * finds the TLS segment); then (the old args path) the argument
 * strings, and AT_RANDOM's 16 bytes, all within the block start.S leaves
 * below top (__aion_posix_block_bytes).
 *
 * argv and envp: the record's argv block (argv_len > 0: argc then envc
 * strings at AION_ARGV_VADDR, which the child owns, read-write), or the
 * record's args split at spaces (the parent puts the program's name
 * first; no environment). No record: argv = { "program" }.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include "libaion/lib.h"
#include "posix.h"

#define ARGS_ARGV_MAX   (AION_ARGS_MAX / 2)
#define FIXED_BYTES     4096            /* auxv, args' strings, AT_RANDOM */

/* The program's own ELF header, mapped first in its text (posix.ld). */
extern const Elf64_Ehdr __ehdr_start;

static const struct aion_startup *record(uint64_t startup)
{
	const struct aion_startup *st = (const struct aion_startup *)startup;
	return startup == AION_STARTUP_VADDR && st->magic == AION_STARTUP_MAGIC ? st : NULL;
}

static int has_block(const struct aion_startup *st)
{
	return st && st->argv_len && st->argv_len <= AION_ARGV_MAX &&
		(uint64_t)st->argc + st->envc <= AION_ARGV_COUNT_MAX;
}

/*
 * How much of the stack below its top the initial block needs: the fixed
 * part, the strings' pointers gathered from the argv block, and the same
 * pointers again in the block musl reads.
 */
uint64_t __aion_posix_block_bytes(uint64_t startup)
{
	const struct aion_startup *st = record(startup);
	uint64_t strings = has_block(st) ? (uint64_t)st->argc + st->envc : ARGS_ARGV_MAX;
	return FIXED_BYTES + 16 * (strings + 2);
}

/* Points v[0..n-1] at the block's strings; fewer if the block ends first. */
static unsigned split_block(char *p, char *end, char **v, unsigned n)
{
	unsigned i = 0;
	while (i < n && p < end) {
		v[i++] = p;
		while (p < end && *p)
			p++;
		p++;
	}
	return i;
}

uint64_t *__aion_posix_stack(uint64_t startup, uint64_t *top)
{
	const struct aion_startup *st = record(startup);
	char *random = (char *)top - 16;
	char *strings = random - AION_ARGS_MAX;
	unsigned argc = 0, envc = 0;
	char **vec;                     /* argv then envp: the block's pointers */
	char *args_argv[ARGS_ARGV_MAX];

	if (has_block(st)) {
		char *block = (char *)AION_ARGV_VADDR;
		unsigned n = st->argc + st->envc;
		vec = (char **)(((uintptr_t)strings - 8 * (uintptr_t)n) & ~(uintptr_t)15);
		n = split_block(block, block + st->argv_len, vec, n);
		argc = n < st->argc ? n : st->argc;
		envc = n - argc;
	} else {
		vec = args_argv;
		if (st) {
			for (unsigned i = 0; i < AION_ARGS_MAX; i++)
				strings[i] = st->args[i];
			strings[AION_ARGS_MAX - 1] = '\0';
		} else {
			const char name[] = "program";
			for (unsigned i = 0; i < sizeof(name); i++)
				strings[i] = name[i];
		}
		for (char *p = strings; *p && argc < ARGS_ARGV_MAX; ) {
			while (*p == ' ')
				*p++ = '\0';
			if (!*p)
				break;
			vec[argc++] = p;
			while (*p && *p != ' ')
				p++;
		}
	}
	if (st) {
		__aion_proc_ep = st->posix_proc;        /* procd's, for proc.c */
		__aion_posix_fs = (aion_handle_t)st->posix_fs;  /* the VFS root */
		__aion_posix_net = (aion_handle_t)st->posix_net;        /* netd's "net" */
		/* Made by execve: the fds, cwd and umask it keeps. */
		__aion_exec_inherit(st->posix_exec, st->posix_exec_size);
		if (st->posix_tty)
			__aion_fd_use_tty((aion_handle_t)st->posix_tty);
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
	const size_t naux = sizeof(aux) / sizeof(aux[0]);
	size_t words = 1 + argc + 1 + envc + 1 + 2 * naux;
	/* Below the args' strings, and below the block's pointers if any. */
	uintptr_t below = vec == args_argv ? (uintptr_t)strings : (uintptr_t)vec;
	uint64_t *sp = (uint64_t *)((below - words * 8) & ~(uintptr_t)15);
	uint64_t *w = sp;

	_Static_assert(FIXED_BYTES > AION_ARGS_MAX + 16 + 8 * (4 + 2 * 11) + 16 + 8 * 4 + 16,
		       "the fixed part fits");
	*w++ = argc;
	for (unsigned i = 0; i < argc; i++)
		*w++ = (uint64_t)vec[i];
	*w++ = 0;
	for (unsigned i = 0; i < envc; i++)
		*w++ = (uint64_t)vec[argc + i];
	*w++ = 0;
	for (size_t i = 0; i < naux; i++) {
		*w++ = aux[i][0];
		*w++ = aux[i][1];
	}
	return sp;
}
