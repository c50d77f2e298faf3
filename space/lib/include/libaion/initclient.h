/* Calls on init's endpoint (aion/initproto.h) from a service. */
#ifndef AION_INITCLIENT_H
#define AION_INITCLIENT_H

#include "libaion/lib.h"

/* The thread's IPC buffer must be registered (aion_ipc_buffer) before these. */
/* Copies s (NULL: nothing) into the payload, cut at AION_IPC_PAYLOAD_MAX; its length. */
unsigned ipc_put_text(struct aion_ipc_buffer *buf, const char *s);

int64_t init_register(aion_handle_t init, struct aion_ipc_buffer *buf, const char *name,
		      aion_handle_t cap, uint32_t rights);
/* Looks a name up; retries for up to wait_ns while it is not registered yet. */
int64_t init_lookup(aion_handle_t init, struct aion_ipc_buffer *buf, const char *name,
		    uint64_t wait_ns);
/* An admin or list call with an optional text argument; the reply text in out. */
int64_t init_text_call(aion_handle_t init, struct aion_ipc_buffer *buf, uint32_t label,
		       const char *arg, char *out, unsigned size);

#endif /* AION_INITCLIENT_H */
