/*
 * echod: the simplest job the cluster scheduler places (spawn echod): it
 * registers the cluster name "echo" and answers every text call
 * (MESH_TEXT_CALL) with "echo node=N: TEXT", so a caller sees which
 * instance served it. Stateless, so any number of instances may run.
 *
 * Capabilities: SVC_INIT_EP (1,1), JOB_MESH_EP (2,1). Args: node=N ...
 */
#include "libaion/lib.h"
#include "libaion/meshclient.h"
#include "common/cmdline.h"
#include "common/format.h"

static struct aion_ipc_buffer buf __attribute__((aligned(4096)));

int64_t aion_main(uint64_t arg)
{
	const struct aion_startup *st = (const struct aion_startup *)arg;
	char node[8] = "?", text[AION_IPC_PAYLOAD_MAX];
	int64_t ep = aion_endpoint_create();
	int64_t err = ep < 0 ? ep : aion_ipc_buffer(&buf);

	if (st->magic == AION_STARTUP_MAGIC)
		cmdline_get(st->args, "node", node, sizeof(node));
	if (!err)
		err = mesh_register(JOB_MESH_EP, &buf, "echo", (aion_handle_t)ep, AION_RIGHT_SEND);
	if (err) {
		aion_printf("echod: not started err=%s", aion_error_name(err));
		return err;
	}
	aion_printf("echod: serving name=echo node=%s", node);
	struct aion_msg m;
	err = aion_recv((aion_handle_t)ep, &m, 0);
	while (!err) {
		unsigned len = AION_TAG_LEN(m.tag);
		for (unsigned i = 0; i < AION_TAG_CAPS(m.tag); i++)
			aion_handle_close(buf.caps[i]);
		memcpy(text, buf.payload, len);
		text[len] = '\0';
		int n = fmt_snprintf((char *)buf.payload, AION_IPC_PAYLOAD_MAX, "echo node=%s: %s",
				     node, text);
		if (n > AION_IPC_PAYLOAD_MAX - 1)
			n = AION_IPC_PAYLOAD_MAX - 1;
		m = (struct aion_msg){ .tag = AION_TAG(MESH_TEXT_CALL, (unsigned)n, 0) };
		err = aion_reply_recv((aion_handle_t)ep, &m, 0);
	}
	aion_printf("echod: ends err=%s", aion_error_name(err));
	return err;
}
