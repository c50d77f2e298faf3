/*
 * procd, the process server (docs/posix.md "Processes"): its files' shared
 * state. main.c serves the protocol of aion/proc.h; units.c makes and
 * ends the processes' units; images.c names the programs it carries.
 */
#ifndef PROCD_H
#define PROCD_H

#include "libaion/lib.h"
#include "table.h"

#define PROCD_PRIO      100             /* every process's priority, and its maximum */
/*
 * Frames of a process procd starts: a twelfth of procd's own quota, at
 * least 512 (2 MiB: what the tests' 24 MiB procd gives), at most 8192
 * (32 MiB). Each is carved from procd's quota, so a larger share means
 * fewer processes at once; a node that gives procd more (the PTS ISO's
 * 192 MiB) gives its processes room for many threads' stacks.
 */
#define PROCD_QUOTA_MIN 512
#define PROCD_QUOTA_MAX 8192
extern uint64_t procd_quota;

extern struct proc_table procd_table;
extern aion_handle_t procd_ep;
/* What procd's starter gave it to pass on (its startup record's posix_fs
 * and posix_tty), 0: none: each spawned process gets both. */
extern aion_handle_t procd_fs, procd_tty;
/* vfsd's VFS_REAP capability (startup record's vfs_reap), 0: none. */
extern aion_handle_t procd_reap;

/* A program procd carries: a POSIX ELF linked into it (images.c). */
struct procd_image {
	const char *name;
	const char *start, *end;
};
const struct procd_image *procd_image(const char *name);

/* Starts image as a new process, child of ppid, with argv args (split at
 * spaces; NULL: the image's name): its pid or -PROC_E.... */
int32_t procd_spawn(const struct procd_image *img, int32_t ppid, const char *args);

/* FORK and FORK_START for caller (aion/proc.h): the reply's words. */
int32_t procd_fork(struct proc *caller, uint64_t *unit_in_caller);
int32_t procd_fork_start(struct proc *caller, int32_t pid, uint64_t entry, uint64_t stack);

/* EXEC, EXEC_START, EXEC_CANCEL for caller (aion/proc.h); out: the
 * reply's w1, w2. A started SELF image replaces the caller's unit with
 * procd_exec_swap, after the reply. */
int32_t procd_exec(struct proc *caller, const char *name, const char *cmd, uint64_t entry,
		   uint64_t how, uint64_t out[2]);
/* to (PROC_CMD_MAX + 1 bytes) = len bytes of cmd, cut, NUL-ended. */
void procd_set_cmd(char *to, const char *cmd, size_t len);
int32_t procd_exec_start(struct proc *caller, int32_t pid, uint64_t flags, uint64_t pgrp);
void procd_exec_swap(struct proc *p);
int32_t procd_exec_cancel(struct proc *caller, int32_t pid);

/* p ends with a wait status: its unit goes, it is a zombie; see settle. */
void procd_finish(struct proc *p, int32_t status);

/* Makes the terminal pid's controlling terminal, its group the foreground. */
void procd_set_ctty(int32_t pid);

/* The notice of a unit's end (its badge's pid, the message's words). */
void procd_unit_ended(int32_t pid, const struct aion_msg *m);

/*
 * Sends sig to p's POSIX layer (signals.c), recording who sent it;
 * cut_wait: its blocked WAIT4 ends -EINTR. false: p cannot take it now
 * (no upcall entry): the caller applies the default action.
 */
bool procd_signal(struct proc *p, int32_t sig, int32_t from, int32_t code, int32_t status,
		  bool cut_wait);
/* SIGCHLD to child's parent if it catches it; status: the child's. */
/* SIGCHLD to ppid, child's parent when it ended (proc_end may have given
 * it to the reaper already). */
void procd_child_ended(const struct proc *child, int32_t ppid, int32_t status);
/* PROC_STOPPED: c's layer stopped (sig) or continued (0); SIGCHLD to its parent. */
int64_t procd_stopped(struct proc *c, uint64_t sig);
/* PROC_ALARM for c: the ns that were left (*old_every: the interval). */
int64_t procd_alarm(struct proc *c, uint64_t first, uint64_t every, bool read_only,
		    uint64_t *old_every);
/* Sends SIGALRM for every timer due; ns to the next one (0: none). */
uint64_t procd_alarms_due(void);
/* PROC_SIGINFO: the sender of c's last sig, *what its code and status. */
int64_t procd_siginfo(struct proc *c, uint64_t sig, uint64_t *what, uint64_t *value);
/*
 * sigqueue and a real-time kill: sig queued for p with its sender, code
 * and value, which PROC_SIGINFO tells once each. -> 1 sent, 0 p cannot
 * take it (no entry yet: the default applies), -PROC_EAGAIN queue full
 */
int64_t procd_queue(struct proc *p, int32_t sig, int32_t from, int32_t code, uint64_t value);

#endif
