/*
 * Co-located units (UNIT_COLOCATE, docs/abi.md "Co-located units"): a
 * guest lives in its parent's address space, in its own window.
 *   errors   the window's range, a guest that is not the host's child,
 *            a guest again or a guest as host, a guest that already has
 *            tables (a mapping), a window the host already uses;
 *   windows  the guest maps only in its window, the host never there;
 *   shared   the guest's code reads a word the host's page holds;
 *   switches two threads yielding to each other, one in the host and one
 *            in the guest, pinned to one CPU: thousands of switches and
 *            (nearly) no CR3 write, against one per switch for the same
 *            pair in two units of their own;
 *   end      the guest destroyed, the host runs on and maps in the window; a
 *            host destroyed with its guest still running; every frame and
 *            kernel object back.
 */
#include "utest.h"

#define FAIL(...) do { utest_fail("colocate", __VA_ARGS__); failed = true; goto out; } while (0)

#define WIN             3u
#define WIN_BUSY        4u              /* the host maps here first */
#define GBASE           AION_WINDOW_BASE(WIN)
#define CODE_VA         0x0000000000400000ull
#define SHARED_VA       0x0000000000500000ull
#define QUOTA           96
#define PRIO            100             /* below utest's 150: it sleeps meanwhile */
#define YIELDS          1000u
#define MAGIC           0x5a17c0deull
#define RW              (AION_PROT_READ | AION_PROT_WRITE)

/* mov ebx, YIELDS; 1: mov eax, YIELD; syscall; dec ebx; jnz 1b;
 * xor edi, edi; mov eax, THREAD_EXIT; syscall */
static const uint8_t yielder[] = {
	0xbb, YIELDS & 0xff, YIELDS >> 8, 0, 0,
	0xb8, AION_SYS_YIELD, 0, 0, 0, 0x0f, 0x05, 0xff, 0xcb, 0x75, 0xf5,
	0x31, 0xff, 0xb8, AION_SYS_THREAD_EXIT, 0, 0, 0, 0x0f, 0x05,
};

/* mov rax, [SHARED_VA]; mov rdi, rax; mov eax, THREAD_EXIT; syscall */
static const uint8_t reader[] = {
	0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0x48, 0x89, 0xc7,
	0xb8, AION_SYS_THREAD_EXIT, 0, 0, 0, 0x0f, 0x05,
};

/* 1: rdi = ~0; eax = SLEEP_UNTIL; syscall; jmp 1b (keeps a unit alive) */
static const uint8_t sleeper[] = {
	0x48, 0xc7, 0xc7, 0xff, 0xff, 0xff, 0xff,
	0xb8, AION_SYS_SLEEP_UNTIL, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf0,
};

_Static_assert(AION_SYS_YIELD < 256 && AION_SYS_THREAD_EXIT < 256 &&
	       AION_SYS_SLEEP_UNTIL < 256 && SHARED_VA == 0x500000, "the code's immediates");

static int64_t child(aion_handle_t parent, const char *name, uint64_t quota)
{
	return aion_unit_create(parent, name, strlen(name), quota, PRIO);
}

/* code at va in unit u, a thread on it, on CPU 0. */
static int64_t run_code(aion_handle_t u, uint64_t va, const uint8_t *code, size_t len)
{
	return utest_code_thread(u, va, code, len, PRIO, 0);
}

/* Waits (2 s at most) for t to end; its info then. */
static int64_t wait_dead(int64_t t, struct aion_thread_info *ti)
{
	if (t < 0)
		return t;
	for (unsigned i = 0; i < 400; i++) {
		int64_t err = aion_thread_info((aion_handle_t)t, ti);
		if (err || ti->state == AION_THREAD_DEAD)
			return err;
		aion_sleep_ns(5 * MS);
	}
	return -AION_ETIMEDOUT;
}

static uint32_t loads(int64_t u)
{
	struct aion_unit_info ui = { 0 };

	return u >= 0 && !aion_unit_info((aion_handle_t)u, &ui) ? ui.loads : 0;
}

/*
 * a's and b's yielders (their code at a_va, b_va) ping-pong on CPU 0;
 * *switches: how often they were switched in, *cr3: the units' loads.
 */
static int64_t ping_pong(int64_t a, uint64_t a_va, int64_t b, uint64_t b_va,
			 uint64_t *switches, uint64_t *cr3)
{
	struct aion_thread_info ta = { 0 }, tb = { 0 };
	uint32_t before = loads(a) + loads(b);
	int64_t x = run_code((aion_handle_t)a, a_va, yielder, sizeof(yielder));
	int64_t y = run_code((aion_handle_t)b, b_va, yielder, sizeof(yielder));
	int64_t err = x < 0 ? x : y < 0 ? y : 0;

	if (!err)
		err = wait_dead(x, &ta);
	if (!err)
		err = wait_dead(y, &tb);
	if (!err && (ta.exit_code || tb.exit_code))
		err = -AION_EINDOUBT;
	*switches = ta.switches + tb.switches;
	*cr3 = loads(a) + loads(b) - before;
	if (x >= 0)
		aion_handle_close((aion_handle_t)x);
	if (y >= 0)
		aion_handle_close((aion_handle_t)y);
	return err;
}

/* A thread of u that sleeps for good, its code at va: 0 or an error. */
static int64_t keep(int64_t u, uint64_t va)
{
	int64_t t = run_code((aion_handle_t)u, va, sleeper, sizeof(sleeper));

	if (t < 0)
		return t;
	aion_handle_close((aion_handle_t)t);
	return 0;
}

static void destroy(int64_t u)
{
	if (u >= 0) {
		aion_unit_destroy((aion_handle_t)u);
		aion_handle_close((aion_handle_t)u);
	}
}

void test_colocate(void)
{
	struct aion_system_info before, after;
	struct aion_thread_info ti = { 0 };
	int64_t h = -1, g = -1, busy = -1, nested = -1, plain = -1, h2 = -1, g2 = -1;
	int64_t e_window, e_top, e_child, e_self, e_busy, e_host_busy, e_again, e_nested;
	int64_t e_rights, e_outside, e_into, r, err;
	uint64_t magic = MAGIC, sw = 0, cr3 = 0, plain_sw = 0, plain_cr3 = 0;
	bool reused = false, failed = false;

	aion_system_info(&before);
	/* Half our unused quota, so half our free kernel stack slots: the
	 * guest takes 8 of the host's, the host's threads need 2 more. */
	struct aion_unit_info self = { 0 };
	aion_unit_info(AION_HANDLE_SELF, &self);
	uint64_t hq = (self.quota_frames - self.used_frames) / 2;
	if ((h = child(AION_HANDLE_SELF, "colohost", hq > 4 * QUOTA ? hq : 4 * QUOTA)) < 0 ||
	    (busy = child((aion_handle_t)h, "colobusy", QUOTA / 2)) < 0)
		FAIL("create: %s/%s", aion_error_name(h), aion_error_name(busy));
	/* A guest with tables already. */
	err = aion_anon_map((aion_handle_t)busy, CODE_VA, 4096, RW);
	e_busy = err ? err : aion_unit_colocate((aion_handle_t)busy, (aion_handle_t)h, WIN);
	destroy(busy);
	busy = -1;
	if ((g = child((aion_handle_t)h, "cologuest", QUOTA)) < 0)
		FAIL("create: %s", aion_error_name(g));
	e_window = aion_unit_colocate((aion_handle_t)g, (aion_handle_t)h, 0);
	e_top = aion_unit_colocate((aion_handle_t)g, (aion_handle_t)h, 255);
	e_child = aion_unit_colocate((aion_handle_t)h, (aion_handle_t)g, WIN);
	e_self = aion_unit_colocate((aion_handle_t)g, (aion_handle_t)g, WIN);
	int64_t ro = aion_cap_copy((aion_handle_t)g, AION_RIGHTS_ALL & ~AION_RIGHT_WRITE);
	e_rights = ro < 0 ? ro : aion_unit_colocate((aion_handle_t)ro, (aion_handle_t)h, WIN);
	if (ro >= 0)
		aion_handle_close((aion_handle_t)ro);
	/* A window its host uses. */
	err = aion_anon_map((aion_handle_t)h, AION_WINDOW_BASE(WIN_BUSY), 4096, RW);
	e_host_busy = err ? err : aion_unit_colocate((aion_handle_t)g, (aion_handle_t)h, WIN_BUSY);
	if (e_window != -AION_EINVAL || e_top != -AION_EINVAL || e_child != -AION_EINVAL ||
	    e_self != -AION_EINVAL || e_rights != -AION_ERIGHTS || e_busy != -AION_EBUSY ||
	    e_host_busy != -AION_EBUSY)
		FAIL("errors: window=%s top=%s not_child=%s self=%s rights=%s guest_busy=%s "
		     "host_busy=%s", aion_error_name(e_window), aion_error_name(e_top),
		     aion_error_name(e_child), aion_error_name(e_self), aion_error_name(e_rights),
		     aion_error_name(e_busy), aion_error_name(e_host_busy));

	if ((err = aion_unit_colocate((aion_handle_t)g, (aion_handle_t)h, WIN)))
		FAIL("colocate: %s", aion_error_name(err));
	e_again = aion_unit_colocate((aion_handle_t)g, (aion_handle_t)h, WIN + 2);
	nested = child((aion_handle_t)g, "colonest", 8);
	e_nested = nested < 0 ? nested
			      : aion_unit_colocate((aion_handle_t)nested, (aion_handle_t)g, WIN + 3);
	destroy(nested);
	nested = -1;
	e_outside = aion_anon_map((aion_handle_t)g, CODE_VA, 4096, RW);
	e_into = aion_anon_map((aion_handle_t)h, GBASE + CODE_VA, 4096, RW);
	if (e_again != -AION_EINVAL || e_nested != -AION_EINVAL || e_outside != -AION_EFAULT ||
	    e_into != -AION_EFAULT)
		FAIL("windows: again=%s nested=%s outside=%s into_guest=%s",
		     aion_error_name(e_again), aion_error_name(e_nested),
		     aion_error_name(e_outside), aion_error_name(e_into));

	/* Sleeping keepers: a unit ends with its last thread. */
	if ((r = keep(h, CODE_VA + 0x50000)) || (r = keep(g, GBASE + CODE_VA + 0x50000)))
		FAIL("keepers: %s", aion_error_name(r));
	/* The guest's own code reads what the host's page holds. */
	if ((err = aion_anon_map((aion_handle_t)h, SHARED_VA, 4096, RW)) ||
	    (err = aion_mem_write((aion_handle_t)h, SHARED_VA, &magic, sizeof(magic))))
		FAIL("shared page: %s", aion_error_name(err));
	r = run_code((aion_handle_t)g, GBASE + CODE_VA, reader, sizeof(reader));
	if ((err = wait_dead(r, &ti)) || (uint32_t)ti.exit_code != (uint32_t)MAGIC)
		FAIL("shared: err=%s code=0x%x", aion_error_name(err), (unsigned)ti.exit_code);
	aion_handle_close((aion_handle_t)r);

	/* Switches: host and guest, then the host and a unit of its own. */
	if ((err = ping_pong(h, CODE_VA + 0x10000, g, GBASE + CODE_VA + 0x10000, &sw, &cr3)))
		FAIL("colocated pair: %s", aion_error_name(err));
	if ((plain = child(AION_HANDLE_SELF, "coloplain", QUOTA / 2)) < 0 ||
	    (r = keep(plain, CODE_VA + 0x50000)))
		FAIL("plain: %s/%s", aion_error_name(plain), aion_error_name(r));
	if ((err = ping_pong(h, CODE_VA + 0x20000, plain, CODE_VA, &plain_sw, &plain_cr3)))
		FAIL("plain pair: %s", aion_error_name(err));
	if (sw < YIELDS || cr3 * 10 > sw || plain_cr3 * 2 < plain_sw)
		FAIL("switches=%lu loads=%lu plain_switches=%lu plain_loads=%lu",
		     (unsigned long)sw, (unsigned long)cr3, (unsigned long)plain_sw,
		     (unsigned long)plain_cr3);

	/* The guest goes: the host's pages stay, the window is its to use. */
	destroy(g);
	g = -1;
	reused = !aion_anon_map((aion_handle_t)h, GBASE + CODE_VA, 4096, RW);
	r = run_code((aion_handle_t)h, CODE_VA + 0x30000, reader, sizeof(reader));
	if (!reused || (err = wait_dead(r, &ti)) || (uint32_t)ti.exit_code != (uint32_t)MAGIC)
		FAIL("after the guest: reused=%d err=%s code=0x%x", reused, aion_error_name(err),
		     (unsigned)ti.exit_code);
	aion_handle_close((aion_handle_t)r);

	/* A host destroyed with a guest still running in it. */
	if ((h2 = child(AION_HANDLE_SELF, "colohost2", 2 * QUOTA)) < 0 ||
	    (g2 = child((aion_handle_t)h2, "cologuest2", QUOTA)) < 0 ||
	    (err = aion_unit_colocate((aion_handle_t)g2, (aion_handle_t)h2, WIN)))
		FAIL("second pair: %s/%s/%s", aion_error_name(h2), aion_error_name(g2),
		     aion_error_name(err));
	if ((r = keep(g2, GBASE + CODE_VA)))
		FAIL("sleeper: %s", aion_error_name(r));
	aion_sleep_ns(5 * MS);
	destroy(h2);
	h2 = -1;
	aion_handle_close((aion_handle_t)g2);
	g2 = -1;
out:
	destroy(plain);
	destroy(nested);
	destroy(busy);
	destroy(g);
	destroy(h);
	destroy(g2);
	destroy(h2);
	if (failed)
		return;
	aion_system_info(&after);
	if (after.free_frames != before.free_frames ||
	    after.kernel_objects != before.kernel_objects)
		utest_fail("colocate", "frames=%lu/%lu objects=%lu/%lu",
			   (unsigned long)before.free_frames, (unsigned long)after.free_frames,
			   (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects);
	else
		utest_ok("colocate", "switches=%lu loads=%lu plain_switches=%lu plain_loads=%lu "
			 "frames=%lu/%lu objects=%lu/%lu", (unsigned long)sw, (unsigned long)cr3,
			 (unsigned long)plain_sw, (unsigned long)plain_cr3,
			 (unsigned long)before.free_frames, (unsigned long)after.free_frames,
			 (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects);
}
