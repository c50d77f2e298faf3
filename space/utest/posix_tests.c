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
 *   posixfork    procd, the process server, with tests/posix/fork.c as its
 *                first process (fork, wait4, kill, groups; exit 0): unit
 *                "procd", which ends with the first process's exit code
 *   posixprocid  procd with tests/posix/procid.c: its guards (badge, kill's
 *                refusals, the lent handle taken back, SPAWN)
 */
#include "utest.h"

extern const char posix_printf_elf[], posix_printf_elf_end[];
extern const char posix_hello_stdio_elf[], posix_hello_stdio_elf_end[];
extern const char posix_malloc_elf[], posix_malloc_elf_end[];
extern const char posix_lua_elf[], posix_lua_elf_end[];
extern const char posix_clock_elf[], posix_clock_elf_end[];
extern const char posix_procd_elf[], posix_procd_elf_end[];

/* Starts the program as unit `name` (argv[0] = name) and waits for its end. */
static int64_t run_program(const char *name, const char *args, uint64_t quota,
			   const char *image, const char *end, struct aion_unit_info *info)
{
	struct aion_startup st = { 0 };
	if (strlen(args) >= sizeof(st.args))
		return -AION_EINVAL;
	memcpy(st.args, args, strlen(args) + 1);
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

static void run_args(const char *test, const char *name, const char *args, uint64_t quota,
		     const char *image, const char *end)
{
	struct aion_unit_info info = { 0 };
	int64_t err = run_program(name, args, quota, image, end, &info);
	if (err || info.state != AION_UNIT_EXITED)
		utest_fail(test, "err=%s state=%u exit_code=%d fault_vector=%u fault_addr=0x%lx",
			   aion_error_name(err), info.state, info.exit_code,
			   info.fault_vector, (unsigned long)info.fault_addr);
	else
		utest_ok(test, "exit_code=%d syscalls=%lu", info.exit_code,
			 (unsigned long)info.syscalls);
}

/* argv[0] = the unit's name. */
static void run(const char *test, const char *name, uint64_t quota, const char *image,
		const char *end)
{
	run_args(test, name, name, quota, image, end);
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
 * posixdiff: the differential test (issue 17, Done when 3 and 4). Each run
 * of the table starts its program with its arguments (argv split at
 * spaces) between two marker lines; tests/boot/boot_posix_diff.py takes
 * the program's log lines between them and its exit status, runs the same
 * argv on the host (the same source built with musl-gcc; for lua, Debian's
 * lua5.4) and compares. The markers carry the argv, so this table is the
 * one list of what runs. Every run whose output depends on nothing
 * machine-specific (no timings, no addresses) belongs here.
 */
static const struct {
	const char *argv;               /* argv[0] is the unit's name */
	const char *image, *end;
	uint64_t quota;
} diff_runs[] = {
	{ "hello", posix_hello_stdio_elf, posix_hello_stdio_elf_end, 256 },
	{ "printf", posix_printf_elf, posix_printf_elf_end, 256 },
	{ "clock", posix_clock_elf, posix_clock_elf_end, 256 },
	{ "lua -e print(os.time()>1.7e9,os.date(\"!%Y-%m-%d\",86400*365),os.time{year=2000,month=1,day=1,hour=0})",
	  posix_lua_elf, posix_lua_elf_end, 512 },
	{ "lua -e print(string.format(\"%d|%5.2f|%q|%x|%-4s|\",7,math.pi,\"a\\nb\",255,\"ab\"),"
	  "(\"abc\"):upper(),#(\"xyz\"):rep(3))", posix_lua_elf, posix_lua_elf_end, 512 },
	{ "lua -e t={5,3,9,1};table.sort(t);print(table.concat(t,\",\"),math.max(table.unpack(t)),"
	  "-7//2,7%3,2^10,1/0,3|5)", posix_lua_elf, posix_lua_elf_end, 512 },
	{ "lua -e co=coroutine.wrap(function(a)b=coroutine.yield(a+1)return(b*2)end);print(co(1),"
	  "co(5));print(pcall(error,\"boom\"))", posix_lua_elf, posix_lua_elf_end, 512 },
	{ "lua -e f=function(n)return(n<2)and(n)or(f(n-1)+f(n-2))end;print(f(20));error(\"bad\")",
	  posix_lua_elf, posix_lua_elf_end, 512 },
};

void test_posixdiff(void)
{
	unsigned n = sizeof(diff_runs) / sizeof(diff_runs[0]), bad = 0;
	for (unsigned i = 0; i < n; i++) {
		char name[32];
		size_t len = 0;
		while (diff_runs[i].argv[len] && diff_runs[i].argv[len] != ' ' &&
		       len < sizeof(name) - 1)
			len++;
		struct aion_unit_info info = { 0 };
		memcpy(name, diff_runs[i].argv, len);
		name[len] = '\0';
		aion_printf("posixdiff start run=%u prog=%s argv=%s", i, name, diff_runs[i].argv);
		int64_t err = run_program(name, diff_runs[i].argv, diff_runs[i].quota,
					  diff_runs[i].image, diff_runs[i].end, &info);
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

/*
 * procd carves each process's 2 MiB from its own quota: 24 MiB leaves
 * room for the test's 6 processes at once and procd itself. Its argument
 * names its first process.
 */
void test_posixfork(void)
{
	run_args("posixfork", "procd", "fork", 6144, posix_procd_elf, posix_procd_elf_end);
}

void test_posixprocid(void)
{
	run_args("posixprocid", "procd", "procid", 6144, posix_procd_elf, posix_procd_elf_end);
}
