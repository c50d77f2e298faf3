/*
 * Raft messages (mesh/raft.h) for fuzz_mesh_decode.c. Included when
 * run_fuzz.py finds mesh/raft.c. The input is decoded as a Raft message
 * (it will travel inside an authenticated mesh payload): what decodes
 * must re-encode to the same bytes, and is then stepped into a follower
 * and into a leader with one peer, whose every answer must encode.
 */
#include "mesh/raft.h"

#define FZ_CAP 8

static struct raft fz_follower, fz_leader;
static struct raft_entry fz_log_f[FZ_CAP], fz_log_l[FZ_CAP];
static struct raft_entry fz_ents[3];
static uint8_t fz_snap[4 * RAFT_SNAP_CHUNK];

static void fz_drain(struct raft *r)
{
	struct raft_ready rd;
	uint8_t b[RAFT_MSG_MAX];

	raft_ready(r, &rd);
	for (size_t i = 0; i < rd.nmsgs; i++)
		check(raft_msg_encode(&rd.msgs[i], b, sizeof(b)) > 0);
	check(rd.apply_from > rd.apply_to || rd.apply_to <= raft_last_index(r));
	raft_advance(r, &rd);
}

static void fz_setup(void)
{
	struct raft_init in = {
		.id = 1, .seed = 7, .log = fz_log_f, .log_cap = FZ_CAP,
		.snap_buf = fz_snap, .snap_cap = sizeof(fz_snap),
		.hard = { 3, 0 }, .snap = { 0, 0, { 3, { { 1, 1, true },
			{ 2, 2, true }, { 3, 3, true } } } },
		.ents = fz_ents, .nents = 3,
	};

	for (unsigned i = 0; i < 3; i++)
		fz_ents[i] = (struct raft_entry){ .index = i + 1, .term = i + 1,
						  .type = RAFT_ENTRY_NORMAL };
	check(raft_init(&fz_follower, &in) == 0);
	/* Alone, it leads at once; then it takes server 2 in as a voter. */
	in.log = fz_log_l;
	in.snap.conf.n = 1;
	in.nents = 0;
	check(raft_init(&fz_leader, &in) == 0);
	raft_tick(&fz_leader, RAFT_ELECTION_MAX_MS);
	fz_drain(&fz_leader);
	check(raft_change_config(&fz_leader, RAFT_CONF_ADD_LEARNER, 2, 2, NULL) == 0);
	fz_drain(&fz_leader);
	check(raft_change_config(&fz_leader, RAFT_CONF_PROMOTE, 2, 2, NULL) == 0);
	fz_drain(&fz_leader);
}

static void fuzz_raft(const uint8_t *data, size_t size)
{
	static struct raft_msg m;
	uint8_t again[RAFT_MSG_MAX];

	if (raft_msg_decode(data, size, &m) < 0)
		return;
	check(raft_msg_encode(&m, again, sizeof(again)) == (int)size);
	check(memcmp(again, data, size) == 0);
	m.to = 1;
	if (m.from == 1)
		m.from = 2;
	fz_setup();
	check(raft_step(&fz_follower, &m) == 0);
	fz_drain(&fz_follower);
	check(raft_step(&fz_leader, &m) == 0);
	fz_drain(&fz_leader);
	raft_tick(&fz_follower, 10 * RAFT_ELECTION_MAX_MS);
	raft_tick(&fz_leader, 10 * RAFT_ELECTION_MAX_MS);
	fz_drain(&fz_follower);
	fz_drain(&fz_leader);
}
