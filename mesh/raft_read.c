/*
 * Linearizable reads without log writes (dissertation 6.4, read index).
 * The leader takes its commit index as the read's index, but only once it
 * has committed an entry of its own term (before that its commit index
 * may lag entries committed by earlier leaders), and reports the read only
 * after a majority acknowledged a heartbeat round sent after the request
 * (so no newer leader can have committed anything it does not know). The
 * caller answers once its state machine has applied the read's index.
 */
#include "raft_impl.h"

static bool round_confirmed(const struct raft *r, uint64_t seq)
{
	unsigned acks = raft_is_voter(&r->conf, r->id);

	for (unsigned i = 0; i < r->conf.n; i++)
		if (r->conf.s[i].voter && r->conf.s[i].id != r->id &&
		    r->prs[i].acked_seq >= seq)
			acks++;
	return acks >= raft_quorum(&r->conf);
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
	if (r->role != RAFT_LEADER)
		return -AION_ENOTLEADER;
	if (r->nreads >= RAFT_READS_MAX)
		return -AION_EBUSY;
	r->hb_seq++;
	r->reads[r->nreads++] = (struct raft_pending_read){
		.ctx = ctx,
		.index = r->own_term_committed ? r->commit : 0,
		.seq = r->hb_seq,
	};
	raft_broadcast(r, true);
	raft_reads_update(r);
	return 0;
}

/* Reads are confirmed in order: rounds are numbered upwards, so a round
 * acknowledged by a majority confirms every earlier one too. */
void raft_reads_update(struct raft *r)
{
	uint32_t done = 0;

	if (r->role != RAFT_LEADER)
		return;
	for (uint32_t i = 0; i < r->nreads; i++)
		if (r->reads[i].index == 0 && r->own_term_committed)
			r->reads[i].index = r->commit;
	while (done < r->nreads && r->reads[done].index != 0 &&
	       r->nreads_ready < RAFT_READS_MAX &&
	       round_confirmed(r, r->reads[done].seq)) {
		r->reads_ready[r->nreads_ready++] = (struct raft_read){
			r->reads[done].ctx, r->reads[done].index };
		done++;
	}
	for (uint32_t i = done; i < r->nreads; i++)
		r->reads[i - done] = r->reads[i];
	r->nreads -= done;
}

/* A leader that steps down cannot confirm anything: the caller's reads
 * time out and are retried at the new leader. */
void raft_reads_drop(struct raft *r)
{
	r->nreads = 0;
}
