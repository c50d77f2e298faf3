/*
 * meshd's Raft server (consensus.h): drives mesh/raft.h with time, mesh
 * packets and proposals, persists what it hands out (disk.c) before any
 * message leaves, applies committed entries to the cluster state machine
 * (mesh/cstate.h) and answers the proposals and reads waiting on them.
 *
 * A server whose disk fails stops taking part (it sends nothing more):
 * going on without its durable state could break a promise it made.
 */
#include "meshd.h"
#include "consensus.h"
#include "disk.h"
#include "mesh/raft.h"
#include "common/format.h"

#define LOG_CAP         256             /* entries in memory after the snapshot */
#define COMPACT_EVERY   64              /* applied entries between snapshots */
#define SNAP_CAP        (32 * 1024)
#define PROPS_MAX       32
#define READS_MAX       RAFT_READS_MAX
#define PEERS_MAX       16              /* server ids heard from, with their node */
#define JOIN_NS         (1000 * MS)     /* a server not yet a voter asks again */
/* Raft's timing here: elections a little slower than mesh/raft.h's
 * defaults, so that a VM the host stalls for a few hundred ms does not
 * cost the cluster its leader (docs/raft.md). */
#define HEARTBEAT_MS    100     /* 4x under the election minimum; 50 cost twice the packets (docs/mesh.md) */
#define ELECTION_MIN_MS 400
#define ELECTION_MAX_MS 800
/* A quiet leader (docs/raft.md): a follower that holds everything hears
 * from it once a second, not ten times; the membership's DEAD news of the
 * leader's node (cons_node_dead) starts the election instead. */
#define QUIET_MS        1000

_Static_assert(CSTATE_SNAP_MAX <= SNAP_CAP, "the state fits a snapshot");
_Static_assert(CSTATE_CMD_MAX <= RAFT_ENTRY_MAX, "a command fits an entry");
_Static_assert(RAFT_MSG_MAX + MESH_PACKET_MIN <= AION_IPC_PAYLOAD_MAX,
	       "a Raft message fits a mesh packet link_send can hand to netd");
_Static_assert(RAFT_MSG_MAX <= MESH_PAYLOAD_MAX, "a Raft message fits one mesh packet");

struct prop {
	bool used;
	uint64_t index, term, deadline;
	cons_done_fn done;
	void *arg;
};

struct read {
	bool used, confirmed;
	uint64_t index, deadline;
	cons_done_fn done;
	void *arg;
};

static struct raft raft;
static struct raft_entry log_ring[LOG_CAP];
static struct raft_entry loaded[LOG_CAP];       /* what disk_load found */
static uint8_t snap_recv[SNAP_CAP];
static uint8_t snap_out[2][SNAP_CAP];           /* the one Raft sends, the next */
static unsigned snap_cur;
static struct cstate state;
static struct prop props[PROPS_MAX];
static struct read reads[READS_MAX];
static struct { uint64_t id; uint16_t node; } peers[PEERS_MAX];
static uint8_t pkt[RAFT_MSG_MAX];
static struct raft_msg in_msg;
static bool broken;                     /* the disk failed: no more part in Raft */
static bool was_leader;
static uint64_t next_join;

/* --- proposals and reads --- */

static void prop_end(struct prop *p, int64_t err, const struct cstate_result *res)
{
	static const struct cstate_result none;
	p->used = false;
	p->done(p->arg, err, res ? res : &none);
}

static void read_end(struct read *rd, int64_t err)
{
	static const struct cstate_result none;
	rd->used = false;
	rd->done(rd->arg, err, &none);
}

/* Entry (index, term) was applied: the proposal at index learns its fate. */
static void props_applied(uint64_t index, uint64_t term, const struct cstate_result *res)
{
	for (unsigned i = 0; i < PROPS_MAX; i++)
		if (props[i].used && props[i].index == index)
			prop_end(&props[i], props[i].term == term ? 0 : -AION_EAGAIN,
				 props[i].term == term ? res : NULL);
}

static void reads_check(uint64_t now)
{
	for (unsigned i = 0; i < READS_MAX; i++) {
		struct read *rd = &reads[i];
		if (!rd->used)
			continue;
		if (rd->confirmed && state.applied >= rd->index)
			read_end(rd, 0);
		else if (now >= rd->deadline || raft.role != RAFT_LEADER)
			read_end(rd, -AION_EAGAIN);     /* a read not done: safe to retry */
	}
	for (unsigned i = 0; i < PROPS_MAX; i++)
		if (props[i].used && now >= props[i].deadline)
			prop_end(&props[i], -AION_ETIMEDOUT, NULL);
}

/* --- transport --- */

static void peer_learn(uint64_t id, uint16_t node)
{
	unsigned free = PEERS_MAX, i = 0;
	for (; i < PEERS_MAX; i++) {
		if (peers[i].id == id) {
			peers[i].node = node;
			return;
		}
		if (!peers[i].id && free == PEERS_MAX)
			free = i;
	}
	i = free < PEERS_MAX ? free : (unsigned)(id % PEERS_MAX);
	peers[i].id = id;
	peers[i].node = node;
}

static int node_of(uint64_t id)
{
	int node = raft_conf_node(&raft.conf, id);
	for (unsigned i = 0; node < 0 && i < PEERS_MAX; i++)
		if (peers[i].id == id)
			node = peers[i].node;
	return node;
}

static void send_msgs(const struct raft_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int node = node_of(msgs[i].to);
		int len = raft_msg_encode(&msgs[i], pkt, sizeof(pkt));
		if (node <= 0 || len < 0) {
			mlog("error: raft message type=%s to=%lx not sent err=%s",
			     raft_msg_type_name(msgs[i].type), (unsigned long)msgs[i].to,
			     aion_error_name(node <= 0 ? -AION_ENOENT : len));
			continue;
		}
		link_send((uint16_t)node, MESH_RAFT, pkt, (size_t)len);
	}
}

/* --- applying --- */

static void apply_entry(const struct raft_entry *e)
{
	struct cstate_result res = { 0 };
	if (e->type == RAFT_ENTRY_NORMAL) {
		int err = cstate_apply(&state, e->index, (uint32_t)e->term, e->data, e->len, &res);
		if (err)
			mlog("error: entry index=%lu not applied err=%s", (unsigned long)e->index,
			     aion_error_name(err));
	} else {
		state.applied = e->index;       /* NOOP and CONFIG change no state */
		state.term = (uint32_t)e->term;
	}
	props_applied(e->index, e->term, &res);
}

static void install(const struct raft_ready *rd)
{
	if (cstate_restore(&state, rd->snap_data, rd->snap_len) || state.applied != rd->snap_meta.index) {
		mlog("error: snapshot index=%lu from the leader does not restore",
		     (unsigned long)rd->snap_meta.index);
		broken = true;
		return;
	}
	mlog("raft snapshot installed index=%lu", (unsigned long)rd->snap_meta.index);
}

/* Every COMPACT_EVERY applied entries the state becomes the snapshot and
 * Raft drops the log before it; the disk keeps its older snapshot and the
 * whole log until the new snapshot is stored, so a failure in between
 * loses nothing. */
static void compact(void)
{
	if (state.applied < raft.snap.index + COMPACT_EVERY)
		return;
	uint8_t *buf = snap_out[snap_cur ^ 1];
	int n = cstate_snapshot(&state, buf, SNAP_CAP);
	int64_t err = n < 0 ? n : raft_compact(&raft, state.applied, buf, (uint32_t)n);
	if (err) {
		mlog("error: snapshot at index=%lu failed err=%s", (unsigned long)state.applied,
		     aion_error_name(err));
		return;
	}
	snap_cur ^= 1;
	err = disk_save_snapshot(&raft.snap, buf, (uint32_t)n);
	if (err)
		mlog("error: snapshot at index=%lu not stored err=%s", (unsigned long)state.applied,
		     aion_error_name(err));
}

/* One ready cycle: persist and sync, send, apply, answer reads. */
static void drain(void)
{
	struct raft_ready rd;
	while (!broken && raft_has_ready(&raft)) {
		raft_ready(&raft, &rd);
		int64_t err = disk_persist(&raft, &rd);
		if (err) {
			mlog("error: raft state not persisted err=%s: leaving the cluster's "
			     "consensus", aion_error_name(err));
			broken = true;
			return;
		}
		send_msgs(rd.msgs, rd.nmsgs);
		if (rd.snap)
			install(&rd);
		for (uint64_t i = rd.apply_from; i <= rd.apply_to && i; i++)
			apply_entry(raft_entry_at(&raft, i));
		for (size_t i = 0; i < rd.nreads; i++)
			if (rd.reads[i].ctx < READS_MAX && reads[rd.reads[i].ctx].used) {
				reads[rd.reads[i].ctx].confirmed = true;
				reads[rd.reads[i].ctx].index = rd.reads[i].index;
			}
		raft_advance(&raft, &rd);
	}
	compact();
}

/* --- the interface --- */

static int64_t init_server(uint64_t now, unsigned configured, const char *args)
{
	struct raft_init in = { .now_ms = now / MS, .log = log_ring, .log_cap = LOG_CAP,
				.snap_buf = snap_recv, .snap_cap = SNAP_CAP,
				.heartbeat_ms = HEARTBEAT_MS, .election_min_ms = ELECTION_MIN_MS,
				.election_max_ms = ELECTION_MAX_MS, .quiet_ms = QUIET_MS };
	int64_t err = disk_load(configured, args, &in, loaded, LOG_CAP, snap_out[0], SNAP_CAP);
	if (err)
		return err;
	cstate_init(&state);
	if (in.snap_len && (err = cstate_restore(&state, in.snap_data, in.snap_len))) {
		mlog("error: stored snapshot does not restore err=%s", aion_error_name(err));
		return -AION_ECORRUPT;
	}
	in.seed = in.id ^ now ^ aion_rdtsc();
	if ((err = raft_init(&raft, &in)))
		return err;
	mlog("raft server id=%lx term=%lu snapshot=%lu entries=%lu voters=%u",
	     (unsigned long)in.id, (unsigned long)in.hard.term, (unsigned long)in.snap.index,
	     (unsigned long)in.nents, raft_conf_voters(&raft.conf));
	return 0;
}

int64_t cons_init(uint64_t now, unsigned configured, const char *args)
{
	int64_t err = init_server(now, configured, args);
	if (err) {
		broken = true;
		mlog("error: no Raft server on this node err=%s: it takes no part in the "
		     "cluster's state", aion_error_name(err));
	}
	return err;
}

void cons_tick(uint64_t now)
{
	if (broken)
		return;
	raft_tick(&raft, now / MS);
	drain();
	reads_check(now);
	const struct raft_server *me = raft_conf_find(&raft.conf, raft.id);
	if ((!me || !me->voter) && now >= next_join) {
		next_join = now + JOIN_NS;
		requests_join(raft.id);
	}
	if ((raft.role == RAFT_LEADER) != was_leader) {
		was_leader = raft.role == RAFT_LEADER;
		mlog("raft %s term=%lu commit=%lu", was_leader ? "leading" : "following",
		     (unsigned long)raft.hard.term, (unsigned long)raft.commit);
	}
}

uint64_t cons_deadline(void)
{
	if (broken)
		return 0;
	uint64_t d = raft_next_deadline(&raft) * MS;
	for (unsigned i = 0; i < READS_MAX; i++)
		if (reads[i].used && reads[i].deadline < d)
			d = reads[i].deadline;
	for (unsigned i = 0; i < PROPS_MAX; i++)
		if (props[i].used && props[i].deadline < d)
			d = props[i].deadline;
	return d;
}

void cons_receive(uint16_t src, const uint8_t *payload, size_t len)
{
	if (broken)
		return;
	if (raft_msg_decode(payload, len, &in_msg)) {
		mlog("error: raft message from node=%u refused", src);
		return;
	}
	/* A message for another incarnation of this node's server (a wiped
	 * disk came back under a new id) is not ours. */
	if (in_msg.to != raft.id)
		return;
	peer_learn(in_msg.from, src);
	int err = raft_step(&raft, &in_msg);
	if (err && err != -AION_EINVAL)
		mlog("raft message type=%s from node=%u: %s", raft_msg_type_name(in_msg.type),
		     src, aion_error_name(err));
	/* Persisted, sent and applied by cons_tick, which the main loop
	 * runs after every message: never from inside a handler. */
}

bool cons_leading(void)
{
	return !broken && raft.role == RAFT_LEADER;
}

void cons_node_dead(uint16_t node)
{
	if (!broken && raft.role != RAFT_LEADER && raft.leader && node_of(raft.leader) == node) {
		mlog("raft leader node=%u dead: election", node);
		raft_leader_lost(&raft, raft.leader);
	}
}

uint16_t cons_leader_node(void)
{
	if (broken)
		return 0;
	if (raft.role == RAFT_LEADER)
		return self_node;
	int node = raft.leader ? node_of(raft.leader) : -1;
	return node > 0 ? (uint16_t)node : 0;
}

uint32_t cons_term(void)
{
	return (uint32_t)raft.hard.term;
}

const struct cstate *cons_state(void)
{
	return &state;
}

bool cons_leader_ready(void)
{
	return cons_leading() && raft.own_term_committed && state.applied >= raft.commit;
}

int64_t cons_propose(const uint8_t *cmd, size_t len, uint64_t budget_ns, cons_done_fn done,
		     void *arg)
{
	uint64_t index;
	unsigned i = 0;
	if (!cons_leading())
		return -AION_ENOTLEADER;
	if (!raft.own_term_committed)
		return -AION_EAGAIN;
	while (i < PROPS_MAX && props[i].used)
		i++;
	if (i == PROPS_MAX)
		return -AION_EBUSY;
	int err = raft_propose(&raft, RAFT_ENTRY_NORMAL, cmd, len, &index);
	if (err)
		return err;
	props[i] = (struct prop){ .used = true, .index = index, .term = raft.hard.term,
				  .deadline = aion_clock_ns() + budget_ns, .done = done,
				  .arg = arg };
	return 0;               /* persisted and sent by the next cons_tick */
}

int64_t cons_read(uint64_t budget_ns, cons_done_fn done, void *arg)
{
	unsigned i = 0;
	if (!cons_leading())
		return -AION_ENOTLEADER;
	while (i < READS_MAX && reads[i].used)
		i++;
	if (i == READS_MAX)
		return -AION_EBUSY;
	int err = raft_read_index(&raft, i);
	if (err)
		return err;
	reads[i] = (struct read){ .used = true, .deadline = aion_clock_ns() + budget_ns,
				  .done = done, .arg = arg };
	return 0;
}

unsigned cons_voter_nodes(uint16_t *nodes, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < raft.conf.n && n < max; i++)
		if (raft.conf.s[i].voter)
			nodes[n++] = raft.conf.s[i].node;
	return n;
}

int64_t cons_members_text(char *out, unsigned size)
{
	aion_text_add(out, size, "raft id=%lx node=%u role=%s term=%lu leader=%u commit=%lu applied=%lu snapshot=%lu%s\n",
		      (unsigned long)raft.id, self_node,
		      raft.role == RAFT_LEADER ? "leader" : raft.role == RAFT_FOLLOWER ? "follower" :
		      "candidate", (unsigned long)raft.hard.term, cons_leader_node(),
		      (unsigned long)raft.commit, (unsigned long)state.applied,
		      (unsigned long)raft.snap.index, broken ? " broken" : "");
	for (unsigned i = 0; i < raft.conf.n; i++)
		aion_text_add(out, size, "server id=%lx node=%u %s%s\n",
			      (unsigned long)raft.conf.s[i].id, raft.conf.s[i].node,
			      raft.conf.s[i].voter ? "voter" : "learner",
			      raft.conf.s[i].id == raft.id ? " self" : "");
	return 0;
}

/* --- membership (the leader) --- */

static int64_t change(enum raft_conf_op op, uint64_t id, uint16_t node, char *text,
		      unsigned size, const char *what)
{
	uint64_t index;
	int err = raft_change_config(&raft, op, id, node, &index);
	if (err == -AION_EBUSY) {
		fmt_snprintf(text, size, "a configuration change is under way");
		return -AION_EAGAIN;
	}
	if (err)
		return err;
	fmt_snprintf(text, size, "%s server id=%lx node=%u at index=%lu", what,
		     (unsigned long)id, node, (unsigned long)index);
	mlog("raft %s", text);
	return 0;
}

/* A join step taken: the joiner asks again for the next one. */
static int64_t step(int64_t err)
{
	return err ? err : -AION_EAGAIN;
}

int64_t cons_join(uint64_t id, uint16_t node, char *text, unsigned size)
{
	if (!cons_leading())
		return -AION_ENOTLEADER;
	for (unsigned i = 0; i < raft.conf.n; i++)
		if (raft.conf.s[i].node == node && raft.conf.s[i].id != id)
			return step(change(RAFT_CONF_REMOVE, raft.conf.s[i].id, node, text, size,
					   "replacing: removed"));
	const struct raft_server *s = raft_conf_find(&raft.conf, id);
	if (!s)
		return step(change(RAFT_CONF_ADD_LEARNER, id, node, text, size, "added learner"));
	unsigned slot = (unsigned)(s - raft.conf.s);
	if (!s->voter) {
		if (raft.prs[slot].match < raft.commit) {
			fmt_snprintf(text, size, "learner id=%lx catching up: %lu of %lu",
				     (unsigned long)id, (unsigned long)raft.prs[slot].match,
				     (unsigned long)raft.commit);
			return -AION_EAGAIN;
		}
		return step(change(RAFT_CONF_PROMOTE, id, node, text, size, "promoted"));
	}
	if (raft.conf_index > raft.commit) {
		fmt_snprintf(text, size, "voter id=%lx: its configuration is not committed yet",
			     (unsigned long)id);
		return -AION_EAGAIN;
	}
	fmt_snprintf(text, size, "server id=%lx node=%u votes", (unsigned long)id, node);
	return 0;
}

int64_t cons_remove(uint16_t node, char *text, unsigned size)
{
	if (!cons_leading())
		return -AION_ENOTLEADER;
	for (unsigned i = 0; i < raft.conf.n; i++)
		if (raft.conf.s[i].node == node) {
			int64_t err = change(RAFT_CONF_REMOVE, raft.conf.s[i].id, node, text, size,
					     "removed");
			return err == -AION_EAGAIN ? -AION_EBUSY : err;
		}
	fmt_snprintf(text, size, "no server on node %u", node);
	return -AION_ENOENT;
}
