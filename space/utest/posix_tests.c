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
 */
#include "utest.h"

extern const char posix_printf_elf[], posix_printf_elf_end[];
extern const char posix_hello_stdio_elf[], posix_hello_stdio_elf_end[];
extern const char posix_malloc_elf[], posix_malloc_elf_end[];

/* Starts the program as unit `name` (argv[0] = name) and waits for its end. */
static int64_t run_program(const char *name, uint64_t quota, const char *image,
			   const char *end, struct aion_unit_info *info)
{
	struct aion_startup st = { 0 };
	memcpy(st.args, name, strlen(name) + 1);       /* argv[0]: short, fits */
	struct aion_spawn sp = {
		.name = name, .image = image, .image_size = (size_t)(end - image),
		.quota_frames = quota, .max_prio = 100, .prio = 100, .startup = &st,
	};
	aion_handle_t u, t;

	int64_t err = aion_spawn(&sp, &u, &t);
	if (!err) {
		err = aion_unit_wait(u, 10000 * MS, info);
		utest_reap(u, t);
	}
	return err;
}

static void run(const char *test, const char *name, uint64_t quota, const char *image,
		const char *end)
{
	struct aion_unit_info info = { 0 };
	int64_t err = run_program(name, quota, image, end, &info);
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

/*
 * posixdiff: the differential test (issue 17, Done when 3). Each program
 * of the table runs in turn between two marker lines; tests/posix/
 * posix_diff.py takes the program's log lines between them and its exit
 * status and compares them with the same source built with the host's
 * musl-gcc and run on the host. Every program whose output does not depend
 * on the machine belongs here.
 */
static const struct {
	const char *name;
	const char *image, *end;
	uint64_t quota;
} diff_programs[] = {
	{ "hello", posix_hello_stdio_elf, posix_hello_stdio_elf_end, 256 },
	{ "printf", posix_printf_elf, posix_printf_elf_end, 256 },
};

void test_posixdiff(void)
{
	unsigned n = sizeof(diff_programs) / sizeof(diff_programs[0]), bad = 0;
	for (unsigned i = 0; i < n; i++) {
		struct aion_unit_info info = { 0 };
		aion_printf("posixdiff start prog=%s", diff_programs[i].name);
		int64_t err = run_program(diff_programs[i].name, diff_programs[i].quota,
					  diff_programs[i].image, diff_programs[i].end, &info);
		bad += err || info.state != AION_UNIT_EXITED;
		aion_printf("posixdiff end prog=%s err=%s state=%u exit_code=%d "
			     "fault_vector=%u", diff_programs[i].name, aion_error_name(err),
			     info.state, info.exit_code, info.fault_vector);
	}
	if (bad)
		utest_fail("posixdiff", "programs=%u not_exited=%u", n, bad);
	else
		utest_ok("posixdiff", "programs=%u", n);
}
