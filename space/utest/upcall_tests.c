/*
 * upcall: the kernel's asynchronous upcalls (aion/upcall.h).
 *   A thread spinning on a computation held in registers is interrupted
 *   five times: its entry runs once each, and the computation ends with
 *   the values an uninterrupted run gives. Two interrupts before it runs
 *   again reach it as one entry with both bits.
 *   A thread blocked in RECV, and one in SLEEP_UNTIL for 10 s: the entry
 *   runs, then the call returns AION_EINTR (the context's rax), the
 *   sleeper within a second. A CALL still queued returns AION_EINTR and
 *   is never received afterwards; a CALL the server took is not cut: no
 *   entry while it waits, then its reply arrives whole and the entry runs.
 *   Refusals: a handle without CONTROL (ERIGHTS), a thread with no entry
 *   (ENOENT), bits 0 (EINVAL), UPCALL_RETURN of a context the kernel did
 *   not write (EINVAL) or with a kernel rip (EINVAL).
 *   A unit whose stack cannot take the context ends with a page fault
 *   (vector 14); the kernel and utest go on.
 * upcall-fault: fault upcalls (AION_UPCALL_FAULTS).
 *   A thread that opted in reads an unmapped address, then runs ud2: its
 *   entry runs for each with the vector (14, 6), the address (the one
 *   read; rip), the error code (4: a user read of a page not present; 0)
 *   and the faulting rip, and moves rip to a recovery point. Unknown
 *   flags are refused (EINVAL). Child units, each ending FAULTED with
 *   vector 14 at the address that shows which fault ended it: no opt-in
 *   (0x2000, as before), a fault inside the entry while masked (0x3000,
 *   the entry's own), and a stack that cannot take the context (0x2000,
 *   the first fault).
 */
#include "aion/upcall.h"
#include "utest.h"

#define UPCALL_PRIO     90              /* below utest's: they run while it sleeps */
#define SPIN_ROUNDS     5

extern char utest_upcall_entry[];
/* entry(ctx, bits): rsp = ctx, 16-aligned; the note, then UPCALL_RETURN. */
__asm__(".text\n"
	".globl utest_upcall_entry\n"
	"utest_upcall_entry:\n\t"
	"movq %rdi, %rbx\n\t"
	"call upcall_note\n\t"
	"movq %rbx, %rdi\n\t"
	"movl $53, %eax\n\t"           /* AION_SYS_UPCALL_RETURN */
	"syscall\n\t"
	"ud2\n");

static volatile uint32_t entries;
static volatile uint64_t seen_bits, seen_rax, seen_arg, seen_ctx;
static volatile uint32_t spin_stop, spin_bad;
static volatile int64_t blocked_result;

void upcall_note(const struct aion_upcall_context *c, uint64_t bits);
void upcall_note(const struct aion_upcall_context *c, uint64_t bits)
{
	entries++;
	seen_bits = bits | c->bits << 32;       /* both say the same */
	seen_arg = bits;
	seen_ctx = c->bits;
	seen_rax = c->rax;
}

/* A linear congruential walk kept in registers; checked against a rerun. */
static int64_t spinner(uint64_t arg)
{
	(void)arg;
	aion_upcall_set((uint64_t)utest_upcall_entry, 0);
	uint64_t a = 1, b = 0, n = 0;
	while (!spin_stop) {
		a = a * 6364136223846793005ull + 1442695040888963407ull;
		b += a >> 33;
		n++;
	}
	uint64_t a2 = 1, b2 = 0;
	for (uint64_t i = 0; i < n; i++) {
		a2 = a2 * 6364136223846793005ull + 1442695040888963407ull;
		b2 += a2 >> 33;
	}
	spin_bad = a != a2 || b != b2 || n == 0;
	return 0;
}

static int64_t receiver(uint64_t ep)
{
	struct aion_msg m;
	aion_upcall_set((uint64_t)utest_upcall_entry, 0);
	blocked_result = aion_recv((aion_handle_t)ep, &m, AION_FOREVER);
	return 0;
}

static int64_t sleeper(uint64_t arg)
{
	(void)arg;
	aion_upcall_set((uint64_t)utest_upcall_entry, 0);
	blocked_result = aion_sleep_ns(10000 * MS);
	return 0;
}

static bool wait_blocked(int64_t t)
{
	for (unsigned i = 0; i < 1000; i++) {
		struct aion_thread_info ti;
		if (!aion_thread_info((aion_handle_t)t, &ti) &&
		    (ti.state == AION_THREAD_BLOCKED || ti.state == AION_THREAD_SLEEPING))
			return true;
		aion_sleep_ns(MS);
	}
	return false;
}

static volatile uint64_t call_w0;

static int64_t caller(uint64_t ep)
{
	struct aion_msg m = { .tag = AION_TAG(1, 0, 0), .w = { 5, 0, 0 } };
	aion_upcall_set((uint64_t)utest_upcall_entry, 0);
	blocked_result = aion_call((aion_handle_t)ep, &m, AION_FOREVER);
	call_w0 = m.w[0];
	return 0;
}

/* A queued CALL cut: EINTR, and nothing left for a receiver. */
static int64_t queued_case(uint64_t stack, int64_t *later)
{
	int64_t ep = aion_endpoint_create();
	if (ep < 0)
		return ep;
	blocked_result = 1;
	int64_t t = aion_thread_spawn(caller, (uint64_t)ep, stack, UPCALL_PRIO);
	if (t >= 0 && wait_blocked(t))
		aion_thread_interrupt((aion_handle_t)t, 16);
	utest_join(t);
	struct aion_msg m;
	*later = aion_recv((aion_handle_t)ep, &m, 20 * MS);
	aion_handle_close((aion_handle_t)ep);
	return blocked_result;
}

/* A taken CALL: held until the reply, which arrives whole; then the entry. */
static int64_t taken_case(uint64_t stack, bool *held, bool *entered)
{
	int64_t ep = aion_endpoint_create();
	if (ep < 0)
		return ep;
	blocked_result = 1;
	call_w0 = 0;
	int64_t t = aion_thread_spawn(caller, (uint64_t)ep, stack, UPCALL_PRIO);
	struct aion_msg m;
	int64_t got = t < 0 ? t : aion_recv((aion_handle_t)ep, &m, 1000 * MS);
	uint32_t before = entries;
	if (!got) {
		aion_thread_interrupt((aion_handle_t)t, 32);
		aion_sleep_ns(20 * MS);
		*held = entries == before && blocked_result == 1;
		struct aion_msg r = { .tag = AION_TAG(0, 0, 0), .w = { 77, 0, 0 } };
		aion_reply(&r);
	}
	utest_join(t);
	*entered = entries == before + 1 && seen_bits == (32 | 32ull << 32) && seen_rax == 0;
	aion_handle_close((aion_handle_t)ep);
	return got ? got : blocked_result == 0 && call_w0 == 77 ? 0 : -AION_EIO;
}

/* The role of the bad-stack case: its stack pointer goes where nothing is mapped. */
int64_t upcall_bad_stack_role(void)
{
	aion_upcall_set((uint64_t)utest_upcall_entry, 0);
	__asm__ volatile("movq $0x2000, %rsp\n1: jmp 1b");
	return 0;
}

/* Five interrupts of a spinner, one entry each (the last with bit 63,
 * signal 64's, which once read as a failed entry), then two merged into one. */
static unsigned spin_case(uint64_t stack, uint64_t *merged)
{
	unsigned got = 0;
	int64_t t = aion_thread_spawn(spinner, 0, stack, UPCALL_PRIO);
	aion_sleep_ns(20 * MS);
	for (unsigned i = 0; i < SPIN_ROUNDS && t >= 0; i++) {
		uint32_t before = entries;
		uint64_t bit = 1ull << (i == SPIN_ROUNDS - 1 ? 63 : i);
		aion_thread_interrupt((aion_handle_t)t, bit);
		aion_sleep_ns(20 * MS);
		got += entries == before + 1 && seen_arg == bit && seen_ctx == bit;
	}
	uint32_t before = entries;
	aion_thread_interrupt((aion_handle_t)t, 0x100);
	aion_thread_interrupt((aion_handle_t)t, 0x200);
	aion_sleep_ns(20 * MS);
	*merged = entries == before + 1 ? seen_bits & 0xffffffff : 0;
	spin_stop = 1;
	if (!utest_join(t))
		spin_bad = 2;
	return got;
}

/* A blocked thread interrupted: its call's result, and how long it took. */
static int64_t blocked_case(int64_t (*fn)(uint64_t), uint64_t arg, uint64_t stack,
			    uint64_t *ms, bool *entered)
{
	blocked_result = 1;
	int64_t t = aion_thread_spawn(fn, arg, stack, UPCALL_PRIO);
	if (t < 0 || !wait_blocked(t))
		return t < 0 ? t : -1000;
	uint32_t before = entries;
	uint64_t t0 = aion_clock_ns();
	aion_thread_interrupt((aion_handle_t)t, 4);
	utest_join(t);
	*ms = (aion_clock_ns() - t0) / MS;
	*entered = entries == before + 1 && seen_bits == (4 | 4ull << 32) &&
		   seen_rax == (uint64_t)-AION_EINTR;
	return blocked_result;
}

static int64_t bad_stack_case(struct aion_unit_info *info)
{
	aion_handle_t u, t;
	int64_t err = utest_spawn_role(ROLE_UPCALL_BAD_STACK, UPCALL_PRIO, &u, &t);
	if (err)
		return err;
	aion_sleep_ns(20 * MS);
	err = aion_thread_interrupt(t, 1);
	if (!err)
		err = aion_unit_wait(u, 1000 * MS, info);
	utest_reap(u, t);
	return err;
}

/* Refusals; the thread has no entry. */
static void refusals(uint64_t stack, int64_t r[5])
{
	struct aion_upcall_context fake = { .rip = 0x401000, .magic = 0x1234 };
	int64_t t = aion_thread_spawn(sleeper, 0, stack, UPCALL_PRIO);
	int64_t weak = t < 0 ? t : aion_cap_copy((aion_handle_t)t, AION_RIGHTS_ALL & ~AION_RIGHT_CONTROL);
	wait_blocked(t);
	r[0] = weak < 0 ? weak : aion_thread_interrupt((aion_handle_t)weak, 1);
	r[1] = t < 0 ? t : aion_thread_interrupt((aion_handle_t)t, 0);
	r[2] = aion_upcall_return(&fake);
	fake.magic = AION_UPCALL_MAGIC;
	fake.rip = 0xffffffff80100000ull;
	r[3] = aion_upcall_return(&fake);
	/* A thread that never ran has registered no entry. */
	int64_t fresh = aion_thread_create(AION_HANDLE_SELF, (uint64_t)utest_upcall_entry,
					   stack - 8 * 4096, 0, UPCALL_PRIO);
	r[4] = fresh < 0 ? fresh : aion_thread_interrupt((aion_handle_t)fresh, 1);
	if (fresh >= 0)
		aion_handle_close((aion_handle_t)fresh);
	if (weak >= 0)
		aion_handle_close((aion_handle_t)weak);
	if (t >= 0)
		aion_thread_interrupt((aion_handle_t)t, 1);     /* ends its sleep */
	utest_join(t);
}

void test_upcall(void)
{
	uint64_t stack = aion_stack_alloc(16);
	uint64_t merged = 0, recv_ms = 0, sleep_ms = 0;
	bool recv_in = false, sleep_in = false;
	struct aion_unit_info info = { 0 };
	int64_t refused[5] = { 0 };

	unsigned spins = spin_case(stack, &merged);
	int64_t ep = aion_endpoint_create();
	int64_t recv_r = ep < 0 ? ep : blocked_case(receiver, (uint64_t)ep, stack,
						    &recv_ms, &recv_in);
	int64_t sleep_r = blocked_case(sleeper, 0, stack, &sleep_ms, &sleep_in);
	int64_t later = 0;
	bool held = false, taken_in = false;
	int64_t queued = queued_case(stack, &later);
	int64_t taken = taken_case(stack, &held, &taken_in);
	refusals(stack, refused);
	int64_t bad = bad_stack_case(&info);
	if (ep >= 0)
		aion_handle_close((aion_handle_t)ep);

	bool ok = spins == SPIN_ROUNDS && merged == 0x300 && spin_bad == 0 &&
		  recv_r == -AION_EINTR && recv_in && sleep_r == -AION_EINTR && sleep_in &&
		  sleep_ms < 1000 && refused[0] == -AION_ERIGHTS && refused[1] == -AION_EINVAL &&
		  refused[2] == -AION_EINVAL && refused[3] == -AION_EINVAL &&
		  refused[4] == -AION_ENOENT && bad == 0 && info.state == AION_UNIT_FAULTED &&
		  info.fault_vector == 14 && queued == -AION_EINTR && later == -AION_ETIMEDOUT &&
		  taken == 0 && held && taken_in;
	/* Short: the line must fit one log line (256 bytes); names without AION_. */
#define N(e) (aion_error_name(e) + 5)
	utest_result(ok, "upcall",
		     "spins=%u merged=0x%lx spin_bad=%u recv=%s,%d sleep=%s,%d,%lums "
		     "refused=%s,%s,%s,%s,%s bad=%s,%u,%u queued=%s,%s taken=%s,%d,%d",
		     spins, (unsigned long)merged, spin_bad, N(recv_r), recv_in, N(sleep_r),
		     sleep_in, (unsigned long)sleep_ms, N(refused[0]), N(refused[1]),
		     N(refused[2]), N(refused[3]), N(refused[4]), N(bad), info.state,
		     info.fault_vector, N(queued), N(later), N(taken), held, taken_in);
#undef N
}

/* --- fault upcalls --- */

#define FAULT_UNMAPPED  0x2000ul        /* below every unit's image: never mapped */
#define FAULT_IN_ENTRY  0x3000ul        /* what the broken entry reads */

extern char utest_fault_entry[], utest_fault_bad_entry[];
extern char utest_fault_at[], utest_fault_resume[], utest_ud_at[], utest_ud_resume[];
/* entry(ctx, bits): the note moves ctx->rip; then UPCALL_RETURN(ctx). */
__asm__(".text\n"
	".globl utest_fault_entry\n"
	"utest_fault_entry:\n\t"
	"movq %rdi, %rbx\n\t"
	"call upcall_fault_note\n\t"
	"movq %rbx, %rdi\n\t"
	"movl $53, %eax\n\t"           /* AION_SYS_UPCALL_RETURN */
	"syscall\n\t"
	"ud2\n"
	/* An entry that faults before it unmasks: the unit must end. */
	".globl utest_fault_bad_entry\n"
	"utest_fault_bad_entry:\n\t"
	"movq $0x3000, %rax\n\t"
	"movq (%rax), %rax\n\t"
	"ud2\n");

struct fault_seen {
	uint64_t vector, addr, error, rip, bits;
};
static struct fault_seen fault_seen[2];
static volatile uint32_t fault_entries;
static volatile uint64_t fault_resume_to;

void upcall_fault_note(struct aion_upcall_context *c, uint64_t bits);
void upcall_fault_note(struct aion_upcall_context *c, uint64_t bits)
{
	uint32_t n = fault_entries++;
	if (n < 2)
		fault_seen[n] = (struct fault_seen){ c->fault ? c->fault - 1 : 99, c->fault_addr,
						     c->fault_error, c->rip, bits | c->bits };
	c->rip = fault_resume_to;
}

/* Reads addr at utest_fault_at; a fault upcall resumes after it, v unchanged. */
static __attribute__((noinline, noclone)) uint64_t fault_read(uint64_t addr)
{
	uint64_t v = 7;
	__asm__ volatile(".globl utest_fault_at\nutest_fault_at:\n\t"
			 "movq (%1), %0\n"
			 ".globl utest_fault_resume\nutest_fault_resume:\n"
			 : "+r"(v) : "r"(addr) : "memory");
	return v;
}

static __attribute__((noinline, noclone)) void fault_ud(void)
{
	__asm__ volatile(".globl utest_ud_at\nutest_ud_at:\n\tud2\n"
			 ".globl utest_ud_resume\nutest_ud_resume:\n" ::: "memory");
}

static volatile int64_t fault_set_bad, fault_loaded;
static volatile uint32_t fault_done;

static int64_t fault_thread(uint64_t arg)
{
	(void)arg;
	fault_set_bad = aion_upcall_set((uint64_t)utest_fault_entry, 0x80);
	aion_upcall_set((uint64_t)utest_fault_entry, AION_UPCALL_FAULTS);
	fault_resume_to = (uint64_t)utest_fault_resume;
	fault_loaded = (int64_t)fault_read(FAULT_UNMAPPED);
	fault_resume_to = (uint64_t)utest_ud_resume;
	fault_ud();
	fault_done = 1;
	return 0;
}

/* The child units' roles: each ends with a fault (see the comment at the top). */
int64_t upcall_fault_role(enum role role)
{
	if (role == ROLE_UPCALL_FAULT_MASKED)
		aion_upcall_set((uint64_t)utest_fault_bad_entry, AION_UPCALL_FAULTS);
	else
		aion_upcall_set((uint64_t)utest_fault_entry,
				role == ROLE_UPCALL_FAULT_OFF ? 0 : AION_UPCALL_FAULTS);
	fault_resume_to = (uint64_t)utest_fault_resume;
	if (role == ROLE_UPCALL_FAULT_STACK)
		__asm__ volatile("movq $0x2000, %rsp\n\tmovq (%rsp), %rax\n\tud2");
	fault_read(FAULT_UNMAPPED);
	return 0;                       /* not reached: the unit ended */
}

/* A child unit in role: how it ended. */
static int64_t fault_child(enum role role, struct aion_unit_info *info)
{
	aion_handle_t u, t;
	int64_t err = utest_spawn_role(role, UPCALL_PRIO, &u, &t);
	if (err)
		return err;
	err = aion_unit_wait(u, 1000 * MS, info);
	utest_reap(u, t);
	return err;
}

static bool fault_ended(int64_t err, const struct aion_unit_info *info, uint64_t addr)
{
	return !err && info->state == AION_UNIT_FAULTED && info->fault_vector == 14 &&
	       info->fault_addr == addr;
}

void test_upcall_fault(void)
{
	uint64_t stack = aion_stack_alloc(16);
	int64_t t = aion_thread_spawn(fault_thread, 0, stack, UPCALL_PRIO);
	bool joined = t >= 0 && utest_join(t);
	const struct fault_seen *pf = &fault_seen[0], *ud = &fault_seen[1];
	bool own = joined && fault_done && fault_entries == 2 && fault_loaded == 7 &&
		   fault_set_bad == -AION_EINVAL &&
		   pf->vector == 14 && pf->addr == FAULT_UNMAPPED && pf->error == 4 &&
		   pf->rip == (uint64_t)utest_fault_at && pf->bits == 0 &&
		   ud->vector == 6 && ud->addr == (uint64_t)utest_ud_at && ud->error == 0 &&
		   ud->rip == (uint64_t)utest_ud_at && ud->bits == 0;

	struct aion_unit_info off = { 0 }, masked = { 0 }, stk = { 0 };
	int64_t off_r = fault_child(ROLE_UPCALL_FAULT_OFF, &off);
	int64_t masked_r = fault_child(ROLE_UPCALL_FAULT_MASKED, &masked);
	int64_t stk_r = fault_child(ROLE_UPCALL_FAULT_STACK, &stk);
	bool ok = own && fault_ended(off_r, &off, FAULT_UNMAPPED) &&
		  fault_ended(masked_r, &masked, FAULT_IN_ENTRY) &&
		  fault_ended(stk_r, &stk, FAULT_UNMAPPED);
	utest_result(ok, "upcall-fault",
		     "entries=%u loaded=%ld set_bad=%s pf=%lu,0x%lx,%lu,%d ud=%lu,%d,%lu,%d "
		     "off=%s,%u,%u,0x%lx masked=%s,%u,%u,0x%lx stack=%s,%u,%u,0x%lx",
		     fault_entries, (long)fault_loaded, aion_error_name(fault_set_bad) + 5,
		     (unsigned long)pf->vector, (unsigned long)pf->addr, (unsigned long)pf->error,
		     pf->rip == (uint64_t)utest_fault_at, (unsigned long)ud->vector,
		     ud->addr == (uint64_t)utest_ud_at, (unsigned long)ud->error,
		     ud->rip == (uint64_t)utest_ud_at,
		     aion_error_name(off_r) + 5, off.state, off.fault_vector,
		     (unsigned long)off.fault_addr, aion_error_name(masked_r) + 5, masked.state,
		     masked.fault_vector, (unsigned long)masked.fault_addr,
		     aion_error_name(stk_r) + 5, stk.state, stk.fault_vector,
		     (unsigned long)stk.fault_addr);
}
