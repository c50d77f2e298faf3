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

#endif /* MESHTEST_H */
