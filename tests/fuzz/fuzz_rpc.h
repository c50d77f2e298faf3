/*
 * RPC payload decoders (mesh/rpc.h, the packet and the bulk forms) for
 * fuzz_mesh_decode.c, reached only behind a good MAC. Included when run_fuzz.py finds mesh/rpc.c. A
 * decoded payload must re-encode to the very same bytes.
 */
#include "mesh/rpc.h"

static void fuzz_rpc(const struct mesh_hdr *h, const uint8_t *pl, size_t len)
{
	switch (h->type) {
	case MESH_CALL:
	case MESH_REPLY: {
		static struct mesh_rpc r;
		static uint8_t again[MESH_RPC_LEN_MAX];

		uint32_t dlen;
		static uint8_t head[MESH_RPC_BULK_HDR_MAX];
		/* The same bytes as a reassembled bulk CALL/REPLY (meshd's
		 * bulk.c decodes those): its header re-encodes to itself. */
		int h = mesh_rpc_bulk_decode(pl, len, &r, &dlen);
		if (h >= 0) {
			check((size_t)h + dlen == len);
			check(mesh_rpc_bulk_encode(&r, dlen, head, sizeof(head)) == h);
			check(memcmp(head, pl, (size_t)h) == 0);
		}
		if (mesh_rpc_decode(pl, len, &r) < 0)
			return;
		check(mesh_rpc_encode(&r, again, sizeof(again)) == (int)len);
		check(memcmp(again, pl, len) == 0);
		break;
	}
	case MESH_CALL_ACK:
	case MESH_ERROR: {
		struct mesh_status s;
		uint8_t again[MESH_STATUS_LEN];

		if (mesh_status_decode(pl, len, &s) < 0)
			return;
		check(mesh_status_encode(&s, again, sizeof(again)) == (int)len);
		check(memcmp(again, pl, len) == 0);
		break;
	}
	default:
		break;
	}
}
