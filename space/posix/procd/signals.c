/*
 * procd's part of signals (docs/posix.md "Signals"): sending one to a
 * process's POSIX layer by interrupting its first thread (procd holds
 * that thread's CONTROL capability: it made it), keeping who sent it for
 * PROC_SIGINFO, and SIGCHLD to a parent that catches it.
 */
#include "procd.h"

#define SIG_CHLD        17
#define SIG_CONT        18
#define SIG_MAX         64
#define CLD_EXITED      1               /* Linux's si_code values */
#define CLD_KILLED      2

/* Interrupts p's first thread with sig: false when it cannot take it. */
static bool ring(struct proc *p, int32_t sig, bool cut_wait)
{
	if (p->state != PROC_LIVE || !p->started || !p->thread)
		return false;
	int64_t err = aion_thread_interrupt((aion_handle_t)p->thread, 1ull << (sig - 1));
	if (err) {
		/* No entry registered yet (a program before its start, or one
		 * without the POSIX layer): the caller falls back to the default. */
		return false;
	}
	if (cut_wait && p->waiting) {
		/* Its WAIT4 ends EINTR; the POSIX layer waits again unless a
		 * handler without SA_RESTART ran. */
		struct aion_msg m = { .w = { (uint64_t)(int64_t)-PROC_EINTR, 0, 0 } };
		aion_reply_to((aion_handle_t)p->wait_reply, &m);
		aion_handle_close((aion_handle_t)p->wait_reply);
		p->waiting = false;
	}
	return true;
}

bool procd_signal(struct proc *p, int32_t sig, int32_t from, int32_t code, int32_t status,
		  bool cut_wait)
{
	if (!ring(p, sig, cut_wait))
		return false;
	p->sig_kept |= 1ull << (sig - 1);
	p->sig_from[sig - 1] = from;
	p->sig_what[sig - 1] = (uint32_t)code | (uint64_t)(uint32_t)status << 32;
	return true;
}

static unsigned queued(const struct proc *p, int32_t sig)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->sigq_n; i++)
		n += p->sigq[i].sig == sig;
	return n;
}

int64_t procd_queue(struct proc *p, int32_t sig, int32_t from, int32_t code, uint64_t value)
{
	/* Another than a real-time signal is pending once: one more adds nothing. */
	bool again = sig < PROC_SIG_RT_FIRST && queued(p, sig);
	if (!again && p->sigq_n == PROC_SIGQ_MAX)
		return -PROC_EAGAIN;
	if (!ring(p, sig, true))
		return 0;
	if (!again)
		p->sigq[p->sigq_n++] = (struct proc_sigq){ .sig = (uint8_t)sig, .from = from,
							   .code = code, .value = value };
	return 1;
}

void procd_child_ended(const struct proc *child, int32_t ppid, int32_t status)
{
	struct proc *parent = proc_live(&procd_table, ppid);
	if (!parent || !(parent->sig_caught & (1ull << (SIG_CHLD - 1))))
		return;                 /* ignored by default */
	bool killed = (status & 0x7f) != 0;
	procd_signal(parent, SIG_CHLD, child->pid, killed ? CLD_KILLED : CLD_EXITED,
		     killed ? status & 0x7f : (status >> 8) & 0xff, false);
}

int64_t procd_stopped(struct proc *c, uint64_t sig)
{
	if (sig > SIG_MAX)
		return -PROC_EINVAL;
	int32_t code = proc_stopped(c, (int32_t)sig);
	if (code < 0)
		return code;
	if (code)
		aion_printf("procd: pid=%d %s sig=%d", c->pid,
			    sig ? "stopped" : "continued", sig ? (int)sig : SIG_CONT);
	struct proc *parent = proc_live(&procd_table, c->ppid);
	if (code && parent && (parent->sig_caught & (1ull << (SIG_CHLD - 1))) && !parent->nocldstop)
		procd_signal(parent, SIG_CHLD, c->pid, code, sig ? (int32_t)sig : SIG_CONT, false);
	return 0;
}

int64_t procd_siginfo(struct proc *c, uint64_t sig, uint64_t *what, uint64_t *value)
{
	*value = 0;
	for (unsigned i = 0; sig >= 1 && sig <= SIG_MAX && i < c->sigq_n; i++) {
		if (c->sigq[i].sig != sig)
			continue;
		struct proc_sigq e = c->sigq[i];
		memmove(&c->sigq[i], &c->sigq[i + 1], (c->sigq_n - i - 1) * sizeof(e));
		c->sigq_n--;
		*what = (uint32_t)e.code | (uint64_t)queued(c, (int32_t)sig) << 32;
		*value = e.value;
		return e.from;
	}
	if (sig < 1 || sig > 64 || !(c->sig_kept & (1ull << (sig - 1))))
		return -PROC_EAGAIN;
	*what = c->sig_what[sig - 1];
	c->sig_kept &= ~(1ull << (sig - 1));
	return c->sig_from[sig - 1];
}

/* --- SIGALRM: setitimer(ITIMER_REAL) kept by procd --- */

#define SIG_ALRM        14
#define SI_KERNEL       0x80

int64_t procd_alarm(struct proc *c, uint64_t first, uint64_t every, bool read_only,
		    uint64_t *old_every)
{
	uint64_t now = aion_clock_ns();
	int64_t left = c->alarm_at ? (int64_t)(c->alarm_at > now ? c->alarm_at - now : 1) : 0;
	*old_every = c->alarm_every;
	if (!read_only) {
		c->alarm_at = first ? now + first : 0;
		c->alarm_every = first ? every : 0;
	}
	return left;
}

uint64_t procd_alarms_due(void)
{
	uint64_t now = aion_clock_ns(), next = 0;
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *p = &procd_table.p[i];
		if (p->state != PROC_LIVE || !p->alarm_at)
			continue;
		if (p->alarm_at <= now) {
			p->alarm_at = p->alarm_every ? now + p->alarm_every : 0;
			enum proc_sig_route r = proc_sig_route(p, SIG_ALRM);
			if (r == PROC_ROUTE_SEND && !procd_signal(p, SIG_ALRM, 0, SI_KERNEL, 0, true))
				procd_finish(p, proc_status_signal(SIG_ALRM));
			if (p->state != PROC_LIVE || !p->alarm_at)
				continue;
		}
		if (!next || p->alarm_at < next)
			next = p->alarm_at;
	}
	return next ? (next > now ? next - now : 1) : 0;
}
