/*
 * procd's process table: pids, the tree, groups and sessions, zombies and
 * wait matching, wait statuses. Pure logic (no system call), so the host's
 * unit tests run it (tests/unit/test_proc_table.c). Every call that acts
 * for a process takes the caller's pid from its capability's badge, never
 * from the message. Results: >= 0 or -PROC_E... (aion/proc.h).
 */
#ifndef PROCD_TABLE_H
#define PROCD_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "aion/proc.h"

#define PROC_MAX        64

enum proc_state { PROC_FREE = 0, PROC_LIVE, PROC_ZOMBIE };

struct proc {
	int32_t pid, ppid, pgid, sid;
	enum proc_state state;
	int32_t status;                 /* ZOMBIE: the wait status */
	bool started;                   /* its thread runs (a fork is copied) */
	/* procd's handles (opaque here): the unit, its thread, the fork's
	 * WRITE copy given to the parent (0 once taken back); the handle of
	 * procd's endpoint in the process's own table; the unit's kernel id
	 * (fault notices name it) */
	uint64_t unit, thread, wcopy, own_ep;
	uint32_t uid;
	/* made by PROC_EXEC (a posix_spawn child), not by a fork */
	bool image;
	/* the caller's own PROC_EXEC in progress: the new unit's handles,
	 * as above (next_unit 0: none) */
	uint64_t next_unit, next_thread, next_wcopy, next_ep;
	uint32_t next_uid;
	/* a blocked WAIT4: the saved reply handle, its pid and options */
	bool waiting;
	uint64_t wait_reply;
	int32_t wait_pid;
	uint32_t wait_opts;
	/* signals (signals.c): caught and ignored sets (bit s-1), and who
	 * sent each delivered one (pid, 0 procd itself; kept while its bit
	 * is in sig_kept) with si_code | status << 32 */
	uint64_t sig_caught, sig_ignored, sig_kept;
	bool nocldstop;                 /* SIGCHLD's SA_NOCLDSTOP */
	bool nocldwait;                 /* SIGCHLD's SA_NOCLDWAIT */
	/* job control (PROC_STOPPED): stopped now, by which signal, and the
	 * change its parent's wait has not been told yet */
	bool stopped;
	int32_t stop_sig;
	enum proc_change { PROC_CHANGE_NONE, PROC_CHANGE_STOPPED, PROC_CHANGE_CONTINUED } change;
	int32_t sig_from[64];
	uint64_t sig_what[64];
	/* queued signals, oldest first (signals.c's procd_queue) */
	struct proc_sigq {
		uint8_t sig;
		int32_t from, code;
		uint64_t value;
	} sigq[PROC_SIGQ_MAX];
	uint32_t sigq_n;
	/* PROC_ALARM: the monotonic ns it expires (0: none), its interval */
	uint64_t alarm_at, alarm_every;
	/* PROC_LIST's command line (a fork's child starts with its
	 * parent's; EXEC sets it, for SELF once EXEC_START succeeds) */
	char cmd[PROC_CMD_MAX + 1], next_cmd[PROC_CMD_MAX + 1];
	/* CPU time: its units' (each read as it goes: exec's old one too),
	 * and that of its waited-for children and theirs (PROC_CHILD_CPU) */
	uint64_t cpu_ns, child_cpu_ns;
};

struct proc_table {
	struct proc p[PROC_MAX];
	int32_t next_pid;
};

void proc_table_init(struct proc_table *t);

/* A live or zombie process, or NULL. */
struct proc *proc_find(struct proc_table *t, int32_t pid);

/* A live one: a message's badge must name one to be served. */
struct proc *proc_live(struct proc_table *t, int32_t pid);

/*
 * A new live process, child of ppid (PROC_PID_REAPER or a live process),
 * in its parent's group and session; a child of the reaper leads its own
 * session and group. NULL: the table is full.
 */
struct proc *proc_new(struct proc_table *t, int32_t ppid);

/* The process with the lowest pid >= from (live or zombie), or NULL. */
struct proc *proc_next(struct proc_table *t, int32_t from);

/* p ended with status: a zombie; its children go to the reaper. */
void proc_end(struct proc_table *t, struct proc *p, int32_t status);

/* Frees a zombie's slot (waited for, or reaped by the reaper). */
void proc_free(struct proc *p);

/*
 * WAIT4's matching for caller (pid_arg and options as in aion/proc.h):
 * > 0 the pid of a matching child (*out) to report with *status: a
 * zombie, or (WUNTRACED, WCONTINUED) one whose stop or continue its
 * parent has not been told yet; 0 matching children, none to report;
 * -PROC_ECHILD none matches. A reported change is then forgotten
 * (unless WNOWAIT); a zombie is the caller's to free.
 */
int32_t proc_wait_match(struct proc_table *t, const struct proc *caller, int32_t pid_arg,
			uint32_t opts, struct proc **out, int32_t *status);

/* PROC_STOPPED for p: sig a stop signal, or 0 (continued). Returns the
 * si_code of the SIGCHLD its parent gets (CLD_STOPPED, CLD_CONTINUED),
 * 0 for none (no change, or -PROC_EINVAL: not a stop signal). */
int32_t proc_stopped(struct proc *p, int32_t sig);

/* KILL's target set: does pid_arg (as in aion/proc.h) name p for caller? */
bool proc_kill_names(const struct proc *caller, int32_t pid_arg, const struct proc *p);

/* What a signal's default action does. */
enum proc_sig_action { PROC_SIG_END, PROC_SIG_IGNORE, PROC_SIG_STOP, PROC_SIG_BAD };
enum proc_sig_action proc_sig_action(int32_t sig);

/*
 * What KILL does with sig (1..64) for live p, from the sets p told
 * (PROC_SIGSTATE): DROP it (ignored, or its default does nothing and it
 * is not caught), SEND it to p's POSIX layer (caught, or its default ends
 * or stops p: the layer may hold it while masked; SIGCONT always, so a
 * stopped layer goes on), END p (SIGKILL).
 */
enum proc_sig_route { PROC_ROUTE_DROP, PROC_ROUTE_SEND, PROC_ROUTE_END };
enum proc_sig_route proc_sig_route(const struct proc *p, int32_t sig);

int32_t proc_setpgid(struct proc_table *t, struct proc *caller, int32_t pid, int32_t pgid);
int32_t proc_getpgid(struct proc_table *t, struct proc *caller, int32_t pid);
int32_t proc_setsid(struct proc_table *t, struct proc *caller);
int32_t proc_getsid(struct proc_table *t, struct proc *caller, int32_t pid);

/* Wait statuses, encoded as Linux does. */
int32_t proc_status_exit(int64_t code);
int32_t proc_status_signal(int32_t sig);

/* The signal a CPU exception vector ends a process with (SIGSEGV ...). */
int32_t proc_fault_signal(uint32_t vector);

#endif
