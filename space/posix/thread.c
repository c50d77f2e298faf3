/*
 * Threads for musl's pthreads (docs/posix.md, Threads): clone, the
 * thread pointer, futex, thread ids and the exit of one thread, over the
 * kernel's THREAD_CREATE, THREAD_SET_TLS and FUTEX_WAIT/FUTEX_WAKE. Every
 * thread of a process is a thread of the program's own unit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>
#include "aion/upcall.h"
#include "libaion/sys.h"
#include "posix.h"

/* Linux's futex operations (no musl header installs them). */
#define FUTEX_WAIT              0
#define FUTEX_WAKE              1
#define FUTEX_REQUEUE           3
#define FUTEX_CMP_REQUEUE       4
#define FUTEX_CMD_MASK          0x7f    /* without PRIVATE (128), CLOCK_REALTIME (256) */

/*
 * Thread ids are unique across the node's processes, as on Linux: musl
 * keeps the owner's tid in a mutex, and a process-shared mutex in shared
 * memory must not take a thread of another process for its owner. The
 * first thread's tid is the pid; the n-th made after it is pid + n *
 * TID_STRIDE (pids stay below it: PROC_PID_MAX), under musl's 30 bits.
 */
#define TID_STRIDE              32768
#define TID_SERIALS             32767   /* then they wrap to 1 */
#define CLONE_NEEDS             (CLONE_VM | CLONE_THREAD)

/*
 * The process's threads, for signals (signal.c, docs/posix.md "Signals"
 * and "Threads"): each slot holds a thread's tid, a handle to it (so a
 * sibling can interrupt it) and its signal state, which its siblings read
 * (its mask, when a process signal looks for a thread to take it) and
 * write (a tkill's pending bit, a cancel). Slot 0 is the first thread's:
 * its handle comes from THREAD_SELF when it makes its first thread (its
 * creator, procd, holds the other). A thread that finds the table full
 * keeps its state in its TLS: it takes the process's signals, but a
 * tkill to it goes to the process.
 *
 * A futex lock guards the table, so no one interrupts a handle a
 * thread's end has closed (its number may name something else by then);
 * it waits, never spins: threads of one priority do not preempt each
 * other. While a thread holds it, that thread's upcalls only mark
 * signals pending; the unlock runs them (a handler's pthread_kill would
 * take the lock again).
 */
#define THREADS_MAX             128
static struct {
	int tid;
	aion_handle_t h;
	struct posix_sigthread sig;
} threads[THREADS_MAX];
static volatile uint32_t threads_lock;

/*
 * What the POSIX layer knows of the calling thread: in its TLS, so each
 * thread has its own from its first instruction (clone sets the FS base
 * before the thread starts). ctid: the word set_tid_address or
 * CLONE_CHILD_CLEARTID named, cleared and woken when the thread exits.
 * sig: its signal state (NULL: the first thread's, slot 0); own: where
 * it is when the table was full.
 */
static __thread struct {
	int tid;
	volatile int *ctid;
	struct posix_sigthread *sig;
	bool locked, deferred;
	struct posix_sigthread own;
} self;

static int next_serial = 1;

/* The pid, or 1 for a program that runs without procd. */
static int tid_base(void)
{
	long pid = __aion_getpid();
	return pid > 0 ? (int)pid : 1;
}

struct posix_sigthread *__aion_sig_first(void)
{
	return &threads[0].sig;
}

struct posix_sigthread *__aion_sig_self(void)
{
	return self.sig ? self.sig : &threads[0].sig;
}

static void table_lock(void)
{
	while (__atomic_exchange_n(&threads_lock, 1, __ATOMIC_ACQUIRE))
		aion_futex_wait((const uint32_t *)&threads_lock, 1, 0);
	self.locked = true;
}

static void table_unlock(void)
{
	self.locked = false;
	__atomic_store_n(&threads_lock, 0, __ATOMIC_RELEASE);
	aion_futex_wake((const uint32_t *)&threads_lock, 1);
	if (self.deferred) {
		self.deferred = false;
		__aion_sig_deliver();
	}
}

/* The upcall asks: may signals run now? If not, the unlock runs them. */
bool __aion_sig_may_run(void)
{
	if (self.locked)
		self.deferred = true;
	return !self.locked;
}

/* A slot for tid with handle h and a new thread's mask; NULL: full. */
static struct posix_sigthread *remember(int tid, aion_handle_t h, uint64_t mask)
{
	struct posix_sigthread *sig = NULL;
	table_lock();
	for (unsigned i = 1; i < THREADS_MAX; i++)
		if (!threads[i].tid) {
			threads[i].tid = tid;
			threads[i].h = h;
			threads[i].sig = (struct posix_sigthread){ .mask = mask };
			sig = &threads[i].sig;
			break;
		}
	table_unlock();
	return sig;
}

/* At a thread's end (or its start's failure): its slot and handle go. */
static void forget_tid(int tid)
{
	aion_handle_t h = 0;
	table_lock();
	for (unsigned i = 1; i < THREADS_MAX; i++)
		if (threads[i].tid == tid && tid) {
			h = threads[i].h;
			threads[i].tid = 0;
			break;
		}
	table_unlock();
	if (h)
		aion_handle_close(h);
}

/* The doorbell: the thread's upcall looks at its slot (signal.c). */
#define DOORBELL                (1ull << (POSIX_SIGCANCEL - 1))

/*
 * A signal (bits, or none) and maybe a cancel for thread tid: marked in
 * its slot, then the thread interrupted, so a blocked futex wait or
 * sleep of it ends -EINTR and its upcall runs what it does not block.
 * -ESRCH: no such thread in the table.
 */
long __aion_thread_signal(long tid, int sig, bool cancel)
{
	long r = -ESRCH;
	table_lock();
	for (unsigned i = 0; i < THREADS_MAX; i++)
		if (threads[i].tid == tid && threads[i].h) {
			if (sig)
				__aion_sig_mark(&threads[i].sig, sig);
			if (cancel)
				__atomic_store_n(&threads[i].sig.cancel, 1, __ATOMIC_SEQ_CST);
			/* An error: it has ended, or has no entry yet (it runs
			 * what is pending at its first sigprocmask, musl's start). */
			aion_thread_interrupt(threads[i].h, DOORBELL);
			r = 0;
			break;
		}
	table_unlock();
	return r;
}

/* A thread's CPU time, the caller's or a sibling's; -EINVAL: none such. */
int __aion_thread_cpu_ns(long tid, uint64_t *ns)
{
	struct aion_thread_info info;
	int64_t err = -AION_ENOENT;
	if (tid == __aion_gettid()) {
		err = aion_thread_info(AION_HANDLE_SELF, &info);
	} else {
		table_lock();
		for (unsigned i = 0; i < THREADS_MAX; i++)
			if (threads[i].tid == tid && threads[i].h) {
				err = aion_thread_info(threads[i].h, &info);
				break;
			}
		table_unlock();
	}
	if (err)
		return -EINVAL;
	*ns = info.cpu_ns;
	return 0;
}

/* Every sibling's upcall runs (a stop: each waits there). */
void __aion_thread_ring_all(void)
{
	struct posix_sigthread *me = __aion_sig_self();
	table_lock();
	for (unsigned i = 0; i < THREADS_MAX; i++)
		if (threads[i].tid && threads[i].h && &threads[i].sig != me)
			aion_thread_interrupt(threads[i].h, DOORBELL);
	table_unlock();
}

/*
 * A process signal the calling thread blocks goes to a thread that does
 * not (POSIX: any one of them); the bits stay in the process's pending
 * set, and that thread's upcall takes them. No such thread: they wait
 * there until one unblocks them or a sigwait takes them.
 */
void __aion_thread_offer(uint64_t bits)
{
	struct posix_sigthread *me = __aion_sig_self();
	table_lock();
	for (unsigned i = 0; i < THREADS_MAX && bits; i++) {
		struct posix_sigthread *t = &threads[i].sig;
		if (!threads[i].tid || !threads[i].h || t == me || !(bits & ~t->mask))
			continue;
		if (!aion_thread_interrupt(threads[i].h, DOORBELL))
			bits &= t->mask;
	}
	table_unlock();
}

/* What a new thread finds at the top of its stack (clone below). */
struct clone_start {
	int (*fn)(void *);
	void *arg;
	volatile int *ctid;
	int tid;
	struct posix_sigthread *sig;    /* its slot; NULL: the table was full */
	uint64_t mask;                  /* its creator's, as on Linux */
};

void __aion_clone_entry(void) POSIX_HIDDEN;     /* start.S */

static long errno_of(int64_t aion_err)
{
	switch (aion_err) {
	case -AION_EAGAIN: return -EAGAIN;
	case -AION_ETIMEDOUT: return -ETIMEDOUT;
	case -AION_EINTR: return -EINTR;
	case -AION_EFAULT: return -EFAULT;
	case -AION_ENOMEM: case -AION_ENOSPC: return -EAGAIN;
	default: return -EINVAL;
	}
}

long __aion_gettid(void)
{
	return self.tid ? self.tid : tid_base();
}

long __aion_set_tid_address(int *ctid)
{
	self.ctid = ctid;
	return __aion_gettid();
}

long __aion_set_tls(uintptr_t base)
{
	return aion_thread_set_tls(AION_HANDLE_SELF, base) ? -EPERM : 0;
}

/*
 * Ends the calling thread; its tid word ctid (if any) is cleared and
 * woken last, with no stack use after the store: a joiner may unmap this
 * stack as soon as it sees the word clear (musl's pthread_join,
 * __tl_sync). The kernel need not do it: THREAD_EXIT takes only registers.
 */
static _Noreturn void exit_clearing(volatile int *ctid, long code)
{
	if (!ctid)
		aion_thread_exit(code);
	__asm__ volatile("movl $0, (%[w])\n\t"
			 "movq %[w], %%rdi\n\t"
			 "movl $0x7fffffff, %%esi\n\t"
			 "movl %[wake], %%eax\n\t"
			 "syscall\n\t"
			 "movq %[code], %%rdi\n\t"
			 "movl %[exit], %%eax\n\t"
			 "syscall\n\t"
			 "ud2"
			 :
			 : [w] "r"(ctid), [code] "r"(code), [wake] "i"(AION_SYS_FUTEX_WAKE),
			   [exit] "i"(AION_SYS_THREAD_EXIT)
			 : "rax", "rcx", "r11", "rdi", "rsi", "memory");
	__builtin_unreachable();
}

/* SYS_exit: this thread only. */
_Noreturn void __aion_thread_exit(long code)
{
	forget_tid(self.tid);
	__aion_vfs_thread_end();
	exit_clearing(self.ctid, code);
}

/*
 * A detached thread's end (musl's __unmapself, the overlay's
 * src/thread/aion_x86_64/__unmapself.c): its stack and TLS go, then the
 * thread. munmap is C and needs a stack, and the exit needs the tid word,
 * which lives in the TLS: both move to static storage first. One thread
 * at a time gets here: it holds musl's thread list lock, which is its
 * tid word, until exit_clearing releases it (as musl's own generic
 * __unmapself relies on).
 */
static char dying_stack[1024] __attribute__((aligned(16)));
static struct {
	uintptr_t base;
	size_t size;
	volatile int *ctid;
} dying;

static _Noreturn void unmap_and_exit(void)
{
	__aion_munmap(dying.base, dying.size);
	exit_clearing(dying.ctid, 0);
}

_Noreturn void __aion_unmapself(void *base, size_t size)
{
	forget_tid(self.tid);           /* while its TLS is there */
	__aion_vfs_thread_end();
	dying.base = (uintptr_t)base;
	dying.size = size;
	dying.ctid = self.ctid;
	/* call, not jmp: unmap_and_exit starts with the stack the ABI wants. */
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "call *%1"
			 : : "r"(dying_stack + sizeof(dying_stack)), "r"(unmap_and_exit)
			 : "memory");
	__builtin_unreachable();
}

/* The new thread's first C function (start.S: __aion_clone_entry). */
_Noreturn void __aion_clone_run(struct clone_start *st) POSIX_HIDDEN;
_Noreturn void __aion_clone_run(struct clone_start *st)
{
	self.tid = st->tid;
	self.ctid = st->ctid;
	self.own.mask = st->mask;
	self.sig = st->sig ? st->sig : &self.own;
	aion_upcall_set((uint64_t)__aion_sig_entry, AION_UPCALL_FAULTS); /* its signals, a cancel's wake, faults */
	__aion_thread_exit(st->fn(st->arg));
}

/* Priority of new threads: the unit's highest, where its parent starts it. */
static unsigned thread_prio(void)
{
	static unsigned prio;
	struct aion_unit_info info;

	if (!prio && !aion_unit_info(AION_HANDLE_SELF, &info))
		prio = info.max_prio ? info.max_prio : 1;
	return prio;
}

/*
 * musl's __clone(fn, stack, flags, arg, ptid, tls, ctid) for pthread_create
 * only: a thread of this unit (CLONE_VM | CLONE_THREAD); anything else,
 * a new process, is not a thread (-ENOSYS; the process server will do it).
 */
int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	int *ptid = va_arg(ap, int *);
	void *tls = va_arg(ap, void *);
	int *ctid = va_arg(ap, int *);
	va_end(ap);

	if ((flags & CLONE_NEEDS) != CLONE_NEEDS)
		return -ENOSYS;
	if (!self.sig && !threads[0].h) {
		/* The first thread makes its first sibling: from now on they
		 * may signal it, so it needs a handle to itself. */
		int64_t me = aion_thread_self();
		if (me < 0)
			return (int)errno_of(me);
		table_lock();
		threads[0].tid = tid_base();
		threads[0].h = (aion_handle_t)me;
		table_unlock();
	}
	uintptr_t top = ((uintptr_t)stack - sizeof(struct clone_start)) & ~(uintptr_t)15;
	struct clone_start *st = (struct clone_start *)top;
	st->fn = fn;
	st->arg = arg;
	st->ctid = flags & CLONE_CHILD_CLEARTID ? ctid : NULL;
	int serial = __atomic_fetch_add(&next_serial, 1, __ATOMIC_RELAXED);
	st->tid = tid_base() + ((serial - 1) % TID_SERIALS + 1) * TID_STRIDE;

	int64_t h = aion_thread_create(AION_HANDLE_SELF, (uint64_t)__aion_clone_entry, top,
				       (uint64_t)st, thread_prio());
	if (h < 0)
		return (int)errno_of(h);
	int64_t err = flags & CLONE_SETTLS ? aion_thread_set_tls((aion_handle_t)h, (uint64_t)tls) : 0;
	if (!err && (flags & CLONE_PARENT_SETTID))
		*ptid = st->tid;
	int tid = st->tid;              /* st is the new thread's once it starts */
	if (err) {
		aion_handle_close((aion_handle_t)h);
		return (int)errno_of(err);
	}
	st->mask = __aion_sig_self()->mask;
	st->sig = remember(tid, (aion_handle_t)h, st->mask);   /* before it can end */
	if (!st->sig)
		aion_handle_close((aion_handle_t)h);
	err = aion_thread_start((aion_handle_t)h);
	if (err)
		forget_tid(tid);
	return err ? (int)errno_of(err) : tid;
}

/*
 * tkill. pthread_cancel sets the target's cancel flag, then sends
 * POSIX_SIGCANCEL to interrupt it; the flag acts at the target's next
 * cancellation point (__syscall_cp_asm, the overlay), and the signal
 * only wakes the target if a futex wait or a sleep blocks it (a call a
 * server has taken is not cut: docs/posix.md, Threads). Any other
 * signal to the calling thread runs at once (signal.c); to another, it
 * is pending for that thread, which its upcall runs unless it blocks it
 * (docs/posix.md, Signals). SIGKILL and SIGSTOP act on the process, and
 * a thread outside the table (it was full) gets the process's signal.
 */
long __aion_tkill(long tid, long sig)
{
	if (tid <= 0 || tid % TID_STRIDE != tid_base() % TID_STRIDE)
		return -ESRCH;          /* not a thread of this process */
	if (sig < 0 || sig > 64)
		return -EINVAL;
	if (tid == __aion_gettid())
		return sig == POSIX_SIGCANCEL ? 0 : __aion_sig_raise(sig);
	if (sig == POSIX_SIGCANCEL) {
		__aion_thread_signal(tid, 0, true);     /* gone: nothing to wake */
		return 0;
	}
	if (sig == SIGKILL || sig == SIGSTOP)
		return __aion_kill(__aion_getpid(), sig);
	long r = __aion_thread_signal(tid, (int)sig, false);
	return r == -ESRCH ? __aion_kill(__aion_getpid(), sig) : r;
}

/* Relative timeout to a monotonic deadline; 0: none; -1: invalid. */
static int64_t deadline_of(const struct timespec *ts)
{
	if (!ts)
		return 0;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
		return -1;
	uint64_t ns = (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
	if (ns > INT64_MAX / 2)
		return 0;               /* centuries: as good as none */
	return (int64_t)(aion_clock_ns() + ns + (ns == 0));
}

/*
 * SYS_futex: every futex is private to the unit (one process is one
 * unit), so the PRIVATE flag changes nothing. REQUEUE wakes instead of
 * moving (a woken waiter rechecks and waits again where it must).
 * -EINTR when an upcall cuts the wait (a signal, a cancel's wake).
 */
long __aion_futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3)
{
	int64_t r;

	(void)uaddr2;
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT: {
		int64_t deadline = deadline_of(ts);
		if (deadline < 0)
			return -EINVAL;
		r = aion_futex_wait((const uint32_t *)uaddr, (uint32_t)val, (uint64_t)deadline);
		return r ? errno_of(r) : 0;
	}
	case FUTEX_CMP_REQUEUE:
		if (*uaddr != val3)
			return -EAGAIN;
		/* fall through */
	case FUTEX_REQUEUE: {
		/* ts carries val2, the number to requeue (Linux's ABI). */
		uint64_t n = (uint64_t)(unsigned)val + (uint64_t)(uintptr_t)ts;
		val = n > INT_MAX ? INT_MAX : (int)n;
	}
		/* fall through */
	case FUTEX_WAKE:
		r = aion_futex_wake((const uint32_t *)uaddr, val < 0 ? 0 : (uint32_t)val);
		return r < 0 ? errno_of(r) : r;
	default:
		return -ENOSYS;
	}
}

/* A forked child: the forking thread is its first (tid: the child's
 * pid), and the parent's other threads are not there. */
void __aion_thread_forked(void)
{
	uint64_t mask = __aion_sig_self()->mask;
	/* The parent's handles are not ours; its lock may have been held. */
	memset(threads, 0, sizeof(threads));
	threads_lock = 0;
	threads[0].sig.mask = mask;
	self.tid = 0;
	self.sig = NULL;
	self.locked = self.deferred = false;
}
