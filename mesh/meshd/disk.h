/*
 * meshd's durable Raft state on the node's disk (the "mesh" region of
 * aion/blk.h): the log store (mesh/logstore.h) over libaion's block client.
 */
#ifndef MESHD_DISK_H
#define MESHD_DISK_H

#include <stdint.h>
#include "mesh/raft.h"

/*
 * Opens the region and reads back the server: its id, term and vote, the
 * snapshot (into snap_buf) and the entries after it (into ents). An empty
 * region becomes a new server: with "bootstrap=1" in args, one of the
 * cluster's first voters (id = node, voters = nodes 1..configured);
 * without, a server under a fresh random id that must be added to the
 * configuration before it takes part. Fills in's durable fields, and
 * counts this start on the disk: self_boot = the stored boot count + 1,
 * synced before it returns.
 */
int64_t disk_load(unsigned configured, const char *args, struct raft_init *in,
		  struct raft_entry *ents, unsigned cap, uint8_t *snap_buf, uint32_t snap_cap);
/* Step 1 of a ready cycle (mesh/raft.h): store and sync. */
int64_t disk_persist(const struct raft *r, const struct raft_ready *rd);
/* Stores a snapshot taken here and drops the log it covers. */
int64_t disk_save_snapshot(const struct raft_snap_meta *meta, const uint8_t *data,
			   uint32_t len);

#endif /* MESHD_DISK_H */
