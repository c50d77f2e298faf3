#include <stdarg.h>
#include "common/format.h"
#include "common/elf.h"
#include "aion/initproto.h"
#include "utest.h"

static const struct aion_startup *startup;
const char *utest_arg;
aion_handle_t utest_init_ep = UTEST_INIT_EP;
static unsigned passed, failed;

void utest_result(bool ok, const char *name, const char *fmt, ...)
{
	char detail[AION_LOG_MAX];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	aion_printf("test %s %s %s", name, ok ? "ok" : "FAIL", detail);
	if (ok)
		passed++;
	else
		failed++;
}

/* The pages utest's loadable segments take (0 when the image is not one). */
static uint64_t utest_image_pages(void)
{
	static uint64_t pages;
	struct elf_image img;

	if (!pages && !elf_parse((const void *)startup->image_vaddr, startup->image_size, &img))
		for (unsigned i = 0; i < img.nseg; i++)
			pages += ((img.seg[i].vaddr + img.seg[i].memsz + 4095) / 4096) -
				 img.seg[i].vaddr / 4096;
	return pages;
}

static int64_t spawn(enum role role, unsigned prio, bool no_start,
		     aion_handle_t *unit, aion_handle_t *thread)
{
	static const char *const names[ROLE_COUNT] = {
		[ROLE_SPIN] = "spin", [ROLE_FAULT_PF] = "fault-pf",
		[ROLE_FAULT_UD] = "fault-ud", [ROLE_FAULT_GP] = "fault-gp",
		[ROLE_FAULT_DE] = "fault-de", [ROLE_EXIT] = "exit",
		[ROLE_YIELDER] = "yielder", [ROLE_CLIENT] = "client",
		[ROLE_MOVER] = "mover", [ROLE_SERVE_ONCE] = "serve-once",
		[ROLE_RECV_FAULT] = "recv-fault", [ROLE_ECHO] = "echo",
		[ROLE_IO_NO_CAP] = "io-no-cap", [ROLE_IO_OTHER] = "io-other",
		[ROLE_MEM_READER] = "mem-reader", [ROLE_FUZZ] = "fuzz",
		[ROLE_ODD_FLAGS] = "odd-flags", [ROLE_TRAP_FLAG] = "trap-flag",
		[ROLE_CANONICAL] = "canonical", [ROLE_TICKER] = "ticker",
		[ROLE_CAP_PUSHER] = "cap-pusher", [ROLE_FULL_TABLE] = "full-table",
		[ROLE_EAT_ENDPOINT] = "eat-endpoint", [ROLE_EAT_NOTIFY] = "eat-notify",
		[ROLE_EAT_THREAD] = "eat-thread", [ROLE_EAT_MEMORY] = "eat-memory",
		[ROLE_EAT_UNIT] = "eat-unit", [ROLE_EAT_STACKS] = "eat-stacks", [ROLE_IO_HOLD] = "io-hold",
		[ROLE_EAT_HANDLES] = "eat-handles", [ROLE_EAT_MAPPINGS] = "eat-mappings",
		[ROLE_EAT_IOPORT] = "eat-ioport", [ROLE_EAT_DEVICE] = "eat-device",
		[ROLE_MEM_HOLD] = "mem-hold", [ROLE_IRQ_BIND] = "irq-bind",
		[ROLE_FAULT_SETTER] = "fault-setter", [ROLE_STORM] = "storm",
		[ROLE_STORM_REVOKE] = "storm-revoke", [ROLE_REVOKE_CUT] = "revoke-cut",
		[ROLE_VM86_FAULT] = "vm86-fault", [ROLE_VM86_SPIN] = "vm86-spin",
		[ROLE_LDT_GATE] = "ldt-gate", [ROLE_TREE] = "tree",
		[ROLE_FAULT_XM] = "fault-xm",
		[ROLE_FAULT_MF] = "fault-mf", [ROLE_FPU_YIELD] = "fpu-yield",
		[ROLE_FPU_ECHO] = "fpu-echo", [ROLE_FUTEX_WAITERS] = "futex-waiters",
		[ROLE_UPCALL_BAD_STACK] = "upcall-bad-stack",
		[ROLE_UPCALL_FAULT_OFF] = "upcall-fault-off",
		[ROLE_UPCALL_FAULT_MASKED] = "upcall-fault-masked",
		[ROLE_MEM_SPIN] = "mem-spin", [ROLE_FUZZ_SEEDED] = "fuzz-seeded",
		[ROLE_UPCALL_FAULT_STACK] = "upcall-fault-stack",
		[ROLE_MEM_COPIER] = "mem-copier",
	};
	/*
	 * A role runs utest's own image, which carries the POSIX test programs
	 * (Lua among them): its quota is what the role needs beyond the
	 * image's loaded pages. fault-ud faults at its first instruction: its
	 * stack and page tables are all it takes (dev-faultep makes 24 at once
	 * within utest's quota).
	 */
	uint64_t image_pages = utest_image_pages();
	struct aion_spawn sp = {
		.name = names[role], .image = (const void *)startup->image_vaddr,
		.image_size = startup->image_size, .quota_frames = image_pages +
			(role == ROLE_FUZZ || role == ROLE_EAT_STACKS || role == ROLE_STORM ||
			 role == ROLE_STORM_REVOKE || role == ROLE_REVOKE_CUT ? 2048 :
			 role == ROLE_TREE ? 4096 : role == ROLE_FAULT_UD ? 64 :
			 role == ROLE_FUZZ_SEEDED ? 512 : 256),
		.max_prio = prio, .prio = prio,
		.arg = role, .no_start = no_start,
	};
	return aion_spawn(&sp, unit, thread);
}

int64_t utest_spawn_with_caps(enum role role, unsigned prio, const aion_handle_t *caps,
			      const uint32_t *masks, unsigned n, aion_handle_t *unit,
			      aion_handle_t *thread)
{
	int64_t err = spawn(role, prio, true, unit, thread), h = 0;
	if (err)
		return err;
	for (unsigned i = 0; i < n && !err; i++)      /* slots 1, 2, ...: CHILD_CAP, CHILD_CAP2 */
		if ((h = aion_cap_give(*unit, caps[i], masks[i])) != AION_HANDLE(i + 1, 1))
			err = h < 0 ? h : -AION_ERANGE;
	if (err || (err = aion_thread_start(*thread)))
		utest_reap(*unit, *thread);
	return err;
}

int64_t utest_spawn_with_cap(enum role role, unsigned prio, aion_handle_t cap,
			     uint32_t mask, aion_handle_t *unit, aion_handle_t *thread)
{
	return utest_spawn_with_caps(role, prio, &cap, &mask, 1, unit, thread);
}

int64_t utest_spawn_role(enum role role, unsigned prio, aion_handle_t *unit,
			 aion_handle_t *thread)
{
	return spawn(role, prio, false, unit, thread);
}

int64_t utest_thread_in(aion_handle_t unit, uint64_t entry, uint64_t stack_top,
			unsigned prio, int cpu)
{
	int64_t t = aion_thread_create(unit, entry, stack_top, 0, prio), err = 0;

	if (t < 0)
		return t;
	if (cpu >= 0)
		err = aion_thread_set_cpu((aion_handle_t)t, (unsigned)cpu);
	if (!err)
		err = aion_thread_start((aion_handle_t)t);
	if (err) {
		aion_handle_close((aion_handle_t)t);
		return err;
	}
	return t;
}

int64_t utest_code_thread(aion_handle_t unit, uint64_t va, const uint8_t *code, size_t len,
			  unsigned prio, int cpu)
{
	int64_t err = aion_anon_map(unit, va, 4096,
				    AION_PROT_READ | AION_PROT_WRITE | AION_PROT_EXEC);

	if (!err)
		err = aion_mem_write(unit, va, code, len);
	return err ? err : utest_thread_in(unit, va, va + 4096, prio, cpu);
}

bool utest_join(int64_t thread)
{
	struct aion_thread_info ti = { 0 };

	if (thread < 0)
		return true;
	/* Bounded: a thread that runs on after a second is reported, not awaited. */
	for (unsigned i = 0; i < 1000; i++) {
		if (aion_thread_info((aion_handle_t)thread, &ti) || ti.state == AION_THREAD_DEAD)
			break;
		aion_sleep_ns(MS);
	}
	aion_handle_close((aion_handle_t)thread);
	return ti.state == AION_THREAD_DEAD;
}

bool utest_all_blocked(const int64_t *t, unsigned n)
{
	for (unsigned i = 0; i < 1000; i++) {
		unsigned blocked = 0;
		for (unsigned k = 0; k < n; k++) {
			struct aion_thread_info ti;
			if (t[k] >= 0 && !aion_thread_info((aion_handle_t)t[k], &ti) &&
			    ti.state == AION_THREAD_BLOCKED)
				blocked++;
		}
		if (blocked == n)
			return true;
		aion_sleep_ns(MS);
	}
	return false;
}

void utest_reap(aion_handle_t unit, aion_handle_t thread)
{
	aion_handle_close(thread);
	aion_unit_destroy(unit);
	aion_handle_close(unit);
}

int64_t utest_run_to_end(enum role role, aion_handle_t cap, uint32_t mask,
			 uint64_t timeout_ns, struct aion_unit_info *info)
{
	aion_handle_t u, t;
	int64_t err = cap ? utest_spawn_with_cap(role, 100, cap, mask, &u, &t)
			  : utest_spawn_role(role, 100, &u, &t);
	if (err)
		return err;
	err = aion_unit_wait(u, timeout_ns, info);
	utest_reap(u, t);
	return err;
}

void test_fwcfg(void);           /* fwcfg_tests.c */

static const struct {
	const char *name;
	void (*run)(void);
} tests[] = {
	{ "preempt", test_preempt },
	{ "fair", test_fair },
	{ "sleep", test_sleep },
	{ "efault", test_efault },
	{ "rights", test_rights },
	{ "fault", test_fault },
	{ "destroy", test_destroy },
	{ "malloc", test_malloc },
	{ "colocate", test_colocate },
	{ "caps", test_caps },
	{ "revoke", test_revoke },
	{ "move", test_move },
	{ "deferred", test_deferred },
	{ "timeout", test_timeout },
	{ "pi", test_pi },
	{ "pismp", test_pismp },
	{ "smp", test_smp },
	{ "smptlb", test_smptlb },
	{ "dead", test_dead },
	{ "notify", test_notify },
	{ "signalrecv", test_signalrecv },
	{ "ioport", test_ioport },
	{ "memshare", test_memshare },
	{ "irq", test_irq },
	{ "faultep", test_faultep },
	{ "fwcfg", test_fwcfg },
	{ "flags", test_flags },
	{ "vm86", test_vm86 },
	{ "ldt", test_ldt },
	{ "canonical", test_canonical },
	{ "replyself", test_replyself },
	{ "devwrap", test_devwrap },
	{ "devcopy", test_devcopy },
	{ "logflood", test_logflood },
	{ "replygrant", test_replygrant },
	{ "transfer", test_transfer },
	{ "orphan", test_orphan },
	{ "quota", test_quota },
	{ "stacks", test_stacks },
	{ "revokeio", test_revokeio },
	{ "revokemem", test_revokemem },
	{ "memrange", test_memrange },
	{ "memcopy", test_memcopy },
	{ "revokeirq", test_revokeirq },
	{ "revokefault", test_revokefault },
	{ "longops", test_longops },
	{ "revokecut", test_revokecut },
	{ "destroycut", test_destroycut },
	{ "posix", test_posix },
	{ "posixprintf", test_posixprintf },
	{ "posixmalloc", test_posixmalloc },
	{ "posixfork", test_posixfork },
	{ "posixprocid", test_posixprocid },
	{ "posixforkfiles", test_posixforkfiles },
	{ "posixexec", test_posixexec },
	{ "posixspawn", test_posixspawn },
	{ "posixsignals", test_posixsignals },
	{ "posixpipesig", test_posixpipesig },
	{ "posixrecs", test_posixrecs },
	{ "posixpts", test_posixpts },
	{ "posixdiff", test_posixdiff },
	{ "posixfiles", test_posixfiles },
	{ "posixnofs", test_posixnofs },
	{ "posixpipes", test_posixpipes },
	{ "posixsock", test_posixsock },
	{ "posixsocknonet", test_posixsocknonet },
	{ "posixsockserver", test_posixsockserver },
	{ "posixsockclient", test_posixsockclient },
	{ "vfsproto", test_vfsproto },
	{ "vfspipes", test_vfspipes },
	{ "posixthreads", test_posixthreads },
	{ "posixtty", test_posixtty },
	{ "posixsh", test_posixsh },
	{ "posixbench", test_posixbench },
	{ "futex", test_futex },
	{ "upcall", test_upcall },
	{ "upcall-fault", test_upcall_fault },
	{ "fpu", test_fpu },
	{ "fuzz", test_fuzz },
	{ "fuzzsmp", test_fuzzsmp },
	{ "hunit", test_hunit },
	{ "hunitsmp", test_hunitsmp },
	{ "bench", bench_kernel },
	{ "benchsmp", bench_smp },
};

/*
 * The whole set in one boot (tests/boot/boot_all.py): aion.test=all runs
 * every test that init runs without services, aion.test=posixall every
 * one it runs next to them (init.c: with_services), each in the order of
 * the table, but these: the fuzzers and benchmarks (long, with boots and
 * checks of their own), the Open POSIX Test Suite (its own ISO), and the
 * tests the host types into (the terminal, the shell), and those of two
 * nodes (tests/cluster: a sockets server and its client).
 */
static bool own_boot(const char *name)
{
	static const char *const own[] = {
		"bench", "benchsmp", "fuzz", "hunit", "hunitsmp", "posixbench", "posixpts",
		"posixtty", "posixsh", "posixsockserver", "posixsockclient",
	};
	for (unsigned i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(name, own[i]))
			return true;
	return false;
}

/* Tests init runs next to its test services: the same rule as init.c's. */
static bool with_services(const char *name)
{
	return !strncmp(name, "posix", 5) || !strncmp(name, "vfs", 3);
}

/*
 * utest as init's service "posixtest" (aion.posixtest=NAME[:ARG] on a
 * node's command line, tests/cluster): args "node=N posixtest=NAME[:ARG]",
 * init's endpoint at SVC_INIT_EP, the node's services running (netd with
 * the NIC, vfsd). The value, or NULL for utest's own boot (aion.test).
 */
static const char *service_spec(const char *args)
{
	static const char key[] = "posixtest=";
	for (const char *p = args; *p; p++)
		if ((p == args || p[-1] == ' ') && !strncmp(p, key, sizeof(key) - 1))
			return p + sizeof(key) - 1;
	return NULL;
}

int64_t aion_main(uint64_t arg)
{
	if (arg != AION_STARTUP_VADDR)
		return role_main((enum role)arg);
	startup = (const struct aion_startup *)arg;
	if (startup->magic != AION_STARTUP_MAGIC)
		return 100;

	static char want[AION_ARGS_MAX], test_arg[AION_ARGS_MAX];
	const char *spec = service_spec(startup->args);
	const char *args = spec ? spec : startup->args;
	unsigned n = 0;
	for (; n < AION_ARGS_MAX - 1 && args[n] && args[n] != ':' && (!spec || args[n] != ' '); n++)
		want[n] = args[n];
	want[n] = 0;
	if (args[n] == ':') {
		unsigned k = 0;         /* NAME:ARG (a service's ends at a space) */
		for (n++; k < AION_ARGS_MAX - 1 && args[n] && (!spec || args[n] != ' '); n++)
			test_arg[k++] = args[n];
		test_arg[k] = 0;
		utest_arg = test_arg;
	}
	if (spec)
		utest_init_ep = SVC_INIT_EP;
	bool all = !strcmp(want, "all"), posixall = !strcmp(want, "posixall"), found = false;
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const char *name = tests[i].name;
		if (all || posixall) {
			if (own_boot(name) || with_services(name) != posixall)
				continue;
			aion_printf("all: run %s", name);
		} else if (strcmp(want, name)) {
			continue;
		}
		found = true;
		tests[i].run();
	}
	if (!found)
		utest_fail(want, "no such test");
	aion_printf("done passed=%u failed=%u", passed, failed);
	if (spec)
		for (;;)        /* a service that ends is started again: stay */
			aion_sleep_ns(3600 * SEC);
	return failed;
}
