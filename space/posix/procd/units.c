/*
 * The processes' units: procd creates every one (UNIT_CREATE needs the
 * caller's own unit as parent, so procd is the parent unit of each POSIX
 * process), watches its end through its fault endpoint, and destroys it
 * when the process is killed or exits.
 */
#include <stddef.h>
#include "aion/vfs.h"
#include "procd.h"

#define SIG_KILL        9

/* Identity and watch: the unit's id, its fault notices, its badged endpoint. */
static int64_t setup(struct proc *p)
{
	struct aion_unit_info info;
	int64_t err = aion_unit_info((aion_handle_t)p->unit, &info);
	if (err)
		return err;
	p->uid = info.id;
	err = aion_unit_fault_ep((aion_handle_t)p->unit, procd_ep, PROC_BADGE_NOTICE | (uint64_t)p->pid);
	if (err)
		return err;
	/* The badge is the process's identity: it can only act as itself. */
	int64_t h = aion_cap_mint(procd_ep, AION_RIGHT_SEND, (uint64_t)p->pid);
	if (h < 0)
		return h;
	int64_t given = aion_cap_give((aion_handle_t)p->unit, (aion_handle_t)h, AION_RIGHT_SEND);
	aion_handle_close((aion_handle_t)h);
	if (given < 0)
		return given;
	p->own_ep = (uint64_t)given;
	return 0;
}

/* Takes back the WRITE handle a forking parent was lent. */
static void take_back(struct proc *p)
{
	if (p->wcopy) {
		aion_cap_revoke((aion_handle_t)p->wcopy);
		aion_handle_close((aion_handle_t)p->wcopy);
		p->wcopy = 0;
	}
}

static void release(struct proc *p);

/* The caller's own image in progress (PROC_EXEC_SELF), as a struct proc. */
static struct proc next_of(const struct proc *p)
{
	return (struct proc){ .pid = p->pid, .unit = p->next_unit, .thread = p->next_thread,
			      .wcopy = p->next_wcopy, .own_ep = p->next_ep, .uid = p->next_uid };
}

static void drop_next(struct proc *p)
{
	struct proc n = next_of(p);
	if (n.unit)
		release(&n);
	p->next_unit = p->next_thread = p->next_wcopy = p->next_ep = 0;
}

/*
 * A unit ended, and with it its capabilities: vfsd ends the records no
 * unit holds any more (aion/vfs.h VFS_REAP; a process that faulted or was
 * killed closed none of its files). vfsd never waits on a client, so the
 * call is short; the bound is for a server that is gone or stuck.
 */
static void reap_files(void)
{
	if (!procd_reap)
		return;
	struct aion_msg m = { .tag = AION_TAG(VFS_REAP, 0, 0) };
	int64_t err = aion_call(procd_reap, &m, 1000 * 1000000ull);
	if (err || (int64_t)m.w[0] < 0)
		aion_printf("procd: reap files err=%s",
			    aion_error_name(err ? err : (int64_t)m.w[0]));
}

/* The unit goes, with everything procd held for it. */
static void release(struct proc *p)
{
	if (p->next_unit)
		drop_next(p);
	take_back(p);
	if (p->thread)
		aion_handle_close((aion_handle_t)p->thread);
	if (p->unit) {
		struct aion_unit_info info = { 0 };
		if (!aion_unit_info((aion_handle_t)p->unit, &info))
			p->cpu_ns += info.cpu_ns;
		aion_unit_destroy((aion_handle_t)p->unit);
		aion_handle_close((aion_handle_t)p->unit);
		reap_files();
	}
	p->unit = p->thread = p->own_ep = 0;
}

/* Drops a process that never ran: no status, no trace. */
static void discard(struct proc *p, int64_t err)
{
	aion_printf("procd: pid=%d not started err=%s", p->pid, aion_error_name(err));
	release(p);
	proc_free(p);
}

static int32_t proc_error(int64_t err)
{
	return err == -AION_ENOMEM ? -PROC_ENOMEM : -PROC_EAGAIN;
}

/*
 * The file system and the terminal procd was given go to each process it
 * spawns (handles in the child's table, written into its record). The
 * terminal's record gets one more holder first: the child closes its own
 * (aion/vfs.h VFS_RETAIN).
 */
static int64_t give_files(struct proc *p)
{
	uint64_t h[2] = { 0, 0 };
	int64_t err = 0;
	if (procd_fs) {
		int64_t g = aion_cap_give((aion_handle_t)p->unit, procd_fs, AION_RIGHT_SEND);
		if (g < 0)
			return g;
		h[0] = (uint64_t)g;
	}
	if (procd_tty) {
		int64_t g = aion_give_record((aion_handle_t)p->unit, procd_tty,
					     AION_RIGHT_SEND | AION_RIGHT_GRANT);
		if (g < 0)
			return g;
		h[1] = (uint64_t)g;
		/* A session leader (the first process) before its thread runs. */
		if (p->ppid == PROC_PID_REAPER)
			procd_set_ctty(p->pid);
	}
	err = aion_mem_write((aion_handle_t)p->unit,
			     AION_STARTUP_VADDR + offsetof(struct aion_startup, posix_fs), &h[0], 8);
	if (!err)
		err = aion_mem_write((aion_handle_t)p->unit,
				     AION_STARTUP_VADDR + offsetof(struct aion_startup, posix_tty),
				     &h[1], 8);
	return err;
}

int32_t procd_spawn(const struct procd_image *img, int32_t ppid, const char *args)
{
	struct aion_startup st = { 0 };
	if (!args)
		args = img->name;
	if (strlen(args) >= sizeof(st.args))
		return -PROC_EINVAL;
	struct proc *p = proc_new(&procd_table, ppid);
	if (!p)
		return -PROC_EAGAIN;
	memcpy(st.args, args, strlen(args) + 1);
	procd_set_cmd(p->cmd, args, strlen(args));
	struct aion_spawn sp = {
		.name = img->name, .image = img->start, .image_size = (size_t)(img->end - img->start),
		.quota_frames = procd_quota, .max_prio = PROCD_PRIO, .prio = PROCD_PRIO,
		.startup = &st, .no_start = 1, .stack_pages = PROC_STACK_PAGES,
	};
	aion_handle_t u, t;
	int64_t err = aion_spawn(&sp, &u, &t);
	if (err) {
		proc_free(p);
		return proc_error(err);
	}
	p->unit = u;
	p->thread = t;
	/* The record is written by now: its posix_proc names our endpoint. */
	if (!(err = setup(p)))
		err = aion_mem_write(u, AION_STARTUP_VADDR + offsetof(struct aion_startup, posix_proc),
				     &p->own_ep, sizeof(p->own_ep));
	if (!err)
		err = give_files(p);
	if (!err)
		err = aion_thread_start(t);
	if (err) {
		discard(p, err);
		return proc_error(err);
	}
	p->started = true;
	return p->pid;
}

/* One fork or image in progress at a time: a process that never
 * finishes its copies cannot pile up units on procd's quota. */
static bool busy(const struct proc *caller)
{
	for (unsigned i = 0; i < PROC_MAX; i++) {
		const struct proc *c = &procd_table.p[i];
		if (c->state == PROC_LIVE && c->ppid == caller->pid && !c->started)
			return true;
	}
	return caller->next_unit != 0;
}

int32_t procd_fork(struct proc *caller, uint64_t *unit_in_caller)
{
	if (busy(caller))
		return -PROC_EAGAIN;
	struct aion_unit_info info;
	int64_t err = aion_unit_info((aion_handle_t)caller->unit, &info);
	struct proc *p = err ? NULL : proc_new(&procd_table, caller->pid);
	if (!p)
		return -PROC_EAGAIN;
	info.name[sizeof(info.name) - 1] = '\0';
	int64_t u = aion_unit_create(AION_HANDLE_SELF, info.name, strlen(info.name),
				     info.quota_frames, PROCD_PRIO);
	if (u < 0) {
		proc_free(p);
		return proc_error(u);
	}
	p->unit = (uint64_t)u;
	p->sig_caught = caller->sig_caught;     /* a fork keeps its dispositions */
	p->sig_ignored = caller->sig_ignored;
	/* The parent copies its memory in through a handle with WRITE only. */
	int64_t w = setup(p);
	if (!w)
		w = aion_cap_copy((aion_handle_t)u, AION_RIGHT_WRITE);
	int64_t given = w < 0 ? w : aion_cap_give((aion_handle_t)caller->unit, (aion_handle_t)w,
						  AION_RIGHT_WRITE);
	if (w > 0)
		p->wcopy = (uint64_t)w;
	if (given < 0) {
		discard(p, given);
		return proc_error(given);
	}
	*unit_in_caller = (uint64_t)given;
	return p->pid;
}

int32_t procd_fork_start(struct proc *caller, int32_t pid, uint64_t entry, uint64_t stack)
{
	struct proc *c = proc_live(&procd_table, pid);
	if (!c || c->ppid != caller->pid || c->started || c->image)
		return -PROC_ESRCH;
	take_back(c);
	int64_t t = aion_thread_create((aion_handle_t)c->unit, entry, stack, c->own_ep, PROCD_PRIO);
	int64_t err = t < 0 ? t : aion_thread_start((aion_handle_t)t);
	if (t >= 0)
		c->thread = (uint64_t)t;
	if (err) {
		/* The child existed (its parent saw its pid): a zombie, not a hole. */
		aion_printf("procd: pid=%d fork start failed err=%s", pid, aion_error_name(err));
		procd_finish(c, proc_status_signal(SIG_KILL));
		return -PROC_EAGAIN;
	}
	c->started = true;
	return 0;
}

/* An image's unit, its thread at entry and the lent handle; p->pid set. */
static int64_t image_unit(struct proc *p, const struct proc *caller, const char *name,
			  uint64_t entry, uint64_t *lent)
{
	struct aion_unit_info info;
	int64_t err = aion_unit_info((aion_handle_t)caller->unit, &info);
	int64_t u = err ? err : aion_unit_create(AION_HANDLE_SELF, name, strlen(name),
						 info.quota_frames, PROCD_PRIO);
	if (u < 0)
		return u;
	p->unit = (uint64_t)u;
	err = setup(p);
	int64_t t = err ? err : aion_thread_create((aion_handle_t)u, entry, AION_STACK_TOP,
						   AION_STARTUP_VADDR, PROCD_PRIO);
	if (t < 0)
		return t;
	p->thread = (uint64_t)t;
	int64_t w = aion_cap_copy((aion_handle_t)u, AION_RIGHT_WRITE);
	if (w < 0)
		return w;
	p->wcopy = (uint64_t)w;
	int64_t given = aion_cap_give((aion_handle_t)caller->unit, (aion_handle_t)w, AION_RIGHT_WRITE);
	if (given < 0)
		return given;
	*lent = (uint64_t)given;
	return 0;
}

/* A command line for PROC_LIST: cut at PROC_CMD_MAX bytes. */
void procd_set_cmd(char *to, const char *cmd, size_t len)
{
	if (len > PROC_CMD_MAX)
		len = PROC_CMD_MAX;
	memcpy(to, cmd, len);
	to[len] = '\0';
}

int32_t procd_exec(struct proc *caller, const char *name, const char *cmd, uint64_t entry,
		   uint64_t how, uint64_t out[2])
{
	if (how != PROC_EXEC_SELF && how != PROC_EXEC_CHILD)
		return -PROC_EINVAL;
	if (busy(caller))
		return -PROC_EAGAIN;
	struct proc self = { .pid = caller->pid };
	struct proc *p = how == PROC_EXEC_SELF ? &self : proc_new(&procd_table, caller->pid);
	if (!p)
		return -PROC_EAGAIN;
	int64_t err = image_unit(p, caller, name, entry, &out[0]);
	if (err) {
		if (p == &self)
			release(&self);
		else
			discard(p, err);
		return err == -AION_EFAULT || err == -AION_EINVAL ? -PROC_EINVAL : proc_error(err);
	}
	out[1] = p->own_ep;
	if (p == &self) {
		caller->next_unit = self.unit;
		caller->next_thread = self.thread;
		caller->next_wcopy = self.wcopy;
		caller->next_ep = self.own_ep;
		caller->next_uid = self.uid;
		procd_set_cmd(caller->next_cmd, cmd, strlen(cmd));
	} else {
		p->image = true;
		procd_set_cmd(p->cmd, cmd, strlen(cmd));
	}
	return p->pid;
}

/* The child's session and group, as it would set them itself. */
static int32_t child_groups(struct proc *c, uint64_t flags, uint64_t pgrp)
{
	int32_t r = 0;
	if (flags & PROC_EXEC_SETSID)
		r = proc_setsid(&procd_table, c);
	if (r >= 0 && (flags & PROC_EXEC_SETPGROUP))
		r = pgrp > PROC_PID_MAX ? -PROC_EINVAL : proc_setpgid(&procd_table, c, 0, (int32_t)pgrp);
	return r < 0 ? r : 0;
}

int32_t procd_exec_start(struct proc *caller, int32_t pid, uint64_t flags, uint64_t pgrp)
{
	if (flags & ~(uint64_t)(PROC_EXEC_SETSID | PROC_EXEC_SETPGROUP))
		return -PROC_EINVAL;
	if (pid == caller->pid) {
		if (!caller->next_unit || flags)
			return caller->next_unit ? -PROC_EINVAL : -PROC_ESRCH;
		struct proc n = next_of(caller);
		take_back(&n);
		caller->next_wcopy = 0;
		int64_t err = aion_thread_start((aion_handle_t)n.thread);
		if (err) {
			drop_next(caller);
			return proc_error(err);
		}
		memcpy(caller->cmd, caller->next_cmd, sizeof(caller->cmd));
		return 0;               /* serve replies, then procd_exec_swap */
	}
	struct proc *c = proc_live(&procd_table, pid);
	if (!c || c->ppid != caller->pid || c->started || !c->image)
		return -PROC_ESRCH;
	take_back(c);
	int32_t r = child_groups(c, flags, pgrp);
	int64_t err = r ? 0 : aion_thread_start((aion_handle_t)c->thread);
	if (r || err) {
		discard(c, err);
		return r ? r : proc_error(err);
	}
	c->started = true;
	c->image = false;
	return 0;
}

void procd_exec_swap(struct proc *p)
{
	struct proc n = next_of(p);
	p->next_unit = p->next_thread = p->next_ep = 0;
	/* A wait left pending would hold the old unit's thread. */
	if (p->waiting)
		aion_handle_close((aion_handle_t)p->wait_reply);
	p->waiting = false;
	release(p);
	p->unit = n.unit;
	p->thread = n.thread;
	p->own_ep = n.own_ep;
	p->uid = n.uid;
	/* POSIX: caught signals are default in the new image; ignored stay so. */
	p->sig_caught = 0;
	aion_printf("procd: exec pid=%d", p->pid);
}

int32_t procd_exec_cancel(struct proc *caller, int32_t pid)
{
	if (pid == caller->pid) {
		if (!caller->next_unit)
			return -PROC_ESRCH;
		drop_next(caller);
		return 0;
	}
	struct proc *c = proc_live(&procd_table, pid);
	if (!c || c->ppid != caller->pid || c->started || !c->image)
		return -PROC_ESRCH;
	release(c);
	proc_free(c);
	return 0;
}

void procd_finish(struct proc *p, int32_t status)
{
	/* A child still being copied dies with its parent. */
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *c = &procd_table.p[i];
		if (c->state == PROC_LIVE && c->ppid == p->pid && !c->started)
			procd_finish(c, proc_status_signal(SIG_KILL));
	}
	/* A call left pending would hold its thread past the destroy. */
	if (p->waiting)
		aion_handle_close((aion_handle_t)p->wait_reply);
	release(p);
	aion_printf("procd: end pid=%d status=0x%x", p->pid, (unsigned)status);
	int32_t ppid = p->ppid;
	proc_end(&procd_table, p, status);
	procd_child_ended(p, ppid, status);
}

void procd_unit_ended(int32_t pid, const struct aion_msg *m)
{
	struct proc *p = proc_live(&procd_table, pid);
	/* Ended by procd already, or a stale notice of an earlier unit. */
	if (!p || p->uid != (uint32_t)m->w[0])
		return;
	unsigned state = (unsigned)(m->w[1] & 0xff), vector = (unsigned)((m->w[1] >> 8) & 0xff);
	if (state == AION_UNIT_EXITED) {
		procd_finish(p, proc_status_exit((int64_t)m->w[2]));
		return;
	}
	int32_t sig = proc_fault_signal(vector);
	aion_printf("procd: pid=%d fault vector=%u addr=0x%lx signal=%d", pid, vector,
		    (unsigned long)m->w[2], sig);
	procd_finish(p, proc_status_signal(sig));
}
