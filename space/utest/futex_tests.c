/*
 * futex: the kernel's two thread primitives for POSIX threads.
 *   FUTEX_WAIT with a stale value: EAGAIN; with a deadline: ETIMEDOUT
 *   after it; FUTEX_WAKE wakes exactly count of 5 waiters, then the rest,
 *   and 0 with none; bad addresses: EFAULT, misaligned: EINVAL.
 *   THREAD_SET_TLS: a new thread's FS base is 0; two threads with their
 *   own bases (one set by itself, one by another thread while it waited)
 *   read them through %fs after each of many yields to each other.
 *   A unit destroyed while its threads wait (with and without deadlines)
 *   gives every frame and object back, and no chain keeps a link to them:
 *   wakes on 1,024 addresses walk every chain afterwards, once the freed
 *   frames are ours again and full of a non-canonical pattern.
 */
#include "utest.h"

#define WAITERS         5
#define TLS_ROUNDS      2000
#define LOW_PAGE        0x1000ull               /* AION_USER_MIN: read as %fs:0x1000 */
#define LOW_MAGIC       0x10f5ba5e0ull
#define FUTEX_PRIO      90                      /* below utest's: it runs first */
#define SCRIBBLE_VA     0x0000000058000000ull
#define SCRIBBLE_PAGES  1024

static volatile uint32_t word;
static volatile uint32_t woke;
static volatile uint32_t go;
static uint64_t tls_block[2][2];                /* each thread's FS base points at one */
static volatile uint32_t tls_bad;

static uint64_t fs_word(uint64_t off)
{
	uint64_t v;
	__asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
	return v;
}

static int64_t waiter(uint64_t arg)
{
	(void)arg;
	int64_t r = aion_futex_wait((const uint32_t *)&word, 0, aion_clock_ns() + 5000 * MS);
	if (r == 0)
		__atomic_fetch_add(&woke, 1, __ATOMIC_SEQ_CST);
	return r;
}

/* Thread 0 checks that its base starts at 0 (%fs:0x1000 reads the low
 * page), then sets its own; thread 1 waits until utest set it. */
static int64_t tls_worker(uint64_t i)
{
	if (i == 0) {
		if (fs_word(LOW_PAGE) != LOW_MAGIC)
			tls_bad++;              /* a new thread's base is 0 */
		aion_thread_set_tls(AION_HANDLE_SELF, (uint64_t)tls_block[0]);
	} else
		while (!go)
			aion_futex_wait((const uint32_t *)&go, 0, aion_clock_ns() + 1000 * MS);
	for (unsigned r = 0; r < TLS_ROUNDS; r++) {
		if (fs_word(0) != tls_block[i][0])
			tls_bad++;
		aion_yield();
	}
	return 0;
}

static void test_tls(uint64_t stacks[2], int64_t *zero_err)
{
	*zero_err = aion_anon_map(AION_HANDLE_SELF, LOW_PAGE, 4096,
				  AION_PROT_READ | AION_PROT_WRITE);
	if (*zero_err)
		return;
	*(volatile uint64_t *)LOW_PAGE = LOW_MAGIC;
	tls_block[0][0] = 0x7150000000000a00ull;
	tls_block[1][0] = 0x7150000000000b11ull;
	int64_t t0 = aion_thread_spawn(tls_worker, 0, stacks[0], FUTEX_PRIO);
	int64_t t1 = aion_thread_spawn(tls_worker, 1, stacks[1], FUTEX_PRIO);
	if (t1 >= 0 && !aion_thread_set_tls((aion_handle_t)t1, (uint64_t)tls_block[1])) {
		go = 1;
		aion_futex_wake((const uint32_t *)&go, 1);
	}
	if (!utest_join(t0) || !utest_join(t1))
		tls_bad += 1000000;
	if (fs_word(LOW_PAGE) != LOW_MAGIC)
		tls_bad++;                      /* ours was never set: still 0 */
	aion_anon_unmap(AION_HANDLE_SELF, LOW_PAGE, 4096);
}

/* ROLE_FUTEX_WAITERS: four threads and the first wait, two with deadlines. */
int64_t futex_waiters_role(void)
{
	for (unsigned i = 0; i < 4; i++) {
		uint64_t stack = aion_stack_alloc(2);
		if (!stack || aion_thread_spawn(waiter, 0, stack, 1) < 0)
			return 1;
	}
	aion_futex_wait((const uint32_t *)&word, 0, 0);
	return 2;
}

/* Destroys a unit whose five threads wait; what came back. */
static int64_t destroy_waiting(void)
{
	struct aion_system_info before, after;
	struct aion_unit_info info;
	aion_handle_t u, t;

	aion_system_info(&before);
	int64_t err = utest_spawn_role(ROLE_FUTEX_WAITERS, 50, &u, &t);
	if (err)
		return -1000000 + err;
	for (unsigned i = 0; i < 1000; i++) {        /* its five threads, waiting */
		if (aion_unit_info(u, &info) || info.threads == 5)
			break;
		aion_sleep_ns(MS);
	}
	aion_sleep_ns(20 * MS);
	utest_reap(u, t);
	aion_system_info(&after);       /* before our map takes page tables */
	/* Its frames, thread objects' pages among them, come back to us full
	 * of a non-canonical pattern; a link left to a freed thread would then
	 * be followed by one of the wakes below to an address that faults in
	 * the kernel. */
	int64_t mapped = aion_anon_map(AION_HANDLE_SELF, SCRIBBLE_VA, SCRIBBLE_PAGES * 4096,
				       AION_PROT_READ | AION_PROT_WRITE);
	if (!mapped)
		for (uint64_t *p = (uint64_t *)SCRIBBLE_VA;
		     p < (uint64_t *)(SCRIBBLE_VA + SCRIBBLE_PAGES * 4096); p++)
			*p = 0xa5a5a5a5a5a5a5a5ull;
	static uint32_t sweep[1024];
	for (unsigned i = 0; i < 1024; i++)
		aion_futex_wake(&sweep[i], 1);
	if (!mapped)
		aion_anon_unmap(AION_HANDLE_SELF, SCRIBBLE_VA, SCRIBBLE_PAGES * 4096);
	int64_t df = (int64_t)after.free_frames - (int64_t)before.free_frames;
	int64_t dobj = (int64_t)after.kernel_objects - (int64_t)before.kernel_objects;
	return (df < 0 ? -df : df) + (dobj < 0 ? -dobj : dobj) + (info.threads == 5 ? 0 : 10000) +
	       (mapped ? 100000 : 0);
}

void test_futex(void)
{
	uint64_t stacks[WAITERS];
	int64_t t[WAITERS];

	for (unsigned i = 0; i < WAITERS; i++)
		stacks[i] = aion_stack_alloc(4);
	word = 5;
	int64_t stale = aion_futex_wait((const uint32_t *)&word, 4, 0);
	uint64_t t0 = aion_clock_ns();
	int64_t deadline = aion_futex_wait((const uint32_t *)&word, 5, t0 + 20 * MS);
	uint64_t waited = aion_clock_ns() - t0;
	int64_t none = aion_futex_wake((const uint32_t *)&word, 10);
	int64_t efault = aion_futex_wait((const uint32_t *)0xffffffff80100000ull, 0, 0);
	int64_t efault2 = aion_futex_wait((const uint32_t *)0x0000600000000000ull, 0, 0);
	int64_t efault3 = aion_futex_wake((const uint32_t *)0xffffffff80100000ull, 1);
	int64_t einval = aion_futex_wait((const uint32_t *)((uint64_t)&word + 1), 0, 0);

	word = 0;
	woke = 0;
	for (unsigned i = 0; i < WAITERS; i++)
		t[i] = stacks[i] ? aion_thread_spawn(waiter, 0, stacks[i], FUTEX_PRIO) : -1;
	bool blocked = utest_all_blocked(t, WAITERS);
	int64_t woken = aion_futex_wake((const uint32_t *)&word, 3);
	aion_sleep_ns(20 * MS);
	uint32_t woke_first = woke;
	int64_t rest = aion_futex_wake((const uint32_t *)&word, 10);
	bool joined = true;
	for (unsigned i = 0; i < WAITERS; i++)
		joined &= utest_join(t[i]);

	int64_t zero_err;
	test_tls(stacks, &zero_err);
	int64_t leak = destroy_waiting();

	bool ok = stale == -AION_EAGAIN && deadline == -AION_ETIMEDOUT && waited >= 20 * MS &&
		  none == 0 && efault == -AION_EFAULT && efault2 == -AION_EFAULT &&
		  efault3 == -AION_EFAULT && einval == -AION_EINVAL && blocked &&
		  woken == 3 && woke_first == 3 && rest == 2 && woke == 5 && joined &&
		  !zero_err && tls_bad == 0 && leak == 0;
	/* Short keys: the line must fit one log line (256 bytes). */
	utest_result(ok, "futex",
		     "stale=%s deadline=%s waited_ms=%lu none=%ld efault=%s,%s,%s einval=%s "
		     "blocked=%d woken=%ld first=%u rest=%ld woke=%u joined=%d tls_bad=%u leak=%ld",
		     aion_error_name(stale), aion_error_name(deadline),
		     (unsigned long)(waited / MS), (long)none, aion_error_name(efault),
		     aion_error_name(efault2), aion_error_name(efault3), aion_error_name(einval),
		     blocked, (long)woken, woke_first, (long)rest, woke, joined,
		     tls_bad + (zero_err ? 1000 : 0), (long)leak);
}
