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
 *   posixfork    procd, the process server, with tests/posix/fork.c as its
 *                first process (fork, wait4, kill, groups; exit 0): unit
 *                "procd", which ends with the first process's exit code
 *   posixforkfiles procd with the VFS root (which procd hands on) and
 *                its `run`, which execs /bin/forkfiles
 *                (tests/posix/forkfiles.c): files survive fork
 *   posixexec    the same with /bin/exec (tests/posix/exec.c): execve of
 *                /bin programs, its errors, what a process keeps
 *   posixspawn   the same with /bin/spawn (tests/posix/spawn.c):
 *                posix_spawn(p) with file actions and attributes, vfork
 *   posixprocid  procd with tests/posix/procid.c: its guards (badge, kill's
 *                refusals, the lent handle taken back, SPAWN)
 *   posixsignals procd with tests/posix/signals.c: handlers, masks,
 *                sigsuspend, SIGCHLD, EINTR (docs/posix.md "Signals")
 *   posixpipesig procd running /bin/pipesig (tests/posix/pipesig.c):
 *                SIGTERM and a read blocked on an empty pipe
 *   posixrecs    procd running /bin/recs (tests/posix/recs.c): what a
 *                faulting or SIGKILLed process held in vfsd is released
 *   posixpts     procd with /bin/pts_run /pts: the Open POSIX Test Suite,
 *                its CI subset or (posixpts:all) every test built (only on
 *                the ISO aion-pts.iso; docs/posix.md)
 *   posixfiles   tests/posix/files.c with the VFS's root directory, unit
 *                "files"; exit 0
 *   posixnofs    the same program without it, unit "nofs": its first
 *                open fails with EACCES, exit 2
 * Every POSIX test runs next to vfsd (init.c): utest looks "vfs" up in
 * init's name service (UTEST_INIT_EP) and gives it to each program, its
 * handle in the startup record's posix_fs, unless the test says not to.
 *   posixpipes   tests/posix/pipes.c with the VFS's root (pipes, poll,
 *                select; two threads), unit "pipes"; exit 0
 *   posixsock    tests/posix/sockets.c local (UDP and TCP on 127.0.0.1
 *                through netd), unit "sockets", with netd's "net" as its
 *                next handle (startup record posix_net); exit 0. init
 *                starts netd for tests named posixsock* (manifest.c).
 *   posixsocknonet the same program without "net": its first socket()
 *                is EACCES, exit 2, unit "nonet"
 *   posixthreads tests/posix/threads.c (pthreads: mutex, condition
 *                variable, join, __thread, once, timed wait; exit 0, its
 *                lines "threads: ..."), unit "threads"
 */
#include "aion/initproto.h"
#include "aion/tty.h"
#include "aion/vfs.h"
#include "libaion/initclient.h"
#include "libaion/malloc.h"
#include "common/format.h"
#include "utest.h"

extern const char posix_printf_elf[], posix_printf_elf_end[];
extern const char posix_hello_stdio_elf[], posix_hello_stdio_elf_end[];
extern const char posix_malloc_elf[], posix_malloc_elf_end[];
extern const char posix_lua_elf[], posix_lua_elf_end[];
extern const char posix_clock_elf[], posix_clock_elf_end[];
extern const char posix_args_elf[], posix_args_elf_end[];
extern const char posix_files_elf[], posix_files_elf_end[];
extern const char posix_procd_elf[], posix_procd_elf_end[];
extern const char posix_sockets_elf[], posix_sockets_elf_end[];

/* The child's first capability lands in its table's first free slot. */
#define CHILD_FIRST_HANDLE      AION_HANDLE(1, 1)
#define CHILD_SECOND_HANDLE     AION_HANDLE(2, 1)
#define VFS_WAIT_NS             (5000 * MS)
#define NET_WAIT_NS             (30000 * MS)    /* netd's selftest comes first */

static struct aion_ipc_buffer posix_buf __attribute__((aligned(4096)));

/* A service's endpoint from init's name service: a handle, or -AION_E.... */
static int64_t lookup(const char *name, uint64_t wait_ns)
{
	int64_t err = aion_ipc_buffer(&posix_buf);
	return err ? err : init_lookup(utest_init_ep, &posix_buf, name, wait_ns);
}

/* The VFS root. */
static int64_t vfs_root(void)
{
	return lookup(VFS_NAME, VFS_WAIT_NS);
}

/*
 * /bin/NAME read through the VFS into memory (aion_malloc'd, the caller
 * frees): programs only the initramfs carries, so utest's image, which
 * every helper unit loads, stays small. *len its size; NULL on an error.
 */
static char *read_bin(const char *name, size_t *len)
{
	char path[64];
	struct aion_msg m;
	int64_t root = vfs_root();
	if (root < 0 || strlen(name) > sizeof(path) - 6)
		return NULL;
	memcpy(path, "/bin/", 5);
	memcpy(path + 5, name, strlen(name) + 1);
	int64_t err = utest_vfs_call(&posix_buf, (aion_handle_t)root, VFS_OPEN, VFS_O_READ, 0,
				     AION_TAG_ACCEPT(1), path, (unsigned)strlen(path), &m);
	aion_handle_close((aion_handle_t)root);
	if (err || AION_TAG_CAPS(m.tag) != 1)
		return NULL;
	aion_handle_t f = posix_buf.caps[0];
	size_t cap = 64 << 10, n = 0;
	char *buf = aion_malloc(cap);
	for (;;) {
		err = buf ? utest_vfs_call(&posix_buf, f, VFS_READ, VFS_IO_MAX, VFS_AT_POS, 0,
					   "", 0, &m) : -AION_ENOMEM;
		if (err <= 0)
			break;
		if (n + VFS_IO_MAX > cap) {
			char *more = aion_malloc(cap * 2);
			if (more)
				memcpy(more, buf, n);
			aion_free(buf);
			buf = more;
			cap *= 2;
			if (!buf)
				break;
		}
		memcpy(buf + n, posix_buf.payload, m.w[0]);
		n += m.w[0];
	}
	utest_vfs_call(&posix_buf, f, VFS_CLOSE, 0, 0, 0, "", 0, NULL);
	aion_handle_close(f);
	if (err || (int64_t)m.w[0] < 0 || !buf || !n) {
		aion_free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

enum fs_give { FS_NONE, FS_IF_THERE, FS_NEEDED };

/* The sockets tests give the next program netd's "net" too (after the
 * VFS root) and may wait longer for it (0: 10 s), set around their run
 * (run_sock): the other tests' calls stay as they are. */
static struct {
	bool net;
	uint64_t wait_ns;
} extra;
/* A terminal record start() gives as well (posixtty), retained for the
 * child first; 0: none. */
static aion_handle_t give_tty;
/* How long run_program waits for the unit's end (posixtty waits for typing). */
static uint64_t run_wait_ns = 10000 * MS;
extern const char posix_threads_elf[], posix_threads_elf_end[];
extern const char posix_pipes_elf[], posix_pipes_elf_end[];

/*
 * Spawns the program as unit `name` and gives it the VFS root as its
 * first handle (FS_IF_THERE: when utest runs next to vfsd, not under
 * "all"). args: the startup record's args (split at spaces by a POSIX
 * program or libaion's main), or NULL; argv: a POSIX program's argv (the
 * argv block, with an empty environment), or NULL.
 */
static int64_t start(const char *name, const char *args, const char *const *argv,
		     uint64_t quota, const char *image, const char *end, enum fs_give give,
		     aion_handle_t *u, aion_handle_t *t)
{
	static char block[4096];
	struct aion_startup st = { 0 };
	struct aion_spawn sp = {
		.name = name, .image = image, .image_size = (size_t)(end - image),
		.quota_frames = quota, .max_prio = 100, .prio = 100, .startup = &st,
		.stack_pages = 32, .no_start = 1,
	};

	if (args && strlen(args) >= sizeof(st.args))
		return -AION_EINVAL;
	if (args)
		memcpy(st.args, args, strlen(args) + 1);
	if (argv) {
		int64_t len = aion_argv_pack(block, sizeof(block), argv, NULL, &sp.argc, &sp.envc);
		if (len < 0)
			return len;
		sp.argv_block = block;
		sp.argv_len = (size_t)len;
	}
	int64_t fs = give == FS_NONE ? 0 : vfs_root();
	if (fs == -AION_ECAP && give == FS_IF_THERE)
		fs = 0;
	if (fs < 0)
		return fs;
	bool with_fs = fs > 0;
	aion_handle_t tty_at = with_fs ? CHILD_SECOND_HANDLE : CHILD_FIRST_HANDLE;
	st.posix_fs = with_fs ? CHILD_FIRST_HANDLE : 0;
	int64_t net = extra.net ? lookup("net", NET_WAIT_NS) : 0;
	if (net < 0)
		return net;
	/* A process server reports its processes' ends to vfsd (aion/vfs.h VFS_REAP). */
	int64_t reap = with_fs && image == posix_procd_elf ? lookup(VFS_REAP_NAME, VFS_WAIT_NS) : 0;
	if (reap < 0) {
		if (net)
			aion_handle_close((aion_handle_t)net);
		return reap;
	}
	/* The child's handles in the order given: the root, the terminal, net. */
	st.posix_net = net ? AION_HANDLE(1 + (with_fs ? 1 : 0) + (give_tty ? 1 : 0), 1) : 0;
	st.posix_tty = give_tty ? tty_at : 0;
	st.vfs_reap = reap ? AION_HANDLE(2 + (give_tty ? 1 : 0) + (net ? 1 : 0), 1) : 0;
	int64_t err = aion_spawn(&sp, u, t);
	if (err) {
		if (net)
			aion_handle_close((aion_handle_t)net);
		if (reap)
			aion_handle_close((aion_handle_t)reap);
		return err;
	}
	int64_t given = with_fs ? aion_cap_give(*u, (aion_handle_t)fs, AION_RIGHT_SEND) : 0;
	if (given >= 0 && with_fs && given != CHILD_FIRST_HANDLE)
		given = -AION_ERANGE;
	if (given >= 0 && give_tty) {
		given = aion_give_record(*u, give_tty, AION_RIGHT_SEND | AION_RIGHT_GRANT);
		if (given >= 0 && given != tty_at)
			given = -AION_ERANGE;
	}
	if (given >= 0 && net) {
		given = aion_cap_give(*u, (aion_handle_t)net, AION_RIGHT_SEND);
		if (given >= 0 && given != (int64_t)st.posix_net)
			given = -AION_ERANGE;
	}
	if (given >= 0 && reap) {
		given = aion_cap_give(*u, (aion_handle_t)reap, AION_RIGHT_SEND);
		if (given >= 0 && given != (int64_t)st.vfs_reap)
			given = -AION_ERANGE;
	}
	if (net)
		aion_handle_close((aion_handle_t)net);
	if (reap)
		aion_handle_close((aion_handle_t)reap);
	err = given < 0 ? given : aion_thread_start(*t);
	if (err)
		utest_reap(*u, *t);
	return err;
}

/* start, then waits for the unit's end. */
static int64_t run_program(const char *name, const char *args, const char *const *argv,
			   uint64_t quota, const char *image, const char *end,
			   enum fs_give give, struct aion_unit_info *info)
{
	aion_handle_t u, t;
	int64_t err = start(name, args, argv, quota, image, end, give, &u, &t);
	if (!err) {
		err = aion_unit_wait(u, extra.wait_ns ? extra.wait_ns : run_wait_ns, info);
		utest_reap(u, t);
	}
	return err;
}

static void run_args(const char *test, const char *name, const char *args, uint64_t quota,
		     const char *image, const char *end, enum fs_give give)
{
	struct aion_unit_info info = { 0 };
	int64_t err = run_program(name, args, NULL, quota, image, end, give, &info);
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
		const char *end, enum fs_give give)
{
	run_args(test, name, name, quota, image, end, give);
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

/* 8 MiB, as posixthreads: its second thread's stack and TLS. */
void test_posixpipes(void)
{
	run("posixpipes", "pipes", 2048, posix_pipes_elf, posix_pipes_elf_end, FS_NEEDED);
}

/* tests/posix/sockets.c with netd's "net"; 2 MiB: its buffers are on its stack. */
static void run_sock(const char *test, const char *name, const char *args, uint64_t wait_ns)
{
	extra.net = true;
	extra.wait_ns = wait_ns;
	run_args(test, name, args, 512, posix_sockets_elf, posix_sockets_elf_end, FS_IF_THERE);
	extra.net = false;
	extra.wait_ns = 0;
}

void test_posixsock(void)
{
	run_sock("posixsock", "sockets", "sockets local", 0);
}

/*
 * Two nodes (tests/cluster/cluster_posix_sock.py): utest runs as init's
 * service "posixtest" on each (main.c), next to netd with the NIC.
 * posixsockserver: "sockets server", unit "sockserver"; posixsockclient:ADDR:
 * "sockets client ADDR", unit "sockclient".
 */
#define PEER_WAIT_NS    (180000 * MS)   /* the other node boots meanwhile */

void test_posixsockserver(void)
{
	run_sock("posixsockserver", "sockserver", "sockserver server", PEER_WAIT_NS);
}

void test_posixsockclient(void)
{
	char args[64];
	const char *addr = utest_arg ? utest_arg : "";
	if (strlen(addr) > 32) {
		utest_fail("posixsockclient", "address too long");
		return;
	}
	memcpy(args, "sockclient client ", 18);
	memcpy(args + 18, addr, strlen(addr) + 1);
	run_sock("posixsockclient", "sockclient", args, PEER_WAIT_NS);
}

/* netd serves meanwhile (looked up, not given): only the capability is missing. */
void test_posixsocknonet(void)
{
	int64_t net = lookup("net", NET_WAIT_NS);
	if (net < 0) {
		utest_fail("posixsocknonet", "lookup net err=%s", aion_error_name(net));
		return;
	}
	aion_handle_close((aion_handle_t)net);
	run_args("posixsocknonet", "nonet", "nonet local", 512, posix_sockets_elf,
		 posix_sockets_elf_end, FS_IF_THERE);
}

/* 8 MiB: its threads' stacks and TLS (musl's default stack: 128 KiB). */
void test_posixthreads(void)
{
	run("posixthreads", "threads", 2048, posix_threads_elf, posix_threads_elf_end, FS_IF_THERE);
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
#define LUA(...) { { "lua", __VA_ARGS__, NULL }, posix_lua_elf, posix_lua_elf_end, 512, false }
/* A C program of tests/posix only the initramfs carries (/bin/NAME), with
 * its quota in pages and its arguments. */
#define C(name, quota, ...) { { #name, ##__VA_ARGS__, NULL }, NULL, NULL, quota, false }
/* One run under procd (`run /bin/NAME`), with room for its children. */
#define P(name) { { #name, NULL }, NULL, NULL, 6144, true }
static const struct {
	const char *argv[20];           /* argv[0] is the unit's name */
	const char *image, *end;
	uint64_t quota;
	bool procd;                     /* /bin/NAME as procd's first process */
} diff_runs[] = {
	{ { "hello", NULL }, posix_hello_stdio_elf, posix_hello_stdio_elf_end, 256, false },
	{ { "printf", NULL }, posix_printf_elf, posix_printf_elf_end, 256, false },
	{ { "clock", NULL }, posix_clock_elf, posix_clock_elf_end, 256, false },
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
	{ { "args", "one", "two words", "", "  spaced  ", NULL }, posix_args_elf, posix_args_elf_end, 256,
	  false },
	/* Two threads and a pipe (no timings printed, only bounds held). */
	{ { "pipes", NULL }, posix_pipes_elf, posix_pipes_elf_end, 2048, false },
	/* Scripts from the initramfs (tests/posix/lua), by relative paths from
	 * the root, so the host runs them the same from a folder made alike. */
	LUA("share/lua/strings.lua"),
	LUA("share/lua/tables.lua"),
	LUA("share/lua/coroutines.lua"),
	LUA("share/lua/errors.lua"),
	LUA("share/lua/files.lua", "tmp"),
	/* C programs on files (relative paths under tmp), memory, libc, threads. */
	C(dirs, 256),
	C(fdops, 256),
	C(locks, 256),
	C(mmap, 2048),
	C(strings, 256),
	C(mathlib, 256),
	C(timefmt, 256),
	C(syncs, 2048),
	C(environ, 256, "HOME=/root", "X=a=b"),
	C(exitcodes, 256, "exit", "3"),
	C(exitcodes, 256, "_exit", "300"),
	C(exitcodes, 256, "return", "7"),
	/* Processes (fork, wait, pipes between them, exec, signals, groups):
	 * under procd, which `run`s /bin/procs; its unit is named procs. */
	{ { "procs", NULL }, NULL, NULL, 6144, true },
	P(sigmask), P(waits), P(alarm), P(forkthreads), P(execs), P(pipeline), P(sessions),
	P(shmap), P(tsignals), P(stops), P(faults), P(rtsignals),
	C(pthreads, 2048),
	C(stdio, 256),
	C(fileio, 256),
	C(search, 256),
	C(getopt, 256, "-av", "-b", "4", "-cfull", "-x", "-b", "--", "file", "--all", "--block=9",
	  "--color", "--verb", "--nope", "-c", "--", "-a", "last"),
	C(memstream, 256),
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
		const char *image = diff_runs[i].image, *end = diff_runs[i].end;
		char *file = NULL, args[AION_ARGS_MAX];
		size_t len = 0;
		int64_t err;
		if (diff_runs[i].procd) {
			/* procd's argument string: "run /bin/NAME ARG..." */
			unsigned at = (unsigned)fmt_snprintf(args, sizeof(args), "run /bin/%s", name);
			for (unsigned a = 1; a < argc && at < sizeof(args); a++)
				at += (unsigned)fmt_snprintf(args + at, sizeof(args) - at, " %s", argv[a]);
			err = at < sizeof(args) ? run_program("procd", args, NULL, diff_runs[i].quota,
							      posix_procd_elf, posix_procd_elf_end,
							      FS_NEEDED, &info) : -AION_ERANGE;
		} else {
			if (!image && (file = read_bin(name, &len)))
				image = file, end = file + len;
			err = image ? run_program(name, NULL, argv, diff_runs[i].quota, image, end,
						  FS_IF_THERE, &info) : -AION_ENOENT;
			aion_free(file);
		}
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
 * names its first process; procd hands the VFS root we give it on.
 */
static void run_procd(const char *test, const char *prog, enum fs_give give)
{
	run_args(test, "procd", prog, 6144, posix_procd_elf, posix_procd_elf_end, give);
}

void test_posixfork(void)
{
	run_procd("posixfork", "fork", FS_NONE);
}

void test_posixsignals(void)
{
	run_args("posixsignals", "procd", "run /bin/signals", 6144, posix_procd_elf, posix_procd_elf_end,
		 FS_NEEDED);
}

void test_posixpipesig(void)
{
	run_procd("posixpipesig", "run /bin/pipesig", FS_NEEDED);
}

/* 300 forks that fault take about 5 s on a quiet host: room for a busy one. */
void test_posixrecs(void)
{
	extra.wait_ns = 60000 * MS;
	run_procd("posixrecs", "run /bin/recs", FS_NEEDED);
	extra.wait_ns = 0;
}

/*
 * posixpts[:all]: procd runs /bin/pts_run over /pts, the Open POSIX Test
 * Suite's conformance tests (tests/posix/pts), from /pts/ci.txt (the
 * suite's subset) or with "all" from /pts/index.txt (bench/pts). Only
 * the ISO of its own (deploy/pts) carries them;
 * tests/boot/boot_pts.py reads pts_run's lines and judges the rates.
 * pts_run exits 0 when it ran the index, so the verdict here is only that
 * procd and the runner ended; a test that hangs is killed by pts_run
 * after 60 s; the subset takes two minutes, all of them ten to
 * twenty (init gives utest 1800 s).
 */
void test_posixpts(void)
{
	const char *which = utest_arg ? utest_arg : "ci";
	if (strcmp(which, "ci") && strcmp(which, "all")) {
		utest_fail("posixpts", "arg=%s want=ci|all", which);
		return;
	}
	char args[96];
	fmt_snprintf(args, sizeof(args), "run /bin/pts_run /pts /pts/%s.txt",
		     strcmp(which, "all") ? "ci" : "index");
	extra.wait_ns = (strcmp(which, "all") ? 840000 : 1740000) * MS;
	/* 192 MiB (of utest's 225 on the 512 MiB node): each process 16 MiB
	 * (procd gives a twelfth), room for
	 * the threads' stacks the tests make, as on Linux. */
	run_args("posixpts", "procd", args, 49152, posix_procd_elf, posix_procd_elf_end,
		 FS_NEEDED);
	extra.wait_ns = 0;
}

void test_posixprocid(void)
{
	run_procd("posixprocid", "procid", FS_NONE);
}

void test_posixforkfiles(void)
{
	run_procd("posixforkfiles", "run /bin/forkfiles", FS_NEEDED);
}

void test_posixexec(void)
{
	run_procd("posixexec", "run /bin/exec", FS_NEEDED);
}

void test_posixspawn(void)
{
	run_procd("posixspawn", "run /bin/spawn", FS_NEEDED);
}

/*
 * posixtty: the console's terminal (docs/posix.md "The terminal"). utest
 * opens a record of "tty" (from that moment what is typed on the console
 * goes to the terminal, not the shell) and gives it to procd, which gives
 * it to tests/posix/tty.c as fds 0-2: `tty check` (termios, window size,
 * canonical and raw input the boot test types), then `tty sigint` (^C
 * ends the foreground group's child, the parent survives). Both exit 0.
 */
static int64_t tty_open(aion_handle_t *cap)
{
	int64_t err = aion_ipc_buffer(&posix_buf);
	int64_t opener = err ? err : init_lookup(UTEST_INIT_EP, &posix_buf, TTY_NAME, VFS_WAIT_NS);
	if (opener < 0)
		return opener;
	struct aion_msg m = { .tag = AION_TAG(VFS_OPEN, 0, 0) | AION_TAG_ACCEPT(1),
			      .w = { 0, VFS_O_READ | VFS_O_WRITE, 0 } };
	err = aion_call((aion_handle_t)opener, &m, AION_FOREVER);
	aion_handle_close((aion_handle_t)opener);
	if (!err && (int64_t)m.w[0] < 0)
		err = (int64_t)m.w[0];
	if (!err && (AION_TAG_CAPS(m.tag) != 1 || m.w[1] != VFS_S_IFCHR))
		err = -AION_EMALFORMED;
	if (!err)
		*cap = posix_buf.caps[0];
	return err;
}

/*
 * Each run's procd: 16 MiB. The first procd's quota stays reserved after
 * its end while 2 frames it shared are still held (`unit destroy shared
 * unit=procd frames=2`: the quota goes back with the last reference), so
 * the second run starts beside it; 2 x 6,144 frames left utest 34 short
 * once its programs grew (2026-12-07, docs/posix.md "The terminal").
 */
#define TTY_PROCD_QUOTA         4096

void test_posixtty(void)
{
	aion_handle_t tty = 0;
	struct aion_unit_info check = { 0 }, sigint = { 0 };
	int64_t err = tty_open(&tty), err2 = -AION_EINVAL;
	if (!err) {
		give_tty = tty;
		run_wait_ns = 60000 * MS;
		err = run_program("procd", "run /bin/tty check", NULL, TTY_PROCD_QUOTA,
				  posix_procd_elf, posix_procd_elf_end, FS_NEEDED, &check);
		err2 = run_program("procd", "run /bin/tty sigint", NULL, TTY_PROCD_QUOTA,
				   posix_procd_elf, posix_procd_elf_end, FS_NEEDED, &sigint);
		give_tty = 0;
		run_wait_ns = 10000 * MS;
		struct aion_msg m = { .tag = AION_TAG(VFS_CLOSE, 0, 0) };
		int64_t c = aion_call(tty, &m, AION_FOREVER);
		aion_handle_close(tty);
		if (c || m.w[0])
			aion_printf("posixtty close err=%s result=%ld", aion_error_name(c),
				    (long)m.w[0]);
	}
	if (err || err2 || check.exit_code || sigint.exit_code)
		utest_fail("posixtty", "err=%s err2=%s check=%d sigint=%d", aion_error_name(err),
			   aion_error_name(err2), check.exit_code, sigint.exit_code);
	else
		utest_ok("posixtty", "check=%d sigint=%d", check.exit_code, sigint.exit_code);
}

/*
 * posixsh: busybox's shell (ash, interactive) on the console's terminal:
 * procd starts "run /bin/busybox sh -i" (exec'd from the initramfs) as
 * its session leader with the terminal; the boot
 * test (tests/boot/boot_sh.py) types commands and ends it with `exit 7`.
 * The verdict carries the shell's exit code.
 */
void test_posixsh(void)
{
	aion_handle_t tty = 0;
	struct aion_unit_info info = { 0 };
	int64_t err = tty_open(&tty);
	if (!err) {
		give_tty = tty;
		run_wait_ns = 120000 * MS;
		err = run_program("procd", "run /bin/busybox sh -i", NULL, 6144, posix_procd_elf,
				  posix_procd_elf_end, FS_NEEDED, &info);
		give_tty = 0;
		run_wait_ns = 10000 * MS;
		struct aion_msg m = { .tag = AION_TAG(VFS_CLOSE, 0, 0) };
		aion_call(tty, &m, AION_FOREVER);
		aion_handle_close(tty);
	}
	if (err || info.state != AION_UNIT_EXITED)
		utest_fail("posixsh", "err=%s state=%u exit_code=%d", aion_error_name(err),
			   info.state, info.exit_code);
	else
		utest_ok("posixsh", "exit_code=%d", info.exit_code);
}

/*
 * posixbench (bench/posix, and posix-bench-smoke with small counts): procd
 * runs /bin/posixbench (tests/posix/posixbench.c), whose lines carry the
 * figures. utest_arg: its iteration counts separated by commas (the
 * kernel command line has no spaces inside a word), e.g. 200,100,100,5.
 * A full run takes minutes under TCG, so the wait is 10 minutes.
 */
void test_posixbench(void)
{
	char args[96] = "run /bin/posixbench";
	const char *counts = utest_arg ? utest_arg : "";
	size_t at = strlen(args), n = strlen(counts);
	struct aion_unit_info info = { 0 };
	bool digits = true;
	for (size_t i = 0; i < n; i++)
		digits = digits && ((counts[i] >= '0' && counts[i] <= '9') || counts[i] == ',');
	if (n > sizeof(args) - at - 2 || !digits) {
		utest_fail("posixbench", "bad counts `%s` (want digits and commas)", counts);
		return;
	}
	if (n)
		args[at++] = ' ';
	for (size_t i = 0; i <= n; i++)
		args[at + i] = counts[i] == ',' ? ' ' : counts[i];
	run_wait_ns = 600000 * MS;
	int64_t err = run_program("procd", args, NULL, 6144, posix_procd_elf, posix_procd_elf_end,
				  FS_NEEDED, &info);
	run_wait_ns = 10000 * MS;
	if (err || info.state != AION_UNIT_EXITED || info.exit_code)
		utest_fail("posixbench", "err=%s state=%u exit_code=%d", aion_error_name(err),
			   info.state, info.exit_code);
	else
		utest_ok("posixbench", "exit_code=%d", info.exit_code);
}
