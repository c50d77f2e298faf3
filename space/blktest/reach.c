/*
 * Who reaches the driver, and with what: buffers it must refuse, and a
 * capability whose badge names no region. A unit without a region
 * capability could only get one from the name service, so every name
 * there is looked at too.
 */
#include "aion/initproto.h"
#include "libaion/initclient.h"
#include "blktest.h"

#define MESH_WAIT_NS    (60 * SEC)      /* netd waits 10 s for a NIC before meshd starts */

static const char *name(int64_t err)
{
	return aion_error_name(err);
}

/* BLK_ATTACH through region carrying ncaps (0 or 1) capability cap with rights. */
static int64_t attach_with(struct blkt *t, aion_handle_t region, unsigned ncaps,
			   aion_handle_t cap, uint32_t rights)
{
	struct aion_msg m = { .tag = AION_TAG(BLK_ATTACH, 0, ncaps) };

	t->ipc->caps[0] = cap;
	t->ipc->cap_rights[0] = rights;
	int64_t err = aion_call(region, &m, BLKCLIENT_TIMEOUT_NS);
	return err ? err : (int64_t)m.w[0];
}

void check_attach_errors(struct blkt *t)
{
	const uint32_t dma = AION_RIGHT_READ | AION_RIGHT_WRITE | AION_RIGHT_PHYS;
	aion_handle_t b = SVC_DISK_TEST_NEXT;
	int64_t n = aion_notify_create(), small = aion_memory_create(1);
	int64_t big = aion_memory_create(BLK_BUF_PAGES);

	int64_t none = attach_with(t, b, 0, 0, 0);
	int64_t notmem = n < 0 ? n : attach_with(t, b, 1, (aion_handle_t)n, AION_RIGHT_SEND);
	int64_t tiny = small < 0 ? small : attach_with(t, b, 1, (aion_handle_t)small, dma);
	int64_t nophys = big < 0 ? big : attach_with(t, b, 1, (aion_handle_t)big,
						    AION_RIGHT_READ | AION_RIGHT_WRITE);
	/* Not through the client: it would attach again on ENOTCONN and hide it. */
	int64_t still = blkt_call(b, BLK_READ, 0, 1, 0);
	int64_t made[] = { n, small, big };
	for (unsigned i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if (made[i] > 0)
			aion_handle_close((aion_handle_t)made[i]);
	bool ok = none == -AION_EINVAL && notmem == -AION_ETYPE && tiny == -AION_ERANGE &&
		  nophys == -AION_ERIGHTS && still == 0;
	blkt_result(ok, "attach-errors", "no_cap=%s notification=%s one_page=%s no_phys=%s "
		    "old_buffer_read=%s", name(none), name(notmem), name(tiny), name(nophys),
		    name(still));
}

/* Names registered with init whose capability carries a region badge,
 * once meshd (which holds a region) has registered "mesh". */
static unsigned region_names(struct blkt *t, unsigned *names)
{
	char list[AION_IPC_PAYLOAD_MAX + 1], one[INIT_NAME_MAX];
	unsigned found = 0, len = 0;
	struct aion_cap_info ci;

	*names = 0;
	int64_t mesh = init_lookup(SVC_INIT_EP, t->ipc, "mesh", MESH_WAIT_NS);
	if (mesh > 0)
		aion_handle_close((aion_handle_t)mesh);
	if (init_text_call(SVC_INIT_EP, t->ipc, INIT_NS_LIST, NULL, list, sizeof(list)))
		return ~0u;
	for (char *p = list;; p++) {
		if (*p && *p != ' ' && *p != '\n') {
			if (len + 1 < sizeof(one))
				one[len++] = *p;
			continue;
		}
		one[len] = '\0';
		int64_t h = len ? init_lookup(SVC_INIT_EP, t->ipc, one, 0) : -AION_ENOENT;
		if (h > 0 && !aion_cap_info((aion_handle_t)h, &ci) && (ci.badge & BLK_BADGE_REGION))
			found++;
		if (h > 0)
			aion_handle_close((aion_handle_t)h);
		*names += len != 0;
		len = 0;
		if (!*p)
			return found;
	}
}

void check_no_region(struct blkt *t)
{
	const uint32_t dma = AION_RIGHT_READ | AION_RIGHT_WRITE | AION_RIGHT_PHYS;
	aion_handle_t x = SVC_DISK_TEST_NO_REGION;
	unsigned names = 0;

	int64_t info = blkt_call(x, BLK_INFO, 0, 0, 0);
	int64_t rd = blkt_call(x, BLK_READ, 0, 1, 0);
	int64_t wr = blkt_call(x, BLK_WRITE, 0, 1, 0);
	int64_t fl = blkt_call(x, BLK_FLUSH, 0, 0, 0);
	int64_t at = attach_with(t, x, 1, t->a.mem, dma);
	unsigned regions = region_names(t, &names);
	bool ok = info == -AION_EPERM && rd == -AION_EPERM && wr == -AION_EPERM &&
		  fl == -AION_EPERM && at == -AION_EPERM && regions == 0 && names > 0;
	blkt_result(ok, "no-region", "info=%s read=%s write=%s flush=%s attach=%s names=%u "
		    "region_caps_in_names=%u", name(info), name(rd), name(wr), name(fl), name(at),
		    names, regions);
}
