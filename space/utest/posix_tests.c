/*
 * posix, posixprintf: an unmodified C program linked with musl's libc.a
 * for Aion and the POSIX layer (space/posix) runs as its own unit, started
 * from the copy linked into utest with argv[0] = its name; utest reports
 * how it ended, the boot test checks its output lines in the log and the
 * exit status (docs/posix.md).
 *   posix        tests/posix/hello_stdio.c (fputs, exit(3)), unit "hello"
 *   posixprintf  tests/posix/printf.c (printf, snprintf, strtod; return 5),
 *                unit "printf"
 *   posixmalloc  tests/posix/malloc.c (malloc, mmap, clock; exit 0, its
 *                line "malloc: ok ..."), unit "malloc"
 *   posixthreads tests/posix/threads.c (pthreads: mutex, condition
 *                variable, join, __thread, once, timed wait; exit 0, its
 *                lines "threads: ..."), unit "threads"
 */
#include "utest.h"

extern const char posix_printf_elf[], posix_printf_elf_end[];
extern const char posix_hello_stdio_elf[], posix_hello_stdio_elf_end[];
extern const char posix_malloc_elf[], posix_malloc_elf_end[];
extern const char posix_threads_elf[], posix_threads_elf_end[];

static void run(const char *test, const char *name, uint64_t quota, const char *image,
		const char *end)
{
	struct aion_startup st = { 0 };
	memcpy(st.args, name, strlen(name) + 1);       /* argv[0]: short, fits */
	struct aion_spawn sp = {
		.name = name, .image = image, .image_size = (size_t)(end - image),
		.quota_frames = quota, .max_prio = 100, .prio = 100, .startup = &st,
	};
	struct aion_unit_info info = { 0 };
	aion_handle_t u, t;

	int64_t err = aion_spawn(&sp, &u, &t);
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
	run("posix", "hello", 256, posix_hello_stdio_elf, posix_hello_stdio_elf_end);
}

void test_posixprintf(void)
{
	run("posixprintf", "printf", 256, posix_printf_elf, posix_printf_elf_end);
}

/* 8 MiB: its big blocks are 1-3 MiB, freed and taken again 40 times. */
void test_posixmalloc(void)
{
	run("posixmalloc", "malloc", 2048, posix_malloc_elf, posix_malloc_elf_end);
}

/* 8 MiB: five threads' stacks and TLS (musl's default stack: 128 KiB). */
void test_posixthreads(void)
{
	run("posixthreads", "threads", 2048, posix_threads_elf, posix_threads_elf_end);
}
