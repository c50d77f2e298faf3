/*
 * procd's process table (table.h): pure logic, run by procd and by the
 * host's unit tests.
 */
#include <stddef.h>
#include <string.h>
#include "table.h"

/* Linux's signal numbers (x86_64), the ones whose default action differs. */
#define SIG_ILL         4
#define SIG_TRAP        5
#define SIG_BUS         7
#define SIG_FPE         8
#define SIG_SEGV        11
#define SIG_CHLD        17
#define SIG_CONT        18
#define SIG_STOP        19
#define SIG_TSTP        20
#define SIG_TTIN        21
#define SIG_TTOU        22
#define SIG_URG         23
#define SIG_WINCH       28
#define SIG_MAX         64

void proc_table_init(struct proc_table *t)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		t->p[i] = (struct proc){ .state = PROC_FREE };
	t->next_pid = PROC_PID_REAPER + 1;
}

struct proc *proc_find(struct proc_table *t, int32_t pid)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (t->p[i].state != PROC_FREE && t->p[i].pid == pid)
			return &t->p[i];
	return NULL;
}

struct proc *proc_live(struct proc_table *t, int32_t pid)
{
	struct proc *p = proc_find(t, pid);
	return p && p->state == PROC_LIVE ? p : NULL;
}

/* A pid is taken while a process, a group or a session carries it. */
static bool pid_taken(const struct proc_table *t, int32_t pid)
{
	for (unsigned i = 0; i < PROC_MAX; i++) {
		const struct proc *p = &t->p[i];
		if (p->state != PROC_FREE && (p->pid == pid || p->pgid == pid || p->sid == pid))
			return true;
	}
	return false;
}

struct proc *proc_new(struct proc_table *t, int32_t ppid)
{
	struct proc *slot = NULL, *parent = proc_live(t, ppid);

	for (unsigned i = 0; i < PROC_MAX && !slot; i++)
		if (t->p[i].state == PROC_FREE)
			slot = &t->p[i];
	if (!slot || (ppid != PROC_PID_REAPER && !parent))
		return NULL;
	/* A free slot leaves at least PROC_PID_MAX - PROC_MAX free pids. */
	while (pid_taken(t, t->next_pid))
		t->next_pid = t->next_pid >= PROC_PID_MAX ? PROC_PID_REAPER + 1 : t->next_pid + 1;
	int32_t pid = t->next_pid;
	t->next_pid = pid >= PROC_PID_MAX ? PROC_PID_REAPER + 1 : pid + 1;
	*slot = (struct proc){
		.pid = pid, .ppid = ppid, .state = PROC_LIVE,
		.pgid = parent ? parent->pgid : pid,
		.sid = parent ? parent->sid : pid,
	};
	if (parent)
		memcpy(slot->cmd, parent->cmd, sizeof(slot->cmd));
	return slot;
}

struct proc *proc_next(struct proc_table *t, int32_t from)
{
	struct proc *best = NULL;
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *p = &t->p[i];
		if (p->state != PROC_FREE && p->pid >= from && (!best || p->pid < best->pid))
			best = p;
	}
	return best;
}

void proc_end(struct proc_table *t, struct proc *p, int32_t status)
{
	p->state = PROC_ZOMBIE;
	p->status = status;
	p->started = false;
	p->waiting = false;
	/* A parent that ignores SIGCHLD, or sets SA_NOCLDWAIT, keeps no
	 * zombie: the reaper takes it (POSIX's XSI rule, as Linux). */
	struct proc *parent = proc_live(t, p->ppid);
	if (parent && (parent->nocldwait || (parent->sig_ignored & (1ull << (SIG_CHLD - 1)))))
		p->ppid = PROC_PID_REAPER;
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (t->p[i].state != PROC_FREE && t->p[i].ppid == p->pid)
			t->p[i].ppid = PROC_PID_REAPER;
}

void proc_free(struct proc *p)
{
	*p = (struct proc){ .state = PROC_FREE };
}

static bool wait_names(const struct proc *caller, int32_t pid_arg, const struct proc *c)
{
	if (c->state == PROC_FREE || c->ppid != caller->pid)
		return false;
	if (pid_arg == -1)
		return true;
	if (pid_arg > 0)
		return c->pid == pid_arg;
	if (pid_arg == 0)
		return c->pgid == caller->pgid;
	return c->pgid == -pid_arg;
}

int32_t proc_wait_match(struct proc_table *t, const struct proc *caller, int32_t pid_arg,
			uint32_t opts, struct proc **out, int32_t *status)
{
	bool any = false;

	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *c = &t->p[i];
		if (!wait_names(caller, pid_arg, c))
			continue;
		any = true;
		if (c->state == PROC_ZOMBIE && !(opts & PROC_WNOEXITED))
			*status = c->status;
		else if (c->state == PROC_LIVE && c->change == PROC_CHANGE_STOPPED &&
			 (opts & PROC_WUNTRACED))
			*status = 0x7f | c->stop_sig << 8;
		else if (c->state == PROC_LIVE && c->change == PROC_CHANGE_CONTINUED &&
			 (opts & PROC_WCONTINUED))
			*status = 0xffff;
		else
			continue;
		if (c->state == PROC_LIVE && !(opts & PROC_WNOWAIT))
			c->change = PROC_CHANGE_NONE;
		*out = c;
		return c->pid;
	}
	return any ? 0 : -PROC_ECHILD;
}

#define CLD_STOPPED     5
#define CLD_CONTINUED   6

int32_t proc_stopped(struct proc *p, int32_t sig)
{
	if (sig) {
		if (proc_sig_action(sig) != PROC_SIG_STOP)
			return -PROC_EINVAL;
		p->stopped = true;
		p->stop_sig = sig;
		p->change = PROC_CHANGE_STOPPED;
		return CLD_STOPPED;
	}
	if (!p->stopped)
		return 0;
	p->stopped = false;
	p->change = PROC_CHANGE_CONTINUED;
	return CLD_CONTINUED;
}

bool proc_kill_names(const struct proc *caller, int32_t pid_arg, const struct proc *p)
{
	if (p->state == PROC_FREE || p->pid == PROC_PID_REAPER)
		return false;
	if (pid_arg > 0)
		return p->pid == pid_arg;
	if (pid_arg == 0)
		return p->pgid == caller->pgid;
	if (pid_arg < -1)
		return p->pgid == -pid_arg;
	return false;           /* -1: every process, refused by procd */
}

enum proc_sig_action proc_sig_action(int32_t sig)
{
	switch (sig) {
	case SIG_CHLD:
	case SIG_CONT:
	case SIG_URG:
	case SIG_WINCH:
		return PROC_SIG_IGNORE;
	case SIG_STOP:
	case SIG_TSTP:
	case SIG_TTIN:
	case SIG_TTOU:
		return PROC_SIG_STOP;
	default:
		return sig >= 1 && sig <= SIG_MAX ? PROC_SIG_END : PROC_SIG_BAD;
	}
}

enum proc_sig_route proc_sig_route(const struct proc *p, int32_t sig)
{
	uint64_t bit = 1ull << (sig - 1);

	if (sig == 9)                   /* SIGKILL: never caught, never held */
		return PROC_ROUTE_END;
	if (sig == SIG_CONT)            /* even ignored: a stopped layer goes on */
		return PROC_ROUTE_SEND;
	if (p->sig_ignored & bit)
		return PROC_ROUTE_DROP;
	if (p->sig_caught & bit)
		return PROC_ROUTE_SEND;
	enum proc_sig_action a = proc_sig_action(sig);
	return a == PROC_SIG_END || a == PROC_SIG_STOP ? PROC_ROUTE_SEND : PROC_ROUTE_DROP;
}

/* pid 0 is the caller; else any process (live or zombie). */
static struct proc *target(struct proc_table *t, struct proc *caller, int32_t pid)
{
	return pid == 0 ? caller : pid > 0 ? proc_find(t, pid) : NULL;
}

int32_t proc_setpgid(struct proc_table *t, struct proc *caller, int32_t pid, int32_t pgid)
{
	if (pgid < 0 || pid < 0)
		return -PROC_EINVAL;
	struct proc *p = target(t, caller, pid);
	/* POSIX: only the caller itself or one of its children. */
	if (!p || (p != caller && p->ppid != caller->pid))
		return -PROC_ESRCH;
	if (p->sid != caller->sid || p->sid == p->pid)
		return -PROC_EPERM;     /* another session, or a session leader */
	if (!pgid)
		pgid = p->pid;
	if (pgid != p->pid) {
		bool found = false;
		for (unsigned i = 0; i < PROC_MAX && !found; i++)
			found = t->p[i].state != PROC_FREE && t->p[i].pgid == pgid &&
				t->p[i].sid == caller->sid;
		if (!found)
			return -PROC_EPERM;
	}
	p->pgid = pgid;
	return 0;
}

int32_t proc_getpgid(struct proc_table *t, struct proc *caller, int32_t pid)
{
	struct proc *p = target(t, caller, pid);
	return p ? p->pgid : -PROC_ESRCH;
}

int32_t proc_setsid(struct proc_table *t, struct proc *caller)
{
	/* A group leader cannot: its group would span two sessions. */
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (t->p[i].state != PROC_FREE && t->p[i].pgid == caller->pid)
			return -PROC_EPERM;
	caller->sid = caller->pgid = caller->pid;
	return caller->sid;
}

int32_t proc_getsid(struct proc_table *t, struct proc *caller, int32_t pid)
{
	struct proc *p = target(t, caller, pid);
	return p ? p->sid : -PROC_ESRCH;
}

int32_t proc_status_exit(int64_t code)
{
	return (int32_t)((code & 0xff) << 8);
}

int32_t proc_status_signal(int32_t sig)
{
	return sig & 0x7f;      /* no core dumps: bit 0x80 stays clear */
}

int32_t proc_fault_signal(uint32_t vector)
{
	switch (vector) {
	case 0:         /* #DE */
	case 16:        /* #MF */
	case 19:        /* #XM */
		return SIG_FPE;
	case 1:         /* #DB */
	case 3:         /* #BP */
		return SIG_TRAP;
	case 6:         /* #UD */
		return SIG_ILL;
	case 11:        /* #NP */
	case 12:        /* #SS */
	case 17:        /* #AC */
		return SIG_BUS;
	default:        /* #PF, #GP and the rest: a bad access */
		return SIG_SEGV;
	}
}
