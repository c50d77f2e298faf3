/*
 * The system call fuzzer: a unit that makes FUZZ_CALLS random system calls
 * with handles from a pool of what it created (and random ones), pointers
 * that are good, in the kernel, unmapped or running off a mapping, and
 * random arguments. It avoids only what would end itself (exiting its
 * thread, unmapping its own image or stack, running random code in its
 * own unit) so that every call is made. The test then destroys it and
 * checks that the kernel gave back every frame and object.
 */
#include "utest.h"
#include "common/xorshift.h"

#define FUZZ_CALLS      120000u
/* Each of fuzzsmp's 8: on 4 vCPUs of a 2-core host the big lock passes
 * by IPI to a napping CPU at nearly every call (about 65 s for 120,000). */
#define FUZZ_SEEDED_CALLS 30000u
#define POOL            64
#define SCRATCH         0x0000000060000000ull   /* the only place it maps or writes */
#define SCRATCH_PAGES   64
#define MAX_TIMEOUT_NS  20000

static uint64_t state = 0x2545f4914f6cdd1dull;
static int64_t pool[POOL];
static unsigned pooled;
/* Its one good buffer: a page of its own with an unmapped page after it. */
#define GOOD            0x0000000070000000ull
static uint8_t *const good = (uint8_t *)GOOD;
static unsigned counts[32];                     /* by -error, 0 = success */

static uint64_t rnd(void)
{
	return xorshift64(&state);
}

/* A thread entry that touches no stack: safe with any stack pointer. */
__attribute__((naked)) static void fuzz_thread_entry(void)
{
	__asm__ volatile("xorl %edi, %edi\n\t"
			 "movl $4, %eax\n\t"    /* AION_SYS_THREAD_EXIT */
			 "syscall\n\t"
			 "ud2");
}

static uint64_t handle(void)
{
	switch (rnd() % 4) {
	case 0:
	case 1:
		return pooled ? (uint64_t)pool[rnd() % pooled] : AION_HANDLE_SELF;
	case 2:
		return AION_HANDLE(rnd() % 16, rnd() % 4);
	default:
		return rnd();
	}
}

static uint64_t pointer(void)
{
	switch (rnd() % 6) {
	case 0: return (uint64_t)good;
	case 1: return (uint64_t)good + 4096 - rnd() % 64;     /* runs off the page */
	case 2: return 0xffffffff80100000ull + rnd() % 0x100000;
	case 3: return 0x0000600000000000ull;
	case 4: return 0;
	default: return rnd();
	}
}

static uint64_t scratch_addr(void)
{
	switch (rnd() % 4) {
	case 0: return rnd();
	case 1: return 0xffffffff80100000ull;
	default: return SCRATCH + (rnd() % SCRATCH_PAGES) * 4096 + (rnd() % 8 ? 0 : rnd() % 4096);
	}
}

static uint64_t small(void)
{
	return rnd() % 8 ? rnd() % 4096 : rnd();
}

/* Arguments for call n: random, but never self-destructive. */
static void shape(uint64_t n, uint64_t a[6])
{
	for (int i = 0; i < 6; i++)
		a[i] = rnd() % 3 ? small() : rnd();
	a[0] = handle();
	switch (n) {
	case AION_SYS_DEBUG_LOG:        /* only the failing kinds: no log flood */
		a[0] = rnd() % 2 ? 0xffffffff80100000ull : (uint64_t)good;
		a[1] = a[0] == (uint64_t)good ? AION_LOG_MAX + 1 + rnd() % 100 : 16;
		break;
	case AION_SYS_SLEEP_UNTIL:
		a[0] = aion_clock_ns() + rnd() % MAX_TIMEOUT_NS;
		break;
	case AION_SYS_FUTEX_WAIT:       /* a word that matches must not block for good */
		a[0] = rnd() % 2 ? scratch_addr() : pointer();
		a[1] = rnd() % 2 ? 0 : a[1];
		a[2] = aion_clock_ns() + 1 + rnd() % MAX_TIMEOUT_NS;
		break;
	case AION_SYS_FUTEX_WAKE:
		a[0] = rnd() % 2 ? scratch_addr() : pointer();
		break;
	case AION_SYS_THREAD_CREATE:
		a[1] = rnd() % 2 ? (uint64_t)fuzz_thread_entry : rnd();
		if (a[0] == AION_HANDLE_SELF)
			a[1] = (uint64_t)fuzz_thread_entry;
		a[2] = rnd();
		break;
	case AION_SYS_UNIT_CREATE:
		a[0] = rnd() % 2 ? AION_HANDLE_SELF : handle();
		a[1] = pointer();
		a[3] = rnd() % 64;      /* quota */
		break;
	case AION_SYS_ANON_MAP:
	case AION_SYS_ANON_UNMAP:
		a[1] = scratch_addr();
		a[2] = (rnd() % 4 + 1) * 4096;
		break;
	case AION_SYS_MEM_WRITE:
		a[1] = scratch_addr();
		a[2] = pointer();
		a[3] = rnd() % 8192;
		break;
	case AION_SYS_MEMORY_READ:     /* objects of up to 8 pages: in and past them */
	case AION_SYS_MEMORY_WRITE:
		a[1] = rnd() % 40000;
		a[2] = rnd() % 2 ? scratch_addr() : pointer();
		a[3] = rnd() % 8192;
		break;
	case AION_SYS_MEMORY_MAP:
		a[1] = rnd() % 2 ? AION_HANDLE_SELF : handle();
		a[2] = scratch_addr();
		break;
	case AION_SYS_MEMORY_UNMAP:
		a[1] = scratch_addr();
		break;
	case AION_SYS_MEMORY_CREATE:
		a[0] = rnd() % 8;
		break;
	case AION_SYS_THREAD_INFO: case AION_SYS_UNIT_INFO: case AION_SYS_CAP_INFO:
		a[1] = pointer();
		break;
	case AION_SYS_SYSTEM_INFO:
		a[0] = pointer();
		break;
	case AION_SYS_IPC_BUFFER:       /* never over its own variables */
		a[0] = pointer() & ~0xfffull;
		break;
	}
	/* Blocking calls always get a short timeout (r9 / a5). */
	if (n == AION_SYS_CALL || n == AION_SYS_RECV || n == AION_SYS_REPLY_RECV ||
	    n == AION_SYS_WAIT || n == AION_SYS_SIGNAL_RECV)
		a[5] = 1 + rnd() % MAX_TIMEOUT_NS;
}

int64_t utest_syscall6(uint64_t n, const uint64_t a[6])
{
	register int64_t rax __asm__("rax") = (int64_t)n;
	register uint64_t rdi __asm__("rdi") = a[0];
	register uint64_t rsi __asm__("rsi") = a[1];
	register uint64_t rdx __asm__("rdx") = a[2];
	register uint64_t r10 __asm__("r10") = a[3];
	register uint64_t r8 __asm__("r8") = a[4];
	register uint64_t r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			 : "r"(r9) : "rcx", "r11", "memory");
	return rax;
}

int64_t fuzz_main(bool own_seed)
{
	struct aion_unit_info self;
	if (own_seed && !aion_unit_info(AION_HANDLE_SELF, &self))
		state ^= (uint64_t)self.id * 0x9e3779b97f4a7c15ull;    /* its own calls */
	unsigned calls = own_seed ? FUZZ_SEEDED_CALLS : FUZZ_CALLS;
	if (aion_anon_map(AION_HANDLE_SELF, GOOD, 4096, AION_PROT_READ | AION_PROT_WRITE))
		return 1;
	for (unsigned i = 0; i < calls; i++) {
		uint64_t n = rnd() % (AION_SYS_COUNT + 3);
		uint64_t a[6];
		if (n == AION_SYS_THREAD_EXIT || n == AION_SYS_UNIT_EXIT)
			n = AION_SYS_YIELD;
		shape(n, a);
		int64_t r = utest_syscall6(n, a);
		counts[r < 0 && -r < 32 ? -r : 0]++;
		if (r > 0 && r <= UINT32_MAX && (r & (AION_HANDLE_SLOTS - 1)))
			pool[pooled < POOL ? pooled++ : rnd() % POOL] = r;
	}
	aion_printf("fuzz calls=%u ok=%u ecap=%u etype=%u erights=%u efault=%u einval=%u enosys=%u etimedout=%u",
		    calls, counts[0], counts[AION_ECAP], counts[AION_ETYPE],
		    counts[AION_ERIGHTS], counts[AION_EFAULT], counts[AION_EINVAL],
		    counts[AION_ENOSYS], counts[AION_ETIMEDOUT]);
	return 0;
}

/* Runs the fuzzer unit, then checks the kernel lives on and got everything back. */
void test_fuzz(void)
{
	struct aion_system_info before, after;
	struct aion_unit_info info;
	aion_handle_t u, t;

	aion_system_info(&before);
	uint64_t t0 = aion_clock_ns();
	int64_t err = utest_spawn_role(ROLE_FUZZ, 100, &u, &t);
	if (!err)
		err = aion_unit_wait(u, 240000 * MS, &info);
	uint64_t took = aion_clock_ns() - t0;
	if (!err)
		utest_reap(u, t);
	aion_system_info(&after);
	if (err || info.state != AION_UNIT_EXITED || info.exit_code != 0 ||
	    after.free_frames != before.free_frames ||
	    after.kernel_objects != before.kernel_objects)
		utest_fail("fuzz", "err=%s state=%u code=%d vector=%u frames=%lu/%lu objects=%lu/%lu",
			   aion_error_name(err), info.state, info.exit_code, info.fault_vector,
			   (unsigned long)before.free_frames, (unsigned long)after.free_frames,
			   (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects);
	else
		utest_ok("fuzz", "calls=%u took_ms=%lu free_frames=%lu kernel_objects=%lu",
			 FUZZ_CALLS, (unsigned long)(took / MS), (unsigned long)after.free_frames,
			 (unsigned long)after.kernel_objects);
}

/*
 * fuzzsmp: FUZZ_UNITS fuzzers at once, each with its own seed, their
 * threads spread over every CPU (issue 19): each CPU's kernel entries
 * race the others' for the big lock, TLB shootdowns and evictions among
 * them. Then every frame and object must be back, as for one.
 */
#define FUZZ_UNITS      8

void test_fuzzsmp(void)
{
	struct aion_system_info before, after;
	struct aion_unit_info info[FUZZ_UNITS];
	aion_handle_t u[FUZZ_UNITS], t[FUZZ_UNITS];
	int64_t err = 0, move = 0;
	unsigned started = 0, exited = 0, cpus;

	aion_system_info(&before);
	cpus = before.cpus ? before.cpus : 1;
	uint64_t t0 = aion_clock_ns();
	for (; started < FUZZ_UNITS && !err; started++) {
		err = utest_spawn_role(ROLE_FUZZ_SEEDED, 100, &u[started], &t[started]);
		if (!err && !move)
			move = aion_thread_set_cpu(t[started], started % cpus);
	}
	if (err)
		started--;
	for (unsigned i = 0; i < started; i++) {
		int64_t w = aion_unit_wait(u[i], 240000 * MS, &info[i]);
		if (!w && info[i].state == AION_UNIT_EXITED && info[i].exit_code == 0)
			exited++;
		else if (!err)
			err = w ? w : -AION_EFAULT;
		utest_reap(u[i], t[i]);
	}
	uint64_t took = aion_clock_ns() - t0;
	aion_system_info(&after);
	bool ok = !err && !move && exited == FUZZ_UNITS && cpus >= 2 &&
		  after.free_frames == before.free_frames &&
		  after.kernel_objects == before.kernel_objects;
	utest_result(ok, "fuzzsmp", "cpus=%u units=%u exited=%u err=%s move=%s calls=%u took_ms=%lu "
		     "frames=%lu/%lu objects=%lu/%lu", cpus, started, exited, aion_error_name(err),
		     aion_error_name(move), FUZZ_UNITS * FUZZ_SEEDED_CALLS, (unsigned long)(took / MS),
		     (unsigned long)before.free_frames, (unsigned long)after.free_frames,
		     (unsigned long)before.kernel_objects, (unsigned long)after.kernel_objects);
}
