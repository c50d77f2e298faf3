/* libaion: meshd's client side (libaion/meshclient.h). */
#include "libaion/meshclient.h"
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "aion/kv.h"
#include "common/cmdline.h"
#include "common/string.h"

int64_t mesh_connect(struct aion_ipc_buffer *buf, uint64_t wait_ns, aion_handle_t *mesh)
{
	int64_t h = init_lookup(SVC_INIT_EP, buf, "mesh", wait_ns);
	if (h < 0)
		return h;
	*mesh = (aion_handle_t)h;
	return 0;
}

int64_t mesh_register(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		      aion_handle_t ep, uint32_t rights)
{
	struct aion_msg m = { .tag = AION_TAG(MESHD_REGISTER, ipc_put_text(buf, name), 1) };
	buf->caps[0] = ep;
	buf->cap_rights[0] = rights;
	int64_t err = aion_call(mesh, &m, 0);
	return err ? err : (int64_t)m.w[0];
}

int64_t mesh_lookup(aion_handle_t mesh, struct aion_ipc_buffer *buf, const char *name,
		    aion_handle_t *cap, unsigned *node)
{
	struct aion_msg m = { .tag = AION_TAG(MESHD_LOOKUP, ipc_put_text(buf, name), 0) |
				      AION_TAG_ACCEPT(1) };
	int64_t err = aion_call(mesh, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (err)
		return err;
	if (AION_TAG_CAPS(m.tag) != 1)
		return -AION_EMALFORMED;
	*cap = buf->caps[0];
	if (node)
		*node = (unsigned)m.w[1];
	return 0;
}

int64_t mesh_text_call(aion_handle_t ep, struct aion_ipc_buffer *buf, uint32_t label,
		       uint64_t w1, const char *text, char *out, size_t size, uint64_t *w1_out)
{
	/* Capabilities a reply carries are taken and closed below. */
	struct aion_msg m = { .tag = AION_TAG(label, text ? ipc_put_text(buf, text) : 0, 0) |
				     AION_TAG_ACCEPT(AION_IPC_CAPS_MAX),
			      .w = { 0, w1 } };
	int64_t err = aion_call(ep, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	for (unsigned i = 0; i < AION_TAG_CAPS(m.tag); i++)
		aion_handle_close(buf->caps[i]);
	if (err)
		return err;
	size_t n = AION_TAG_LEN(m.tag);
	if (n >= size)
		n = size - 1;
	memcpy(out, buf->payload, n);
	out[n] = '\0';
	if (w1_out)
		*w1_out = m.w[1];
	return 0;
}

int64_t mesh_job_args(const char *args, struct mesh_job *job)
{
	char v[MESH_NAME_MAX];

	*job = (struct mesh_job){ .role = MESH_ROLE_PLAIN };
	if (!cmdline_get(args, "node", v, sizeof(v)) || !(job->node = (unsigned)cmdline_decimal(v)))
		return -AION_EINVAL;
	if (cmdline_get(args, "epoch", v, sizeof(v)))
		job->epoch = cmdline_decimal(v);
	if (cmdline_get(args, "role", v, sizeof(v)))
		for (unsigned r = MESH_ROLE_PLAIN; r <= MESH_ROLE_BACKUP; r++)
			if (!strcmp(v, mesh_role_name(r)))
				job->role = r;
	cmdline_get(args, "job", job->name, sizeof(job->name));
	return 0;
}

int64_t mesh_job_wait(aion_handle_t mesh, uint64_t *epoch, unsigned *role)
{
	struct aion_msg m = { .tag = AION_TAG(MESHD_JOB_WAIT, 0, 0), .w = { 0, *epoch, *role } };
	int64_t err = aion_call(mesh, &m, 0);
	if (!err)
		err = (int64_t)m.w[0];
	if (!err) {
		*epoch = m.w[1];
		*role = (unsigned)m.w[2];
	}
	return err;
}

int64_t mesh_kv_call(aion_handle_t kv, struct aion_ipc_buffer *buf, uint32_t label,
		     uint64_t client, uint64_t seq, const char *const *f, unsigned n,
		     char *out, size_t size, uint64_t *epoch)
{
	unsigned at = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(f[i]);
		if (len > KV_VALUE_MAX || at + 1 + len > KV_CHUNK_MAX)
			return -AION_EINVAL;
		buf->payload[at++] = (uint8_t)len;
		memcpy(buf->payload + at, f[i], len);
		at += (unsigned)len;
	}
	struct aion_msg m = { .tag = AION_TAG(label, at, 0) | AION_TAG_ACCEPT(AION_IPC_CAPS_MAX),
			      .w = { 0, client, seq } };     /* closed below */
	int64_t err = aion_call(kv, &m, 0);
	out[0] = '\0';
	if (err)
		return err;
	for (unsigned i = 0; i < AION_TAG_CAPS(m.tag); i++)
		aion_handle_close(buf->caps[i]);
	size_t len = AION_TAG_LEN(m.tag) < size ? AION_TAG_LEN(m.tag) : size - 1;
	memcpy(out, buf->payload, len);
	out[len] = '\0';
	if (epoch)
		*epoch = m.w[2];
	return (int64_t)m.w[0];
}
