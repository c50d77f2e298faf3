/*
 * The Open POSIX Test Suite's runner (issue 17, Done when 2): runs each
 * test its index names, one at a time, and prints one line a test and a
 * summary that tests/boot/boot_pts.py and bench/ read. The same source runs
 * on the host (built with musl-gcc, against the same tests built for the
 * host) for a baseline.
 *
 * usage: pts_run DIR [INDEX]   (INDEX: DIR/index.txt; lines "IFACE/TEST built")
 *
 * A test's verdict is its exit status (the suite's posixtest.h): 0 PASS,
 * 1 FAIL, 2 UNRESOLVED, 4 UNSUPPORTED, 5 UNTESTED; any other status, a
 * signal, or running past TIMEOUT_S is a FAIL with the reason named.
 * Each test runs in a process group of its own, killed when the test
 * ends: a child it left behind (a test that gave up on its child) does
 * not live on into the next tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_S       60      /* the suite's own tests sleep up to ~30 s */
#define POLL_NS         10000000

enum verdict { PASS, FAIL, UNRESOLVED, UNSUPPORTED, UNTESTED, VERDICTS };
static const char *const names[VERDICTS] = { "PASS", "FAIL", "UNRESOLVED", "UNSUPPORTED", "UNTESTED" };

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs path; its verdict, and in why a reason when it is not its own. */
static enum verdict run(const char *path, char *why, size_t whylen)
{
	why[0] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return UNRESOLVED;
	}
	if (pid == 0) {
		setpgid(0, 0);
		execl(path, path, (char *)NULL);
		fprintf(stderr, "pts_run: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);      /* either may come first */
	double deadline = now_s() + TIMEOUT_S;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (r < 0) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return UNRESOLVED;
		}
		if (now_s() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "timeout %ds", TIMEOUT_S);
			return FAIL;
		}
		nanosleep(&(struct timespec){ 0, POLL_NS }, NULL);
	}
	kill(-pid, SIGKILL);    /* what the test left in its group */
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "signal %d", WTERMSIG(status));
		return FAIL;
	}
	int code = WEXITSTATUS(status);
	switch (code) {
	case 0: return PASS;
	case 1: return FAIL;
	case 2: return UNRESOLVED;
	case 4: return UNSUPPORTED;
	case 5: return UNTESTED;
	default:
		snprintf(why, whylen, "exit %d", code);
		return FAIL;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pts_run DIR [INDEX]\n");
		return 2;
	}
	char index[512], line[512], path[1024], why[64];
	snprintf(index, sizeof(index), "%s/index.txt", argv[1]);
	FILE *f = fopen(argc > 2 ? argv[2] : index, "r");
	if (!f) {
		printf("pts_run: %s: %s\n", argc > 2 ? argv[2] : index, strerror(errno));
		return 2;
	}
	unsigned count[VERDICTS] = { 0 }, total = 0;
	while (fgets(line, sizeof(line), f)) {
		char test[256], kind[32];
		if (sscanf(line, "%255s %31s", test, kind) != 2 || strcmp(kind, "built"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], test);
		double t0 = now_s();
		enum verdict v = run(path, why, sizeof(why));
		count[v]++;
		total++;
		printf("pts-result test=%s verdict=%s ms=%ld%s%s\n", test, names[v],
		       (long)((now_s() - t0) * 1000), why[0] ? " why=" : "", why);
	}
	fclose(f);
	printf("pts-summary run=%u pass=%u fail=%u unresolved=%u unsupported=%u untested=%u\n", total,
	       count[PASS], count[FAIL], count[UNRESOLVED], count[UNSUPPORTED], count[UNTESTED]);
	return 0;
}
