/*
 * fpu: each thread's x87 and SSE registers are its own. Threads, in one
 * unit and in two, load distinct values into xmm0-xmm15, the x87 stack,
 * FCW and MXCSR, then yield or call each other many times and check after
 * every switch that their values are still there (docs/posix.md).
 *
 * utest is built without SSE and x87 (-mno-sse -mno-80387), so compiled
 * code never touches these registers: whatever the inline assembly below
 * puts there stays unless the kernel loses it. For the same reason the
 * assembly names no xmm or st clobber (gcc knows no such register here).
 */
#include "utest.h"

#define FPU_ROUNDS      2000u
#define FPU_PRIO        100
#define FPU_STOP        2               /* label of the call that ends a server */
#define FPU_NOT_CLEAN   1000            /* exit code: a new thread's state was not clean */

/* The FXSAVE image, as user code reads it with fxsave64. */
#define FX_FCW          0
#define FX_MXCSR        24
#define FX_ST           32              /* 8 registers, 10 bytes in 16 each */
#define FX_XMM          160             /* 16 registers of 16 bytes */
#define FX_END          416

/* Fixed offsets: the assembly below addresses them by number. */
struct fpu_pattern {
	uint64_t xmm[16][2];            /* 0 */
	int64_t st[8];                  /* 256: loaded with fildq, exact */
	uint32_t mxcsr;                 /* 320 */
	uint16_t fcw;                   /* 324 */
};
_Static_assert(__builtin_offsetof(struct fpu_pattern, st) == 256, "asm offsets");
_Static_assert(__builtin_offsetof(struct fpu_pattern, mxcsr) == 320, "asm offsets");
_Static_assert(__builtin_offsetof(struct fpu_pattern, fcw) == 324, "asm offsets");

struct fpu_image {
	uint8_t b[512];
} __attribute__((aligned(16)));

/* Distinct per seed: every register, the rounding modes and FZ. */
static void fpu_pattern_make(unsigned seed, struct fpu_pattern *p)
{
	for (unsigned i = 0; i < 16; i++) {
		p->xmm[i][0] = (seed + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)i << 56;
		p->xmm[i][1] = (seed + 1) * 0xc2b2ae3d27d4eb4full + i;
	}
	for (unsigned i = 0; i < 8; i++)
		p->st[i] = (int64_t)seed << 20 | (int64_t)(i + 1);
	/* All exceptions stay masked; rounding control differs per seed. */
	p->mxcsr = 0x1f80u | (seed & 3u) << 13 | (seed & 4u ? 0x8000u : 0);
	p->fcw = (uint16_t)(0x037fu | (seed & 3u) << 10);
}

static void fpu_fill(const struct fpu_pattern *p)
{
	__asm__ volatile(
		"fninit\n\t"
		"fldcw 324(%0)\n\t"
		"fildq 256(%0)\n\t" "fildq 264(%0)\n\t" "fildq 272(%0)\n\t" "fildq 280(%0)\n\t"
		"fildq 288(%0)\n\t" "fildq 296(%0)\n\t" "fildq 304(%0)\n\t" "fildq 312(%0)\n\t"
		"ldmxcsr 320(%0)\n\t"
		"movdqu 0(%0), %%xmm0\n\t"    "movdqu 16(%0), %%xmm1\n\t"
		"movdqu 32(%0), %%xmm2\n\t"   "movdqu 48(%0), %%xmm3\n\t"
		"movdqu 64(%0), %%xmm4\n\t"   "movdqu 80(%0), %%xmm5\n\t"
		"movdqu 96(%0), %%xmm6\n\t"   "movdqu 112(%0), %%xmm7\n\t"
		"movdqu 128(%0), %%xmm8\n\t"  "movdqu 144(%0), %%xmm9\n\t"
		"movdqu 160(%0), %%xmm10\n\t" "movdqu 176(%0), %%xmm11\n\t"
		"movdqu 192(%0), %%xmm12\n\t" "movdqu 208(%0), %%xmm13\n\t"
		"movdqu 224(%0), %%xmm14\n\t" "movdqu 240(%0), %%xmm15"
		: : "r"(p) : "memory");
}

static void fpu_image_take(struct fpu_image *img)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*img));
}

static bool bytes_equal(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static uint32_t image_mxcsr(const struct fpu_image *img)
{
	return (uint32_t)img->b[FX_MXCSR] | (uint32_t)img->b[FX_MXCSR + 1] << 8 |
	       (uint32_t)img->b[FX_MXCSR + 2] << 16 | (uint32_t)img->b[FX_MXCSR + 3] << 24;
}

static uint16_t image_fcw(const struct fpu_image *img)
{
	return (uint16_t)(img->b[FX_FCW] | img->b[FX_FCW + 1] << 8);
}

/* The control words, status, tags, the 8 x87 and 16 SSE registers (not
 * the last-instruction pointers, which no instruction here changes). */
static bool fpu_same(const struct fpu_image *want, const struct fpu_image *now)
{
	if (!bytes_equal(want->b, now->b, 6) || image_mxcsr(want) != image_mxcsr(now))
		return false;
	for (unsigned i = 0; i < 8; i++)
		if (!bytes_equal(want->b + FX_ST + 16 * i, now->b + FX_ST + 16 * i, 10))
			return false;
	return bytes_equal(want->b + FX_XMM, now->b + FX_XMM, FX_END - FX_XMM);
}

/* A new thread starts as after FNINIT with the reset MXCSR and zeroed xmm. */
static bool fpu_clean(void)
{
	struct fpu_image img;
	fpu_image_take(&img);
	for (unsigned i = FX_XMM; i < FX_END; i++)
		if (img.b[i])
			return false;
	return image_fcw(&img) == 0x037f && image_mxcsr(&img) == 0x1f80 && img.b[4] == 0;
}

enum fpu_op { FPU_YIELD, FPU_CALL, FPU_SERVE };

struct fpu_worker {
	unsigned seed;
	enum fpu_op op;
	aion_handle_t ep;
	volatile unsigned bad;          /* checks that failed */
	volatile unsigned rounds;       /* switches survived */
	volatile unsigned peer_bad;     /* FPU_CALL: what the server counted */
	volatile bool clean;            /* started with the clean state */
	volatile bool loaded;           /* the pattern arrived in the registers */
};

static void fpu_check(const struct fpu_image *want, struct fpu_worker *w)
{
	struct fpu_image now;
	fpu_image_take(&now);
	if (!fpu_same(want, &now))
		w->bad++;
	w->rounds++;
}

/* FPU_SERVE: answers calls on w->ep until FPU_STOP, replying its bad count. */
static void fpu_serve(const struct fpu_image *want, struct fpu_worker *w)
{
	struct aion_msg m;
	int64_t err = aion_recv(w->ep, &m, 0);
	while (!err) {
		fpu_check(want, w);
		m.w[0] = w->bad;
		if (AION_TAG_LABEL(m.tag) == FPU_STOP) {
			aion_reply(&m);
			return;
		}
		m.tag = AION_TAG(1, 0, 0);
		err = aion_reply_recv(w->ep, &m, 0);
	}
	w->bad++;
}

static void fpu_call(const struct fpu_image *want, struct fpu_worker *w)
{
	for (unsigned i = 0; i <= FPU_ROUNDS; i++) {
		struct aion_msg m = { .tag = AION_TAG(i == FPU_ROUNDS ? FPU_STOP : 1, 0, 0) };
		if (aion_call(w->ep, &m, 5000 * MS)) {
			w->bad++;
			return;
		}
		fpu_check(want, w);
		w->peer_bad = (unsigned)m.w[0];
	}
}

static int64_t fpu_worker(uint64_t arg)
{
	struct fpu_worker *w = (struct fpu_worker *)arg;
	struct fpu_pattern p;
	struct fpu_image want;

	w->clean = fpu_clean();
	fpu_pattern_make(w->seed, &p);
	fpu_fill(&p);
	fpu_image_take(&want);
	w->loaded = bytes_equal(want.b + FX_XMM, (const uint8_t *)p.xmm, FX_END - FX_XMM) &&
		    image_mxcsr(&want) == p.mxcsr && image_fcw(&want) == p.fcw;
	if (w->op == FPU_SERVE)
		fpu_serve(&want, w);
	else if (w->op == FPU_CALL)
		fpu_call(&want, w);
	else
		for (unsigned i = 0; i < FPU_ROUNDS; i++) {
			aion_yield();
			fpu_check(&want, w);
		}
	return w->bad;
}

/* ROLE_FPU_YIELD, ROLE_FPU_ECHO: the other unit's side. */
int64_t fpu_role(enum role role)
{
	struct fpu_worker w = {
		.seed = role == ROLE_FPU_YIELD ? 11 : 12,
		.op = role == ROLE_FPU_YIELD ? FPU_YIELD : FPU_SERVE,
		.ep = CHILD_CAP,
	};
	fpu_worker((uint64_t)&w);
	if (!w.clean || !w.loaded)
		return FPU_NOT_CLEAN;
	return w.rounds >= FPU_ROUNDS ? (int64_t)w.bad : FPU_NOT_CLEAN + 1;
}

/* Our own threads' results: all must have run every round cleanly. */
static bool workers_ok(const struct fpu_worker *w, unsigned n, unsigned *bad)
{
	bool ok = true;
	for (unsigned i = 0; i < n; i++) {
		*bad += w[i].bad + w[i].peer_bad;
		ok &= w[i].clean && w[i].loaded && w[i].rounds >= FPU_ROUNDS;
	}
	return ok && !*bad;
}

/* Two threads of this unit, both working; true when both ended. */
static bool run_pair(struct fpu_worker *a, struct fpu_worker *b, const uint64_t stacks[2])
{
	int64_t ta = aion_thread_spawn(fpu_worker, (uint64_t)a, stacks[0], FPU_PRIO);
	int64_t tb = aion_thread_spawn(fpu_worker, (uint64_t)b, stacks[1], FPU_PRIO);
	bool joined = utest_join(ta) & utest_join(tb);
	return ta >= 0 && tb >= 0 && joined;
}

/* One of our threads against a helper unit running role; its exit code is its bad count. */
static bool run_against_unit(enum role role, struct fpu_worker *ours, uint64_t stack,
			     int64_t *peer_code)
{
	aion_handle_t u, t;
	struct aion_unit_info info = { 0 };

	int64_t err = ours->op == FPU_CALL
		? utest_spawn_with_cap(role, FPU_PRIO, ours->ep, AION_RIGHT_RECV, &u, &t)
		: utest_spawn_role(role, FPU_PRIO, &u, &t);
	if (err)
		return false;
	int64_t th = aion_thread_spawn(fpu_worker, (uint64_t)ours, stack, FPU_PRIO);
	bool joined = utest_join(th);
	err = aion_unit_wait(u, 5000 * MS, &info);
	utest_reap(u, t);
	*peer_code = info.state == AION_UNIT_EXITED ? info.exit_code : -1;
	return th >= 0 && joined && !err;
}

void test_fpu(void)
{
	uint64_t stacks[2] = { aion_stack_alloc(4), aion_stack_alloc(4) };
	int64_t ep1 = aion_endpoint_create(), ep2 = aion_endpoint_create();
	struct fpu_worker w[6] = {
		{ .seed = 1, .op = FPU_YIELD }, { .seed = 2, .op = FPU_YIELD },
		{ .seed = 3, .op = FPU_SERVE, .ep = (aion_handle_t)ep1 },
		{ .seed = 4, .op = FPU_CALL, .ep = (aion_handle_t)ep1 },
		{ .seed = 5, .op = FPU_YIELD },
		{ .seed = 6, .op = FPU_CALL, .ep = (aion_handle_t)ep2 },
	};
	int64_t yield_peer = -1, call_peer = -1;
	unsigned bad = 0;

	if (!stacks[0] || !stacks[1] || ep1 < 0 || ep2 < 0) {
		utest_fail("fpu", "setup stacks=0x%lx/0x%lx ep=%ld/%ld", (unsigned long)stacks[0],
			   (unsigned long)stacks[1], (long)ep1, (long)ep2);
		return;
	}
	bool ran = run_pair(&w[0], &w[1], stacks) && run_pair(&w[2], &w[3], stacks) &&
		   run_against_unit(ROLE_FPU_YIELD, &w[4], stacks[0], &yield_peer) &&
		   run_against_unit(ROLE_FPU_ECHO, &w[5], stacks[0], &call_peer);
	aion_handle_close((aion_handle_t)ep1);
	aion_handle_close((aion_handle_t)ep2);
	bool ours = workers_ok(w, 6, &bad);
	if (!ran || !ours || yield_peer != 0 || call_peer != 0)
		utest_fail("fpu", "ran=%d bad=%u clean=%d%d%d%d%d%d rounds=%u/%u/%u/%u/%u/%u "
			   "unit_yield=%ld unit_echo=%ld", ran, bad, w[0].clean, w[1].clean,
			   w[2].clean, w[3].clean, w[4].clean, w[5].clean, w[0].rounds,
			   w[1].rounds, w[2].rounds, w[3].rounds, w[4].rounds, w[5].rounds,
			   (long)yield_peer, (long)call_peer);
	else
		utest_ok("fpu", "threads=8 rounds=%u bad=0 clean=8 same_unit=yield,ipc "
			 "other_unit=yield,ipc", FPU_ROUNDS);
}
