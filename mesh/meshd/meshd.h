/*
 * meshd: the AionMesh daemon, one per node (docs/mesh.md).
 *
 * One main thread owns every table and serves meshd's endpoint; the other
 * threads are its clients, so no state is shared under a lock:
 *   - the mesh socket's rings (SOCK_RING) are the main thread's: it
 *     puts what it sends on the ring and signals netd once per loop
 *     turn, in the call that waits (link_wait), and the ring's
 *     notification, bound to it, ends that wait when datagrams arrive
 *     (link_drain);
 *   - worker threads perform incoming remote calls on local capabilities
 *     (a call may block for long) and ask the main thread for the next job
 *     (badge BADGE_WORKER);
 *   - units call with BADGE_CLIENT (the "mesh" name), on a proxy (badge
 *     BADGE_PROXY + import index) or, when the scheduler placed them here,
 *     with BADGE_JOB + local instance index.
 */
#ifndef MESHD_H
#define MESHD_H

#include <stdbool.h>
#include "libaion/lib.h"
#include "libaion/serve.h"
#include "aion/mesh.h"
#include "libaion/sockclient.h"
#include "mesh/member.h"
#include "mesh/rpc.h"
#include "mesh/csched.h"
#include "mesh/wire.h"
#include "common/time.h"

#define BADGE_CLIENT    1
#define BADGE_WORKER    3
#define BADGE_ADMIN     4       /* "admin.meshd": the console's shell only */
#define BADGE_JOB       0x100
#define BADGE_PROXY     0x1000

#define WORKERS         4
#define EXPORTS_MAX     512     /* grow on demand up to these (ENOSPC, logged once) */
#define IMPORTS_MAX     512
#define OUTCALLS_MAX    32      /* calls in flight from this node */
#define JOBS_MAX        16      /* incoming calls queued or running */
#define NAMES_MAX       16

#define RETRANSMIT_NS   (200 * MS)      /* CALL not yet acknowledged */
#define KEEPALIVE_NS    (600 * MS)      /* CALL acknowledged, reply pending */
#define LOOKUP_NS       (1500 * MS)     /* a name query's whole budget */

/* Logs one line "meshd: ..." (aion_printf adds time, node and unit). */
#define mlog(...) aion_printf(__VA_ARGS__)

extern uint16_t self_node;
/* This start of meshd: counted on the node's disk (disk.c), so it only
 * ever grows; 0 until known. Packets and calls carry it. */
extern uint32_t self_boot;
extern uint32_t cluster_id;
extern aion_handle_t meshd_ep;          /* all rights */
extern struct aion_ipc_buffer main_buf;
extern struct mesh_members members;
extern struct mesh_stats rx_stats;
/*
 * News for the modules' ticks (main.c): set by whatever may give the
 * scheduler's, consensus's, names', bulk's or jobs' ticks work before
 * their deadlines (their packets, a membership change, a call to meshd
 * itself, a client). A pass without news, a remote call's own (its
 * packets, its proxy and worker messages), runs only the link's and the
 * calls' ticks (main.c; docs/network.md "The slice timer, the MAC and
 * ticks on news").
 */
extern bool meshd_news;

/* link.c: packets, membership */
int64_t link_init(struct sock_ctx *ctx, const uint8_t *key, size_t key_len, unsigned detect_scale,
		  unsigned configured);
/* Send one packet; -AION_EAGAIN (nothing sent) while dst's boot is not
 * known yet and type is not MESH_PING (mesh/replay.h). */
int64_t link_send(uint16_t dst, uint8_t type, const void *payload, size_t len);
/* The main thread's wait: RECV on ep, signalling netd in the same call
 * when link_send queued packets since the last wait (SIGNAL_RECV: netd
 * runs once meshd blocks). */
int64_t link_wait(aion_handle_t ep, struct aion_msg *m, uint64_t timeout_ns);
/* Key rotation (docs/mesh-transport.md): add a second key (accepted, not
 * yet sent with; -AION_EBUSY with two live, -AION_EINVAL if shorter than
 * MESH_KEY_MIN), send with it, then drop the other. */
int64_t link_key_add(const uint8_t *key, size_t len);
int64_t link_key_use(void);
int64_t link_key_retire(void);
void link_receive(const uint8_t *pkt, size_t len, uint32_t src_addr, uint64_t got_ns);
/* Up to a bound of datagrams from the ring through link_receive; woke_ns:
 * when the main thread woke (`mesh stats` rxq: the wait from it). */
void link_drain(uint64_t woke_ns);
/* The last drain stopped at its bound: the next wait must not block. */
bool link_rx_pending(void);
void link_tick(uint64_t now);
uint64_t link_deadline(void);
bool node_alive(uint16_t node);
unsigned link_nodes_text(char *out, unsigned size, unsigned from);
void link_stats_text(char *out, unsigned size);
void link_kinds_text(char *out, unsigned size);
extern uint64_t tx_packets, tx_errors;

/* timing.c: `mesh stats` pages 4 (membership's probes) and 5 (the main
 * thread's delays). late_ns UINT64_MAX: the pass did not follow a
 * timed-out wait. */
void timing_rx_queued(uint64_t ns);
void timing_send(uint64_t ns);
void timing_loop(uint64_t busy_ns, uint64_t late_ns);
void timing_text(char *out, unsigned size, unsigned page);
/* One main-loop pass: t[0] woke, t[1] served (badge, label of the message;
 * 0 after a timeout), t[2] after the link's tick, t[3] the calls', t[5]
 * the rest's. */
void timing_slow_pass(const uint64_t *t, uint64_t badge, uint32_t label);

/* calls.c: this node calling others (proxies, imports) */
enum outcall_kind { OC_PROXY, OC_LOOKUP, OC_LIST, OC_REBIND, OC_LEADER, OC_RELEASE, OC_GRANT };
int64_t proxy_call(struct aion_serve_req *r);   /* badge BADGE_PROXY + import */
int64_t import_ref(const struct mesh_ref *ref, aion_handle_t *proxy);
int64_t import_named(const struct mesh_ref *ref, const char *name, aion_handle_t *proxy);
int64_t import_copy(const struct mesh_ref *ref, aion_handle_t *out);
void calls_boot_seen(uint16_t node, uint32_t boot);
void calls_refs_text(char *out, unsigned size);
int64_t calls_raw(struct aion_serve_req *r, const struct mesh_ref *ref);   /* MESHD_FORGE */
bool import_shortcut(aion_handle_t h, struct mesh_ref *ref);
int64_t calls_reply_delegated(uint16_t src, uint32_t boot, uint32_t id, const struct mesh_rpc *r);
extern uint64_t refs_shortcut;
extern bool meshd_forge;        /* forge=1 in meshd's args: MESHD_FORGE allowed */
void rpc_to_reply(const struct mesh_rpc *r, struct aion_msg *m);
void calls_deliver(aion_handle_t reply, int64_t err, const struct mesh_rpc *r, uint16_t from);
void calls_local_done(unsigned import, aion_handle_t reply, int64_t err,
		      const struct mesh_rpc *r, const struct mesh_rpc *sent, uint16_t from);
void calls_rebound(unsigned import, int64_t err, const struct mesh_ref *ref);
int64_t outcall_start(enum outcall_kind kind, unsigned agg, uint16_t node,
		      struct mesh_rpc *r, aion_handle_t reply);
/* src_boot: the boot of src that sent the packet, authenticated by the
 * link (its MAC and replay window) */
void calls_on_reply(uint16_t src, uint32_t src_boot, const struct mesh_rpc *r);
void calls_on_status(uint16_t src, uint32_t src_boot, uint8_t type, const struct mesh_status *s);
void calls_node_dead(uint16_t node);
void calls_tick(uint64_t now);
uint64_t calls_deadline(void);
extern uint64_t calls_out, calls_retransmits, imports_freed;

/* serve.c: others calling this node (exports, workers) */
void serve_init(void);
/* Exports h for node to (0: this node holds it for now), pinned by a name or not. */
int64_t export_cap(aion_handle_t h, uint16_t to, bool pin, struct mesh_ref *ref);
int64_t export_lookup(uint32_t obj, uint32_t gen, aion_handle_t *h);
int64_t export_grant(const struct mesh_ref *ref, uint16_t node);
void export_ungrant(const struct mesh_ref *ref, uint16_t node);
void export_drop(const struct mesh_ref *ref);
void serve_node_gone(uint16_t node, const char *why);
void serve_node_dead(uint16_t node);
void serve_refs_text(char *out, unsigned size);
void serve_exports_text(char *out, unsigned size, unsigned *from);
/* src_boot: the caller's boot, authenticated by the link (its MAC and
 * replay window); dst_boot: this node's boot as the caller knew it when it
 * made the call (the payload's owner_boot: the link's header names the
 * boot it is sent to now, which a retransmission updates). */
void serve_on_call(uint16_t src, uint32_t src_boot, uint32_t dst_boot, const struct mesh_rpc *r);
int64_t serve_local(const struct mesh_rpc *r, aion_handle_t reply, unsigned import);
void serve_complete(uint16_t src, uint32_t boot, uint32_t id, int64_t err,
		    struct mesh_rpc *reply);
int64_t serve_worker(struct aion_serve_req *r);
int64_t worker_thread(uint64_t arg);
extern uint64_t calls_in, calls_dup, calls_other_boot, calls_dropped, refs_released;

/* names.c: cluster-wide names, and every request of a local unit
 * (r->ctx: the job instance that calls, or -1) */
int64_t names_client(struct aion_serve_req *r);
int names_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply);
void names_drop_owner(int owner);
void names_rebind_lookup(unsigned import, const char *name);
int64_t names_ask_all(struct aion_serve_req *r, uint32_t label, const char *first_line);
void names_outcall_done(enum outcall_kind kind, unsigned agg, uint16_t node,
			int64_t err, const struct mesh_rpc *reply);
void names_tick(uint64_t now);
uint64_t names_deadline(void);

/* cluster.c: the scheduler's glue (loads, placement, jobs and top) */
void cluster_init(void);
void cluster_tick(uint64_t now);
uint64_t cluster_deadline(void);
uint64_t cluster_load_due(void);        /* the next load measurement's time */
void cluster_receive(uint16_t src, const uint8_t *payload, size_t len);   /* MESH_SCHED */
void cluster_view(struct csched_view *v);
/* Are more than half of the voters alive in this node's view? */
bool cluster_quorum(unsigned *live, unsigned *voters);
/* MESHD_JOBS, MESHD_TOP (names_client's table) */
int64_t cluster_jobs_call(struct aion_serve_req *r);
int64_t cluster_top_call(struct aion_serve_req *r);
int cluster_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply);
/* Requests as cstate commands: the length, or -AION_E... */
int64_t spawn_command(const char *req, uint8_t *cmd, size_t cap, char *text, unsigned size);
int64_t fail_command(uint16_t src, const char *req, uint8_t *cmd, size_t cap);

/* requests.c: changes and reads of the cluster state, decided by the leader */
int64_t requests_sched_call(struct aion_serve_req *r);         /* MESHD_SPAWN, MESHD_STOP */
int64_t requests_members_call(struct aion_serve_req *r);       /* MESHD_MEMBERS */
void requests_join(uint64_t id);        /* this server asks to be a voter */
int64_t requests_kv_call(struct aion_serve_req *r, uint32_t kv_label);  /* MESHD_KV */
void requests_fail_primary(const char *job, uint32_t epoch);
int requests_self_call(uint16_t src, const struct mesh_rpc *r, struct mesh_rpc *reply);
void requests_outcall_done(unsigned pending, int64_t err, const struct mesh_rpc *reply);
void requests_tick(uint64_t now);
uint64_t requests_deadline(void);

/* bulk.c: calls and replies above MESH_CALL_DATA_MAX as bulk transfers
 * (docs/mesh-bulk.md). A payload waits in a buffer (index 1..: a
 * mesh_rpc's bulk field) until bbuf_free. */
/* The mesh socket's rings (link.c), in meshd's window (netd's guest). */
#define MESHD_RING_VA   (aion_window() + 0x0000000050000000ull)
void bulk_init(void);
int64_t bbuf_take(void);                /* its index, or -AION_EBUSY */
uint8_t *bbuf_data(unsigned b);         /* MESH_BULK_DATA_MAX bytes */
void bbuf_set_len(unsigned b, uint32_t len);
void bbuf_free(unsigned b);             /* stops its transfer, if any */
void bulk_stop(unsigned b);             /* stops b's transfer; b stays taken */
/* r's payload wherever it is (inline, a buffer, or the message being delivered). */
const uint8_t *bulk_data(const struct mesh_rpc *r, uint32_t *len);
/* Sends buffer b's payload behind r's header to dst as a CALL or REPLY;
 * the end is reported to calls_bulk_end / serve_bulk_end. */
int64_t bulk_send(unsigned b, uint16_t dst, uint8_t type, const struct mesh_rpc *r);
void bulk_on_data(uint16_t src, uint32_t src_boot, const uint8_t *payload, size_t len);
void bulk_on_ack(uint16_t src, const uint8_t *payload, size_t len);
void bulk_tick(uint64_t now);
uint64_t bulk_deadline(void);
void bulk_stats_text(char *out, unsigned size);
void calls_bulk_end(uint16_t dst, uint32_t id, int err);
void serve_bulk_end(uint16_t dst, uint32_t boot, uint32_t id, int err, unsigned b);

/* jobs.c: the instances the desired state places on this node */
void jobs_reconcile(const struct csched_state *s);
void jobs_tick(uint64_t now);
uint64_t jobs_deadline(void);
int64_t jobs_client(struct aion_serve_req *r);  /* badge BADGE_JOB + instance */
int64_t jobs_program_flags(const char *program, uint64_t *flags);
extern unsigned jobs_units;

/* Sends an IPC reply through a saved reply handle and closes it. */
void reply_saved(aion_handle_t reply, const struct aion_msg *m);
/* Replies to a saved reply with w0 = err and nothing else. */
void reply_saved_err(aion_handle_t reply, int64_t err);

#endif /* MESHD_H */
