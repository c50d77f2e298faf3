/*
 * The mesh protocol for units: calls on meshd's endpoint, which meshd
 * registers with init as "mesh" (see docs/mesh.md).
 *
 *   MESHD_REGISTER  payload = name (1..MESH_NAME_MAX-1 bytes, no NUL needed),
 *                   caps[0] = the service's endpoint (SEND, and GRANT if
 *                   callers may pass capabilities)      -> w0 = 0
 *                   EINVAL (bad name, or one with '@'), ETYPE (not an
 *                   endpoint), ENOSPC
 *                   A name registered again on the same node is replaced.
 *   MESHD_LOOKUP    payload = name -> w0 = 0, w1 = node of the service,
 *                   caps[0] = the service (the registered capability when
 *                   it is local, a proxy when remote); ENOENT when no live
 *                   node has it, ETIMEDOUT when live nodes did not answer.
 *                   "NAME@N": NAME as node N registered it, only N asked
 *                   (ENOENT when N is not alive); the proxy re-binds to
 *                   node N's alone. EINVAL when N is not a node number.
 *   MESHD_NODES     -> payload: the membership table, text, one line per node
 *   MESHD_STATS     w1 = the page -> payload: receive counters (drops by
 *                   cause), text; page 1: bulk transfers
 *                   (docs/mesh-bulk.md); page 2: packets sent and
 *                   accepted by type ("mesh tx_kinds tx_ping=N ...",
 *                   "mesh rx_kinds ..."); reply w1 = the next page, or 0
 *   MESHD_SERVICES  -> payload: cluster-wide names, text, "name=N node=K"
 *   MESHD_SPAWN     payload = "PROGRAM [replicas=K] [nodes=A,B,..] [spread]"
 *                   -> w0 = 0 once a majority of the configured nodes
 *                   holds the new desired state; payload: one line saying
 *                   what was decided. ENOQUORUM (payload says what this
 *                   node sees), EEXIST, ENOENT (no such program), EINVAL,
 *                   ENOSPC, ETIMEDOUT (the leader did not confirm in time)
 *   MESHD_JOBS      -> payload: leader, term, the desired state and where
 *                   each instance runs, text (docs/mesh.md "Scheduler")
 *   MESHD_TOP       -> payload: one line per live node: load, free memory,
 *                   units (asks every node)
 *   MESHD_STOP      payload = PROGRAM -> removes the job from the desired
 *                   state (same answers as MESHD_SPAWN)
 *   MESHD_MEMBERS   no payload -> payload: this node's Raft server (id,
 *                   role, term, leader, commit, applied) and the latest
 *                   configuration, one line per server, text
 *                   payload = "remove N" -> w0 = 0 once the leader appended
 *                   the removal of node N's server from the configuration
 *                   (one change at a time: EBUSY while one is under way),
 *                   ENOENT (no server on node N), ENOQUORUM
 *   MESHD_REFS      w1 = the first line -> payload: the export table (one
 *                   line per export: obj, gen, rights, the nodes holding
 *                   it) and the table sizes, text; reply w1 = the next
 *                   line, or 0
 *   MESHD_FORGE     (test images only: meshd started with forge=1, from
 *                   the kernel command line's aion.meshforge; else EPERM)
 *                   payload = "forge NODE OBJ GEN" -> a MESH_TEXT_CALL on
 *                   that raw reference, whether this node was given it or
 *                   not: the owner's grant check is what refuses it
 *                   (ERIGHTS). The forged-call test (mesh-calls) uses it.
 *
 * Units placed by the scheduler (jobs) start with args
 * "node=N job=NAME role=ROLE epoch=E" (ROLE: primary, backup or plain) and
 * find JOB_MESH_EP in their table: meshd's endpoint with the job's badge.
 * It takes every call above, and names registered through it end with the
 * instance. Besides:
 *   MESHD_JOB_WAIT  w1 = the epoch the instance knows, w2 = its role ->
 *                   answered when the scheduler's placement of this
 *                   instance differs from (w1, w2): w0 = 0, w1 = epoch,
 *                   w2 = role (MESH_ROLE_*); or w0 = -AION_EDEAD when the
 *                   instance is no longer placed (it is about to be
 *                   stopped). At most one wait per instance; a second
 *                   one ends the first with -AION_EBUSY.
 *   MESHD_KV        (kv's instances only, else EPERM) w0 = a kv client
 *                   label (KV_GET..KV_ADD), w1 = client id, w2 = seq,
 *                   payload = the request's fields (aion/kv.h) -> w0 = the
 *                   answer's error, w1 = ADD's new number, payload = the
 *                   key's value after the call. A write is answered once
 *                   the cluster's log committed and applied it; a GET
 *                   after the leader confirmed its lead (read index).
 *                   EAGAIN (not applied, retry), EINDOUBT or ETIMEDOUT
 *                   (may be applied: retry the same seq), ENOQUORUM.
 *
 * A proxy is a capability to meshd's endpoint: a call on it is carried to
 * the owner node and performed there on the original capability; the
 * reply (label, words, payload, capabilities) comes back as the reply to
 * the caller. Transport failures come back as a reply whose w0 is
 *   -AION_EHOSTDOWN  not executed: the owner node is dead, nothing was sent
 *   -AION_EBUSY      not executed: too many calls in flight here or queued
 *                    at the owner
 *   -AION_ERANGE     not executed: payload larger than MESH_BULK_DATA_MAX
 *                    (nothing was sent)
 *   -AION_EINVAL     not executed: more than MESH_RPC_CAPS capabilities
 *   -AION_ENOSPC     not executed: export/import table full for a
 *                    capability the call carries
 *   -AION_ERIGHTS    not executed: this node was never given the reference
 *                    (the owner's grant table), or a SEND-only proxy
 *   -AION_EDEAD      not executed: the owner has no such object in its
 *                    current boot, or its service ended before taking
 *                    the call (a named proxy re-binds first)
 *   -AION_ECONNRESET not executed: the owner dropped a large call's
 *                    transfer before it was complete (docs/mesh-bulk.md)
 *   -AION_EINDOUBT   may have executed: the owner died after the call was
 *                    sent, restarted since the call was addressed to it, or
 *                    its service ended holding the call, or a large call's
 *                    transfer timed out (retry only what is idempotent or
 *                    carries a request id)
 *   -AION_ETRUNC     executed: the reply could not be carried (above
 *                    MESH_BULK_DATA_MAX, its transfer failed, or its
 *                    capabilities could not be exported/imported)
 * Payloads above MESH_CALL_DATA_MAX (calls and replies) travel as bulk
 * transfers (docs/mesh-bulk.md); above AION_IPC_PAYLOAD_MAX they use the
 * memory convention below (MESH_TAG_MEMORY).
 * Each remote call executes at most once on the owner node. A proxy that
 * came from MESHD_LOOKUP remembers the name: when its node dies, the next
 * call on it finds the name again (waiting up to MESH_REBIND_MS for the
 * service to come back) and goes to the new instance.
 */
#ifndef AION_MESH_H
#define AION_MESH_H

#define MESHD_REGISTER          48
#define MESHD_LOOKUP            49
#define MESHD_NODES             50
#define MESHD_STATS             51
#define MESHD_SERVICES          52
#define MESHD_SPAWN             53
#define MESHD_JOBS              54
#define MESHD_TOP               55
#define MESHD_STOP              56
#define MESHD_JOB_WAIT          57
#define MESHD_KV                58
#define MESHD_MEMBERS           59
/* Cluster key rotation, on meshd's "admin.meshd" endpoint only (init gives
 * it to the console's shell alone: aion/initproto.h); on "mesh" or any
 * other capability: EPERM. payload = "add HEX" (a second key, accepted
 * from now on: EBUSY with two live, EINVAL if not 16..64 bytes of hex),
 * "use" (send with the newest key), "retire" (drop every key but the one
 * in use, after a 2 s grace) -> w0 = 0 or the error. docs/mesh-transport.md. */
#define MESHD_KEY               60
#define MESHD_REFS              61
#define MESHD_FORGE             62

/* An instance's role (MESHD_JOB_WAIT, startup args). */
#define MESH_ROLE_PLAIN         0       /* one of K equal instances */
#define MESH_ROLE_PRIMARY       1       /* serves; replicates to the backup */
#define MESH_ROLE_BACKUP        2       /* takes the primary's updates */

static inline const char *mesh_role_name(unsigned role)
{
	return role == MESH_ROLE_PRIMARY ? "primary" : role == MESH_ROLE_BACKUP ? "backup" :
	       "plain";
}

/* A job's table: SVC_INIT_EP (1,1), then meshd's endpoint with its badge. */
#define JOB_MESH_EP             AION_HANDLE(2, 1)

#define MESH_NAME_MAX           32
/* Most payload bytes a remote call or reply carries (a mesh packet must
 * fit one socket datagram of AION_IPC_PAYLOAD_MAX bytes). */
#define MESH_CALL_DATA_MAX      356

/*
 * Larger payloads, up to MESH_BULK_DATA_MAX bytes, are carried as bulk
 * transfers (docs/mesh-bulk.md). A call or reply whose payload does not
 * fit the IPC buffer uses memory objects (the "memory convention"): the
 * tag carries MESH_TAG_MEMORY, the payload is MESH_MEM_LEN bytes, the
 * length (u32, little-endian), and the last capability is a memory object
 * (READ) of at least that many bytes, of which the receiver gets its own
 * copy of the capability (so at most 3 other capabilities: the IPC's 4).
 * meshd delivers a payload of at most AION_IPC_PAYLOAD_MAX bytes
 * inline and a larger one this way, whichever way it was sent; libaion's
 * meshmem.h reads and writes both forms. A length above
 * MESH_BULK_DATA_MAX is refused before anything is sent (AION_ERANGE);
 * a call whose object is missing, too small or not readable gets
 * AION_EINVAL (not executed).
 */
#define MESH_BULK_DATA_MAX      65536u
#define MESH_TAG_MEMORY         (1ull << 20)  /* above AION_TAG_ACCEPT (17-19) */
#define MESH_MEM_LEN            4u

/* Label of simple text request/reply services (the shell's `call`). */
#define MESH_TEXT_CALL          1

/* How long a call on a named proxy waits for its service to reappear. */
#define MESH_REBIND_MS          3000

/* The UDP port every meshd listens on. */
#define MESH_PORT               7946

#endif /* AION_MESH_H */
