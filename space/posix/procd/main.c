/*
 * procd, the process server (docs/posix.md "Processes"). Whoever starts
 * POSIX programs starts procd with the first program's name as its
 * argument (utest today); procd starts it as pid 2, a child of pid 1,
 * procd itself, which adopts orphans and reaps them. It serves
 * aion/proc.h on one endpoint, each process through its own capability
 * badged with its pid, and learns each unit's end from the kernel's
 * notice on the same endpoint. It exits once no process is left, with
 * the first process's exit code (128 + signal when it was killed), so
 * its own starter sees how the program ended.
 */
#include "aion/tty.h"
#include "procd.h"

#define SIG_MAX         64
#define PROC_ENOSYS     38

struct proc_table procd_table;
aion_handle_t procd_ep;
aion_handle_t procd_fs, procd_tty, procd_reap;
/*
 * SPAWN's payload lands here. Without a buffer, any caller sending a
 * payload would make our RECV fail (the receiver is to blame) while it
 * stays queued. Capabilities cannot come: no process holds GRANT.
 */
static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));
static int32_t first_pid, first_status;

/* A pid argument: an int32_t, else none can match. */
static bool arg_pid(uint64_t w, int32_t *pid)
{
	int64_t v = (int64_t)w;
	*pid = (int32_t)v;
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void reply(int64_t w0, uint64_t w1)
{
	struct aion_msg r = { .w = { (uint64_t)w0, w1, 0 } };
	aion_reply(&r);
}

/*
 * The first process leads its session (a child of the reaper): it gets the
 * terminal as its controlling terminal with its group in the foreground,
 * as a login does, so a shell finds itself in the foreground and ^C
 * reaches its jobs. The terminal signals through a capability badged
 * with the leader's pid (aion/tty.h TIOCSCTTY).
 */
void procd_set_ctty(int32_t pid)
{
	int64_t h = aion_cap_mint(procd_ep, AION_RIGHT_SEND, (uint64_t)pid);
	int64_t err = h < 0 ? h : 0;
	if (!err) {
		ipc_buf.caps[0] = (aion_handle_t)h;
		ipc_buf.cap_rights[0] = AION_RIGHT_SEND | AION_IPC_CAP_MOVE;
		struct aion_msg m = { .tag = AION_TAG(VFS_IOCTL, 0, 1),
				      .w = { 0, TTY_TIOCSCTTY, (uint64_t)pid } };
		err = aion_call(procd_tty, &m, AION_FOREVER);
		if (!err)
			err = (int64_t)m.w[0];
		if (err)
			aion_handle_close((aion_handle_t)h);
	}
	if (err)
		aion_printf("procd: tty not the terminal of pid=%d err=%s", pid, aion_error_name(err));
}

/* The reaper's turn, then the blocked waits a change may answer. */
/* A zombie waited for goes; its CPU time and its children's are the parent's children's. */
static void reap(struct proc *parent, struct proc *z)
{
	parent->child_cpu_ns += z->cpu_ns + z->child_cpu_ns;
	proc_free(z);
}

static void settle(void)
{
	struct proc_table *t = &procd_table;

	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *p = &t->p[i];
		if (p->state != PROC_ZOMBIE || p->ppid != PROC_PID_REAPER)
			continue;
		aion_printf("procd: reaped pid=%d status=0x%x", p->pid, (unsigned)p->status);
		if (p->pid == first_pid)
			first_status = p->status;
		proc_free(p);
	}
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *p = &t->p[i], *z = NULL;
		if (p->state != PROC_LIVE || !p->waiting)
			continue;
		int32_t status = 0;
		int32_t r = proc_wait_match(t, p, p->wait_pid, p->wait_opts, &z, &status);
		if (!r)
			continue;
		struct aion_msg m = { .w = { (uint64_t)(int64_t)r, (uint64_t)(uint32_t)status, 0 } };
		aion_reply_to((aion_handle_t)p->wait_reply, &m);
		p->waiting = false;
		if (r > 0 && z->state == PROC_ZOMBIE && !(p->wait_opts & PROC_WNOWAIT))
			reap(p, z);
	}
}

static bool table_empty(void)
{
	for (unsigned i = 0; i < PROC_MAX; i++)
		if (procd_table.p[i].state != PROC_FREE)
			return false;
	return true;
}

/* WAIT4: answered now, or later by settle (the reply saved). */
static void serve_wait(struct proc *c, const struct aion_msg *m)
{
	int32_t pid;
	struct proc *z = NULL;
	uint32_t opts = (uint32_t)m->w[1];

	if (!arg_pid(m->w[0], &pid) || pid == INT32_MIN) {
		reply(-PROC_ECHILD, 0);
		return;
	}
	int32_t status = 0;
	int32_t r = proc_wait_match(&procd_table, c, pid, opts, &z, &status);
	if (r > 0) {
		reply(r, (uint64_t)(uint32_t)status);
		if (z->state == PROC_ZOMBIE && !(opts & PROC_WNOWAIT))
			reap(c, z);
		return;
	}
	/* One saved reply per process (its one thread waits). */
	if (r < 0 || (opts & PROC_WNOHANG) || c->waiting) {
		reply(r < 0 || (opts & PROC_WNOHANG) ? r : -PROC_EAGAIN, 0);
		return;
	}
	int64_t h = aion_reply_save();
	if (h < 0) {
		reply(-PROC_EAGAIN, 0);
		return;
	}
	c->waiting = true;
	c->wait_reply = (uint64_t)h;
	c->wait_pid = pid;
	c->wait_opts = opts;
}

#define SI_USER         0               /* Linux's si_code values */
#define SI_QUEUE        (-1)

/*
 * One target of KILL or QUEUE: sig to p from c, queued (sigqueue: *value
 * its value; a real-time kill) or sent, dropped, or p ended; *self: the
 * caller ends. -> 0, -PROC_EAGAIN a sigqueue's queue is full
 */
static int32_t kill_one(struct proc *c, struct proc *p, int32_t sig, const uint64_t *value,
			bool *self)
{
	enum proc_sig_route r = proc_sig_route(p, sig);
	if (r == PROC_ROUTE_DROP)
		return 0;
	if (r == PROC_ROUTE_SEND) {
		/* 1 sent, 0 p cannot take it, -EAGAIN the queue is full */
		int64_t q = -PROC_EAGAIN;
		if (value || sig >= PROC_SIG_RT_FIRST)
			q = procd_queue(p, sig, c->pid, value ? SI_QUEUE : SI_USER,
					value ? *value : 0);
		if (q == -PROC_EAGAIN && value)
			return -PROC_EAGAIN;
		/* A kill past a full queue (or of a signal not queued) is
		 * pending once, as on Linux. */
		if (q == 1 || (q < 0 && procd_signal(p, sig, c->pid, SI_USER, 0, true)))
			return 0;
	}
	if (proc_sig_action(sig) != PROC_SIG_END)
		return 0;               /* caught, but no entry to run it: nothing */
	if (p == c)
		*self = true;
	else
		procd_finish(p, proc_status_signal(sig));
	return 0;
}

/* KILL, and QUEUE (value: its value); *self: the caller is among those ended. */
static int32_t do_kill(struct proc *c, uint64_t wpid, uint64_t wsig, const uint64_t *value,
		       bool *self)
{
	int32_t pid;
	int64_t sig = (int64_t)wsig;

	if (sig < 0 || sig > SIG_MAX || !arg_pid(wpid, &pid))
		return -PROC_EINVAL;
	if (value && pid <= 0)
		return -PROC_ESRCH;     /* sigqueue names one process */
	if (pid == -1 || pid == PROC_PID_REAPER)
		return -PROC_EPERM;     /* "every process", and procd itself */
	if (sig && proc_sig_action((int32_t)sig) == PROC_SIG_BAD)
		return -PROC_EINVAL;
	bool any = false;
	int32_t err = 0;
	for (unsigned i = 0; i < PROC_MAX; i++) {
		struct proc *p = &procd_table.p[i];
		if (!proc_kill_names(c, pid, p))
			continue;
		any = true;
		if (sig && p->state == PROC_LIVE)
			err = kill_one(c, p, (int32_t)sig, value, self);
	}
	return !any ? -PROC_ESRCH : err;
}

/* The argv comes in the payload: its first word names the image. */
static void serve_spawn(struct proc *c, const struct aion_msg *m)
{
	char args[PROC_SPAWN_ARGS_MAX + 1], name[PROC_SPAWN_ARGS_MAX + 1];
	unsigned len = AION_TAG_LEN(m->tag), n = 0;

	if (!len || len > PROC_SPAWN_ARGS_MAX) {
		reply(-PROC_EINVAL, 0);
		return;
	}
	memcpy(args, ipc_buf.payload, len);
	args[len] = '\0';
	while (args[n] && args[n] != ' ') {
		name[n] = args[n];
		n++;
	}
	name[n] = '\0';
	const struct procd_image *img = procd_image(name);
	reply(img ? procd_spawn(img, c->pid, args) : -PROC_ENOENT, 0);
}

/* Where the first NUL of p[0, len) is (len: none). */
static unsigned nul_at(const char *p, unsigned len)
{
	unsigned i = 0;
	while (i < len && p[i])
		i++;
	return i;
}

/*
 * The payload names the new unit (no NUL, 1..PROC_NAME_MAX bytes), then
 * may hold a NUL and the command line (no NUL, at most PROC_CMD_MAX).
 */
static void serve_exec(struct proc *c, const struct aion_msg *m)
{
	char name[PROC_NAME_MAX + 1], cmd[PROC_CMD_MAX + 1];
	unsigned len = AION_TAG_LEN(m->tag);
	uint64_t out[2] = { 0, 0 };
	const char *p = (const char *)ipc_buf.payload;
	unsigned nlen = nul_at(p, len);
	bool has_cmd = nlen < len;
	unsigned clen = has_cmd ? len - nlen - 1 : nlen;
	const char *c_at = has_cmd ? p + nlen + 1 : p;

	if (!nlen || nlen > PROC_NAME_MAX || clen > PROC_CMD_MAX || nul_at(c_at, clen) != clen) {
		reply(-PROC_EINVAL, 0);
		return;
	}
	memcpy(name, p, nlen);
	name[nlen] = '\0';
	memcpy(cmd, c_at, clen);
	cmd[clen] = '\0';
	int32_t r = procd_exec(c, name, cmd, m->w[0], m->w[1], out);
	struct aion_msg rep = { .w = { (uint64_t)(int64_t)r, out[0], out[1] } };
	aion_reply(&rep);
}

/* PROC_LIST: one process, its command line as the reply's payload. */
static void serve_list(uint64_t from)
{
	struct proc *p = from > PROC_PID_MAX ? NULL : proc_next(&procd_table, (int32_t)from);
	struct aion_msg rep = { 0 };
	if (p) {
		size_t len = strlen(p->cmd);
		memcpy(ipc_buf.payload, p->cmd, len);
		rep.tag = AION_TAG(0, len, 0);
		rep.w[0] = (uint64_t)p->pid;
		rep.w[1] = (uint32_t)p->ppid | (uint64_t)(uint32_t)p->pgid << 32;
		rep.w[2] = (uint32_t)p->sid | (uint64_t)(p->state == PROC_ZOMBIE ?
					PROC_LIST_ZOMBIE : PROC_LIST_LIVE) << 32;
	}
	aion_reply(&rep);
}

static void serve(const struct aion_msg *m)
{
	struct proc_table *t = &procd_table;
	int32_t a;
	uint64_t out = 0;
	bool self = false;

	if (m->badge & PROC_BADGE_NOTICE) {
		/* Only the kernel holds these badges: a unit's end, no reply. */
		if (AION_TAG_LABEL(m->tag) == AION_NOTICE_UNIT_ENDED)
			procd_unit_ended((int32_t)(m->badge & ~PROC_BADGE_NOTICE), m);
		return;
	}
	struct proc *c = m->badge <= PROC_PID_MAX ? proc_live(t, (int32_t)m->badge) : NULL;
	if (!c || !c->started) {
		reply(-PROC_ESRCH, 0);
		return;
	}
	switch (AION_TAG_LABEL(m->tag)) {
	case PROC_GETPID:
		reply(c->pid, (uint64_t)c->ppid);
		return;
	case PROC_FORK:
		a = procd_fork(c, &out);
		reply(a, out);
		return;
	case PROC_FORK_START:
		reply(arg_pid(m->w[0], &a) ? procd_fork_start(c, a, m->w[1], m->w[2]) : -PROC_ESRCH, 0);
		return;
	case PROC_WAIT4:
		serve_wait(c, m);
		return;
	/*
	 * The caller ends: answered first, since a call left pending holds
	 * its thread, and with it a frame of its unit, past the destroy.
	 */
	case PROC_EXIT:
		reply(0, 0);
		procd_finish(c, proc_status_exit((int64_t)m->w[0]));
		return;
	case PROC_KILL:
	case PROC_QUEUE:
		a = do_kill(c, m->w[0], m->w[1], AION_TAG_LABEL(m->tag) == PROC_QUEUE ? &m->w[2] : NULL, &self);
		reply(a, 0);
		if (self)
			procd_finish(c, proc_status_signal((int32_t)m->w[1]));
		return;
	case PROC_SETPGID: {
		int32_t pid, pgid;
		bool ok = arg_pid(m->w[0], &pid) && arg_pid(m->w[1], &pgid);
		reply(ok ? proc_setpgid(t, c, pid, pgid) : -PROC_EINVAL, 0);
		return;
	}
	case PROC_GETPGID:
		reply(arg_pid(m->w[0], &a) ? proc_getpgid(t, c, a) : -PROC_ESRCH, 0);
		return;
	case PROC_SETSID:
		reply(proc_setsid(t, c), 0);
		return;
	case PROC_GETSID:
		reply(arg_pid(m->w[0], &a) ? proc_getsid(t, c, a) : -PROC_ESRCH, 0);
		return;
	case PROC_SPAWN:
		serve_spawn(c, m);
		return;
	case PROC_EXEC:
		serve_exec(c, m);
		return;
	case PROC_EXEC_START:
		a = arg_pid(m->w[0], &a) ? procd_exec_start(c, a, m->w[1], m->w[2]) : -PROC_ESRCH;
		reply(a, 0);
		/* The caller's old unit goes only now: its call is answered. */
		if (!a && (int32_t)m->w[0] == c->pid)
			procd_exec_swap(c);
		return;
	case PROC_EXEC_CANCEL:
		reply(arg_pid(m->w[0], &a) ? procd_exec_cancel(c, a) : -PROC_ESRCH, 0);
		return;
	case PROC_SIGSTATE:
		c->sig_caught = m->w[0];
		c->sig_ignored = m->w[1];
		c->nocldstop = m->w[2] & PROC_SIG_NOCLDSTOP;
		c->nocldwait = m->w[2] & PROC_SIG_NOCLDWAIT;
		reply(0, 0);
		return;
	case PROC_STOPPED:
		reply(procd_stopped(c, m->w[0]), 0);
		return;
	case PROC_SIGINFO: {
		uint64_t what = 0, value = 0;
		int64_t from = procd_siginfo(c, m->w[0], &what, &value);
		struct aion_msg r = { .w = { (uint64_t)from, what, value } };
		aion_reply(&r);
		return;
	}
	case PROC_SIGEXIT:
		if (m->w[0] < 1 || m->w[0] > SIG_MAX) {
			reply(-PROC_EINVAL, 0);
			return;
		}
		reply(0, 0);
		procd_finish(c, proc_status_signal((int32_t)m->w[0]));
		return;
	case PROC_LIST:
		serve_list(m->w[0]);
		return;
	case PROC_CHILD_CPU:
		reply((int64_t)c->child_cpu_ns, 0);
		return;
	case PROC_ALARM: {
		uint64_t every = 0;
		int64_t left = procd_alarm(c, m->w[0], m->w[1], m->w[2] == 1, &every);
		reply(left, every);
		return;
	}
	default:
		reply(-PROC_ENOSYS, 0);
	}
}

uint64_t procd_quota = PROCD_QUOTA_MIN;

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char name[AION_ARGS_MAX] = "";
	struct aion_msg m;

	char args[AION_ARGS_MAX] = "";

	struct aion_unit_info self;
	if (!aion_unit_info(AION_HANDLE_SELF, &self)) {
		uint64_t q = self.quota_frames / 12;
		procd_quota = q < PROCD_QUOTA_MIN ? PROCD_QUOTA_MIN :
			      q > PROCD_QUOTA_MAX ? PROCD_QUOTA_MAX : q;
	}
	/* Our argv is the first process's: its first word names the image. */
	if (arg == AION_STARTUP_VADDR && st->magic == AION_STARTUP_MAGIC) {
		memcpy(args, st->args, sizeof(args) - 1);
		procd_fs = (aion_handle_t)st->posix_fs;
		procd_tty = (aion_handle_t)st->posix_tty;
		procd_reap = (aion_handle_t)st->vfs_reap;
	}
	for (unsigned i = 0; args[i] && args[i] != ' '; i++)
		name[i] = args[i];
	proc_table_init(&procd_table);
	const struct procd_image *img = procd_image(name);
	int64_t ep = aion_endpoint_create();
	if (ep >= 0 && aion_ipc_buffer(&ipc_buf))
		ep = -AION_EFAULT;
	if (!img || ep < 0) {
		aion_printf("procd: not started program=%s err=%s", name,
			    img ? aion_error_name(ep) : "no such program");
		return 127;
	}
	procd_ep = (aion_handle_t)ep;
	first_pid = procd_spawn(img, PROC_PID_REAPER, args);
	if (first_pid < 0) {
		aion_printf("procd: program=%s not started errno=%d", name, -first_pid);
		return 127;
	}
	aion_printf("procd: started pid=%d program=%s", first_pid, name);
	uint64_t next_alarm = 0;
	while (!table_empty()) {
		/* The receive ends at the next SIGALRM due (0: none, forever). */
		int64_t err = aion_recv(procd_ep, &m, next_alarm);
		if (err == -AION_ETIMEDOUT) {
			next_alarm = procd_alarms_due();
			settle();
			continue;
		}
		if (err) {
			/* Not a process's doing (see ipc_buf): say so, go on. */
			aion_printf("procd: recv err=%s", aion_error_name(err));
			aion_sleep_ns(100 * 1000000ull);
			continue;
		}
		serve(&m);
		settle();
		next_alarm = procd_alarms_due();
	}
	if (procd_tty) {
		/* Our own hold of the terminal (our starter retained it for us). */
		struct aion_msg c = { .tag = AION_TAG(VFS_CLOSE, 0, 0) };
		aion_call(procd_tty, &c, AION_FOREVER);
	}
	int code = (first_status & 0x7f) ? 128 + (first_status & 0x7f) : (first_status >> 8) & 0xff;
	aion_printf("procd: done first=%d status=0x%x code=%d", first_pid, (unsigned)first_status, code);
	return code;
}
