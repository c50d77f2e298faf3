/*
 * AionMesh remote calls: the payloads of CALL, REPLY, CALL_ACK and ERROR
 * packets (mesh/wire.h carries them). Pure codec, host and freestanding.
 *
 * CALL and REPLY share one layout (big-endian, no padding):
 *   u32 boot      the caller meshd's boot (its count of starts: call ids
 *                 are per caller boot, mesh/amo.h)
 *   u32 owner_boot CALL: the owner's boot as the caller knows it (0 only
 *                 in a HELLO); REPLY: the owner's boot. (Once the packet
 *                 header carries both boots, this field goes.)
 *   u32 id        call id, counting up per caller per destination node
 *                 (id 0: HELLO, see below)
 *   u32 obj, gen  CALL: the target object exported by the destination
 *                 (obj 0 is the destination meshd itself); REPLY: 0
 *   u32 label
 *   u64 w[3]      the IPC words
 *   u8  ncaps     at most MESH_RPC_CAPS, then ncaps references of
 *                 u16 node, u32 obj, u32 gen, u32 rights
 *   u16 len       at most MESH_CALL_DATA_MAX, then len data bytes
 * CALL_ACK and ERROR: u32 boot, u32 owner_boot (the owner's), u32 id,
 * i32 code (ERROR: -AION_E...; CALL_ACK: 0, "received, running").
 *
 * A bulk CALL or REPLY (one bulk message, mesh/bulk.h; a payload above
 * MESH_CALL_DATA_MAX) has the same layout but for the length, a u32 of at
 * most MESH_BULK_DATA_MAX; mesh_rpc_bulk_encode writes only the header
 * (up to and with the length), so a caller can put it in front of data
 * already in place.
 *
 * HELLO: a CALL to obj 0 with id 0 and label MESH_SELF_HELLO asks the
 * owner's boot; it is answered at once (REPLY id 0, owner_boot) outside
 * the at-most-once window: it changes nothing, so running it twice is
 * harmless. A caller sends no other CALL to a node whose boot it does not
 * know (mesh/amo.h: a CALL for another boot of the owner is not run).
 */
#ifndef MESH_RPC_H
#define MESH_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "aion/mesh.h"

#define MESH_RPC_CAPS      4
#define MESH_REF_LEN       14u
#define MESH_RPC_FIXED     (4 + 4 + 4 + 8 + 4 + 24 + 1 + 2)
#define MESH_RPC_LEN_MAX   (MESH_RPC_FIXED + MESH_RPC_CAPS * MESH_REF_LEN + MESH_CALL_DATA_MAX)
#define MESH_STATUS_LEN    16u

/* Objects meshd serves itself (obj 0) take these labels. */
#define MESH_OBJ_MESHD     0
#define MESH_SELF_LOOKUP   1   /* data = name -> w0 = 0, caps[0] = ref; ENOENT */
#define MESH_SELF_LIST     2   /* -> data: "name name ..." of this node */
#define MESH_SELF_SPAWN    3   /* data = spawn request (aion/mesh.h MESHD_SPAWN) -> the leader's answer */
#define MESH_SELF_STOP     4   /* data = job name -> the leader's answer */
#define MESH_SELF_TOP      5   /* -> data: this node's load line */
#define MESH_SELF_FAIL     6   /* data = "JOB EPOCH": the sender's primary ended -> the leader's answer */
#define MESH_SELF_KV       7   /* data = a cstate KV command -> w0 = err, w1, data = value (leader only) */
#define MESH_SELF_JOIN     8   /* data = the sender's Raft server id, hex -> w0 = 0 once it votes (leader only) */
#define MESH_SELF_REMOVE   9   /* data = a node number -> w0 = 0 once its removal is appended (leader only) */
#define MESH_SELF_HELLO    10  /* id 0 -> owner_boot (see above) */
#define MESH_SELF_RELEASE  11  /* data = refs this node no longer holds, MESH_RELEASE_LEN each
				* (u32 obj, u32 gen) -> w0 = 0 */
#define MESH_RELEASE_LEN   8u
#define MESH_SELF_GRANT    12  /* data = u32 obj, u32 gen, u16 node: the sender, a holder,
				* lets node call it too -> w0 = 0, ERIGHTS, EDEAD */
#define MESH_GRANT_LEN     10u
#define MESH_RELEASE_MAX   (MESH_CALL_DATA_MAX / MESH_RELEASE_LEN)
#define MESH_SELF_PROBE    13  /* the same id as a large call whose transfer was
				* delivered (DONE): its CALL_ACK, or its answer
				* again; run as new, it means the owner dropped the
				* call unrun: ECONNRESET (docs/mesh-bulk.md) */
#define MESH_RPC_BULK_HDR_MAX (MESH_RPC_FIXED + 2 + MESH_RPC_CAPS * MESH_REF_LEN)

/* A global capability reference: (node, object, generation) and rights. */
struct mesh_ref {
	uint16_t node;
	uint32_t obj;
	uint32_t gen;
	uint32_t rights;
};

struct mesh_rpc {
	uint32_t boot;
	uint32_t owner_boot;
	uint32_t id;
	uint32_t obj, gen;
	uint32_t label;
	uint64_t w[3];
	uint8_t ncaps;
	struct mesh_ref caps[MESH_RPC_CAPS];
	uint16_t len;
	uint8_t data[MESH_CALL_DATA_MAX];
	/* Never encoded: meshd's handle on a payload above
	 * MESH_CALL_DATA_MAX held elsewhere (len is 0 then; 0: none). */
	uint8_t bulk;
};

struct mesh_status {
	uint32_t boot;
	uint32_t owner_boot;
	uint32_t id;
	int32_t code;
};

/* Returns the payload length written to buf[0, cap), or -AION_EINVAL
 * (ncaps or len too large) / -AION_ENOSPC. */
int mesh_rpc_encode(const struct mesh_rpc *r, uint8_t *buf, size_t cap);
/* Decodes exactly one payload: 0, or -AION_ETRUNC / -AION_EMALFORMED
 * (too many caps, data too long, bytes left over) / -AION_EINVAL. */
int mesh_rpc_decode(const uint8_t *buf, size_t len, struct mesh_rpc *out);

/* The header of a bulk CALL or REPLY whose payload is len bytes (r's
 * len and data are not used): its length, or -AION_EINVAL (ncaps, len
 * above MESH_BULK_DATA_MAX) / -AION_ENOSPC. */
int mesh_rpc_bulk_encode(const struct mesh_rpc *r, uint32_t len, uint8_t *buf, size_t cap);
/* Decodes a whole bulk CALL or REPLY: returns the header's length (the
 * payload is buf[that, len), *dlen bytes), -AION_ETRUNC or
 * -AION_EMALFORMED (too many caps, a length above MESH_BULK_DATA_MAX or
 * other than what follows). out's len is 0. */
int mesh_rpc_bulk_decode(const uint8_t *buf, size_t len, struct mesh_rpc *out, uint32_t *dlen);

int mesh_status_encode(const struct mesh_status *s, uint8_t *buf, size_t cap);
int mesh_status_decode(const uint8_t *buf, size_t len, struct mesh_status *out);

#endif /* MESH_RPC_H */
