/*
 * ps (docs/posix.md "ps"): the processes procd knows, one line each,
 * in busybox's ps columns plus the ids a job-control reader wants: PID,
 * PPID, PGID, SID, STAT (S alive, Z a zombie) and the command line. It
 * walks procd's table with PROC_LIST (aion/proc.h), not /proc, which
 * Aion has no server for; busybox's own ps applet is left out of the
 * build (busybox/aion.config), so the shell finds this one in /bin.
 * Options are accepted and ignored (busybox's ps takes only -o and -T).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "aion/ipc.h"
#include "aion/proc.h"
#include "libaion/sys.h"

/* The POSIX layer's own (posix.h): procd's capability, our IPC buffer. */
extern uint64_t __aion_proc_ep;
struct aion_ipc_buffer *__aion_ipc_buf(void);
long __aion_errno(int64_t aion_err);

struct row {
	int32_t pid, ppid, pgid, sid;
	char stat;
	char cmd[PROC_CMD_MAX + 1];
};

/* The process with the lowest pid >= from: 1, 0 none left, or -errno. */
static long next_row(struct aion_ipc_buffer *b, int32_t from, struct row *r)
{
	struct aion_msg m = { .tag = AION_TAG(PROC_LIST, 0, 0), .w = { (uint64_t)from } };
	int64_t err = aion_call((aion_handle_t)__aion_proc_ep, &m, AION_FOREVER);
	if (err)
		return __aion_errno(err);
	if ((int64_t)m.w[0] <= 0)
		return (long)(int64_t)m.w[0];
	unsigned len = AION_TAG_LEN(m.tag);
	if (len > PROC_CMD_MAX)
		len = PROC_CMD_MAX;
	memcpy(r->cmd, b->payload, len);
	r->cmd[len] = '\0';
	r->pid = (int32_t)m.w[0];
	r->ppid = (int32_t)(uint32_t)m.w[1];
	r->pgid = (int32_t)(uint32_t)(m.w[1] >> 32);
	r->sid = (int32_t)(uint32_t)m.w[2];
	r->stat = (m.w[2] >> 32) == PROC_LIST_ZOMBIE ? 'Z' : 'S';
	return 1;
}

int main(void)
{
	struct aion_ipc_buffer *b = __aion_ipc_buf();
	struct row r;
	long got;

	if (!__aion_proc_ep || !b) {
		fprintf(stderr, "ps: %s\n", !b ? strerror(EIO) : "no process server");
		return 1;
	}
	printf("  PID  PPID  PGID   SID STAT COMMAND\n");
	for (int32_t from = 0; (got = next_row(b, from, &r)) > 0; from = r.pid + 1)
		printf("%5d %5d %5d %5d %-4c %s\n", r.pid, r.ppid, r.pgid, r.sid, r.stat, r.cmd);
	if (got < 0) {
		fprintf(stderr, "ps: %s\n", strerror((int)-got));
		return 1;
	}
	return 0;
}
