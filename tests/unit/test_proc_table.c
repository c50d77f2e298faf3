/*
 * Host tests for procd's process table (space/posix/procd/table.c): pids
 * and the tree, orphans adopted by the reaper, wait matching, groups and
 * sessions with POSIX's errors, kill's targets and default actions, wait
 * statuses against the host's own <sys/wait.h> macros, and that every
 * call acts only for the caller it is given (procd takes it from the
 * capability's badge): another process's children are out of reach.
 * PROC_LIST's walk in pid order (zombies included, freed slots not) and
 * the command line a child starts with (its parent's).
 * Last, random calls by random callers keep the tree's invariants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "table.h"

static struct proc_table t;

static struct proc *spawn(int32_t ppid)
{
	struct proc *p = proc_new(&t, ppid);
	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	(void)state;
	proc_table_init(&t);
	return 0;
}

static void test_pids_and_tree(void **state)
{
	(void)state;
	struct proc *first = spawn(PROC_PID_REAPER);
	assert_int_equal(first->pid, 2);
	assert_int_equal(first->ppid, PROC_PID_REAPER);
	/* The reaper's child leads its own session and group. */
	assert_int_equal(first->pgid, 2);
	assert_int_equal(first->sid, 2);
	struct proc *c = spawn(first->pid);
	assert_int_equal(c->pid, 3);
	assert_int_equal(c->ppid, 2);
	assert_int_equal(c->pgid, 2);
	assert_int_equal(c->sid, 2);
	assert_ptr_equal(proc_live(&t, 3), c);
	assert_null(proc_live(&t, 4));
	/* No live parent, no child: a zombie cannot fork. */
	proc_end(&t, c, proc_status_exit(0));
	assert_null(proc_new(&t, 3));
	assert_ptr_equal(proc_find(&t, 3), c);
	assert_null(proc_live(&t, 3));
}

static void test_list_walk(void **state)
{
	(void)state;
	struct proc *sh = spawn(PROC_PID_REAPER);
	strcpy(sh->cmd, "sh -i");
	struct proc *a = spawn(sh->pid), *b = spawn(sh->pid), *c = spawn(sh->pid);
	assert_string_equal(a->cmd, "sh -i");   /* a fork's copy, until it execs */
	proc_end(&t, b, proc_status_exit(0));   /* a zombie is listed */
	proc_end(&t, c, proc_status_exit(0));
	proc_free(c);                           /* a freed slot is not */
	int32_t want[] = { sh->pid, a->pid, b->pid }, n = 0;
	for (struct proc *p = proc_next(&t, 0); p; p = proc_next(&t, p->pid + 1)) {
		assert_true(n < 3);
		assert_int_equal(p->pid, want[n++]);
	}
	assert_int_equal(n, 3);
	assert_ptr_equal(proc_next(&t, a->pid), a);
	assert_null(proc_next(&t, b->pid + 1));
}

static void test_table_full_and_wrap(void **state)
{
	(void)state;
	for (unsigned i = 0; i < PROC_MAX; i++)
		spawn(PROC_PID_REAPER);
	assert_null(proc_new(&t, PROC_PID_REAPER));
	proc_table_init(&t);
	/* Near the top: wraps to 2, skipping pids a group still carries. */
	t.next_pid = PROC_PID_MAX;
	struct proc *a = spawn(PROC_PID_REAPER);
	assert_int_equal(a->pid, PROC_PID_MAX);
	struct proc *b = spawn(PROC_PID_REAPER);
	assert_int_equal(b->pid, 2);
	struct proc *c = spawn(b->pid);         /* pid 3, in group 2 */
	assert_int_equal(c->pid, 3);
	proc_end(&t, b, 0);
	proc_free(b);                           /* pid 2 gone, group 2 lives on in c */
	t.next_pid = 2;
	struct proc *d = spawn(PROC_PID_REAPER);
	assert_int_equal(d->pid, 4);
}

static void test_orphans_go_to_reaper(void **state)
{
	(void)state;
	struct proc *a = spawn(PROC_PID_REAPER);
	struct proc *b = spawn(a->pid);
	struct proc *c = spawn(b->pid);
	proc_end(&t, b, proc_status_exit(0));
	assert_int_equal(c->ppid, PROC_PID_REAPER);
	assert_int_equal(b->state, PROC_ZOMBIE);
	assert_int_equal(b->ppid, a->pid);      /* a zombie stays its parent's */
}

/* SA_NOCLDWAIT or an ignored SIGCHLD: an ended child goes to the reaper,
 * and the parent's wait then finds no child (-ECHILD). */
static void test_no_zombies_kept(void **state)
{
	(void)state;
	struct proc *a = spawn(PROC_PID_REAPER);
	struct proc *b = spawn(a->pid), *c = spawn(a->pid), *d = spawn(a->pid);
	struct proc *z = NULL;
	int32_t status = 0;
	a->nocldwait = true;
	proc_end(&t, b, proc_status_exit(3));
	assert_int_equal(b->state, PROC_ZOMBIE);
	assert_int_equal(b->ppid, PROC_PID_REAPER);
	assert_int_equal(proc_wait_match(&t, a, b->pid, 0, &z, &status), -PROC_ECHILD);
	a->nocldwait = false;
	a->sig_ignored = 1ull << (17 - 1);     /* SIGCHLD */
	proc_end(&t, c, proc_status_exit(4));
	assert_int_equal(c->ppid, PROC_PID_REAPER);
	a->sig_ignored = 0;                     /* the default keeps it */
	proc_end(&t, d, proc_status_exit(5));
	assert_int_equal(d->ppid, a->pid);
	assert_int_equal(proc_wait_match(&t, a, -1, 0, &z, &status), d->pid);
	assert_int_equal(status, proc_status_exit(5));
}

static void test_wait_matching(void **state)
{
	(void)state;
	struct proc *z = NULL;
	int32_t st = 0;
	struct proc *a = spawn(PROC_PID_REAPER);
	assert_int_equal(proc_wait_match(&t, a, -1, 0, &z, &st), -PROC_ECHILD);
	struct proc *c1 = spawn(a->pid), *c2 = spawn(a->pid);
	assert_int_equal(proc_wait_match(&t, a, -1, 0, &z, &st), 0);
	assert_int_equal(proc_wait_match(&t, a, c2->pid, 0, &z, &st), 0);
	assert_int_equal(proc_wait_match(&t, a, 999, 0, &z, &st), -PROC_ECHILD);
	proc_end(&t, c2, proc_status_exit(5));
	assert_int_equal(proc_wait_match(&t, a, c1->pid, 0, &z, &st), 0);
	assert_int_equal(proc_wait_match(&t, a, -1, 0, &z, &st), c2->pid);
	assert_ptr_equal(z, c2);
	proc_free(z);
	/* Groups: 0 is the caller's, -g group g. */
	assert_int_equal(proc_setpgid(&t, a, c1->pid, 0), 0);
	assert_int_equal(proc_wait_match(&t, a, 0, 0, &z, &st), -PROC_ECHILD);
	assert_int_equal(proc_wait_match(&t, a, -c1->pid, 0, &z, &st), 0);
	proc_end(&t, c1, proc_status_signal(9));
	assert_int_equal(proc_wait_match(&t, a, -c1->pid, 0, &z, &st), c1->pid);
}

/* The caller is whoever the badge says: others' children are not its. */
static void test_acts_only_for_caller(void **state)
{
	(void)state;
	struct proc *z = NULL;
	int32_t st = 0;
	struct proc *a = spawn(PROC_PID_REAPER);
	struct proc *b = spawn(a->pid);
	struct proc *a_child = spawn(a->pid);
	proc_end(&t, a_child, proc_status_exit(1));
	assert_int_equal(proc_wait_match(&t, b, a_child->pid, 0, &z, &st), -PROC_ECHILD);
	assert_int_equal(proc_wait_match(&t, b, -1, 0, &z, &st), -PROC_ECHILD);
	struct proc *a_child2 = spawn(a->pid);
	assert_int_equal(proc_setpgid(&t, b, a_child2->pid, 0), -PROC_ESRCH);
	assert_int_equal(proc_setpgid(&t, b, a->pid, 0), -PROC_ESRCH);  /* its parent */
	assert_int_equal(a_child2->pgid, a->pgid);
	assert_int_equal(proc_getpgid(&t, b, 12345), -PROC_ESRCH);
	assert_int_equal(proc_getsid(&t, b, 0), a->sid);
}

static void test_setpgid_rules(void **state)
{
	(void)state;
	struct proc *leader = spawn(PROC_PID_REAPER);
	struct proc *c = spawn(leader->pid);
	struct proc *d = spawn(leader->pid);
	assert_int_equal(proc_setpgid(&t, leader, c->pid, -1), -PROC_EINVAL);
	/* A session leader cannot move. */
	assert_int_equal(proc_setpgid(&t, leader, 0, 0), -PROC_EPERM);
	/* No group 999 in the session. */
	assert_int_equal(proc_setpgid(&t, leader, c->pid, 999), -PROC_EPERM);
	assert_int_equal(proc_setpgid(&t, c, 0, 0), 0);
	assert_int_equal(proc_getpgid(&t, c, 0), c->pid);
	/* Joining an existing group of the session. */
	assert_int_equal(proc_setpgid(&t, leader, d->pid, c->pid), 0);
	assert_int_equal(d->pgid, c->pid);
	/* A child in another session is out of reach. */
	assert_int_equal(proc_setpgid(&t, leader, d->pid, d->pid), 0);
	assert_int_equal(proc_setsid(&t, d), -PROC_EPERM);      /* a group leader */
	struct proc *e = spawn(leader->pid);
	assert_int_equal(proc_setsid(&t, e), e->pid);
	assert_int_equal(proc_getsid(&t, leader, e->pid), e->pid);
	assert_int_equal(proc_getpgid(&t, leader, e->pid), e->pid);
	assert_int_equal(proc_setpgid(&t, leader, e->pid, 0), -PROC_EPERM);
}

static void test_kill_targets(void **state)
{
	(void)state;
	struct proc reaper = { .pid = PROC_PID_REAPER, .state = PROC_LIVE };
	struct proc *a = spawn(PROC_PID_REAPER);
	struct proc *b = spawn(a->pid);
	assert_true(proc_kill_names(a, b->pid, b));
	assert_false(proc_kill_names(a, b->pid, a));
	assert_true(proc_kill_names(a, 0, b));          /* the caller's group */
	assert_true(proc_kill_names(a, -a->pgid, b));
	assert_false(proc_kill_names(a, -1, b));        /* refused by procd */
	assert_false(proc_kill_names(a, PROC_PID_REAPER, &reaper));
	assert_int_equal(proc_sig_action(9), PROC_SIG_END);
	assert_int_equal(proc_sig_action(15), PROC_SIG_END);
	assert_int_equal(proc_sig_action(34), PROC_SIG_END);    /* real-time */
	assert_int_equal(proc_sig_action(17), PROC_SIG_IGNORE); /* SIGCHLD */
	assert_int_equal(proc_sig_action(28), PROC_SIG_IGNORE); /* SIGWINCH */
	assert_int_equal(proc_sig_action(19), PROC_SIG_STOP);   /* SIGSTOP */
	assert_int_equal(proc_sig_action(20), PROC_SIG_STOP);   /* SIGTSTP */
	assert_int_equal(proc_sig_action(18), PROC_SIG_IGNORE); /* SIGCONT */
	assert_int_equal(proc_sig_action(0), PROC_SIG_BAD);
	assert_int_equal(proc_sig_action(65), PROC_SIG_BAD);
}

/* What KILL does with a signal, from the sets a process told procd. */
static void test_sig_route(void **state)
{
	(void)state;
	struct proc p = { .pid = 5, .state = PROC_LIVE };
	assert_int_equal(proc_sig_route(&p, 15), PROC_ROUTE_SEND);     /* default ends: its layer decides */
	assert_int_equal(proc_sig_route(&p, 17), PROC_ROUTE_DROP);     /* SIGCHLD, default nothing */
	assert_int_equal(proc_sig_route(&p, 9), PROC_ROUTE_END);
	p.sig_caught = 1ull << (17 - 1);
	p.sig_ignored = 1ull << (15 - 1);
	assert_int_equal(proc_sig_route(&p, 17), PROC_ROUTE_SEND);     /* caught */
	assert_int_equal(proc_sig_route(&p, 15), PROC_ROUTE_DROP);     /* ignored */
	p.sig_ignored = p.sig_caught = 1ull << (9 - 1);                 /* no one catches SIGKILL */
	assert_int_equal(proc_sig_route(&p, 9), PROC_ROUTE_END);
	assert_int_equal(proc_sig_route(&p, 64), PROC_ROUTE_SEND);
	/* Stops go to the layer, which stops; SIGCONT always, even ignored. */
	p.sig_ignored = 1ull << (18 - 1) | 1ull << (20 - 1);
	assert_int_equal(proc_sig_route(&p, 19), PROC_ROUTE_SEND);
	assert_int_equal(proc_sig_route(&p, 20), PROC_ROUTE_DROP);     /* SIGTSTP ignored */
	assert_int_equal(proc_sig_route(&p, 18), PROC_ROUTE_SEND);
}

/* Job control: what a parent's wait reports of a child that stops and
 * continues, once each, only with WUNTRACED / WCONTINUED. */
static void test_stop_continue(void **state)
{
	(void)state;
	struct proc *z = NULL;
	int32_t st = 0;
	struct proc *a = spawn(PROC_PID_REAPER);
	struct proc *c = spawn(a->pid);
	assert_int_equal(proc_stopped(c, 15), -PROC_EINVAL);   /* not a stop signal */
	assert_int_equal(proc_stopped(c, 0), 0);               /* not stopped: no change */
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WCONTINUED, &z, &st), 0);
	assert_int_equal(proc_stopped(c, 19), 5);              /* CLD_STOPPED */
	assert_int_equal(proc_wait_match(&t, a, -1, 0, &z, &st), 0);   /* no WUNTRACED */
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WUNTRACED | PROC_WNOWAIT, &z, &st),
			 c->pid);
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WUNTRACED, &z, &st), c->pid);
	assert_ptr_equal(z, c);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(WSTOPSIG(st), 19);
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WUNTRACED, &z, &st), 0);  /* told once */
	assert_int_equal(proc_stopped(c, 0), 6);               /* CLD_CONTINUED */
	assert_int_equal(proc_wait_match(&t, a, c->pid, PROC_WUNTRACED, &z, &st), 0);
	assert_int_equal(proc_wait_match(&t, a, c->pid, PROC_WCONTINUED, &z, &st), c->pid);
	assert_true(WIFCONTINUED(st));
	assert_int_equal(c->state, PROC_LIVE);
	/* A zombie is reported before a change, and not without exits. */
	proc_stopped(c, 20);
	proc_end(&t, c, proc_status_exit(3));
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WUNTRACED | PROC_WNOEXITED, &z, &st), 0);
	assert_int_equal(proc_wait_match(&t, a, -1, PROC_WUNTRACED, &z, &st), c->pid);
	assert_true(WIFEXITED(st));
}

static void test_statuses(void **state)
{
	(void)state;
	int s = proc_status_exit(7);
	assert_true(WIFEXITED(s));
	assert_int_equal(WEXITSTATUS(s), 7);
	s = proc_status_exit(256 + 5);          /* only the low 8 bits */
	assert_int_equal(WEXITSTATUS(s), 5);
	s = proc_status_exit(-1);
	assert_int_equal(WEXITSTATUS(s), 255);
	s = proc_status_signal(9);
	assert_true(WIFSIGNALED(s));
	assert_false(WIFEXITED(s));
	assert_int_equal(WTERMSIG(s), 9);
	assert_false(WCOREDUMP(s));
	assert_int_equal(proc_fault_signal(14), 11);
	assert_int_equal(proc_fault_signal(13), 11);
	assert_int_equal(proc_fault_signal(6), 4);      /* #UD: SIGILL */
	assert_int_equal(proc_fault_signal(0), 8);      /* #DE: SIGFPE */
	assert_int_equal(proc_fault_signal(16), 8);     /* #MF */
	assert_int_equal(proc_fault_signal(19), 8);     /* #XM */
	assert_int_equal(proc_fault_signal(17), 7);     /* #AC: SIGBUS */
	assert_int_equal(proc_fault_signal(3), 5);      /* #BP: SIGTRAP */
}

/* The tree's invariants, whatever the calls did. */
static void check_invariants(void)
{
	for (unsigned i = 0; i < PROC_MAX; i++) {
		const struct proc *p = &t.p[i];
		if (p->state == PROC_FREE)
			continue;
		assert_true(p->pid > PROC_PID_REAPER && p->pid <= PROC_PID_MAX);
		/* A parent is the reaper or alive: a dead one's children moved. */
		assert_true(p->ppid == PROC_PID_REAPER || proc_live(&t, p->ppid));
		for (unsigned j = i + 1; j < PROC_MAX; j++) {
			const struct proc *q = &t.p[j];
			if (q->state == PROC_FREE)
				continue;
			assert_int_not_equal(p->pid, q->pid);
			/* A group never spans two sessions. */
			if (p->pgid == q->pgid)
				assert_int_equal(p->sid, q->sid);
		}
	}
}

static uint64_t rnd_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state % n);
}

/* A pid worth naming: a process's, a near miss, or anything. */
static int32_t some_pid(void)
{
	switch (rnd(4)) {
	case 0:
		return t.p[rnd(PROC_MAX)].pid;
	case 1:
		return (int32_t)rnd(PROC_MAX + 4);
	case 2:
		return -(int32_t)rnd(PROC_MAX + 4);
	default:
		return (int32_t)(rnd(0xffffffffu) - 0x7fffffff);
	}
}

/* 200,000 random calls by random live callers keep the invariants. */
static void test_random_calls(void **state)
{
	(void)state;
	for (unsigned step = 0; step < 200000; step++) {
		struct proc *c = &t.p[rnd(PROC_MAX)], *z = NULL;
		int32_t st = 0;
		if (c->state != PROC_LIVE) {
			proc_new(&t, PROC_PID_REAPER);  /* NULL when full */
			continue;
		}
		switch (rnd(8)) {
		case 0:
			proc_new(&t, c->pid);
			break;
		case 1:
			proc_end(&t, c, proc_status_exit(rnd(256)));
			break;
		case 2:
			if (proc_wait_match(&t, c, some_pid(), 0, &z, &st) > 0) {
				assert_int_equal(z->ppid, c->pid);
				assert_int_equal(z->state, PROC_ZOMBIE);
				proc_free(z);
			}
			break;
		case 3:
			proc_setpgid(&t, c, some_pid(), some_pid());
			break;
		case 4:
			proc_setsid(&t, c);
			break;
		case 6:
			proc_stopped(c, rnd(2) ? 19 : 0);
			break;
		case 7:
			if (proc_wait_match(&t, c, some_pid(), PROC_WUNTRACED | PROC_WCONTINUED,
					    &z, &st) > 0) {
				assert_int_equal(z->ppid, c->pid);
				if (z->state == PROC_ZOMBIE)
					proc_free(z);
				else
					assert_true(WIFSTOPPED(st) || WIFCONTINUED(st));
			}
			break;
		default:
			proc_getpgid(&t, c, some_pid());
			proc_getsid(&t, c, some_pid());
		}
		/* The reaper's turn: orphaned zombies go. */
		for (unsigned i = 0; i < PROC_MAX; i++)
			if (t.p[i].state == PROC_ZOMBIE && t.p[i].ppid == PROC_PID_REAPER)
				proc_free(&t.p[i]);
		check_invariants();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_pids_and_tree, setup),
		cmocka_unit_test_setup(test_list_walk, setup),
		cmocka_unit_test_setup(test_table_full_and_wrap, setup),
		cmocka_unit_test_setup(test_orphans_go_to_reaper, setup),
		cmocka_unit_test_setup(test_no_zombies_kept, setup),
		cmocka_unit_test_setup(test_wait_matching, setup),
		cmocka_unit_test_setup(test_acts_only_for_caller, setup),
		cmocka_unit_test_setup(test_setpgid_rules, setup),
		cmocka_unit_test_setup(test_kill_targets, setup),
		cmocka_unit_test_setup(test_sig_route, setup),
		cmocka_unit_test_setup(test_stop_continue, setup),
		cmocka_unit_test_setup(test_statuses, setup),
		cmocka_unit_test_setup(test_random_calls, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
