/*
 * AionMesh replay window: which authenticated packets a receiver takes.
 *
 * Pure code (host-tested, freestanding in meshd). The receiver keeps one
 * struct mesh_replay per peer node: the peer's boot (its start count,
 * which only grows: meshd keeps it on the node's disk) and a sliding
 * window over the sequence numbers of that boot. A packet, whose MAC has
 * already been checked, is taken at most once and only if it was sent to
 * this very start of the receiver:
 *
 *   1. dst_boot must be self_boot. The one exception is a PING with
 *      dst_boot 0 (the sender does not know our boot yet: broadcast
 *      discovery, or a first probe): it is taken, but it proves nothing
 *      about the sender being alive now (a capture can be replayed to a
 *      receiver that restarted and lost its windows), so the caller only
 *      answers it with a probe of its own that names the sender's boot.
 *   2. src_boot below the recorded boot: an older start of the peer.
 *      src_boot above it: the peer restarted; the window starts again at
 *      this packet, and every lower sequence of that boot counts as seen.
 *   3. within the boot: a sequence above the window's top moves it; one
 *      within MESH_REPLAY_WINDOW below the top is taken if not yet seen;
 *      one further below (or 0) is refused.
 *
 * A refused packet leaves the window as it was.
 */
#ifndef MESH_REPLAY_H
#define MESH_REPLAY_H

#include <stdint.h>

#include "mesh/wire.h"

/* Sequences remembered below the highest one: the reordering a packet may
 * see and still be taken. One switch does not reorder; 64 is plenty. */
#define MESH_REPLAY_WINDOW  64u

struct mesh_replay {
	uint32_t boot;          /* the peer's boot; 0: never heard from */
	uint64_t top;           /* highest sequence taken in boot */
	uint64_t seen;          /* bit i: sequence top - i was taken */
};

enum mesh_replay_verdict {
	MESH_REPLAY_OK = 0,     /* taken; the window now records it */
	MESH_REPLAY_WRONG_DST,  /* dst_boot is not self_boot (0 on a non-PING) */
	MESH_REPLAY_OLD_BOOT,   /* src_boot below the peer's recorded boot */
	MESH_REPLAY_DUP,        /* this sequence was already taken */
	MESH_REPLAY_BELOW,      /* below the window (or sequence 0, or boot 0) */
};

/* Is dst_boot 0 allowed for packets of this type? (Only MESH_PING.) */
static inline int mesh_replay_unknown_dst_ok(uint8_t type)
{
	return type == MESH_PING;
}

/*
 * Check packet header h (authenticated) from the peer that w tracks,
 * at a receiver whose boot is self_boot (non-zero). Returns a verdict;
 * on MESH_REPLAY_OK w records the packet (and the peer's new boot).
 */
enum mesh_replay_verdict mesh_replay_check(struct mesh_replay *w, uint32_t self_boot,
					   const struct mesh_hdr *h);

/* A verdict's name for logs ("ok", "wrong_dst", ...). */
const char *mesh_replay_name(enum mesh_replay_verdict v);

#endif /* MESH_REPLAY_H */
