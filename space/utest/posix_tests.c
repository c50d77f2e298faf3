/*
 * posix, posixprintf, posixmalloc, posixfiles, posixnofs: an unmodified C
 * program linked with musl's libc.a for Aion and the POSIX layer
 * (space/posix) runs as its own unit, started from the copy linked into
 * utest with argv[0] = its name; utest reports how it ended, the boot test
 * checks its output lines in the log and the exit status (docs/posix.md).
 *   posix        tests/posix/hello_stdio.c (fputs, exit(3)), unit "hello"
 *   posixprintf  tests/posix/printf.c (printf, snprintf, strtod; return 5),
 *                unit "printf"
 *   posixmalloc  tests/posix/malloc.c (malloc, mmap, clock; exit 0, its
 *                line "malloc: ok ..."), unit "malloc"
 *   posixfiles   tests/posix/files.c with the VFS's root directory, unit
 *                "files"; exit 0
 *   posixnofs    the same program without it, unit "nofs": its first
 *                open fails with EACCES, exit 2
 * Every POSIX test runs next to vfsd (init.c): utest looks "vfs" up in
 * init's name service (UTEST_INIT_EP) and gives it to each program, its
 * handle in the startup record's posix_fs, unless the test says not to.
 */
#include "aion/initproto.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "utest.h"

extern const char posix_printf_elf[], posix_printf_elf_end[];
extern const char posix_hello_stdio_elf[], posix_hello_stdio_elf_end[];
extern const char posix_malloc_elf[], posix_malloc_elf_end[];
extern const char posix_files_elf[], posix_files_elf_end[];

/* The child's first capability lands in its table's first free slot. */
#define CHILD_FIRST_HANDLE      AION_HANDLE(1, 1)
#define VFS_WAIT_NS             (5000 * MS)

static struct aion_ipc_buffer posix_buf __attribute__((aligned(4096)));

/* The VFS root from init's name service: a handle, or -AION_E.... */
static int64_t vfs_root(void)
{
	int64_t err = aion_ipc_buffer(&posix_buf);
	return err ? err : init_lookup(UTEST_INIT_EP, &posix_buf, VFS_NAME, VFS_WAIT_NS);
}

enum fs_give { FS_NONE, FS_IF_THERE, FS_NEEDED };

/* Spawns the program and gives it the VFS root as its first handle:
 * FS_IF_THERE when utest runs next to vfsd (not under "all"). */
static int64_t start(const char *name, uint64_t quota, const char *image, const char *end,
		     enum fs_give give, aion_handle_t *u, aion_handle_t *t)
{
	struct aion_startup st = { 0 };
	memcpy(st.args, name, strlen(name) + 1);       /* argv[0]: short, fits */
	int64_t fs = give == FS_NONE ? 0 : vfs_root();
	if (fs == -AION_ECAP && give == FS_IF_THERE)
		fs = 0;
	if (fs < 0)
		return fs;
	bool with_fs = fs > 0;
	st.posix_fs = with_fs ? CHILD_FIRST_HANDLE : 0;
	struct aion_spawn sp = {
		.name = name, .image = image, .image_size = (size_t)(end - image),
		.quota_frames = quota, .max_prio = 100, .prio = 100, .startup = &st,
		.no_start = 1,
	};
	int64_t err = aion_spawn(&sp, u, t);
	if (err)
		return err;
	int64_t given = with_fs ? aion_cap_give(*u, (aion_handle_t)fs, AION_RIGHT_SEND) : 0;
	if (given >= 0 && with_fs && given != CHILD_FIRST_HANDLE)
		given = -AION_ERANGE;
	err = given < 0 ? given : aion_thread_start(*t);
	if (err)
		utest_reap(*u, *t);
	return err;
}

static void run(const char *test, const char *name, uint64_t quota, const char *image,
		const char *end, enum fs_give give)
{
	struct aion_unit_info info = { 0 };
	aion_handle_t u, t;

	int64_t err = start(name, quota, image, end, give, &u, &t);
	if (!err) {
		err = aion_unit_wait(u, 10000 * MS, &info);
		utest_reap(u, t);
	}
	if (err || info.state != AION_UNIT_EXITED)
		utest_fail(test, "err=%s state=%u exit_code=%d fault_vector=%u fault_addr=0x%lx",
			   aion_error_name(err), info.state, info.exit_code,
			   info.fault_vector, (unsigned long)info.fault_addr);
	else
		utest_ok(test, "exit_code=%d syscalls=%lu", info.exit_code,
			 (unsigned long)info.syscalls);
}

void test_posix(void)
{
	run("posix", "hello", 256, posix_hello_stdio_elf, posix_hello_stdio_elf_end, FS_IF_THERE);
}

void test_posixprintf(void)
{
	run("posixprintf", "printf", 256, posix_printf_elf, posix_printf_elf_end, FS_IF_THERE);
}

/* 8 MiB: its big blocks are 1-3 MiB, freed and taken again 40 times. */
void test_posixmalloc(void)
{
	run("posixmalloc", "malloc", 2048, posix_malloc_elf, posix_malloc_elf_end, FS_IF_THERE);
}

void test_posixfiles(void)
{
	run("posixfiles", "files", 512, posix_files_elf, posix_files_elf_end, FS_NEEDED);
}

void test_posixnofs(void)
{
	run("posixnofs", "nofs", 512, posix_files_elf, posix_files_elf_end, FS_NONE);
}
