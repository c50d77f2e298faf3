/*
 * Signals in the POSIX layer (docs/posix.md "Signals"). The process keeps
 * its dispositions, its mask and its pending set here; procd keeps only
 * what kill must decide (which signals are caught, which ignored) and
 * who sent the last of each. A signal from another process travels
 * kill -> procd -> THREAD_INTERRUPT of our first thread -> the upcall
 * entry (sigentry.S) -> __aion_sig_upcall, which marks it pending for
 * the process and runs every pending signal the thread's mask lets
 * through, each handler called as a C function; then UPCALL_RETURN
 * resumes the interrupted code with all its registers. What the first
 * thread blocks goes to a sibling that does not (thread.c's offer).
 * Each thread has its own mask and its own pending set (thread.c keeps
 * them in its table): a tkill of another thread marks it there and
 * rings the thread's doorbell, the bit of musl's cancel signal, which
 * procd never sends; raise (tkill of oneself) marks and runs it at once.
 */
#define _GNU_SOURCE             /* REG_* of ucontext.h */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include "aion/proc.h"
#include "aion/upcall.h"
#include "libaion/sys.h"
#include "posix.h"
#include "sigfault.h"

#define SIG_COUNT       64
#define BIT(s)          (1ull << ((s) - 1))
#define UNBLOCKABLE     (BIT(SIGKILL) | BIT(SIGSTOP))
/* Signals whose default action is to do nothing, and to stop. */
#define DEFAULT_NOTHING (BIT(SIGCHLD) | BIT(SIGCONT) | BIT(SIGURG) | BIT(SIGWINCH))
#define DEFAULT_STOP    (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))

/* musl's struct k_sigaction (arch/x86_64/ksigaction.h): the mask is 64 bits. */
struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define DOORBELL        BIT(POSIX_SIGCANCEL)

static struct ksigaction acts[SIG_COUNT + 1];
static volatile uint64_t pending;       /* the process's: arrived, not yet acted on */
static uint64_t told_caught, told_ignored, told_flags;
/* Stop and continue (docs/posix.md): every thread waits on this word
 * while it is 1, in its upcall. */
static volatile uint32_t stopped;
/* Bumped when a signal arrives (waits sleep on it), when a handler runs,
 * and when one without SA_RESTART runs (blocking calls then end EINTR). */
volatile uint32_t __aion_sig_arrivals POSIX_HIDDEN;
volatile uint32_t __aion_sig_handled POSIX_HIDDEN;
volatile uint32_t __aion_sig_intr POSIX_HIDDEN;

void __aion_sig_upcall(struct aion_upcall_context *ctx, uint64_t bits) POSIX_HIDDEN;

static void bump(volatile uint32_t *c)
{
	__atomic_add_fetch(c, 1, __ATOMIC_SEQ_CST);
}

/*
 * procd learns which signals we ignore, and which of those whose default
 * does nothing we catch, when that changes: it drops the others' sends.
 * Catching any other signal changes nothing for procd (it sends those
 * anyway), so such a sigaction makes no call: a call blocks, and a
 * thread that installs two handlers must not take the second signal
 * between them (on Linux the window is a system call's).
 */
static void tell_procd(void)
{
	uint64_t caught = 0, ignored = 0;
	for (int s = 1; s <= SIG_COUNT; s++) {
		if (acts[s].handler == SIG_IGN)
			ignored |= BIT(s);
		else if (acts[s].handler != SIG_DFL && (BIT(s) & DEFAULT_NOTHING))
			caught |= BIT(s);
	}
	uint64_t flags = (acts[SIGCHLD].flags & SA_NOCLDSTOP ? PROC_SIG_NOCLDSTOP : 0) |
			 (acts[SIGCHLD].flags & SA_NOCLDWAIT ? PROC_SIG_NOCLDWAIT : 0);
	if (caught == told_caught && ignored == told_ignored && flags == told_flags)
		return;
	if (!__aion_proc_call(PROC_SIGSTATE, caught, ignored, flags, NULL)) {
		told_caught = caught;
		told_ignored = ignored;
		told_flags = flags;
	}
}

_Noreturn void __aion_sig_exit(int sig)
{
	__aion_posix_flush();
	__aion_pipe_disarm();           /* a pipe read's arm, if we died in its wait */
	__aion_fd_close_all();
	/* procd ends us with the signal as our wait status. */
	__aion_proc_call(PROC_SIGEXIT, (uint64_t)sig, 0, 0, NULL);
	aion_unit_exit(128 + sig);
}

/*
 * Asks procd who sent sig (local: this process's tkill). A queued
 * signal (sigqueue, a real-time kill) is told once each: when more of it
 * are queued, it is pending again, so each instance is delivered.
 */
static void fill_info(int sig, bool local, siginfo_t *si)
{
	uint64_t what = 0, value = 0;
	memset(si, 0, sizeof(*si));
	si->si_signo = sig;
	if (local) {
		si->si_code = SI_TKILL;
		si->si_pid = (pid_t)__aion_getpid();
		return;
	}
	long pid = __aion_proc_call2(PROC_SIGINFO, (uint64_t)sig, 0, 0, &what, &value);
	si->si_code = pid >= 0 ? (int)(int32_t)what : SI_USER;
	si->si_pid = pid > 0 ? (pid_t)pid : 0;
	si->si_value.sival_ptr = (void *)(uintptr_t)value;
	if (sig < PROC_SIG_RT_FIRST)
		si->si_status = (int)(what >> 32);
	else if (pid >= 0 && what >> 32)
		__atomic_fetch_or(&pending, BIT(sig), __ATOMIC_SEQ_CST);
}

static void fill_context(ucontext_t *uc, const struct aion_upcall_context *c, uint64_t old)
{
	memset(uc, 0, sizeof(*uc));
	memcpy(&uc->uc_sigmask, &old, sizeof(old));
	if (!c)
		return;
	greg_t *g = uc->uc_mcontext.gregs;
	g[REG_R8] = (greg_t)c->r8; g[REG_R9] = (greg_t)c->r9; g[REG_R10] = (greg_t)c->r10;
	g[REG_R11] = (greg_t)c->r11; g[REG_R12] = (greg_t)c->r12; g[REG_R13] = (greg_t)c->r13;
	g[REG_R14] = (greg_t)c->r14; g[REG_R15] = (greg_t)c->r15; g[REG_RDI] = (greg_t)c->rdi;
	g[REG_RSI] = (greg_t)c->rsi; g[REG_RBP] = (greg_t)c->rbp; g[REG_RBX] = (greg_t)c->rbx;
	g[REG_RDX] = (greg_t)c->rdx; g[REG_RAX] = (greg_t)c->rax; g[REG_RCX] = (greg_t)c->rcx;
	g[REG_RSP] = (greg_t)c->rsp; g[REG_RIP] = (greg_t)c->rip; g[REG_EFL] = (greg_t)c->rflags;
}

/*
 * Stop and continue. A stop signal's default action: the thread that
 * takes it marks the process stopped, tells procd (its parent's wait and
 * SIGCHLD), rings every sibling, and waits; each sibling waits in its
 * upcall. SIGCONT's arrival (procd sends it even when ignored or
 * blocked) ends the stop before anything else in the upcall. A wait is
 * a futex wait the kernel cuts for a nested upcall: signals that come
 * meanwhile stay pending (the nested upcall waits too) until SIGCONT.
 */
static void park(void)
{
	while (__atomic_load_n(&stopped, __ATOMIC_SEQ_CST))
		aion_futex_wait((const uint32_t *)&stopped, 1, 0);
}

static void stop(int sig)
{
	if (!__atomic_exchange_n(&stopped, 1, __ATOMIC_SEQ_CST)) {
		__aion_proc_call(PROC_STOPPED, (uint64_t)sig, 0, 0, NULL);
		/* A SIGCONT that cut the call before procd took it came
		 * first: procd must not keep us stopped. */
		if (!__atomic_load_n(&stopped, __ATOMIC_SEQ_CST))
			__aion_proc_call(PROC_STOPPED, 0, 0, 0, NULL);
		__aion_thread_ring_all();
	}
	park();
}

static void go_on(void)
{
	uint64_t stops = DEFAULT_STOP;
	__atomic_fetch_and(&pending, ~stops, __ATOMIC_SEQ_CST);    /* POSIX: discarded */
	if (__atomic_exchange_n(&stopped, 0, __ATOMIC_SEQ_CST)) {
		aion_futex_wake((const uint32_t *)&stopped, UINT32_MAX);
		__aion_proc_call(PROC_STOPPED, 0, 0, 0, NULL);
	}
}

/*
 * sigaltstack: each thread's alternate stack (posix_sigthread), where a
 * handler of SA_ONSTACK runs unless the thread is on it already.
 */
void __aion_call_on_stack(uintptr_t top, void (*fn)(void *), void *arg) POSIX_HIDDEN;

static bool on_alt_stack(const struct posix_sigthread *me)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return me->alt_size && sp - me->alt_sp < me->alt_size;
}

static stack_t alt_stack(const struct posix_sigthread *me)
{
	return (stack_t){ .ss_sp = (void *)me->alt_sp, .ss_size = me->alt_size,
			  .ss_flags = !me->alt_size ? SS_DISABLE :
				      on_alt_stack(me) ? SS_ONSTACK : 0 };
}

long __aion_sigaltstack(const struct sigaltstack *ss, struct sigaltstack *old)
{
	struct posix_sigthread *me = __aion_sig_self();
	stack_t was = alt_stack(me);
	if (ss) {
		if (was.ss_flags & SS_ONSTACK)
			return -EPERM;
		/* SS_ONSTACK as a request means 0 (Linux keeps old programs). */
		if (ss->ss_flags & ~(SS_DISABLE | SS_ONSTACK))
			return -EINVAL;
		if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < MINSIGSTKSZ)
			return -ENOMEM;
		bool off = ss->ss_flags & SS_DISABLE;
		me->alt_sp = off ? 0 : (uintptr_t)ss->ss_sp;
		me->alt_size = off ? 0 : ss->ss_size;
	}
	if (old)
		*old = was;
	return 0;
}

/* A handler's call, made on this stack or on the alternate one. */
struct handler_call {
	int sig;
	const struct ksigaction *a;
	siginfo_t *info;                /* SA_SIGINFO: its info and context */
	ucontext_t *uc;
};

static void run_handler(void *p)
{
	const struct handler_call *c = p;
	if (c->info)
		((void (*)(int, siginfo_t *, void *))(void *)c->a->handler)(c->sig, c->info, c->uc);
	else
		c->a->handler(c->sig);
}

/*
 * Runs the caught sig's handler a (acts[sig] as it was) with sa_mask and
 * sig added to the mask; si: its info, or NULL to fill it (local: raised
 * here). The one path of act() and __aion_sig_sync.
 */
static void call_handler(int sig, struct ksigaction a, const siginfo_t *si, bool local,
			 const struct aion_upcall_context *ctx)
{
	struct posix_sigthread *me = __aion_sig_self();
	uint64_t old = me->mask;
	me->mask = (old | a.mask | (a.flags & SA_NODEFER ? 0 : BIT(sig))) & ~UNBLOCKABLE;
	if (a.flags & SA_RESETHAND) {
		acts[sig].handler = SIG_DFL;
		acts[sig].flags &= ~(unsigned long)SA_SIGINFO;
		tell_procd();
	}
	struct handler_call c = { .sig = sig, .a = &a };
	siginfo_t info;
	ucontext_t uc;
	if (a.flags & SA_SIGINFO) {
		if (si)
			info = *si;
		else
			fill_info(sig, local, &info);
		fill_context(&uc, ctx, old);
		uc.uc_stack = alt_stack(me);
		c.info = &info;
		c.uc = &uc;
	} else if (sig >= PROC_SIG_RT_FIRST && !si) {
		fill_info(sig, local, &info);   /* takes it off procd's queue */
	}
	if ((a.flags & SA_ONSTACK) && me->alt_size && !on_alt_stack(me))
		__aion_call_on_stack(me->alt_sp + me->alt_size, run_handler, &c);
	else
		run_handler(&c);
	me->mask = old;
}

/* Acts on one signal taken off the pending set. */
static void act(int sig, bool local, const struct aion_upcall_context *ctx)
{
	struct ksigaction a = acts[sig];

	if (a.handler == SIG_IGN)
		return;
	if (a.handler == SIG_DFL) {
		if (BIT(sig) & DEFAULT_STOP)
			stop(sig);
		else if (!(BIT(sig) & DEFAULT_NOTHING))
			__aion_sig_exit(sig);
		return;
	}
	/* Waits and blocking calls learn a handler ran (a fault's handler,
	 * __aion_sig_sync, interrupts nothing: the thread was running). */
	bump(&__aion_sig_handled);
	if (!(a.flags & SA_RESTART))
		bump(&__aion_sig_intr);
	call_handler(sig, a, NULL, local, ctx);
}

/*
 * A signal the calling thread's own instruction caused (sigfault.c): its
 * handler runs now, on this thread; false (nothing done) when it is
 * blocked, ignored or the default, which end the process (Linux). Upcalls
 * are unmasked first, as run_pending does, so a handler that siglongjmps
 * away leaves nothing masked.
 */
bool __aion_sig_sync(int sig, const siginfo_t *si, const struct aion_upcall_context *ctx)
{
	struct ksigaction a = acts[sig];

	if ((__aion_sig_self()->mask & BIT(sig)) || a.handler == SIG_IGN ||
	    a.handler == SIG_DFL)
		return false;
	aion_upcall_return(NULL);
	call_handler(sig, a, si, false, ctx);
	return true;
}

/*
 * A thread's real-time signals are counted (a tkill or raise of one
 * already pending is delivered twice): the count decides, the bit in
 * pending follows it. The marker counts, then sets the bit; a taker
 * that leaves the count at 0 clears the bit, then sets it again if a
 * marker counted meanwhile. So the bit is set whenever the count is not
 * 0, and a bit without a count is cleared by the next take. No lock:
 * an upcall may take while the interrupted code marks.
 */
void __aion_sig_mark(struct posix_sigthread *t, int sig)
{
	if (sig >= PROC_SIG_RT_FIRST)
		__atomic_add_fetch(&t->rt_count[sig - PROC_SIG_RT_FIRST], 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&t->pending, BIT(sig), __ATOMIC_SEQ_CST);
}

/* One of this thread's real-time sig, if its count has one. */
static bool take_rt(struct posix_sigthread *me, int sig)
{
	volatile uint32_t *n = &me->rt_count[sig - PROC_SIG_RT_FIRST];
	uint32_t c = __atomic_load_n(n, __ATOMIC_SEQ_CST);
	bool took = false;
	while (c && !(took = __atomic_compare_exchange_n(n, &c, c - 1, false, __ATOMIC_SEQ_CST,
							    __ATOMIC_SEQ_CST)))
		;
	if (!took || c == 1) {
		__atomic_fetch_and(&me->pending, ~BIT(sig), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(n, __ATOMIC_SEQ_CST))
			__atomic_fetch_or(&me->pending, BIT(sig), __ATOMIC_SEQ_CST);
	}
	return took;
}

/*
 * Takes one signal of want off this thread's pending set, else off the
 * process's: its number, 0 for none. Each is taken once, even when an
 * upcall runs this while the interrupted code was running it. local: it
 * was the thread's (a tkill: no procd info).
 */
static int take(uint64_t want, bool *local)
{
	struct posix_sigthread *me = __aion_sig_self();
	for (;;) {
		volatile uint64_t *from = &me->pending;
		uint64_t ready = me->pending & want;
		if (!ready) {
			from = &pending;
			ready = pending & want;
		}
		if (!ready)
			return 0;
		int sig = __builtin_ctzll(ready) + 1;
		if (from == &me->pending && sig >= PROC_SIG_RT_FIRST) {
			if (take_rt(me, sig)) {
				*local = true;
				return sig;
			}
		} else if (__atomic_fetch_and(from, ~BIT(sig), __ATOMIC_SEQ_CST) & BIT(sig)) {
			*local = from != &pending;
			return sig;
		}
	}
}

/* Every pending signal this thread's mask lets through. */
static void run_pending(const struct aion_upcall_context *ctx)
{
	bool local;
	int sig;
	while ((sig = take(~__aion_sig_self()->mask, &local)))
		act(sig, local, ctx);
}

/* What this thread may take, then the process's rest to a sibling. */
static void deliver(const struct aion_upcall_context *ctx)
{
	run_pending(ctx);
	uint64_t left = pending & __aion_sig_self()->mask;
	if (left)
		__aion_thread_offer(left);
}

/* The same, deferred from an upcall (thread.c's unlock). The caller's
 * message (or a reply it has not read yet) is kept aside: handlers may
 * make calls of their own. */
void __aion_sig_deliver(void)
{
	struct aion_ipc_buffer keep;
	__aion_vfs_buf_keep(&keep, 0);
	deliver(NULL);
	__aion_vfs_buf_keep(&keep, 1);
}

/* This thread was woken by a cancel since it last asked (thread.c). */
static __thread bool cancel_woken;

bool __aion_cancel_woken(void)
{
	bool was = cancel_woken;
	cancel_woken = false;
	return was;
}

void __aion_sig_upcall(struct aion_upcall_context *ctx, uint64_t bits)
{
	if (ctx->fault) {
		__aion_sig_fault(ctx);  /* sigfault.c; a fault's bits are 0 */
		return;
	}
	struct posix_sigthread *me = __aion_sig_self();
	/* A sibling rang (thread.c): a signal in our slot, or musl's cancel,
	 * which only wakes a blocked thread: its flag acts at the next
	 * cancellation point. Other bits are procd's, for the process. */
	if ((bits & DOORBELL) && __atomic_exchange_n(&me->cancel, 0, __ATOMIC_SEQ_CST))
		cancel_woken = true;
	bits &= ~DOORBELL;
	if (!bits && !me->pending && !(pending & ~me->mask) && !stopped)
		return;
	/* The interrupted code's message (or a reply it has not read yet)
	 * is kept aside: what follows may make calls. */
	struct aion_ipc_buffer keep;
	__aion_vfs_buf_keep(&keep, 0);
	if (bits & BIT(SIGCONT))
		go_on();
	else if (bits & DEFAULT_STOP)
		__atomic_fetch_and(&pending, ~BIT(SIGCONT), __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&pending, bits, __ATOMIC_SEQ_CST);
	bump(&__aion_sig_arrivals);
	aion_futex_wake((const uint32_t *)&__aion_sig_arrivals, UINT32_MAX);
	aion_upcall_return(NULL);       /* more may come, nested, from here on */
	park();                         /* stopped: until SIGCONT */
	if (__aion_sig_may_run())
		deliver(ctx);
	/* A pipe read about to wait on its notification wakes and sees the
	 * handler ran (pipe.c); a poll merely asks its fds again. */
	__aion_poll_note_wake();
	__aion_vfs_buf_keep(&keep, 1);
}

void __aion_sig_start(int forked)
{
	if (forked) {                   /* pending signals are not inherited */
		pending = 0;
		__aion_sig_self()->pending = 0;
		memset((void *)__aion_sig_self()->rt_count, 0, sizeof(__aion_sig_self()->rt_count));
	}
	if (__aion_proc_ep) {
		aion_upcall_set((uint64_t)__aion_sig_entry, AION_UPCALL_FAULTS);
		tell_procd();           /* what an exec or spawn kept ignored */
	}
}

/* What an exec keeps (POSIX): ignored signals stay ignored, caught ones
 * go back to SIG_DFL (the handlers are the old image's), the mask stays. */
void __aion_sig_kept(uint64_t *ignored, uint64_t *blocked)
{
	*ignored = 0;
	for (int s = 1; s <= SIG_COUNT; s++)
		if (acts[s].handler == SIG_IGN)
			*ignored |= BIT(s);
	*blocked = __aion_sig_self()->mask;
}

/* At start, from the exec block (before constructors: tell_procd waits). */
void __aion_sig_inherit(uint64_t ignored, uint64_t blocked)
{
	for (int s = 1; s <= SIG_COUNT; s++)
		if (ignored & BIT(s) & ~UNBLOCKABLE)
			acts[s].handler = SIG_IGN;
	__aion_sig_first()->mask = blocked & ~UNBLOCKABLE;
}

/*
 * A program's entry is registered only once musl has set up its thread
 * pointer (constructors run after __init_tls): the handlers' C code reads
 * thread-local state, and an upcall before that faulted at %fs:-8. A
 * signal that comes earlier finds no entry, so procd applies its default
 * action, as for a program that has installed no handler yet. (A forked
 * child sets its thread pointer first, then calls __aion_sig_start.)
 */
__attribute__((constructor)) static void sig_start_at_init(void)
{
	__aion_sig_start(0);
}

/* --- the calls --- */

long __aion_rt_sigaction(long sig, const void *sa, void *old, long size)
{
	if (size != sizeof(uint64_t) || sig < 1 || sig > SIG_COUNT)
		return -EINVAL;
	if (sa && (BIT(sig) & UNBLOCKABLE))
		return -EINVAL;
	struct ksigaction prev = acts[sig];
	if (sa) {
		memcpy(&acts[sig], sa, sizeof(acts[sig]));
		acts[sig].mask &= ~UNBLOCKABLE;
		void (*h)(int) = acts[sig].handler;
		/* A pending signal now ignored is discarded (POSIX). */
		if (h == SIG_IGN || (h == SIG_DFL && (BIT(sig) & DEFAULT_NOTHING))) {
			__atomic_fetch_and(&pending, ~BIT(sig), __ATOMIC_SEQ_CST);
			__atomic_fetch_and(&__aion_sig_self()->pending, ~BIT(sig),
					   __ATOMIC_SEQ_CST);
			if (sig >= PROC_SIG_RT_FIRST)
				__aion_sig_self()->rt_count[sig - PROC_SIG_RT_FIRST] = 0;
		}
		tell_procd();
	}
	if (old)
		memcpy(old, &prev, sizeof(prev));
	return 0;
}

long __aion_rt_sigprocmask(long how, const uint64_t *set, uint64_t *old, long size)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	struct posix_sigthread *me = __aion_sig_self();
	uint64_t prev = me->mask;
	if (set) {
		uint64_t s = *set;
		switch (how) {
		case SIG_BLOCK: s |= prev; break;
		case SIG_UNBLOCK: s = prev & ~s; break;
		case SIG_SETMASK: break;
		default: return -EINVAL;
		}
		me->mask = s & ~UNBLOCKABLE;
	}
	if (old)
		*old = prev;
	run_pending(NULL);
	return 0;
}

long __aion_rt_sigpending(uint64_t *set, long size)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	*set = pending | __aion_sig_self()->pending;
	return 0;
}

long __aion_rt_sigsuspend(const uint64_t *set, long size)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	struct posix_sigthread *me = __aion_sig_self();
	uint64_t prev = me->mask;
	uint32_t handled = __aion_sig_handled;
	me->mask = *set & ~UNBLOCKABLE;
	for (;;) {
		uint32_t seen = __aion_sig_arrivals;
		run_pending(NULL);
		if (__aion_sig_handled != handled)
			break;
		/* Ends on an arrival (the word moved) or an upcall (EINTR). */
		aion_futex_wait((const uint32_t *)&__aion_sig_arrivals, seen, 0);
	}
	me->mask = prev;
	run_pending(NULL);
	return -EINTR;
}

long __aion_rt_sigtimedwait(const uint64_t *set, void *infop, const struct timespec *ts,
			    long size)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	siginfo_t *info = infop;
	uint64_t want = *set & ~UNBLOCKABLE, deadline = 0;
	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = aion_clock_ns() + (uint64_t)ts->tv_sec * 1000000000ull +
			   (uint64_t)ts->tv_nsec;
	}
	/* The waited-for signals are blocked while we wait, as on Linux:
	 * one that comes is ours to take, its handler does not run. */
	struct posix_sigthread *me = __aion_sig_self();
	uint64_t mask = me->mask;
	me->mask = mask | want;
	uint32_t handled = __aion_sig_handled;
	long r;
	for (;;) {
		uint32_t seen = __aion_sig_arrivals;
		bool local;
		int sig = take(want, &local);
		if (sig) {
			siginfo_t none;
			fill_info(sig, local, info ? info : &none);   /* off procd's queue */
			r = sig;
			break;
		}
		if (__aion_sig_handled != handled) {
			r = -EINTR;
			break;
		}
		if ((ts && aion_clock_ns() >= deadline) ||
		    aion_futex_wait((const uint32_t *)&__aion_sig_arrivals, seen,
				    ts ? deadline : 0) == -AION_ETIMEDOUT) {
			r = -EAGAIN;
			break;
		}
	}
	me->mask = mask;
	if ((pending | me->pending) & ~mask)
		deliver(NULL);          /* what came meanwhile for the handlers */
	return r;
}

/* tkill of the calling thread: pending now, run before we return. */
long __aion_sig_raise(long sig)
{
	if (sig < 0 || sig > SIG_COUNT)
		return -EINVAL;
	if (!sig)
		return 0;
	if (BIT(sig) & UNBLOCKABLE)
		return __aion_kill(__aion_getpid(), sig);
	__aion_sig_mark(__aion_sig_self(), (int)sig);
	bump(&__aion_sig_arrivals);
	run_pending(NULL);
	return 0;
}

/* pause: sigsuspend with the mask as it is. */
long __aion_pause(void)
{
	uint64_t m = __aion_sig_self()->mask;
	return __aion_rt_sigsuspend(&m, sizeof(m));
}

/* --- ITIMER_REAL through procd (PROC_ALARM): SIGALRM when it expires --- */

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000ull;
}

static void ns_tv(uint64_t ns, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ns / 1000000000ull);
	tv->tv_usec = (suseconds_t)(ns % 1000000000ull / 1000ull);
}

static long itimer(long which, const struct itimerval *in, struct itimerval *old)
{
	if (which != ITIMER_REAL)
		return -EINVAL;         /* the CPU-time timers: not kept */
	uint64_t first = 0, every = 0, old_every = 0;
	if (in) {
		if (in->it_value.tv_sec < 0 || in->it_value.tv_usec < 0 ||
		    in->it_value.tv_usec >= 1000000 || in->it_interval.tv_sec < 0 ||
		    in->it_interval.tv_usec < 0 || in->it_interval.tv_usec >= 1000000)
			return -EINVAL;
		first = tv_ns(&in->it_value);
		every = tv_ns(&in->it_interval);
	}
	long left = __aion_proc_call(PROC_ALARM, first, every, in ? 0 : 1, &old_every);
	if (left < 0)
		return left;
	if (old) {
		ns_tv((uint64_t)left, &old->it_value);
		ns_tv(old_every, &old->it_interval);
	}
	return 0;
}

long __aion_setitimer(long which, const void *in, void *old)
{
	return itimer(which, in, old);
}

long __aion_getitimer(long which, void *cur)
{
	return itimer(which, NULL, cur);
}
