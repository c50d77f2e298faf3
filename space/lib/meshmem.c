/* libaion: payloads in memory objects (libaion/meshmem.h). */
#include "libaion/meshmem.h"
#include "libaion/lib.h"

/* The kernel copies (MEMORY_READ, MEMORY_WRITE), AION_MEM_WRITE_MAX bytes
 * a call: nothing is mapped, so an object its owner revokes meanwhile is
 * an error here, never a fault (a mapping would go with the capability).
 * Bytes [0, len) of mo into `into`, or, with into NULL, from `from` into mo. */
static int64_t mem_copy(aion_handle_t mo, uint8_t *into, const uint8_t *from, uint32_t len)
{
	for (uint32_t off = 0; off < len;) {
		uint32_t n = len - off < AION_MEM_WRITE_MAX ? len - off : AION_MEM_WRITE_MAX;
		int64_t err = into ? aion_memory_read(mo, off, into + off, n) :
				     aion_memory_write(mo, off, from + off, n);
		if (err)
			return err;
		off += n;
	}
	return 0;
}

int64_t mesh_mem_create(const void *data, uint32_t len, aion_handle_t *mo)
{
	unsigned pages = mesh_mem_pages(len);
	if (pages > MESH_MEM_PAGES_MAX)
		return -AION_ERANGE;
	int64_t h = aion_memory_create(pages);
	if (h < 0)
		return h;
	int64_t err = mem_copy((aion_handle_t)h, NULL, data, len);
	if (err) {
		aion_handle_close((aion_handle_t)h);
		return err;
	}
	*mo = (aion_handle_t)h;
	return 0;
}

int64_t mesh_mem_read(aion_handle_t mo, uint32_t len, void *out)
{
	/* An empty read at len first: all of [0, len) is there and readable
	 * (else ERANGE, ECAP, ERIGHTS...) before a byte of out is written. */
	if (mesh_mem_pages(len) > MESH_MEM_PAGES_MAX || aion_memory_read(mo, len, out, 0) ||
	    mem_copy(mo, out, NULL, len))
		return -AION_EINVAL;
	return 0;
}

void mesh_mem_tag(struct aion_msg *m, struct aion_ipc_buffer *b, uint32_t label,
		  unsigned ncaps, uint32_t len, aion_handle_t mo)
{
	b->caps[ncaps] = mo;
	b->cap_rights[ncaps] = AION_RIGHT_READ;
	for (unsigned i = 0; i < MESH_MEM_LEN; i++)
		b->payload[i] = (uint8_t)(len >> (8 * i));
	m->tag = AION_TAG(label, MESH_MEM_LEN, ncaps + 1) | MESH_TAG_MEMORY;
}

int64_t mesh_msg_put(struct aion_msg *m, struct aion_ipc_buffer *b, uint32_t label,
		     unsigned ncaps, const void *data, uint32_t len, aion_handle_t *made)
{
	*made = 0;
	if (len <= AION_IPC_PAYLOAD_MAX) {
		memcpy(b->payload, data, len);
		m->tag = AION_TAG(label, len, ncaps);
		return 0;
	}
	aion_handle_t mo;
	int64_t err = mesh_mem_create(data, len, &mo);
	if (err)
		return err;
	/* Copied, not moved: a move that fails leaves the handle here, and
	 * the sender could not tell which happened. */
	mesh_mem_tag(m, b, label, ncaps, len, mo);
	*made = mo;
	return 0;
}

int64_t mesh_msg_len(const struct aion_msg *m, const struct aion_ipc_buffer *b,
		     unsigned *ncaps)
{
	unsigned n = AION_TAG_CAPS(m->tag);
	*ncaps = n;
	if (!(m->tag & MESH_TAG_MEMORY))
		return AION_TAG_LEN(m->tag);
	if (AION_TAG_LEN(m->tag) != MESH_MEM_LEN || n == 0)
		return -AION_EMALFORMED;
	*ncaps = n - 1;
	uint32_t len = 0;
	for (unsigned i = 0; i < MESH_MEM_LEN; i++)
		len |= (uint32_t)b->payload[i] << (8 * i);
	return len;
}

int64_t mesh_msg_get(const struct aion_msg *m, struct aion_ipc_buffer *b, void *out,
		     uint32_t cap)
{
	unsigned ncaps;
	int64_t len = mesh_msg_len(m, b, &ncaps);
	aion_handle_t mo = m->tag & MESH_TAG_MEMORY && len >= 0 ? b->caps[ncaps] : 0;
	int64_t err = len < 0 ? len : (uint64_t)len > cap ? -AION_ERANGE : 0;
	if (!err && mo)
		err = mesh_mem_read(mo, (uint32_t)len, out);
	else if (!err)
		memcpy(out, b->payload, (size_t)len);
	if (mo)
		aion_handle_close(mo);
	return err ? err : len;
}
