/*
 * kv: the shell's client of the kv store (aion/kv.h, docs/kv.md). The
 * first command looks "kv" up and keeps the proxy: after a failover the
 * proxy finds the name again by itself. Writes carry this shell's client
 * id and a new seq; a write that fails in a way that allows it (EINDOUBT,
 * EHOSTDOWN, EAGAIN...) is sent again with the SAME seq for up to
 * KV_RETRY_NS, so it takes effect once.
 */
#include "kvcmd.h"
#include "aion/kv.h"
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "common/time.h"

#define KV_RETRY_NS     (5000 * MS)
#define KV_PAUSE_NS     (100 * MS)
#define KV_MESH_WAIT_NS (2000 * MS)

static aion_handle_t kv_svc;
static uint64_t kv_client, kv_seq;

static int64_t kv_connect(struct aion_ipc_buffer *buf)
{
	aion_handle_t mesh;
	if (kv_svc)
		return 0;
	int64_t err = mesh_connect(buf, KV_MESH_WAIT_NS, &mesh);
	if (err)
		return err;
	err = mesh_lookup(mesh, buf, KV_NAME, &kv_svc, NULL);
	aion_handle_close(mesh);
	if (err)
		kv_svc = 0;
	if (!kv_client)
		kv_client = (aion_rdtsc() * 0x9e3779b97f4a7c15ull ^ aion_clock_ns()) | 1;
	return err;
}

struct kv_verb {
	const char *name;
	uint32_t label;
	unsigned fields;
};

static const struct kv_verb kv_verbs[] = {
	{ "get", KV_GET, 1 }, { "put", KV_PUT, 2 }, { "cas", KV_CAS, 3 }, { "add", KV_ADD, 2 },
};

/* One request, sent again with the same seq while the error allows it. */
static int64_t kv_request(struct aion_ipc_buffer *buf, const struct kv_verb *v,
			  const char *const *f, uint64_t seq, char *out, size_t size)
{
	uint64_t end = aion_clock_ns() + KV_RETRY_NS;
	for (;;) {
		int64_t err = mesh_kv_call(kv_svc, buf, v->label, kv_client, seq, f, v->fields,
					   out, size, NULL);
		if (!mesh_kv_retry(err) || aion_clock_ns() >= end)
			return err;
		aion_printf("kv retry seq=%lu err=%s %s", (unsigned long)seq, aion_error_name(err),
			    err == -AION_EINDOUBT ? "(may have executed: same seq)" :
			    "(not executed)");
		aion_sleep_ns(KV_PAUSE_NS);
	}
}

int cmd_kv(struct aion_ipc_buffer *buf, unsigned argc, char **argv)
{
	const struct kv_verb *v = NULL;
	const char *f[3];
	char out[KV_VALUE_MAX + 1];

	for (unsigned i = 0; argc >= 2 && i < sizeof(kv_verbs) / sizeof(kv_verbs[0]); i++)
		if (!strcmp(argv[1], kv_verbs[i].name) && argc == 2 + kv_verbs[i].fields)
			v = &kv_verbs[i];
	if (!v) {
		aion_printf("error: usage: kv get K | put K V | cas K OLD|\"\" NEW | add K N");
		return 1;
	}
	for (unsigned i = 0; i < v->fields; i++)
		f[i] = strcmp(argv[2 + i], "\"\"") ? argv[2 + i] : "";
	uint64_t seq = v->label == KV_GET ? 0 : ++kv_seq;
	int64_t err = 0;
	/* A proxy whose meshd restarted is dead (the call did not run): look
	 * kv up again once and send the same seq. */
	for (unsigned attempt = 0; attempt < 2; attempt++) {
		err = kv_connect(buf);
		if (err) {
			aion_printf("error: kv: lookup: %s", aion_error_name(err));
			return 1;
		}
		err = kv_request(buf, v, f, seq, out, sizeof(out));
		if (err != -AION_EDEAD && err != -AION_ECAP)
			break;
		/* The proxy's meshd ended before it took the call (had it
		 * taken it, EINDOUBT was retried above): one line says so. */
		if (attempt == 0)
			aion_printf("kv retry seq=%lu err=%s (the proxy ended: kv looked up again)",
				    (unsigned long)seq, aion_error_name(err));
		aion_handle_close(kv_svc);
		kv_svc = 0;
	}
	if (err == -AION_ECONFLICT) {
		aion_printf("error: %s current=%s", aion_error_name(err), out[0] ? out : "(absent)");
		return 1;
	}
	if (err) {
		aion_printf("error: %s", aion_error_name(err));
		return 1;
	}
	aion_printf("kv ok value=%s", out);
	return 0;
}
