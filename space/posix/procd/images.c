/*
 * The programs procd can start (SPAWN, and the first process named in its
 * arguments): POSIX ELF images linked into procd by the build
 * (space/posix/meson.build), until execve reads them from the file tree.
 */
#include "procd.h"

extern const char posix_fork_elf[], posix_fork_elf_end[];
extern const char posix_procid_elf[], posix_procid_elf_end[];
extern const char posix_tty_elf[], posix_tty_elf_end[];
extern const char posix_busybox_elf[], posix_busybox_elf_end[];

static const struct procd_image images[] = {
	{ "fork", posix_fork_elf, posix_fork_elf_end },
	{ "procid", posix_procid_elf, posix_procid_elf_end },
	{ "tty", posix_tty_elf, posix_tty_elf_end },
	/* busybox: argv[0] names the applet (sh is ash). */
	{ "sh", posix_busybox_elf, posix_busybox_elf_end },
};

const struct procd_image *procd_image(const char *name)
{
	for (unsigned i = 0; i < sizeof(images) / sizeof(images[0]); i++)
		if (!strcmp(images[i].name, name))
			return &images[i];
	return NULL;
}
