/*
 * meshtest's large payloads (docs/mesh-bulk.md): the echo service's
 * LABEL_BULK and LABEL_BIG, the bulk-client role (tests/cluster
 * cluster_mesh_bulk.py) and bench's 4 KiB and 64 KiB rows (bench/mesh).
 * Payloads above the IPC buffer go in memory objects (libaion/meshmem.h).
 */
#include "aion/mesh.h"
#include "libaion/meshmem.h"
#include "common/format.h"
#include "meshtest.h"

#define THREADS         8

/* One payload buffer per thread (the client is 0, server i is i + 1). */
static uint8_t big[THREADS][MESH_BULK_DATA_MAX + 1];

/* The pattern of call i, byte k: every size and call differs. */
static uint8_t pattern(unsigned i, uint32_t k)
{
	return (uint8_t)(i * 131u + k * 7u + (k >> 8) * 13u + self_node);
}

/* Fletcher-style sum: the service says what it read (w1). */
static uint64_t checksum(const uint8_t *d, uint32_t len)
{
	uint64_t a = 1, b = 0;
	for (uint32_t k = 0; k < len; k++) {
		a = (a + d[k]) % 65521u;
		b = (b + a) % 65521u;
	}
	return b << 16 | a;
}

int64_t bulk_serve(struct aion_ipc_buffer *b, unsigned thread, const char *name,
		   const struct aion_msg *m, struct aion_msg *r, aion_handle_t *made)
{
	*made = 0;
	uint8_t *d = big[thread];
	uint32_t label = AION_TAG_LABEL(m->tag);
	if (label == LABEL_BIG) {
		/* A reply above the limit: it ran, the caller gets ETRUNC. */
		unsigned ncaps;
		aion_printf("meshtest: echo big served len=%ld", (long)mesh_msg_len(m, b, &ncaps));
		memset(d, 'b', MESH_BULK_DATA_MAX + 1);
		return mesh_msg_put(r, b, label, 0, d, MESH_BULK_DATA_MAX + 1, made);
	}
	int64_t len = mesh_msg_get(m, b, d, MESH_BULK_DATA_MAX);
	uint64_t sum = len < 0 ? 0 : checksum(d, (uint32_t)len);
	if (!(m->w[2] & BULK_QUIET))
		aion_printf("meshtest: %s bulk served len=%ld sum=%lx", name, (long)len,
			    (unsigned long)sum);
	if (len < 0) {
		r->tag = AION_TAG(label, 0, 0);
		r->w[0] = (uint64_t)len;
		return 0;
	}
	r->w[1] = sum;
	return mesh_msg_put(r, b, label, 0, d, (uint32_t)len, made);
}

/* One LABEL_BULK call of len bytes (pattern i) on svc from the client
 * thread: 0 when the echo came back whole and the sum matches. */
int64_t bulk_once(struct aion_ipc_buffer *b, aion_handle_t svc, unsigned i, uint32_t len,
		  uint64_t flags)
{
	uint8_t *d = big[0];
	for (uint32_t k = 0; k < len; k++)
		d[k] = pattern(i, k);
	uint64_t sum = checksum(d, len);
	struct aion_msg m = { .w = { 0, i, flags } };
	aion_handle_t made;
	int64_t err = mesh_msg_put(&m, b, LABEL_BULK, 0, d, len, &made);
	/* The echo comes back in a memory object: accept its capability. */
	m.tag |= AION_TAG_ACCEPT(1);
	if (!err)
		err = aion_call(svc, &m, 0);
	if (made)
		aion_handle_close(made);
	if (!err)
		err = (int64_t)m.w[0];
	if (err)
		return err;
	memset(d, 0, len);
	int64_t got = mesh_msg_get(&m, b, d, MESH_BULK_DATA_MAX);
	if (got < 0)
		return got;
	if ((uint32_t)got != len || m.w[1] != sum || AION_TAG_LABEL(m.tag) != LABEL_BULK)
		return -AION_EMALFORMED;
	for (uint32_t k = 0; k < len; k++)
		if (d[k] != pattern(i, k))
			return -AION_EMALFORMED;
	return 0;
}

/* bulk-client: "echo-N" (this node, a direct call) and "echo" (remote,
 * through meshd) with 400 B, 4 KiB and 64 KiB, each echo checked; then
 * 64 KiB + 1 to "echo": refused before it is sent (AION_ERANGE). */
void bulk_client(struct aion_ipc_buffer *b, aion_handle_t mesh)
{
	static const uint32_t sizes[] = { 400, 4096, MESH_BULK_DATA_MAX };
	char local[24], line[160] = "";
	const char *names[2] = { local, "echo" };
	fmt_snprintf(local, sizeof(local), "echo-%u", self_node);
	for (unsigned t = 0; t < 2; t++) {
		aion_handle_t svc;
		int64_t err = lookup_wait(b, mesh, names[t], &svc, NULL);
		for (unsigned s = 0; s < 3; s++) {
			int64_t e = err ? err : bulk_once(b, svc, s, sizes[s], 0);
			aion_text_add(line, sizeof(line), " %s_%u=%s", t ? "remote" : "local",
				      sizes[s], e ? aion_error_name(e) : "ok");
		}
		if (t == 1) {
			int64_t e = err ? err : bulk_once(b, svc, 9, MESH_BULK_DATA_MAX + 1, 0);
			aion_text_add(line, sizeof(line), " remote_over=%s",
				      e ? aion_error_name(e) : "none");
		}
	}
	aion_printf("meshtest: bulk-client%s", line);
}
