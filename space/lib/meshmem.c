/* libaion: payloads in memory objects (libaion/meshmem.h). */
#include "libaion/meshmem.h"
#include <stdbool.h>
#include "libaion/lib.h"

/* One page mapped right where the last page of an object must be: it maps
 * only if the object does not reach there (MEMORY_MAP: EEXIST otherwise),
 * which is how a reader learns an object's size before touching it. */
static aion_handle_t probe;

static int64_t probe_handle(aion_handle_t *h)
{
	aion_handle_t p = __atomic_load_n(&probe, __ATOMIC_ACQUIRE);
	if (!p) {
		int64_t mo = aion_memory_create(1);
		if (mo < 0)
			return mo;
		aion_handle_t expect = 0;
		if (__atomic_compare_exchange_n(&probe, &expect, (aion_handle_t)mo, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			p = (aion_handle_t)mo;
		else {
			aion_handle_close((aion_handle_t)mo);   /* another thread's won */
			p = expect;
		}
	}
	*h = p;
	return 0;
}

int64_t mesh_mem_create(const void *data, uint32_t len, uint64_t va, aion_handle_t *mo)
{
	unsigned pages = mesh_mem_pages(len);
	if (pages > MESH_MEM_PAGES_MAX)
		return -AION_ERANGE;
	int64_t h = aion_memory_create_mapped(pages, va);
	if (h < 0)
		return h;
	memcpy((void *)va, data, len);
	aion_memory_unmap(AION_HANDLE_SELF, va);
	*mo = (aion_handle_t)h;
	return 0;
}

int64_t mesh_mem_read(aion_handle_t mo, uint32_t len, uint64_t va, void *out)
{
	struct aion_cap_info ci;
	aion_handle_t p;
	if (aion_cap_info(mo, &ci) || ci.type != AION_OBJ_MEMORY || !(ci.rights & AION_RIGHT_READ) ||
	    mesh_mem_pages(len) > MESH_MEM_PAGES_MAX)
		return -AION_EINVAL;
	int64_t err = probe_handle(&p);
	if (err)
		return err;
	if (aion_memory_map(mo, AION_HANDLE_SELF, va, AION_PROT_READ, 0))
		return -AION_EINVAL;
	uint64_t last = va + (uint64_t)(mesh_mem_pages(len) - 1) * 4096u;
	err = aion_memory_map(p, AION_HANDLE_SELF, last, AION_PROT_READ, 0);
	if (err == -AION_EEXIST) {
		memcpy(out, (const void *)va, len);
		err = 0;
	} else {
		if (!err)
			aion_memory_unmap(AION_HANDLE_SELF, last);      /* too small */
		err = -AION_EINVAL;
	}
	aion_memory_unmap(AION_HANDLE_SELF, va);
	return err;
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
		     unsigned ncaps, const void *data, uint32_t len, uint64_t va,
		     aion_handle_t *made)
{
	*made = 0;
	if (len <= AION_IPC_PAYLOAD_MAX) {
		memcpy(b->payload, data, len);
		m->tag = AION_TAG(label, len, ncaps);
		return 0;
	}
	aion_handle_t mo;
	int64_t err = mesh_mem_create(data, len, va, &mo);
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
		     uint32_t cap, uint64_t va)
{
	unsigned ncaps;
	int64_t len = mesh_msg_len(m, b, &ncaps);
	aion_handle_t mo = m->tag & MESH_TAG_MEMORY && len >= 0 ? b->caps[ncaps] : 0;
	int64_t err = len < 0 ? len : (uint64_t)len > cap ? -AION_ERANGE : 0;
	if (!err && mo)
		err = mesh_mem_read(mo, (uint32_t)len, va, out);
	else if (!err)
		memcpy(out, b->payload, (size_t)len);
	if (mo)
		aion_handle_close(mo);
	return err ? err : len;
}
