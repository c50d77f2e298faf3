/*
 * RPC payload decoders (mesh/rpc.h) for fuzz_mesh_decode.c, reached only
 * behind a good MAC. Included when run_fuzz.py finds mesh/rpc.c. A
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
