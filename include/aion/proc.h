/*
 * The process server's protocol (procd, docs/posix.md "Processes").
 *
 * procd is the parent unit of every POSIX process. Each process holds one
 * SEND capability to procd's endpoint, badged with its pid: the badge is
 * the caller's identity, so no message names "who I am" and a process can
 * only act as itself. Every message is a CALL with the label below and its
 * words in registers (no payload, no capabilities); the reply's w0 is the
 * result: >= 0, or a negated Linux errno (the only client is the POSIX
 * layer, which hands it to musl unchanged; Aion's error set has no ECHILD
 * or ESRCH). Pids and statuses are Linux's: a wait status is
 * (code & 0xff) << 8 for an exit, the signal number for a kill.
 *
 * Fault notices of the processes' units (UNIT_FAULT_EP) arrive on the same
 * endpoint with badge PROC_BADGE_NOTICE | pid, a badge no process holds.
 */
#ifndef AION_PROC_H
#define AION_PROC_H

#include <stdint.h>

enum proc_call {
	/* -> w0 pid, w1 parent pid */
	PROC_GETPID = 1,
	/*
	 * Starts a copy of the caller (fork, eagerly copied): procd creates
	 * the child's unit and gives the caller a handle to it with the WRITE
	 * right only, for ANON_MAP and MEM_WRITE of its memory into it.
	 * -> w0 child pid, w1 that unit handle (in the caller's table);
	 * -EAGAIN while one of the caller's forks is not started yet
	 */
	PROC_FORK = 2,
	/*
	 * w0 child pid, w1 entry, w2 stack top: the copy is done. procd takes
	 * the caller's WRITE handle back (revoked) and starts the child's
	 * thread at entry with rdi = the child's own procd handle. -> 0
	 */
	PROC_FORK_START = 3,
	/*
	 * w0 pid (> 0 that child, -1 any child, 0 the caller's group, < -1
	 * group -pid), w1 options (WNOHANG 1, WUNTRACED 2, WCONTINUED 8,
	 * WNOWAIT 0x1000000, PROC_WNOEXITED). Blocks until a matching child
	 * is a zombie, or with WUNTRACED has stopped, with WCONTINUED has
	 * continued, since last told (unless WNOHANG: 0).
	 * -> w0 pid or 0 or -ECHILD, w1 status (Linux encoding: a stop is
	 * 0x7f | sig << 8, a continue 0xffff)
	 */
	PROC_WAIT4 = 4,
	/* w0 exit code (its low 8 bits kept): the caller ends now -> 0 */
	PROC_EXIT = 5,
	/*
	 * w0 pid (> 0, 0 the caller's group, < -1 group -pid; -1 every
	 * process is refused, -EPERM), w1 signal (0: may I?). Default actions
	 * only: terminating signals end the process (WTERMSIG = the signal),
	 * SIGCHLD, SIGURG, SIGWINCH are ignored; stop signals and SIGCONT
	 * are sent to the process's POSIX layer, which stops or continues
	 * its threads and says so (PROC_STOPPED). pid 1 (procd) is -EPERM. -> 0
	 */
	PROC_KILL = 6,
	/* w0 pid (0: caller), w1 pgid (0: that pid) -> 0 */
	PROC_SETPGID = 7,
	/* w0 pid (0: caller) -> pgid */
	PROC_GETPGID = 8,
	/* -> the new session id */
	PROC_SETSID = 9,
	/* w0 pid (0: caller) -> sid */
	PROC_GETSID = 10,
	/*
	 * Payload: the argv, words split at spaces, at most
	 * PROC_SPAWN_ARGS_MAX bytes; argv[0] names one of the images procd
	 * carries. It becomes a child of the caller. (The one call with a
	 * payload: the caller needs an IPC buffer.) -> pid, -ENOENT unknown
	 * name, -EINVAL no or too long an argv
	 */
	PROC_SPAWN = 11,
	/*
	 * A new image, which the caller loads itself as a fork copies (the
	 * POSIX layer's execve and posix_spawn read the ELF from the file
	 * tree, docs/posix.md "exec"): for the caller itself (w1
	 * PROC_EXEC_SELF) or for a new child of it (PROC_EXEC_CHILD).
	 * Payload: the unit's name (1..31 bytes, the program's file name),
	 * optionally then a NUL and the command line PROC_LIST shows (argv
	 * joined by spaces, 0..PROC_CMD_MAX bytes; without it: the name);
	 * w0 the entry. procd creates the unit with the caller's quota, its
	 * first thread at the entry (not started; rdi = AION_STARTUP_VADDR,
	 * rsp = AION_STACK_TOP), gives it its own badged capability and
	 * lends the caller a WRITE-only handle to it.
	 * -> w0 the pid (the caller's for SELF, the child's), w1 the lent
	 * handle (in the caller's table), w2 procd's capability in the new
	 * unit's table; -EAGAIN while a fork or image of the caller is not
	 * started yet, -EINVAL a bad name, entry or w1
	 */
	PROC_EXEC = 12,
	/*
	 * w0 pid (PROC_EXEC's), w1 PROC_EXEC_SETSID | PROC_EXEC_SETPGROUP
	 * (a child only), w2 the group for SETPGROUP (0: the child's pid):
	 * the image is loaded. procd takes the lent handle back, applies
	 * setsid() and setpgid(0, w2) as the child itself would, and starts
	 * the thread. SELF: the caller's old unit ends after the reply; the
	 * process (pid, parent, group, session, children) goes on in the new
	 * one. -> 0, or setsid's or setpgid's error (the image is dropped)
	 */
	PROC_EXEC_START = 13,
	/* w0 pid: the image is dropped (its load failed) -> 0 */
	PROC_EXEC_CANCEL = 14,
	/* 15: reserved for exec and spawn */
	/*
	 * Signals (docs/posix.md "Signals"). w0 the signals the caller
	 * catches (those whose default does nothing are enough: procd sends
	 * the others anyway), w1 those it ignores (bit s-1: signal s), w2
	 * PROC_SIG_NOCLDSTOP (SIGCHLD's SA_NOCLDSTOP: no SIGCHLD when a child
	 * stops or continues), PROC_SIG_NOCLDWAIT (SA_NOCLDWAIT: an ended
	 * child is not kept for WAIT4, as when SIGCHLD is ignored; a
	 * WAIT4 then ends -ECHILD when no child is left). KILL then drops
	 * an ignored signal, and one whose default is to do nothing unless
	 * caught; any other it sends with THREAD_INTERRUPT (bit s-1) to the
	 * process's first thread, whose POSIX layer masks, queues or runs
	 * it, and answers the process's blocked WAIT4 with -EINTR. -> 0
	 */
	PROC_SIGSTATE = 16,
	/*
	 * w0 signal: who sent the oldest one queued for the caller (QUEUE,
	 * a real-time KILL), else the last one procd delivered, forgotten
	 * once told. -> w0 sender pid (0: procd, SIGALRM; -EAGAIN: none
	 * kept), w1 si_code | (uint64_t)x << 32, x: SIGCHLD's si_status, or
	 * for a queued one how many more of that signal are queued (each
	 * is delivered: the caller marks it pending again), w2 si_value
	 */
	PROC_SIGINFO = 17,
	/* w0 signal: the caller ends killed by it (its default action) -> 0 */
	PROC_SIGEXIT = 18,
	/*
	 * setitimer(ITIMER_REAL): w0 first expiry in ns from now (0:
	 * disarm), w1 the interval after it (0: once), w2 1: only read.
	 * procd sends SIGALRM (si_code SI_KERNEL) when it expires. A fork's
	 * child starts with none. -> w0 the ns that were left, w1 the interval
	 */
	PROC_ALARM = 19,
	/*
	 * ps (docs/posix.md "ps"): w0 a pid. Describes the process (live or
	 * a zombie) with the lowest pid >= w0, so a caller walks the table
	 * with w0 = the last pid + 1. -> w0 its pid (0: none left), w1 its
	 * parent's pid | (uint64_t)its group << 32, w2 its session |
	 * (uint64_t)PROC_LIST_* << 32; payload: its command line (no NUL,
	 * at most PROC_CMD_MAX bytes: the caller needs an IPC buffer). Any
	 * process may list, as any may read Linux's /proc.
	 */
	PROC_LIST = 20,
	/* 21..23: reserved for ps */
	/*
	 * -> w0 the CPU time, in ns, of the caller's children it waited for
	 * and of theirs (times()' tms_cutime, getrusage(RUSAGE_CHILDREN)):
	 * each process's units' time, read as each goes (exec's old one too).
	 */
	PROC_CHILD_CPU = 24,
	/*
	 * Job control (docs/posix.md "Stop and continue"): w0 a stop signal:
	 * the caller's POSIX layer has stopped its threads; 0: they go on
	 * again. The parent's WAIT4 with WUNTRACED (WCONTINUED) reports it
	 * once, and it gets SIGCHLD (CLD_STOPPED, CLD_CONTINUED) if it
	 * catches SIGCHLD without SA_NOCLDSTOP. -> 0, -EINVAL not a stop
	 * signal
	 */
	PROC_STOPPED = 25,
	/*
	 * sigqueue: w0 pid (> 0), w1 signal (0: may I?), w2 its value. As
	 * KILL to one process, with si_code SI_QUEUE; each one is queued
	 * and delivered with its value (PROC_SIGINFO), a real-time signal
	 * as many times as sent, another once while one is pending.
	 * -> 0, -EAGAIN PROC_SIGQ_MAX queued already, as KILL's errors
	 */
	PROC_QUEUE = 26,
};

/* Signals queued for one process (sigqueue; real-time kills), at most:
 * RLIMIT_SIGPENDING and _SC_SIGQUEUE_MAX (POSIX's minimum). */
#define PROC_SIGQ_MAX           32
#define PROC_SIG_RT_FIRST       32      /* real-time signals: queued */

#define PROC_EXEC_SELF          0
#define PROC_EXEC_CHILD         1
#define PROC_EXEC_SETSID        1u
#define PROC_EXEC_SETPGROUP     2u
#define PROC_NAME_MAX           31      /* a unit's name */
#define PROC_CMD_MAX            63      /* a command line PROC_LIST shows */
#define PROC_LIST_LIVE          1       /* PROC_LIST's states */
#define PROC_LIST_ZOMBIE        2

/* The Linux errno values replies carry (negated). */
#define PROC_EPERM      1
#define PROC_ENOENT     2
#define PROC_ESRCH      3
#define PROC_EINTR      4
#define PROC_ECHILD     10
#define PROC_EAGAIN     11
#define PROC_ENOMEM     12
#define PROC_EINVAL     22
/* Wait options (Linux's values). */
#define PROC_WNOHANG    1
#define PROC_WUNTRACED  2
#define PROC_WCONTINUED 8
#define PROC_WNOWAIT    0x1000000
#define PROC_WNOEXITED  0x2000000       /* not Linux's: waitid without WEXITED */
#define PROC_SIG_NOCLDSTOP      1       /* PROC_SIGSTATE's w2 */
#define PROC_SIG_NOCLDWAIT      2       /* ... SA_NOCLDWAIT: children are not kept as zombies */

#define PROC_PID_REAPER         1               /* procd itself: adopts orphans */
#define PROC_PID_MAX            32767           /* pids wrap to 2 after this */
#define PROC_BADGE_NOTICE       (1ull << 62)    /* | pid: the kernel's fault notice */
#define PROC_SPAWN_ARGS_MAX     127             /* AION_ARGS_MAX - 1 */
/* Every POSIX process's stack: [AION_STACK_TOP - pages, AION_STACK_TOP). */
#define PROC_STACK_PAGES        32

#endif /* AION_PROC_H */
