/*
 * Random schedules for the Raft core (mesh/raft.h) on the deterministic
 * cluster of raft_sim.h: 3 and 5 servers under message loss, duplication,
 * delay and reordering, partitions, crashes that lose what was not synced,
 * wiped disks (back under a new id), compaction, membership changes and
 * reads. The safety checks run after every event; every schedule ends
 * with a healed, loss-free period in which a leader must be elected and a
 * proposal commit within LIVENESS_MS of simulated time.
 *
 * RAFT_SIM_RUNS=N sets the number of schedules (default 10000);
 * RAFT_SIM_SEED=S replays one schedule and prints every event. A failure
 * prints its seed and then its whole schedule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "raft_sim.h"

#define RUNS_DEFAULT  10000u
#define SEED_BASE     0x5eed0000ull
#define STEPS         600u
#define STEP_MS       10u
#define LIVENESS_MS   10000u

static struct sim sim;

static int random_up(struct sim *s, bool up)
{
	unsigned start = (unsigned)sim_rand(s, s->nslots);

	for (unsigned k = 0; k < s->nslots; k++) {
		unsigned i = (start + k) % s->nslots;

		if (s->srv[i].used && s->srv[i].up == up)
			return (int)i;
	}
	return -1;
}

static void change(struct sim *s, int l, enum raft_conf_op op, uint64_t id,
		   uint16_t node)
{
	uint64_t index;

	if (raft_change_config(&s->srv[l].r, op, id, node, &index) == 0)
		s->st.conf_changes++;
	sim_after_event(s, (unsigned)l);
}

static int outsider(struct sim *s, const struct raft_conf *c)
{
	for (unsigned i = 0; i < s->nslots; i++)
		if (s->srv[i].used && s->srv[i].up && !raft_conf_find(c, s->srv[i].id))
			return (int)i;
	return -1;
}

/* Membership as an operator would run it: first remove a wiped server's
 * dead id, promote learners, add servers that are not in, sometimes
 * remove a voter (the leader included) while at least 3 would remain. */
static void membership_op(struct sim *s)
{
	int l = sim_leader(s), o;
	const struct raft_conf *c;

	if (l < 0)
		return;
	c = &s->srv[l].r.conf;
	if (s->dead_id && raft_conf_find(c, s->dead_id)) {
		change(s, l, RAFT_CONF_REMOVE, s->dead_id, 0);
		return;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (!c->s[i].voter) {
			change(s, l, RAFT_CONF_PROMOTE, c->s[i].id, 0);
			return;
		}
	o = outsider(s, c);
	if (o >= 0)
		change(s, l, RAFT_CONF_ADD_LEARNER, s->srv[o].id, (uint16_t)(o + 1));
	else if (raft_conf_voters(c) > 3 && sim_rand(s, 2))
		change(s, l, RAFT_CONF_REMOVE, c->s[sim_rand(s, c->n)].id, 0);
	else
		(void)sim_add_server(s);
}

/* A wiped disk is allowed while a live majority stays certain: no other
 * dead id in the configuration and at least 3 voters. */
static void wipe_op(struct sim *s)
{
	int l = sim_leader(s), v = random_up(s, false);
	const struct sim_server *ls;

	if (l < 0 || v < 0 || s->dead_id)
		return;
	ls = &s->srv[l];
	if (ls->r.commit < ls->r.conf_index || raft_conf_voters(&ls->r.conf) < 3)
		return;
	s->dead_id = s->srv[v].id;
	sim_wipe(s, (unsigned)v);
}

static void partition_op(struct sim *s)
{
	uint8_t g[SIM_SLOTS];

	for (unsigned i = 0; i < SIM_SLOTS; i++)
		g[i] = (uint8_t)sim_rand(s, 2);
	sim_partition(s, g);
}

static void faults_op(struct sim *s)
{
	s->loss_pct = (unsigned)sim_rand(s, 25);
	s->dup_pct = (unsigned)sim_rand(s, 15);
	s->delay_max = 1 + (unsigned)sim_rand(s, 60);
	s->sync_pct = 30 + (unsigned)sim_rand(s, 71);
	s->io_crash_pct = (unsigned)sim_rand(s, 30);
}

static void client_op(struct sim *s, bool read)
{
	int i = sim_rand(s, 4) ? sim_leader(s) : random_up(s, true);
	uint64_t index;
	int err;

	if (i < 0)
		return;
	err = read ? sim_read(s, (unsigned)i) : sim_propose(s, (unsigned)i, &index);
	if (s->srv[i].r.role != RAFT_LEADER && err != -AION_ENOTLEADER)
		sim_fail(s, "a follower answered a client with %s",
			 aion_error_name(err));
}

/* Per mille: time passes most often; crashes are rare enough that the
 * cluster spends most of the schedule with a leader at work. */
/* A failure detector's mistake: a server is told a live one is dead. */
static void suspect_op(struct sim *s)
{
	int i = random_up(s, true);
	unsigned j = (unsigned)sim_rand(s, s->nslots);

	if (i >= 0 && s->srv[j].used) {
		sim_trace(s, "suspect: %llu told %llu is dead", (unsigned long long)s->srv[i].id,
			  (unsigned long long)s->srv[j].id);
		raft_leader_lost(&s->srv[i].r, s->srv[j].id);
		s->st.suspicions++;
	}
}

static void random_step(struct sim *s)
{
	uint64_t r = sim_rand(s, 1000);
	int i;

	if (r < 600)
		sim_step_ms(s, STEP_MS, false);
	else if (r < 700)
		client_op(s, false);
	else if (r < 715 && (i = random_up(s, true)) >= 0)
		sim_crash(s, (unsigned)i);
	else if (r < 750 && (i = random_up(s, false)) >= 0)
		sim_restart(s, (unsigned)i);
	else if (r < 760)
		wipe_op(s);
	else if (r < 780)
		partition_op(s);
	else if (r < 805)
		sim_heal(s);
	else if (r < 845 && (i = random_up(s, true)) >= 0)
		(void)sim_compact(s, (unsigned)i);
	else if (r < 885)
		membership_op(s);
	else if (r < 925)
		client_op(s, true);
	else if (r < 935)
		faults_op(s);
	else if (r < 950 && s->quiet_ms)
		suspect_op(s);
	else if ((i = random_up(s, true)) >= 0)
		sim_sync(s, (unsigned)i);
}

static void compact_full_logs(struct sim *s)
{
	for (unsigned i = 0; i < s->nslots; i++)
		if (s->srv[i].up && s->srv[i].r.log.last - s->srv[i].r.log.snap_index >
		    SIM_LOG_CAP / 2)
			(void)sim_compact(s, i);
}

/* Healed, loss-free, everyone restarted: a leader must be elected and a
 * proposal made after the heal must commit. */
static void liveness(struct sim *s)
{
	uint64_t t0 = s->now, term = 0, index = 0, pterm = 0;

	sim_heal(s);
	s->loss_pct = s->dup_pct = s->io_crash_pct = 0;
	s->delay_max = 5;
	for (unsigned i = 0; i < s->nslots; i++)
		sim_restart(s, i);
	while (s->now - t0 < LIVENESS_MS) {
		int l;

		sim_step_ms(s, 5, true);
		compact_full_logs(s);
		l = sim_leader(s);
		if (l >= 0 && s->srv[l].r.hard.term != term &&
		    sim_propose(s, (unsigned)l, &index) == 0) {
			term = pterm = s->srv[l].r.hard.term;
		}
		if (index && s->committed[index].set && s->committed[index].term == pterm) {
			uint64_t ms = s->now - t0;

			s->st.liveness_runs++;
			s->st.liveness_ms_sum += ms;
			if (ms > s->st.liveness_ms_max)
				s->st.liveness_ms_max = ms;
			return;
		}
	}
	sim_fail(s, "liveness: no proposal committed within %u ms of a healed, loss-free network (leader slot %d)",
		 LIVENESS_MS, sim_leader(s));
}

static int run_schedule(struct sim *s, uint64_t seed, bool trace)
{
	jmp_buf jb;
	unsigned n = seed % 2 ? 5 : 3;

	/* Half the schedules with a narrow election window: split votes,
	 * several candidates in one term, votes asked twice; a quarter with a
	 * quiet leader, crashes reported and live servers suspected. */
	if (seed % 4 < 2)
		sim_init_timing(s, n, n == 3 ? 5 : 7, seed, 0, 300, 315);
	else if (seed % 4 == 3)
		sim_init_timing(s, n, n == 3 ? 5 : 7, seed, 500, 0, 0);
	else
		sim_init(s, n, n == 3 ? 5 : 7, seed);
	s->trace = trace;
	s->bail = &jb;
	if (setjmp(jb))
		return -1;
	faults_op(s);
	for (unsigned k = 0; k < STEPS; k++)
		random_step(s);
	liveness(s);
	return 0;
}

static unsigned env_unsigned(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void add_stats(struct sim_stats *t, const struct sim_stats *a)
{
	t->elections += a->elections;
	t->commits += a->commits;
	t->proposals += a->proposals;
	t->snap_installs += a->snap_installs;
	t->compactions += a->compactions;
	t->reads += a->reads;
	t->crashes += a->crashes;
	t->wipes += a->wipes;
	t->conf_changes += a->conf_changes;
	t->delivered += a->delivered;
	t->dropped += a->dropped;
	t->quiet_msgs += a->quiet_msgs;
	t->suspicions += a->suspicions;
	t->liveness_runs += a->liveness_runs;
	t->liveness_ms_sum += a->liveness_ms_sum;
	if (a->liveness_ms_max > t->liveness_ms_max)
		t->liveness_ms_max = a->liveness_ms_max;
}

static void print_stats(unsigned runs, double secs, const struct sim_stats *t)
{
	printf("raft sim: %u schedules in %.1f s (%u steps each + liveness)\n",
	       runs, secs, STEPS);
	printf("raft sim: %llu elections, %llu proposals, %llu commits, %llu reads, "
	       "%llu compactions, %llu snapshots installed\n",
	       (unsigned long long)t->elections, (unsigned long long)t->proposals,
	       (unsigned long long)t->commits, (unsigned long long)t->reads,
	       (unsigned long long)t->compactions, (unsigned long long)t->snap_installs);
	printf("raft sim: %llu crashes, %llu wiped disks, %llu config changes, "
	       "%llu messages delivered, %llu dropped\n",
	       (unsigned long long)t->crashes, (unsigned long long)t->wipes,
	       (unsigned long long)t->conf_changes, (unsigned long long)t->delivered,
	       (unsigned long long)t->dropped);
	printf("raft sim: %llu quiet heartbeats delivered, %llu live servers reported dead\n",
	       (unsigned long long)t->quiet_msgs, (unsigned long long)t->suspicions);
	printf("raft sim: heal to commit: mean %llu ms, max %llu ms (limit %u)\n",
	       (unsigned long long)(t->liveness_runs ? t->liveness_ms_sum / t->liveness_runs : 0),
	       (unsigned long long)t->liveness_ms_max, LIVENESS_MS);
}

static void fail_with_schedule(uint64_t seed)
{
	char why[sizeof(sim.why)];

	snprintf(why, sizeof(why), "%s", sim.why);
	fprintf(stderr, "raft sim: seed %llu failed: %s\n"
		"raft sim: replay: RAFT_SIM_SEED=%llu build/tests/unit/test_raft_sim\n"
		"raft sim: schedule:\n",
		(unsigned long long)seed, why, (unsigned long long)seed);
	(void)run_schedule(&sim, seed, true);
	fail_msg("raft sim seed %llu: %s", (unsigned long long)seed, why);
}

static void test_random_schedules(void **state)
{
	const char *one = getenv("RAFT_SIM_SEED");
	unsigned runs = env_unsigned("RAFT_SIM_RUNS", RUNS_DEFAULT);
	struct sim_stats total = { 0 };
	struct timespec a, b;

	(void)state;
	if (one && *one) {
		uint64_t seed = strtoull(one, NULL, 0);

		if (run_schedule(&sim, seed, true) < 0)
			fail_with_schedule(seed);
		print_stats(1, 0, &sim.st);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < runs; i++) {
		if (run_schedule(&sim, SEED_BASE + i, false) < 0)
			fail_with_schedule(SEED_BASE + i);
		add_stats(&total, &sim.st);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_stats(runs, (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
		    &total);
	assert_true(total.commits > runs);
	assert_true(total.snap_installs > 0 && total.wipes > 0 &&
		    total.conf_changes > 0 && total.reads > 0);
	assert_true(total.quiet_msgs > 0 && total.suspicions > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_schedules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
