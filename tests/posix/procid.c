/*
 * procd's guards, seen from a POSIX process (Aion-only, unlike fork.c):
 * the capability to procd carries the caller's pid as its badge and
 * cannot be re-badged; kill's refusals; a raw FORK's lent unit handle
 * has the WRITE right only and is taken back once the child starts; a
 * child that starts nowhere ends with SIGSEGV; one fork in progress at a
 * time; FORK_START of someone
 * else's pid; an unknown call; SPAWN's argv (payload) reaching a child
 * (this program with argv[1] = "child"), of fork.c (which must exit 0),
 * of a program procd does not carry, of no or too long an argv; a payload
 * to procd where none is wanted; 3,000 random calls.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "aion/proc.h"
#include "libaion/sys.h"

/* The POSIX layer's (space/posix/proc.c): procd's capability, one call. */
extern uint64_t __aion_proc_ep;
long __aion_proc_call(unsigned label, uint64_t a, uint64_t b, uint64_t c, uint64_t *w1);

#define NOWHERE         0x5000ul        /* an unmapped entry point */
#define SCRATCH_VA      0x60000000ul

static void say(const char *fmt, long a, long b, long c)
{
	printf("procid: ");
	printf(fmt, a, b, c);
	printf("\n");
	fflush(stdout);
}

static long err_of(long r)
{
	return r < 0 ? errno : 0;
}

/*
 * Random calls procd must answer with a result or an error, never crash
 * on, and that leave the caller itself: every label but the ones that
 * make or end processes (FORK, EXIT; KILL only of pids nobody has).
 */
static void fuzz(long me)
{
	static const unsigned labels[] = {
		0, PROC_GETPID, PROC_FORK_START, PROC_WAIT4, PROC_KILL, PROC_SETPGID,
		PROC_GETPGID, PROC_SETSID, PROC_GETSID, PROC_SPAWN, 12, 0x7fffffff, 0xffffffff,
	};
	uint64_t x = 0x9e3779b97f4a7c15ull ^ (uint64_t)me;
	long odd = 0, calls = 3000;

	for (long i = 0; i < calls; i++) {
		uint64_t w[3];
		for (int j = 0; j < 3; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[j] = x;
		}
		unsigned label = labels[w[0] % (sizeof(labels) / sizeof(labels[0]))];
		if (label == PROC_KILL)
			w[0] = (1ull << 20) | (w[0] >> 44);     /* no such pid */
		if (label == PROC_WAIT4)
			w[1] |= PROC_WNOHANG;                   /* we have no child */
		long r = __aion_proc_call(label, w[0], w[1], w[2], NULL);
		if (r < -4095 || r > PROC_PID_MAX)
			odd++;
	}
	say("fuzz calls=%ld odd=%ld still me=%ld", calls, odd, getpid() == me);
}

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));

/* A call with a payload (SPAWN's argv): through our own IPC buffer. */
static long call_payload(unsigned label, const char *text)
{
	size_t len = strlen(text);
	memcpy(ipc_buf.payload, text, len);
	struct aion_msg m = { .tag = AION_TAG(label, len, 0) };
	long err = aion_call((aion_handle_t)__aion_proc_ep, &m, AION_FOREVER);
	return err ? err : (long)m.w[0];
}

static void spawns(void)
{
	int st = 0;
	char big[PROC_SPAWN_ARGS_MAX + 2];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	say("spawn unknown=%ld empty=%ld too long=%ld", call_payload(PROC_SPAWN, "nosuch"),
	    __aion_proc_call(PROC_SPAWN, 0, 0, 0, NULL), call_payload(PROC_SPAWN, big));
	say("payload ignored getpid same=%ld", call_payload(PROC_GETPID, "junk") == getpid(), 0, 0);
	long pid = call_payload(PROC_SPAWN, "procid child x");
	long r = waitpid((pid_t)pid, &st, 0);
	say("spawn argv same=%ld exited=%ld argc=%ld", pid > 0 && r == pid, WIFEXITED(st),
	    WEXITSTATUS(st));
	pid = call_payload(PROC_SPAWN, "fork");
	r = waitpid((pid_t)pid, &st, 0);
	say("spawn fork same=%ld exited=%ld code=%ld", pid > 0 && r == pid, WIFEXITED(st),
	    WEXITSTATUS(st));
}

/* PROC_EXEC with name (NULL: no payload); *lent the handle procd lent. */
static long exec_call(const char *name, uint64_t entry, uint64_t how, uint64_t *lent)
{
	size_t len = name ? strlen(name) : 0;
	memcpy(ipc_buf.payload, name ? name : "", len);
	struct aion_msg m = { .tag = AION_TAG(PROC_EXEC, len, 0), .w = { entry, how, 0 } };
	long err = aion_call((aion_handle_t)__aion_proc_ep, &m, AION_FOREVER);
	*lent = m.w[1];
	return err ? err : (long)m.w[0];
}

/* exec's and posix_spawn's calls refuse what is not the caller's own. */
static void execs(void)
{
	uint64_t lent = 0;
	int st;
	const uint64_t entry = 0x400000, kernel = 0xffff800000000000ull;
	long me = getpid();
	say("exec guards empty=%ld how=%ld entry=%ld", exec_call(NULL, entry, 0, &lent),
	    exec_call("x", entry, 7, &lent), exec_call("x", kernel, PROC_EXEC_CHILD, &lent));
	say("exec start other=%ld cancel none=%ld", __aion_proc_call(PROC_EXEC_START, 1, 0, 0, NULL),
	    __aion_proc_call(PROC_EXEC_CANCEL, (uint64_t)me, 0, 0, NULL), 0);
	long pid = exec_call("nowhere", entry, PROC_EXEC_CHILD, &lent);
	uint64_t other;
	long second = exec_call("again", entry, PROC_EXEC_SELF, &other);
	long flags = __aion_proc_call(PROC_EXEC_START, (uint64_t)pid, 4, 0, NULL);
	long cancel = __aion_proc_call(PROC_EXEC_CANCEL, (uint64_t)pid, 0, 0, NULL);
	aion_handle_close((aion_handle_t)lent);
	long gone = waitpid((pid_t)pid, &st, WNOHANG) < 0 ? -errno : 0;
	say("exec child pid>0=%ld second=%ld flags=%ld", pid > 0, second, flags);
	say("exec child cancel=%ld gone=%ld", cancel, gone, 0);
	long self = exec_call("self", entry, PROC_EXEC_SELF, &lent);
	long sflags = __aion_proc_call(PROC_EXEC_START, (uint64_t)me, PROC_EXEC_SETSID, 0, NULL);
	long scancel = __aion_proc_call(PROC_EXEC_CANCEL, (uint64_t)me, 0, 0, NULL);
	aion_handle_close((aion_handle_t)lent);
	say("exec self same pid=%ld flags=%ld cancel=%ld", self == me, sflags, scancel);
}

int main(int argc, char **argv)
{
	struct aion_cap_info ci;
	long me = getpid();

	/* SPAWN's argv check: the child says what it got. */
	if (argc > 1 && !strcmp(argv[1], "child")) {
		printf("procid: child argc=%d argv=%s %s %s\n", argc, argv[0], argv[1],
		       argc > 2 ? argv[2] : "-");
		return argc;
	}
	if (aion_ipc_buffer(&ipc_buf))
		say("no ipc buffer", 0, 0, 0);

	long r = aion_cap_info((aion_handle_t)__aion_proc_ep, &ci);
	say("badge is pid=%ld rights send only=%ld", !r && (long)ci.badge == me,
	    !r && ci.rights == AION_RIGHT_SEND, 0);
	r = aion_cap_mint((aion_handle_t)__aion_proc_ep, AION_RIGHT_SEND, (uint64_t)me + 1);
	say("rebadge refused=%ld", r == -AION_EPERM, 0, 0);

	long k1 = err_of(kill(1, SIGKILL)), k2 = err_of(kill(-1, SIGTERM));
	long k3 = err_of(kill(99999, 0));
	say("kill reaper=%ld all=%ld nobody=%ld", k1, k2, k3);
	/* PROC_STOPPED: only a stop signal, or 0 (no change when not stopped). */
	say("kill self 0=%ld stopped bad=%ld continued=%ld", kill((pid_t)me, 0),
	    -__aion_proc_call(PROC_STOPPED, SIGTERM, 0, 0, NULL),
	    __aion_proc_call(PROC_STOPPED, 0, 0, 0, NULL));

	uint64_t unit = 0;
	long pid = __aion_proc_call(PROC_FORK, 0, 0, 0, &unit);
	long second = __aion_proc_call(PROC_FORK, 0, 0, 0, NULL);
	say("second fork while copying=%ld", second, 0, 0);
	long map = aion_anon_map((aion_handle_t)unit, SCRATCH_VA, 4096, AION_PROT_READ | AION_PROT_WRITE);
	long thread = aion_thread_create((aion_handle_t)unit, NOWHERE, SCRATCH_VA + 4096, 0, 100);
	say("raw fork pid>0=%ld map=%ld thread refused=%ld", pid > 0, map, thread == -AION_ERIGHTS);
	long other = __aion_proc_call(PROC_FORK_START, (uint64_t)me, NOWHERE, SCRATCH_VA + 4096, NULL);
	long start = __aion_proc_call(PROC_FORK_START, (uint64_t)pid, NOWHERE, SCRATCH_VA + 4096, NULL);
	long again = __aion_proc_call(PROC_FORK_START, (uint64_t)pid, NOWHERE, SCRATCH_VA + 4096, NULL);
	say("fork start other=%ld own=%ld twice=%ld", other, start, again);
	map = aion_anon_map((aion_handle_t)unit, SCRATCH_VA + 4096, 4096, AION_PROT_READ);
	say("lent handle taken back=%ld", map == -AION_ECAP, 0, 0);
	int st = 0;
	r = waitpid((pid_t)pid, &st, 0);
	say("nowhere child same=%ld signal=%ld", r == pid, WIFSIGNALED(st) ? WTERMSIG(st) : -1, 0);

	say("unknown call=%ld", __aion_proc_call(99, 0, 0, 0, NULL), 0, 0);
	spawns();
	execs();
	fuzz(me);
	return 0;
}
