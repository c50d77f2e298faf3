#include "libaion/initclient.h"
#include "aion/initproto.h"

unsigned ipc_put_text(struct aion_ipc_buffer *buf, const char *s)
{
	unsigned n = s ? (unsigned)strlen(s) : 0;
	if (n > AION_IPC_PAYLOAD_MAX)
		n = AION_IPC_PAYLOAD_MAX;
	memcpy(buf->payload, s, n);
	return n;
}

int64_t init_register(aion_handle_t init, struct aion_ipc_buffer *buf, const char *name,
		      aion_handle_t cap, uint32_t rights)
{
	struct aion_msg m = { .tag = AION_TAG(INIT_NS_REGISTER, ipc_put_text(buf, name), 1) };
	buf->caps[0] = cap;
	buf->cap_rights[0] = rights;
	int64_t err = aion_call(init, &m, 0);
	return err ? err : (int64_t)m.w[0];
}

int64_t init_lookup(aion_handle_t init, struct aion_ipc_buffer *buf, const char *name,
		    uint64_t wait_ns)
{
	uint64_t end = aion_clock_ns() + wait_ns;
	for (;;) {
		struct aion_msg m = { .tag = AION_TAG(INIT_NS_LOOKUP, ipc_put_text(buf, name), 0) |
				      AION_TAG_ACCEPT(1) };
		int64_t err = aion_call(init, &m, 0);
		if (err)
			return err;
		if ((int64_t)m.w[0] == 0 && AION_TAG_CAPS(m.tag) == 1)
			return buf->caps[0];
		if ((int64_t)m.w[0] != -AION_ENOENT || aion_clock_ns() >= end)
			return (int64_t)m.w[0] ? (int64_t)m.w[0] : -AION_EMALFORMED;
		aion_sleep_ns(20000000);        /* its service may still be starting */
	}
}

int64_t init_text_call(aion_handle_t init, struct aion_ipc_buffer *buf, uint32_t label,
		       const char *arg, char *out, unsigned size)
{
	struct aion_msg m = { .tag = AION_TAG(label, ipc_put_text(buf, arg), 0) };
	int64_t err = aion_call(init, &m, 0);
	if (err)
		return err;
	unsigned n = AION_TAG_LEN(m.tag) < size - 1 ? AION_TAG_LEN(m.tag) : size - 1;
	memcpy(out, buf->payload, n);
	out[n] = '\0';
	return (int64_t)m.w[0];
}
