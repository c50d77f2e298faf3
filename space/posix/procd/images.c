/*
 * The programs procd can start (SPAWN, and the first process named in its
 * arguments): POSIX ELF images linked into procd by the build
 * (space/posix/meson.build), until execve reads them from the file tree.
 */
#include "procd.h"

extern const char posix_fork_elf[], posix_fork_elf_end[];
extern const char posix_procid_elf[], posix_procid_elf_end[];
extern const char posix_run_elf[], posix_run_elf_end[];

static const struct procd_image images[] = {
	{ "fork", posix_fork_elf, posix_fork_elf_end },
	{ "procid", posix_procid_elf, posix_procid_elf_end },
	{ "run", posix_run_elf, posix_run_elf_end },      /* execs a program of /bin */
};

const struct procd_image *procd_image(const char *name)
{
	for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (!strcmp(images[i].name, name))
			return &images[i];
	return NULL;
}
