/*
 * libaion: the client side of meshd's protocol (aion/mesh.h): cluster-wide
 * names. The thread's IPC buffer must be registered (aion_ipc_buffer).
 */
#ifndef AION_MESHCLIENT_H
#define AION_MESHCLIENT_H

#include "aion/mesh.h"
#include "aion/sys.h"

/* meshd's endpoint through init's name service, waiting up to wait_ns. */
int64_t mesh_connect(struct aion_ipc_buffer *buf, uint64_t wait_ns, aion_handle_t *mesh);
/* Registers ep (copied with rights) under name cluster-wide. */
int64_t mesh_register(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		      aion_handle_t ep, uint32_t rights);
/* Looks name up on every live node: *cap (and *node, may be NULL). */
int64_t mesh_lookup(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		    aion_handle_t *cap, unsigned *node);
/* A text request (label, payload = text) -> the reply's text in out (NUL-terminated). */
int64_t mesh_text_call(aion_handle_t ep, struct aion_ipc_buffer *buf, uint32_t label,
		       uint64_t w1, const char *text, char *out, size_t size, uint64_t *w1_out);

#endif /* AION_MESHCLIENT_H */
