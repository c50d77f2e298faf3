/*
 * netd's TCP stream areas (aion/socket.h, SOCK_STREAM_AREA): a connected
 * socket's SEND and RECV bytes through a memory object shared with its
 * owner, so one call moves up to a send buffer's worth, not 512 bytes.
 *
 * Why (docs/network.md, "Stream areas"): a call switches address spaces
 * twice, and under TCG each switch flushes QEMU's whole software TLB; at
 * 512 bytes a call, 4 MiB cost 8,192 calls on each side.
 *
 * netd makes the object and keeps the original: a unit can revoke what
 * it made, and revoking an object netd has mapped would unmap it under
 * netd. The owner holds a copy; whatever it writes while netd reads only
 * garbles its own stream (netd copies out, and never reads a length from
 * the area: the call says how many bytes).
 */
#include "sock.h"

int64_t sock_stream_attach(struct aion_serve_req *r, struct sock *s)
{
	if (s->kind != SK_TCP)
		return -AION_EINVAL;
	if (s->stream)
		return -AION_EBUSY;
	if (!s->tcp)
		return s->error ? s->error : -AION_ENOTCONN;
	uint64_t va = SOCK_AREA_VA(sock_index(s));
	int64_t mo = aion_memory_create_mapped(SOCKSTREAM_PAGES, va);
	if (mo < 0) {
		aion_printf("error sock stream sock=%d err=%s", sock_index(s),
			    aion_error_name(mo));
		return mo;
	}
	s->stream = (struct sockstream *)va;
	s->stream_mo = (aion_handle_t)mo;
	aion_serve_give(r, s->stream_mo, AION_RIGHT_READ | AION_RIGHT_WRITE);
	return 0;
}

void sock_stream_free(struct sock *s)
{
	if (!s->stream)
		return;
	aion_memory_unmap(AION_HANDLE_SELF, (uint64_t)s->stream);
	aion_handle_close(s->stream_mo);        /* the owner's copy may keep the pages */
	s->stream = NULL;
}
