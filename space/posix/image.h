/*
 * Loading a program from the file tree into a unit procd lends (exec.c),
 * shared by execve and posix_spawn (spawn.c): the POSIX layer's own
 * interface, not for programs (docs/posix.md "exec").
 */
#ifndef AION_POSIX_IMAGE_H
#define AION_POSIX_IMAGE_H

#include "common/elf.h"
#include "libaion/lib.h"
#include "posix.h"

struct image {
	aion_handle_t file;             /* the ELF's open record */
	uint64_t size;
	struct elf_image elf;
	aion_handle_t unit;             /* lent by procd */
	long pid;
	uint64_t proc_ep;               /* procd's capability in the new unit */
	struct exec_give *given;        /* what __aion_image_put_kept gave */
	/* signals the new image starts with ignored, and its mask (bit s-1):
	 * the caller's (POSIX exec), or what posix_spawn's attributes say */
	uint64_t sig_ignored, sig_mask;
};

/*
 * The fds, as the new image is to see them before FD_CLOEXEC applies:
 * exec's are the process's own; posix_spawn's are those after its file
 * actions (spawn.c).
 */
struct fd_view {
	struct posix_file *f[POSIX_FD_MAX];
	unsigned char cloexec[POSIX_FD_MAX];
	char cwd[VFS_PATH_MAX + 1];
};

/* What put_kept gave: the root, each kept description's handle there. */
struct exec_give {
	struct image *im;
	const struct fd_view *view;
	int retain;                             /* spawn: the giver keeps its holder */
	aion_handle_t root;
	aion_handle_t given[POSIX_FD_MAX];      /* by description slot */
	unsigned char retained[POSIX_FD_MAX];
};

/* argv and envp packed as the argv block. */
struct argv_block {
	char *bytes;
	int64_t len;
	uint32_t argc, envc;
};

/* Each: 0 or -errno. */
long __aion_image_pack_argv(char *const argv[], char *const envp[], struct argv_block *a) POSIX_HIDDEN;
/* Opens path, checks it (EACCES, ENOEXEC) and reads its ELF headers. */
long __aion_image_open(const char *path, struct image *im) POSIX_HIDDEN;
void __aion_image_close(struct image *im) POSIX_HIDDEN;
/* PROC_EXEC: how is PROC_EXEC_SELF or PROC_EXEC_CHILD. */
long __aion_image_unit(const char *path, unsigned how, struct image *im) POSIX_HIDDEN;
/* The segments from the file, and the stack. */
long __aion_image_load(struct image *im) POSIX_HIDDEN;
/* The kept fds' capabilities (retained first when retain) and the block. */
long __aion_image_put_kept(struct image *im, const struct fd_view *v, int retain,
			   struct aion_startup *st) POSIX_HIDDEN;
void __aion_image_release_given(struct exec_give *g) POSIX_HIDDEN;
long __aion_image_put_startup(struct image *im, const struct argv_block *a,
			      struct aion_startup *st) POSIX_HIDDEN;
/* The process's own fds and cwd (exec's view); NULL: no memory. */
struct fd_view *__aion_image_own_view(void) POSIX_HIDDEN;

#endif
