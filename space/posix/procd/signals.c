/*
 * procd's part of signals (docs/posix.md "Signals"): sending one to a
 * process's POSIX layer by interrupting its first thread (procd holds
 * that thread's CONTROL capability: it made it), keeping who sent it for
 * PROC_SIGINFO, and SIGCHLD to a parent that catches it.
 */
#include "procd.h"

#define SIG_CHLD        17
#define CLD_EXITED      1               /* Linux's si_code values */
#define CLD_KILLED      2

bool procd_signal(struct proc *p, int32_t sig, int32_t from, int32_t code, int32_t status,
		  bool cut_wait)
{
	if (p->state != PROC_LIVE || !p->started || !p->thread)
		return false;
	int64_t err = aion_thread_interrupt((aion_handle_t)p->thread, 1ull << (sig - 1));
	if (err) {
		/* No entry registered yet (a program before its start, or one
		 * without the POSIX layer): the caller falls back to the default. */
		return false;
	}
	p->sig_from[sig - 1] = from;
	p->sig_what[sig - 1] = (uint32_t)code | (uint64_t)(uint32_t)status << 32;
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

void procd_child_ended(const struct proc *child, int32_t status)
{
	struct proc *parent = proc_live(&procd_table, child->ppid);
	if (!parent || !(parent->sig_caught & (1ull << (SIG_CHLD - 1))))
		return;                 /* ignored by default */
	bool killed = (status & 0x7f) != 0;
	procd_signal(parent, SIG_CHLD, child->pid, killed ? CLD_KILLED : CLD_EXITED,
		     killed ? status & 0x7f : (status >> 8) & 0xff, false);
}

int64_t procd_siginfo(struct proc *c, uint64_t sig, uint64_t *what)
{
	if (sig < 1 || sig > 64 || !c->sig_from[sig - 1])
		return -PROC_EAGAIN;
	int32_t from = c->sig_from[sig - 1];
	*what = c->sig_what[sig - 1];
	c->sig_from[sig - 1] = 0;
	return from;
}
