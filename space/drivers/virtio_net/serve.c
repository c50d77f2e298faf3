/*
 * virtio-net serving netd (aion/netring.h; main.c's comment has the
 * protocol): one thread with the IRQ notification bound to it, so one
 * RECV returns a NET_ATTACH call, the device's IRQ_BIT or netd's
 * NETRING_SIGNAL.
 */
#include "libaion/initclient.h"
#include "libaion/serve.h"
#include "aion/initproto.h"
#include "vnet_drv.h"

#define LOOP_STACK_PAGES 8
#define SHM_VADDR       0x0000000068000000ull   /* two slots for struct netshm (vnet_drv.h) */
#define SHM_SLOT_SPAN   0x0000000000400000ull   /* 4 MiB: a memory object is <= 2 MiB */

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));
static char serve_name[16];             /* the name= arg */

static uint64_t shm_va(unsigned slot)
{
	return SHM_VADDR + slot * SHM_SLOT_SPAN;
}

/*
 * NET_ATTACH with got[0] (memory object) and got[1] (netd's notification).
 * On success both are kept (a mapping lasts while its capability does) and
 * an earlier attachment dropped; on error the caller closes both and the
 * earlier attachment stays.
 */
static int64_t attach(const aion_handle_t *got, unsigned ngot)
{
	struct aion_cap_info ci;
	int64_t err;

	if (ngot != 2)
		return -AION_EINVAL;
	if ((err = aion_cap_info(got[1], &ci)))
		return err;
	if (ci.type != AION_OBJ_NOTIFICATION)
		return -AION_ETYPE;
	if (!(ci.rights & AION_RIGHT_SEND))
		return -AION_ERIGHTS;
	unsigned slot = vn.shm ? vn.shm_slot ^ 1 : 0;
	uint64_t va = shm_va(slot);
	if ((err = aion_map_shared(got[0], va, NETSHM_PAGES)))
		return err;
	if (vn.shm) {
		aion_printf("detached rx=%lu tx=%lu rx_dropped=%lu tx_dropped=%lu",
			    (unsigned long)vn.rx_frames, (unsigned long)vn.tx_frames,
			    (unsigned long)vn.rx_dropped, (unsigned long)vn.tx_dropped);
		aion_memory_unmap(AION_HANDLE_SELF, shm_va(vn.shm_slot));
		aion_handle_close(vn.shm_mo);
		aion_handle_close(vn.peer);
	}
	vn.shm_mo = got[0];
	vn.shm = (struct netshm *)va;
	vn.shm_slot = slot;
	vn.peer = got[1];
	aion_printf("attached mac=%s shm_pages=%lu", vn.macs, (unsigned long)NETSHM_PAGES);
	return 0;
}

static uint64_t mac_word(void)
{
	uint64_t w = 0;

	for (unsigned i = 0; i < ETH_ALEN; i++)
		w |= (uint64_t)vn.mac[i] << (8 * i);
	return w;
}

/* NET_ATTACH: caps[0] the memory object, caps[1] netd's notification;
 * reply w1 = the MAC, caps[0] our notification. */
static int64_t on_attach(struct aion_serve_req *r)
{
	int64_t err = attach(r->caps, r->ncaps);
	if (err)
		return err;
	aion_serve_keep(r, 0);          /* vn.shm_mo */
	aion_serve_keep(r, 1);          /* vn.peer */
	r->reply.w[1] = mac_word();
	aion_serve_give(r, vn.notify, AION_RIGHT_SEND);
	return 0;
}

static const struct aion_serve_op vnet_ops[] = {
	{ .label = NET_ATTACH, .fn = on_attach },
};
static const struct aion_serve_table vnet_table = AION_SERVE_TABLE(vnet_ops, -AION_ENOSYS);

/* Answers one call on our endpoint; a failed attach or reply is logged. */
static void serve_call(const struct aion_msg *m)
{
	struct aion_serve_req r;
	aion_serve_begin(&r, &ipc_buf, m, AION_TAG_LABEL(m->tag));
	int64_t status = aion_serve_dispatch(&vnet_table, &r);
	int64_t err = aion_serve_end(&r, status);
	if (status || err)
		aion_printf("attach label=%u err=%s reply=%s", r.label, aion_error_name(status),
			    aion_error_name(err));
}
/* The one serving thread: registers serve_name, then calls and signals forever. */
static int64_t serve_loop(uint64_t prio)
{
	struct aion_msg m;
	int64_t err;

	if ((err = aion_ipc_buffer(&ipc_buf)))
		return vnet_fail("ipc buffer", err);
	if ((err = init_register(SVC_INIT_EP, &ipc_buf, serve_name, vn.ep,
				 AION_RIGHT_SEND | AION_RIGHT_GRANT)))
		return vnet_fail("register", err);
	aion_printf("serving name=%s prio=%lu", serve_name, (unsigned long)prio);
	for (;;) {
		bool polled = __atomic_load_n(&vn.polled, __ATOMIC_ACQUIRE);
		if (!polled)
			tx_drain();
		/* Frames went on rx: the wait signals netd (it runs once we block). */
		bool signal = !polled && vn.peer_pending && vn.shm;
		vn.peer_pending = false;
		err = signal ? aion_signal_recv(vn.ep, vn.peer, NETRING_SIGNAL, &m, AION_FOREVER) :
			       aion_recv(vn.ep, &m, AION_FOREVER);
		if (err)
			return vnet_fail("recv", err);
		if (!(m.tag & AION_TAG_NOTIFY)) {
			serve_call(&m);
			continue;
		}
		/* Polled: a bit from before netd took the queues; its work is netd's. */
		if ((m.w[0] & IRQ_BIT) && !__atomic_load_n(&vn.polled, __ATOMIC_ACQUIRE)) {
			if ((err = handle_irq()))
				return vnet_fail("irq ack", err);
		}
		/* NETRING_SIGNAL: frames on tx, sent by tx_drain at the top. */
	}
}

extern char aion_thread_trampoline[];   /* space/lib/crt0.S */

/*
 * Serving mode: the endpoint, and the thread that serves it with our
 * notification bound to it. The thread is bound before it starts (a bind
 * does not deliver bits already pending to a thread blocked in RECV).
 */
int64_t serve_start(uint64_t prio, const char *name)
{
	int64_t ep, t, err;

	memcpy(serve_name, name, sizeof(serve_name));
	vn.serving = true;
	if ((ep = aion_endpoint_create()) < 0)
		return vnet_fail("endpoint create", ep);
	vn.ep = (aion_handle_t)ep;
	uint64_t top = aion_stack_alloc(LOOP_STACK_PAGES);
	if (!top)
		return vnet_fail("stack", -AION_ENOMEM);
	uint64_t *sp = (uint64_t *)top;
	sp[-1] = (uint64_t)serve_loop;  /* read by aion_thread_trampoline */
	sp[-2] = 0;
	t = aion_thread_create(AION_HANDLE_SELF, (uint64_t)aion_thread_trampoline, top - 16,
			       prio, (unsigned)prio);
	if (t < 0)
		return vnet_fail("thread create", t);
	if ((err = aion_notify_bind(vn.notify, (aion_handle_t)t)))
		return vnet_fail("notify bind", err);
	if ((err = aion_thread_start((aion_handle_t)t)))
		return vnet_fail("thread start", err);
	aion_handle_close((aion_handle_t)t);
	return 0;
}

/*
 * The driver inside netd (netstack/netd/nic_in.c): netd's server thread
 * runs the queues itself once attached, so a frame in or out costs no
 * switch to this thread and back (two thread switches a packet, each a
 * wake-up under TCG; docs/network.md "The NIC polled by netd"). Both
 * threads are netd's, on one CPU at one priority: the serving thread
 * runs only when netd blocks, and from now on only answers calls.
 */
int64_t vnet_poll_take(aion_handle_t notify, uint64_t bit)
{
	if (!vn.shm)
		return -AION_ENOENT;
	__atomic_store_n(&vn.polled, true, __ATOMIC_RELEASE);
	int64_t err = aion_irq_set_notify(VN_HANDLE_IRQ, notify, bit);
	if (err) {
		__atomic_store_n(&vn.polled, false, __ATOMIC_RELEASE);
		return err;
	}
	vnet_poll(true);        /* what came before the interrupt moved */
	return 0;
}

void vnet_poll(bool irq)
{
	static bool failed;

	if (irq) {
		int64_t err = handle_irq();
		if (err && !failed)
			aion_printf("error irq ack err=%s", aion_error_name(err));
		failed = err != 0;
	}
	tx_drain();             /* frames from tx; sent buffers reclaimed */
}
