/*
 * AionMesh replay window (see mesh/replay.h). The check order makes each
 * refusal leave the window untouched: only a packet taken moves it.
 */
#include "mesh/replay.h"

_Static_assert(MESH_REPLAY_WINDOW == 64u, "the window is one 64-bit word");

static enum mesh_replay_verdict check_seq(const struct mesh_replay *w, uint64_t seq)
{
	if (seq > w->top)
		return MESH_REPLAY_OK;
	uint64_t back = w->top - seq;
	if (back >= MESH_REPLAY_WINDOW)
		return MESH_REPLAY_BELOW;
	return (w->seen >> back) & 1u ? MESH_REPLAY_DUP : MESH_REPLAY_OK;
}

enum mesh_replay_verdict mesh_replay_check(struct mesh_replay *w, uint32_t self_boot,
					   const struct mesh_hdr *h)
{
	if (h->dst_boot != self_boot &&
	    !(h->dst_boot == 0 && mesh_replay_unknown_dst_ok(h->type)))
		return MESH_REPLAY_WRONG_DST;
	if (h->src_boot == 0 || h->seq == 0)
		return MESH_REPLAY_BELOW;       /* no sender uses them */
	if (h->src_boot < w->boot)
		return MESH_REPLAY_OLD_BOOT;
	if (h->src_boot > w->boot) {
		/* A new start of the peer (or the first we hear of it):
		 * nothing older of that boot will be taken. */
		w->boot = h->src_boot;
		w->top = h->seq;
		w->seen = ~(uint64_t)0;
		return MESH_REPLAY_OK;
	}

	enum mesh_replay_verdict v = check_seq(w, h->seq);
	if (v != MESH_REPLAY_OK)
		return v;
	if (h->seq > w->top) {
		uint64_t shift = h->seq - w->top;
		w->seen = shift >= MESH_REPLAY_WINDOW ? 1u : (w->seen << shift) | 1u;
		w->top = h->seq;
	} else {
		w->seen |= (uint64_t)1 << (w->top - h->seq);
	}
	return MESH_REPLAY_OK;
}

const char *mesh_replay_name(enum mesh_replay_verdict v)
{
	switch (v) {
	case MESH_REPLAY_OK:        return "ok";
	case MESH_REPLAY_WRONG_DST: return "wrong_dst";
	case MESH_REPLAY_OLD_BOOT:  return "old_boot";
	case MESH_REPLAY_DUP:       return "dup";
	case MESH_REPLAY_BELOW:     return "below";
	}
	return "unknown";
}
