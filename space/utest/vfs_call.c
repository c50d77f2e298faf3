/*
 * One raw call on a server of open objects (aion/vfs.h), as the VFS tests
 * and utest's program loader make them: the payload copied into buf (the
 * calling thread's registered IPC buffer, where the answer's payload and
 * capabilities land too), a bounded wait.
 */
#include <string.h>
#include "utest.h"

int64_t utest_vfs_call(struct aion_ipc_buffer *buf, aion_handle_t cap, uint32_t label,
		       uint64_t w1, uint64_t w2, uint64_t tag_extra, const void *data,
		       unsigned len, struct aion_msg *out)
{
	struct aion_msg m = { .tag = AION_TAG(label, len, 0) | tag_extra, .w = { 0, w1, w2 } };
	memcpy(buf->payload, data, len);
	int64_t err = aion_call(cap, &m, 2000 * MS);
	if (out)
		*out = m;
	return err ? err : (int64_t)m.w[0];
}
