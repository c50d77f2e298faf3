/*
 * The hostile-unit fuzzer (issue 16, Done when 1). The test makes small
 * units with nothing in them but the pages the generator's code touches
 * (hunit.h), writes each sequence from hunit_gen.c into one with MEM_WRITE
 * and runs it on a fresh thread. A sequence that gets to its end jumps to
 * a stub that signals the test and exits with the unit's magic code; the
 * test believes only THREAD_INFO (dead, with that code), never the signal,
 * which any unit holding the notification could send. Two units run at
 * once and share an endpoint and a notification, so their garbage meets.
 * A unit is replaced when it dies (faulted, or exited), when a sequence
 * has not ended after HU_STUCK_NS (destroyed), and after HU_RECYCLE
 * sequences (what its garbage threads and mappings piled up goes with it).
 * The run ends after HU_SEQS sequences and HU_CALLS system calls made by
 * the units' own code (UNIT_INFO's count, less the stub's two per
 * sequence); then every frame and kernel object must be back. The seed
 * comes from the host (aion.test=hunit:SEED) and is printed.
 *
 * hunitsmp (issue 19) runs 8 units at once, each slot's threads pinned
 * to CPU slot % cpus, so hostile code on every CPU meets in the kernel,
 * locally or under the lock (docs/smp.md), for fewer sequences.
 */
#include "common/format.h"
#include "common/xorshift.h"
#include "hunit.h"
#include "utest.h"

#define HU_SEQS         100000u
#define HU_CALLS        1000000u
#define HU_SLOTS        2
#define HU_SLOTS_SMP    8               /* hunitsmp: at most 32, one done bit each */
#define HU_SEQS_SMP     20000u
#define HU_CALLS_SMP    200000u
#define HU_TERMINAL_PCT 3               /* sequences that end with a likely death */
#define HU_STUCK_NS     (50 * MS)       /* a sequence still running: its unit is destroyed */
#define HU_RECYCLE      500             /* sequences per unit at most */
#define HU_LIMIT_NS     (540000 * MS)   /* then it fails with its counts, before init (900 s) gives up */
#define HU_PRIO         100             /* below the test (150): it always gets to run */
#define HU_QUOTA        96              /* frames: its pages, page tables, stacks, garbage */
#define HU_STUB         (HU_CODE + HU_CODE_SIZE - 4096)  /* the last code page */
#define HU_STUB_CALLS   2               /* SIGNAL and THREAD_EXIT */
#define PROT_RW         (AION_PROT_READ | AION_PROT_WRITE)
#define PROT_RWX        (PROT_RW | AION_PROT_EXEC)
/* Where the test's capabilities land in a unit (the generator aims there). */
#define HU_DONE_CAP     AION_HANDLE(1, 1)       /* SEND only: it cannot take our wake-ups */
#define HU_EP_CAP       AION_HANDLE(2, 1)
#define HU_NTF_CAP      AION_HANDLE(3, 1)

struct slot {
	aion_handle_t unit, thread;
	int cpu;                        /* where its threads run, -1: anywhere */
	bool live, running;
	uint32_t magic;                 /* its stub's exit code */
	unsigned seqs;                  /* sequences it ran */
	uint64_t started_at;
};

static struct {
	uint64_t lives, seqs, completed, calls, exited, stuck, recycled, vectors[32];
} tally;

static aion_handle_t done_ntf, shared_ep, shared_ntf;
static uint64_t want_seqs, want_calls;  /* the run's end */
static uint8_t code[HU_CODE_SIZE - 4096], edge[4096];

/* signal(HU_DONE_CAP, bit); thread_exit(magic); ud2 */
static unsigned stub(uint8_t *p, unsigned bit, uint32_t magic)
{
	unsigned n = 0;
	const uint32_t imm[4] = { HU_DONE_CAP, 1u << bit, AION_SYS_SIGNAL, magic };

	p[n++] = 0xbf; for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(imm[0] >> 8 * i);  /* edi */
	p[n++] = 0xbe; for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(imm[1] >> 8 * i);  /* esi */
	p[n++] = 0xb8; for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(imm[2] >> 8 * i);  /* eax */
	p[n++] = 0x0f; p[n++] = 0x05;
	p[n++] = 0xbf; for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(imm[3] >> 8 * i);
	p[n++] = 0xb8; for (int i = 0; i < 4; i++) p[n++] = (uint8_t)(AION_SYS_THREAD_EXIT >> 8 * i);
	p[n++] = 0x0f; p[n++] = 0x05;
	p[n++] = 0x0f; p[n++] = 0x0b;
	return n;
}

/*
 * The keeper: a thread that sleeps for good, so that the unit does not end
 * when a sequence's thread exits (a unit ends with its last live thread).
 * 1: rdi = ~0; eax = SLEEP_UNTIL; syscall; jmp 1b
 */
#define HU_KEEPER       (HU_STUB + 64)
static const uint8_t keeper[] = {
	0x48, 0xc7, 0xc7, 0xff, 0xff, 0xff, 0xff,               /* mov rdi, -1 */
	0xb8, AION_SYS_SLEEP_UNTIL, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf0,
};
_Static_assert(sizeof(keeper) == 16 && AION_SYS_SLEEP_UNTIL < 256, "jmp -16");

/* A new thread of the slot's unit, pinned to its CPU if it has one, started. */
static int64_t start_thread(struct slot *s, uint64_t entry, uint64_t stack_top)
{
	return utest_thread_in(s->unit, entry, stack_top, HU_PRIO, s->cpu);
}

/* A fresh unit: its pages, the edge page, stub and keeper written, our
 * capabilities given, the keeper started. */
static int64_t make_unit(struct slot *s, unsigned bit, uint64_t *rng)
{
	static const struct { uint64_t va; uint32_t len, prot; } maps[] = {
		{ HU_CODE, HU_CODE_SIZE, PROT_RWX }, { HU_STACK, HU_STACK_SIZE, PROT_RW },
		{ HU_DATA, HU_DATA_SIZE, PROT_RW }, { HU_EDGE_PAGE, 4096, PROT_RWX },
	};
	const struct { aion_handle_t cap; uint32_t rights; } give[] = {
		{ done_ntf, AION_RIGHT_SEND },
		{ shared_ep, AION_RIGHT_SEND | AION_RIGHT_RECV | AION_RIGHT_GRANT | AION_RIGHT_READ },
		{ shared_ntf, AION_RIGHT_SEND | AION_RIGHT_RECV | AION_RIGHT_READ },
	};
	uint8_t st[64];
	int64_t u = aion_unit_create(AION_HANDLE_SELF, "hunit", 5, HU_QUOTA, HU_PRIO), err = 0;

	if (u < 0)
		return u;
	s->unit = (aion_handle_t)u;
	s->magic = (uint32_t)xorshift64(rng) | 1;
	for (unsigned i = 0; i < sizeof(maps) / sizeof(maps[0]) && !err; i++)
		err = aion_anon_map(s->unit, maps[i].va, maps[i].len, maps[i].prot);
	if (!err)
		err = aion_mem_write(s->unit, HU_EDGE_PAGE, edge, sizeof(edge));
	if (!err)
		err = aion_mem_write(s->unit, HU_STUB, st, stub(st, bit, s->magic));
	if (!err)
		err = aion_mem_write(s->unit, HU_KEEPER, keeper, sizeof(keeper));
	for (unsigned i = 0; i < sizeof(give) / sizeof(give[0]) && !err; i++) {
		int64_t h = aion_cap_give(s->unit, give[i].cap, give[i].rights);
		if (h != AION_HANDLE(i + 1, 1))
			err = h < 0 ? h : -AION_ERANGE;
	}
	int64_t t = err ? err : start_thread(s, HU_KEEPER, HU_STACK + HU_STACK_SIZE);
	if (t >= 0)
		aion_handle_close((aion_handle_t)t);
	else
		err = t;
	if (err) {
		aion_unit_destroy(s->unit);
		aion_handle_close(s->unit);
		return err;
	}
	s->live = true;
	s->seqs = 0;
	tally.lives++;
	return 0;
}

/* Counts what the unit's code did and how it ended, then destroys it. */
static void retire(struct slot *s, bool stuck)
{
	struct aion_unit_info end = { 0 }, info = { 0 };

	if (s->running) {
		aion_handle_close(s->thread);
		s->running = false;
		tally.seqs++;           /* it ran, and ended with its unit */
	}
	int64_t err = aion_unit_info(s->unit, &end);
	aion_unit_destroy(s->unit);
	if (!err && aion_unit_info(s->unit, &info) == 0)
		tally.calls += info.syscalls;   /* none can be added now */
	if (err)
		;
	else if (stuck)
		tally.stuck++;
	else if (end.state == AION_UNIT_FAULTED)
		tally.vectors[end.fault_vector & 31]++;
	else if (end.state == AION_UNIT_EXITED)
		tally.exited++;
	else
		tally.recycled++;
	aion_handle_close(s->unit);
	s->live = false;
}

static int64_t run_next(struct slot *s, struct hu_gen *g)
{
	unsigned len = hu_generate(g, xorshift64(g->rng) % 100 < HU_TERMINAL_PCT);
	int64_t err = aion_mem_write(s->unit, HU_CODE, code, len);
	int64_t t = err ? err : start_thread(s, HU_CODE, HU_STACK + HU_STACK_SIZE / 2);
	if (t < 0)
		return t;
	s->thread = (aion_handle_t)t;
	s->running = true;
	s->started_at = aion_clock_ns();
	return 0;
}

/*
 * Where the slot's sequence is: still running (false), or ended (true;
 * the slot is then free for the next one, its unit gone if it died).
 * The unit's own state first: a garbage call may have exited the thread.
 */
static bool check(struct slot *s)
{
	struct aion_thread_info ti = { 0 };
	struct aion_unit_info ui = { 0 };

	if (aion_unit_info(s->unit, &ui) || ui.state != AION_UNIT_RUNNING) {
		retire(s, false);
		return true;
	}
	if (aion_thread_info(s->thread, &ti) == 0 && ti.state == AION_THREAD_DEAD) {
		aion_handle_close(s->thread);
		s->running = false;
		tally.seqs++;
		if (ti.exit_code == (int32_t)s->magic) {
			tally.completed++;
			if (++s->seqs >= HU_RECYCLE)
				retire(s, false);
		} else {
			retire(s, false);       /* exited by a garbage call: start afresh */
		}
		return true;
	}
	if (aion_clock_ns() - s->started_at > HU_STUCK_NS) {
		retire(s, true);
		return true;
	}
	return false;
}

static uint64_t own_calls(void)
{
	uint64_t stub_calls = HU_STUB_CALLS * tally.completed;
	return tally.calls > stub_calls ? tally.calls - stub_calls : 0;
}

static bool enough(void)
{
	return tally.seqs >= want_seqs && own_calls() >= want_calls;
}

/* Each unit's generator seed: the run's generator, mixed (splitmix64's
 * finaliser) so that one stream is not the last one's shifted by a step. */
static uint64_t mixed(uint64_t *rng)
{
	uint64_t z = xorshift64(rng) + 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (z ^ (z >> 31)) | 1;
}

static uint64_t parse_seed(const char *arg)
{
	uint64_t v = 0;
	for (; arg && *arg >= '0' && *arg <= '9'; arg++)
		v = v * 10 + (uint64_t)(*arg - '0');
	return v ? v : aion_rdtsc() | 1;
}

static void report(const char *name, bool ok, int64_t err, uint64_t seed, uint64_t took,
		   const struct aion_system_info *before, const struct aion_system_info *after)
{
	char seen[160];
	int n = 0;

	for (unsigned v = 0; v < 32; v++)       /* how they died: vector:count */
		if (tally.vectors[v] && n < (int)sizeof(seen) - 24)
			n += fmt_snprintf(seen + n, sizeof(seen) - (size_t)n, " %u:%lu", v,
					  (unsigned long)tally.vectors[v]);
	seen[n] = 0;
	aion_printf("hunit faults by vector:%s", seen);
	utest_result(ok, name, "err=%s seed=%lu lives=%lu sequences=%lu completed=%lu calls=%lu "
		     "exited=%lu stuck=%lu recycled=%lu took_ms=%lu frames=%lu/%lu objects=%lu/%lu",
		     aion_error_name(err), (unsigned long)seed, (unsigned long)tally.lives,
		     (unsigned long)tally.seqs, (unsigned long)tally.completed,
		     (unsigned long)own_calls(), (unsigned long)tally.exited,
		     (unsigned long)tally.stuck, (unsigned long)tally.recycled,
		     (unsigned long)(took / MS), (unsigned long)before->free_frames,
		     (unsigned long)after->free_frames, (unsigned long)before->kernel_objects,
		     (unsigned long)after->kernel_objects);
}

static void hunit_run(const char *name, unsigned nslots, bool spread, uint64_t seqs,
		      uint64_t calls)
{
	struct aion_system_info before, after;
	struct slot slots[HU_SLOTS_SMP] = { 0 };
	uint64_t seed = parse_seed(utest_arg), rng = seed, t0 = aion_clock_ns(), shown_at = t0;
	uint64_t gen_rng = mixed(&rng), bits;
	struct hu_gen g = {
		.buf = code, .cap = sizeof(code), .rng = &gen_rng, .resume = HU_STUB,
		.handles = { AION_HANDLE_SELF, HU_DONE_CAP, HU_EP_CAP, HU_NTF_CAP },
	};
	int64_t err = 0, h[3];

	want_seqs = seqs;
	want_calls = calls;
	/* Before our own three objects: a unit whose fault endpoint its
	 * garbage set to shared_ep waits there, end notice queued, until a
	 * unit receives it or the endpoint goes; the count is whole only
	 * once ours are closed too. */
	aion_system_info(&before);
	h[0] = aion_notify_create();
	h[1] = aion_endpoint_create();
	h[2] = aion_notify_create();
	for (unsigned i = 0; i < nslots; i++)
		slots[i].cpu = spread ? (int)(i % (before.cpus ? before.cpus : 1)) : -1;
	aion_printf("hunit seed=%lu sequences=%lu calls=%lu units=%u cpus=%u", (unsigned long)seed,
		    (unsigned long)seqs, (unsigned long)calls, nslots, spread ? before.cpus : 1);
	for (unsigned i = 0; i < 3; i++)
		if (h[i] < 0)
			err = h[i];
	done_ntf = (aion_handle_t)h[0];
	shared_ep = (aion_handle_t)h[1];
	shared_ntf = (aion_handle_t)h[2];
	hu_edge_page(edge, HU_STUB);
	while (!err && !enough() && aion_clock_ns() - t0 < HU_LIMIT_NS) {
		for (unsigned i = 0; i < nslots && !err; i++) {
			struct slot *s = &slots[i];
			if (s->live && s->running && !check(s))
				continue;
			if (!s->live && (err = make_unit(s, i, &rng)))
				break;
			err = run_next(s, &g);
			/* The unit's garbage used up its own quota or table (an
			 * endless THREAD_SELF, ENDPOINT_CREATE...): its business
			 * only; a fresh one takes the slot. */
			if (err == -AION_ENOMEM || err == -AION_ENOSPC) {
				retire(s, false);
				err = 0;
			}
		}
		if (aion_clock_ns() - shown_at > 10000 * MS) {
			shown_at = aion_clock_ns();
			aion_printf("hunit progress lives=%lu sequences=%lu calls=%lu stuck=%lu",
				    (unsigned long)tally.lives, (unsigned long)tally.seqs,
				    (unsigned long)own_calls(), (unsigned long)tally.stuck);
		}
		int64_t w = aion_wait(done_ntf, &bits, MS);     /* a hint: check() decides */
		if (w && w != -AION_ETIMEDOUT)
			err = w;
	}
	for (unsigned i = 0; i < nslots; i++)
		if (slots[i].live)
			retire(&slots[i], false);
	aion_system_info(&after);       /* what our three still hold, to show */
	uint64_t held = after.kernel_objects, held_frames = after.free_frames;
	for (unsigned i = 0; i < 3; i++)
		if (h[i] >= 0)
			aion_handle_close((aion_handle_t)h[i]);
	aion_system_info(&after);
	aion_printf("hunit held through our objects at the end: objects=%ld frames=%ld",
		    (long)(held - after.kernel_objects) - 3, (long)(after.free_frames - held_frames));
	report(name, !err && enough() && after.free_frames == before.free_frames &&
	       after.kernel_objects == before.kernel_objects,
	       err, seed, aion_clock_ns() - t0, &before, &after);
}

void test_hunit(void)
{
	hunit_run("hunit", HU_SLOTS, false, HU_SEQS, HU_CALLS);
}

void test_hunitsmp(void)
{
	hunit_run("hunitsmp", HU_SLOTS_SMP, true, HU_SEQS_SMP, HU_CALLS_SMP);
}
