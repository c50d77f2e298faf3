/*
 * meshd's durable Raft state (disk.h): the log store (mesh/logstore.h) on
 * the disk's "mesh" region, which init gives meshd as SVC_MESHD_DISK.
 *
 * A new server. An empty region becomes one of the cluster's first voters
 * only when the node boots with aion.bootstrap=1 (the host sets it when
 * it has just made the node's disk) and the node is one of the configured
 * 1..N (N at most RAFT_SERVERS_MAX; the nodes above join): its id is its node number, and every first voter stores the same
 * bootstrap snapshot (index 1, term 1, voters 1..N, the empty state), so
 * they start from one configuration without talking. Any other empty
 * region gets a fresh random id, never a node number: a node whose disk
 * was wiped comes back as a new server and must be added through the log
 * (consensus.c asks the leader), never as its old self.
 */
#include "meshd.h"
#include "disk.h"
#include "aion/initproto.h"
#include "common/cmdline.h"
#include "libaion/blkclient.h"
#include "mesh/cstate.h"
#include "mesh/logstore.h"

/* The block client's shared buffer, in meshd's window. */
#define DISK_BUF_VA     (aion_window() + 0x0000000040000000ull)
#define NEW_ID_BIT      (1ull << 63)            /* ids that are no node number */

static struct blkclient blk;
static struct ls store;
static struct aion_ipc_buffer *disk_ipc;

static int dev_open(struct ls_dev *dev)
{
	int64_t err = blkclient_open(&blk, SVC_MESHD_DISK, disk_ipc, DISK_BUF_VA);
	if (err)
		return (int)err;
	*dev = (struct ls_dev){ .ctx = &blk, .blocks = blk.blocks, .read = blkclient_read,
				.write = blkclient_write, .flush = blkclient_flush };
	return 0;
}

static uint64_t random64(void)
{
	uint64_t x = aion_rdtsc() ^ ((uint64_t)self_node << 48);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* A snapshot's description for the store: its configuration encoded. */
static int64_t snap_meta(const struct raft_snap_meta *m, uint32_t len, struct ls_snap_meta *out)
{
	*out = (struct ls_snap_meta){ .index = m->index, .term = m->term, .len = len };
	int n = raft_conf_encode(&m->conf, out->conf, sizeof(out->conf));
	if (n < 0)
		return n;
	out->conf_len = (uint32_t)n;
	return 0;
}

static int64_t store_snapshot(const struct raft_snap_meta *m, const uint8_t *data, uint32_t len)
{
	struct ls_snap_meta meta;
	int64_t err = snap_meta(m, len, &meta);
	if (!err)
		err = ls_snap_begin(&store, &meta);
	if (!err)
		err = ls_snap_write(&store, data, len);
	if (!err)
		err = ls_snap_commit(&store);
	return err ? err : ls_compact(&store, m->index);
}

/* One of the first voters: id = node, the bootstrap snapshot stored. */
static int64_t bootstrap(unsigned configured, uint8_t *snap_buf, uint32_t snap_cap)
{
	struct raft_snap_meta m = { .index = 1, .term = 1 };
	struct cstate empty;
	for (unsigned i = 1; i <= configured && i <= RAFT_SERVERS_MAX; i++)
		m.conf.s[m.conf.n++] = (struct raft_server){ .id = i, .node = (uint16_t)i,
							     .voter = true };
	cstate_init(&empty);
	empty.applied = 1;
	empty.term = 1;
	int n = cstate_snapshot(&empty, snap_buf, snap_cap);
	int64_t err = n < 0 ? n : store_snapshot(&m, snap_buf, (uint32_t)n);
	if (!err)
		err = ls_set_hard_state(&store, 1, 0);
	return err ? err : ls_sync(&store);
}

static int64_t format(struct ls_dev *dev, unsigned configured, const char *args,
		      uint8_t *snap_buf, uint32_t snap_cap)
{
	char v[8];
	/* A cluster set up with more nodes than a Raft configuration holds
	 * starts with the first RAFT_SERVERS_MAX as its voters (bootstrap()):
	 * requiring configured <= RAFT_SERVERS_MAX left a 16-node cluster
	 * with no voter at all, so never a leader. */
	unsigned voters = configured < RAFT_SERVERS_MAX ? configured : RAFT_SERVERS_MAX;
	bool first = cmdline_get(args, "bootstrap", v, sizeof(v)) && v[0] == '1' &&
		     self_node <= voters;
	struct ls_format_params p = { .server_id = first ? self_node : random64() | NEW_ID_BIT,
				      .cluster_id = cluster_id, .nonce = random64() | 1,
				      .snap_max = snap_cap };
	int64_t err = ls_format(&store, dev, &p);
	if (!err && first)
		err = bootstrap(configured, snap_buf, snap_cap);
	mlog("disk formatted server id=%lx%s err=%s", (unsigned long)p.server_id,
	     first ? " (bootstrap voter)" : " (new server: asks to join)",
	     err ? aion_error_name(err) : "none");
	return err;
}

/* The snapshot on disk into in (its data into snap_buf). */
static int64_t load_snapshot(struct raft_init *in, uint8_t *snap_buf, uint32_t snap_cap)
{
	const struct ls_snap_meta *m = ls_snapshot(&store);
	if (!m)
		return 0;
	if (m->len > snap_cap)
		return -AION_ECORRUPT;
	int64_t err = raft_conf_decode(m->conf, m->conf_len, &in->snap.conf);
	if (err >= 0)
		err = ls_snap_read(&store, 0, snap_buf, m->len);
	if (err)
		return err;
	in->snap.index = m->index;
	in->snap.term = m->term;
	in->snap_data = snap_buf;
	in->snap_len = m->len;
	return 0;
}

/* The entries after the snapshot into ents. */
static int64_t load_entries(struct raft_init *in, struct raft_entry *ents, unsigned cap)
{
	struct ls_info info;
	ls_info(&store, &info);
	uint64_t from = info.first_index > in->snap.index ? info.first_index : in->snap.index + 1;
	if (info.last_index >= from && info.last_index - from + 1 > cap)
		return -AION_ENOSPC;
	in->nents = 0;
	for (uint64_t i = from; i <= info.last_index; i++) {
		struct ls_entry e;
		struct raft_entry *re = &ents[in->nents];
		int err = ls_read(&store, i, &e, re->data, sizeof(re->data));
		if (err)
			return err;
		re->index = e.index;
		re->term = e.term;
		re->type = e.type;
		re->len = (uint16_t)e.len;
		in->nents++;
	}
	in->ents = ents;
	return 0;
}

int64_t disk_load(unsigned configured, const char *args, struct raft_init *in,
		  struct raft_entry *ents, unsigned cap, uint8_t *snap_buf, uint32_t snap_cap)
{
	struct ls_dev dev;
	/* The main thread's buffer: it persists. Block calls carry no
	 * payload, so a request being served keeps its bytes. */
	disk_ipc = &main_buf;
	int64_t err = dev_open(&dev);
	if (err)
		return err;
	err = ls_open(&store, &dev);
	if (err == -AION_ENOENT)
		err = format(&dev, configured, args, snap_buf, snap_cap);
	/* This start's number, on the disk before any packet carries it; at
	 * least the host's clock (clock=, seconds), so a new, empty disk
	 * does not start the node's boots again at 1 (docs/mesh-transport.md). */
	uint32_t boot = 0;
	char v[16];
	uint32_t floor = cmdline_get(args, "clock", v, sizeof(v)) ? (uint32_t)cmdline_decimal(v) : 0;
	if (!err)
		err = ls_next_boot(&store, floor, &boot);
	if (!err)
		err = ls_sync(&store);
	if (err)
		return err;
	self_boot = boot;
	struct ls_info info;
	ls_info(&store, &info);
	in->id = info.server_id;
	in->hard = (struct raft_hard){ .term = info.term, .vote = info.voted_for };
	err = load_snapshot(in, snap_buf, snap_cap);
	return err ? err : load_entries(in, ents, cap);
}

int64_t disk_persist(const struct raft *r, const struct raft_ready *rd)
{
	int64_t err = 0;
	if (rd->snap)
		err = store_snapshot(&rd->snap_meta, rd->snap_data, rd->snap_len);
	if (!err && rd->truncate_from)
		err = ls_truncate(&store, rd->truncate_from);
	for (uint64_t i = rd->persist_from; !err && i && i <= rd->persist_to; i++) {
		const struct raft_entry *e = raft_entry_at(r, i);
		struct ls_entry le = { .index = e->index, .term = e->term, .len = e->len,
				       .type = e->type };
		err = ls_append(&store, &le, e->data);
	}
	if (!err && rd->hard_changed)
		err = ls_set_hard_state(&store, rd->hard.term, rd->hard.vote);
	return err ? err : ls_sync(&store);
}

int64_t disk_save_snapshot(const struct raft_snap_meta *meta, const uint8_t *data,
			   uint32_t len)
{
	return store_snapshot(meta, data, len);
}
