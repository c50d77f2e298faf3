/* meshtest's shared parts: main.c (the roles, the start), kvcounter.c. */
#ifndef MESHTEST_H
#define MESHTEST_H

#include <stdint.h>
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "common/time.h"

#define LOOKUP_FOR_NS   (60 * SEC)

extern unsigned self_node;

/* The role's random numbers (seeded with the node). */
uint64_t rnd(void);
/* Looks name up until found (services start in any order on any node),
 * for at most LOOKUP_FOR_NS. */
int64_t lookup_wait(struct aion_ipc_buffer *b, aion_handle_t mesh, const char *name,
		    aion_handle_t *cap, unsigned *node);

/* kvcounter.c: count ADDs (0: until the key "stop" exists); local: only
 * once "kv" is found on this node. */
void kv_counter(struct aion_ipc_buffer *b, aion_handle_t mesh, unsigned count, int local);

/* bulk.c: payloads up to MESH_BULK_DATA_MAX (docs/mesh-bulk.md). */
#define LABEL_BIG       12      /* a reply above MESH_BULK_DATA_MAX */
#define LABEL_BULK      13      /* echo, either form; w1 = the payload's sum */
#define BULK_QUIET      1u      /* in w2: the service logs nothing (bench) */
/* The echo's answer to LABEL_BIG and LABEL_BULK from server thread
 * thread (1..) into r: 0 or an error. *made: an object to close once
 * the reply went (0: none). */
int64_t bulk_serve(struct aion_ipc_buffer *b, unsigned thread, const char *name,
		   const struct aion_msg *m, struct aion_msg *r, aion_handle_t *made);
/* One echoed call of len bytes from the client thread: 0 when intact. */
int64_t bulk_once(struct aion_ipc_buffer *b, aion_handle_t svc, unsigned i, uint32_t len,
		  uint64_t flags);
void bulk_client(struct aion_ipc_buffer *b, aion_handle_t mesh);

#endif /* MESHTEST_H */
