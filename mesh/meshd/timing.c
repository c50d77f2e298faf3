/*
 * meshd's timing counters (`mesh stats`, pages 4 and 5): what membership's probes
 * met (mesh/member.h: struct mesh_member_stats) and where a packet's time
 * goes inside this node, so a suspicion of a healthy node can be traced to
 * the network, the peer, or this node's own main thread (docs/mesh.md "16
 * nodes: why healthy nodes were suspected"). Histograms share membership's
 * round-trip buckets (mesh_rtt_bucket): below 2, 5, 10, 20, 40, 80, 160 ms,
 * above.
 */
#include "meshd.h"

struct timing_hist {
	uint64_t n[MESH_RTT_BUCKETS];
};

/* rxq: a datagram's wait from the main thread's wake-up to link_receive
 * taking it (the datagrams before it in the same drain); busy: one main-loop pass (a message served and
 * every tick); late: a timed wait's return after its deadline; send: one
 * packet's MAC and sock_sendto, which waits for netd. */
static struct timing_hist rxq, busy, late, send;

/* One packet handed to netd (link_send: the MAC and sock_sendto). */
void timing_send(uint64_t ns)
{
	send.n[mesh_rtt_bucket(ns)]++;
}

void timing_rx_queued(uint64_t ns)
{
	rxq.n[mesh_rtt_bucket(ns)]++;
}

void timing_loop(uint64_t busy_ns, uint64_t late_ns)
{
	busy.n[mesh_rtt_bucket(busy_ns)]++;
	if (late_ns != UINT64_MAX)
		late.n[mesh_rtt_bucket(late_ns)]++;
}

static void hist_text(char *out, unsigned size, const char *name, const uint64_t *n)
{
	aion_text_add(out, size, "mesh %s", name);
	for (unsigned b = 0; b < MESH_RTT_BUCKETS; b++) {
		unsigned ms = mesh_rtt_bucket_ms(b);
		if (ms)
			aion_text_add(out, size, " %s_lt%u=%lu", name, ms, (unsigned long)n[b]);
		else
			aion_text_add(out, size, " %s_ge%u=%lu", name, mesh_rtt_bucket_ms(b - 1),
				      (unsigned long)n[b]);
	}
	aion_text_add(out, size, "\n");
}

void timing_text(char *out, unsigned size, unsigned page)
{
	const struct mesh_member_stats *s = &members.stats;
	out[0] = '\0';
	if (page) {
		hist_text(out, size, "rxq", rxq.n);
		hist_text(out, size, "busy", busy.n);
		hist_text(out, size, "late", late.n);
		hist_text(out, size, "send", send.n);
		return;
	}
	aion_text_add(out, size, "mesh member probes=%lu probe_timeouts=%lu probe_failures=%lu "
		      "late_acks=%lu verifies=%lu accusations=%lu refutations=%lu stalls=%lu "
		      "relays=%lu lhm=%u inc=%u\n",
		      (unsigned long)s->probes, (unsigned long)s->probe_timeouts,
		      (unsigned long)s->probe_failures, (unsigned long)s->late_acks,
		      (unsigned long)s->verifies, (unsigned long)s->accusations,
		      (unsigned long)s->refutations, (unsigned long)s->stalls,
		      (unsigned long)s->relays, members.lhm, members.incarnation);
	hist_text(out, size, "ack", s->rtt);
}

/*
 * A main-loop pass of SLOW_PASS_NS or more holds every PING's answer that
 * long: one log line says where the time went (t[]: woke, served and
 * drained, link, calls, the rest when it ran: main.c, ticks on news), at
 * most one a SLOW_LOG_GAP_NS so the log does not add to it.
 */
#define SLOW_PASS_NS    (20 * MS)
#define SLOW_LOG_GAP_NS (1000 * MS)

void timing_slow_pass(const uint64_t *t, uint64_t badge, uint32_t label)
{
	static uint64_t last_log, skipped;
	if (t[5] - t[0] < SLOW_PASS_NS)
		return;
	if (last_log && t[5] - last_log < SLOW_LOG_GAP_NS) {
		skipped++;
		return;
	}
	last_log = t[5];
	mlog("slow pass ms=%lu serve_ms=%lu badge=%lx label=%u link_ms=%lu calls_ms=%lu "
	     "rest_ms=%lu skipped=%lu", (unsigned long)((t[5] - t[0]) / MS),
	     (unsigned long)((t[1] - t[0]) / MS), (unsigned long)badge, label,
	     (unsigned long)((t[2] - t[1]) / MS), (unsigned long)((t[3] - t[2]) / MS),
	     (unsigned long)((t[5] - t[3]) / MS), (unsigned long)skipped);
	skipped = 0;
}
