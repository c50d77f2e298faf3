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
extern const char posix_lua_elf[], posix_lua_elf_end[];
extern const char posix_clock_elf[], posix_clock_elf_end[];
extern const char posix_args_elf[], posix_args_elf_end[];
extern const char posix_threads_elf[], posix_threads_elf_end[];

/*
 * Starts the program as unit argv[0] with argv (an empty environment) and
 * waits for its end.
 */
static int64_t run_program(const char *const *argv, uint64_t quota, const char *image,
			   const char *end, struct aion_unit_info *info)
{
	static char block[4096];
	struct aion_startup st = { 0 };
	struct aion_spawn sp = {
		.name = argv[0], .image = image, .image_size = (size_t)(end - image),
		.quota_frames = quota, .max_prio = 100, .prio = 100, .startup = &st,
		.argv_block = block, .stack_pages = 32,
	};
	aion_handle_t u, t;

	int64_t len = aion_argv_pack(block, sizeof(block), argv, NULL, &sp.argc, &sp.envc);
	if (len < 0)
		return len;
	sp.argv_len = (size_t)len;
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
	const char *argv[] = { name, NULL };
	int64_t err = run_program(argv, quota, image, end, &info);
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

/* 8 MiB: its threads' stacks and TLS (musl's default stack: 128 KiB). */
void test_posixthreads(void)
{
	run("posixthreads", "threads", 2048, posix_threads_elf, posix_threads_elf_end);
}

/*
 * posixdiff: the differential test (issue 17, Done when 3 and 4). Each run
 * of the table starts its program with its argv (an empty environment)
 * between marker lines that carry the argv, one line an argument;
 * tests/boot/boot_posix_diff.py takes the program's log lines between the
 * markers and its exit status, runs the same argv on the host (the same
 * source built with musl-gcc; for lua, Debian's lua5.4) and compares. So
 * this table is the one list of what runs. Every run whose output
 * depends on nothing machine-specific (no timings, no addresses) belongs
 * here. The stack is 32 pages: Lua's parser recurses in C.
 */
#define LUA(...) { { "lua", __VA_ARGS__, NULL }, posix_lua_elf, posix_lua_elf_end, 512 }
static const struct {
	const char *argv[8];            /* argv[0] is the unit's name */
	const char *image, *end;
	uint64_t quota;
} diff_runs[] = {
	{ { "hello", NULL }, posix_hello_stdio_elf, posix_hello_stdio_elf_end, 256 },
	{ { "printf", NULL }, posix_printf_elf, posix_printf_elf_end, 256 },
	{ { "clock", NULL }, posix_clock_elf, posix_clock_elf_end, 256 },
	LUA("-e", "print(os.time() > 1.7e9, os.date('!%Y-%m-%d', 86400 * 365), "
	    "os.time{year = 2000, month = 1, day = 1, hour = 0})"),
	LUA("-e", "print(string.format('%d|%5.2f|%q|%x|%-4s|', 7, math.pi, 'a\\nb', 255, 'ab'), "
	    "('abc'):upper(), #('xyz'):rep(3))"),
	LUA("-e", "t = {5, 3, 9, 1}; table.sort(t); print(table.concat(t, ','), "
	    "math.max(table.unpack(t)), -7 // 2, 7 % 3, 2^10, 1/0, 3 | 5)"),
	LUA("-e", "co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)",
	    "-e", "print(co(1), co(5)); print(pcall(error, 'boom'))"),
	LUA("-e", "local function f(n) if n < 2 then return n end return f(n - 1) + f(n - 2) end "
	    "print(f(20)); error('bad')"),
	{ { "args", "one", "two words", "", "  spaced  ", NULL }, posix_args_elf, posix_args_elf_end, 256 },
};

void test_posixdiff(void)
{
	unsigned n = sizeof(diff_runs) / sizeof(diff_runs[0]), bad = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *const *argv = diff_runs[i].argv;
		struct aion_unit_info info = { 0 };
		unsigned argc = 0;
		while (argv[argc])
			argc++;
		const char *name = argc ? argv[0] : "?";
		aion_printf("posixdiff start run=%u prog=%s argc=%u", i, name, argc);
		for (unsigned a = 0; a < argc; a++)
			aion_printf("posixdiff arg run=%u i=%u value=%s", i, a, argv[a]);
		int64_t err = run_program(argv, diff_runs[i].quota, diff_runs[i].image,
					  diff_runs[i].end, &info);
		bad += err || info.state != AION_UNIT_EXITED;
		aion_printf("posixdiff end run=%u prog=%s err=%s state=%u exit_code=%d "
			    "fault_vector=%u", i, name, aion_error_name(err), info.state,
			    info.exit_code, info.fault_vector);
	}
	if (bad)
		utest_fail("posixdiff", "runs=%u not_exited=%u", n, bad);
	else
		utest_ok("posixdiff", "runs=%u", n);
}
