/*
 * libaion: payloads larger than the IPC buffer in memory objects, the
 * "memory convention" of aion/mesh.h (MESH_TAG_MEMORY), for callers and
 * services alike, local or remote (docs/mesh-bulk.md). Nothing is mapped:
 * the kernel copies (MEMORY_READ, MEMORY_WRITE), so an object revoked by
 * its owner while a service reads it is an error, never a fault.
 */
#ifndef LIBAION_MESHMEM_H
#define LIBAION_MESHMEM_H

#include <stdint.h>
#include "aion/ipc.h"
#include "aion/mesh.h"

#define MESH_MEM_PAGES_MAX      512u    /* MEMORY_CREATE's limit */

/* Pages of an object holding len bytes (at least 1). */
static inline unsigned mesh_mem_pages(uint32_t len)
{
	return len ? (len + 4095u) / 4096u : 1u;
}

/* A new memory object holding data[0, len): 0 and *mo, or -AION_E... */
int64_t mesh_mem_create(const void *data, uint32_t len, aion_handle_t *mo);

/* Copies the first len bytes of mo to out: 0, or -AION_EINVAL (mo is not
 * a readable memory object of at least len bytes: nothing read). */
int64_t mesh_mem_read(aion_handle_t mo, uint32_t len, void *out);

/* Makes m a MESH_TAG_MEMORY message of label: len bytes in mo, which
 * becomes capability ncaps (READ). */
void mesh_mem_tag(struct aion_msg *m, struct aion_ipc_buffer *b, uint32_t label,
		  unsigned ncaps, uint32_t len, aion_handle_t mo);

/* A message of label whose payload is data[0, len): inline when it fits
 * the IPC buffer, else a new memory object (the last capability) and
 * MESH_TAG_MEMORY. caps[0, ncaps) are in b already. *made is that object
 * (0: inline): the receiver gets a copy, so the sender closes *made once
 * the message went, or failed to go. 0, or the error of mesh_mem_create
 * (nothing to close). A caller whose reply may exceed the IPC buffer
 * accepts one more capability in its call (m->tag |= AION_TAG_ACCEPT(n),
 * after this call): else the reply's memory object is refused and the
 * caller gets -AION_ERIGHTS in w0. */
int64_t mesh_msg_put(struct aion_msg *m, struct aion_ipc_buffer *b, uint32_t label,
		     unsigned ncaps, const void *data, uint32_t len, aion_handle_t *made);

/* The length of a message's payload in either form (m as received, its
 * payload in b), and *ncaps the capabilities other than a memory object:
 * 0.., or -AION_EMALFORMED (MESH_TAG_MEMORY without a length or an object). */
int64_t mesh_msg_len(const struct aion_msg *m, const struct aion_ipc_buffer *b,
		     unsigned *ncaps);

/* Copies a received message's payload, either form, to out[0, cap) and
 * closes its memory object: the length, -AION_ERANGE (more than cap:
 * nothing copied), -AION_EMALFORMED or mesh_mem_read's error. */
int64_t mesh_msg_get(const struct aion_msg *m, struct aion_ipc_buffer *b, void *out,
		     uint32_t cap);

#endif /* LIBAION_MESHMEM_H */
