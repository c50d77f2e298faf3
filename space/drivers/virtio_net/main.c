/*
 * virtio-net: a userspace driver for QEMU's virtio-net-pci, legacy
 * interface only (virtio 0.9.5: I/O BAR0; `disable-modern=on`; the register
 * block and virtqueues are ../virtio/virtio.h's, shared with virtio-blk).
 *
 * Started by init (no_start, then THREAD_START) with, at fixed handles:
 *   AION_HANDLE(1, 1)  init's endpoint (every service's first capability)
 *   AION_HANDLE(2, 1)  I/O ports of its BAR0 (the legacy register block,
 *                      count <= 64; the driver enables them itself)
 *   AION_HANDLE(3, 1)  the IRQ object of its PCI interrupt line
 * and a startup record (struct aion_startup at AION_STARTUP_VADDR, main's
 * argument) whose args are space-separated key=value words:
 *   bar=0xc000 irq=11 node=2 mode=selftest [count=5 period_ms=200]
 *   [name=net1]
 * bar (the BAR0 port base) and irq (the line, for the log) are required.
 * mode=selftest broadcasts `count` frames of ethertype 0x88B5 carrying
 * "AION node=<n> seq=<k>", one per period, and logs every such frame
 * received. Without it the driver serves netd (below); prio=N (default
 * VN_PRIO, the manifest's) is the priority of its serving thread.
 *
 * Serving netd (aion/netring.h): the driver creates an endpoint and
 * registers it with init as name= (default "net0"; SEND | GRANT). One
 * thread does all the work: the IRQ notification is bound to it (NOTIFY_BIND), so one RECV
 * returns either a call (NET_ATTACH) or the signal bits: IRQ_BIT from the
 * device, NETRING_SIGNAL from netd. The main thread has no handle to
 * itself, so it makes that thread (bound before it starts, so no signal is
 * missed), then exits.
 *   NET_ATTACH: caps[0] the memory object (struct netshm, READ|WRITE; at
 *   least NETSHM_PAGES, checked), caps[1] netd's notification (SEND). The
 *   object is mapped at one of two fixed addresses (a new attach maps
 *   beside the old one, then drops it: a failed attach keeps the old).
 *   Reply w0 = 0 or -AION_E..., w1 = MAC (byte 0 lowest), caps[0] a SEND
 *   copy of the driver's notification.
 *   Received frames go on shm->rx without the virtio header, then netd's
 *   notification gets NETRING_SIGNAL; frames on shm->tx go out through the
 *   free TX buffers on every wake-up (the rest waits for TX completions).
 *   Before the first attach received frames are dropped (rx_dropped).
 *
 * DMA memory: one memory object holds both vrings and every buffer. A
 * legacy vring (descriptors, avail ring, then the used ring on the next
 * 4096 boundary) must be physically contiguous, and memory objects are
 * not, so the driver asks MEMORY_PHYS for every page and picks, for each
 * ring, a run of pages whose physical addresses are consecutive
 * (virtio_dma_setup, ../virtio/virtq.c). The frame allocator hands out
 * frames lowest first, so such runs are the rule; when a run is missing
 * the object is kept (so the next one gets the next free frames) and
 * another is tried, at most 3 times (the quota must allow that: 3 x ~83
 * frames). The
 * other pages carry 2 KiB buffers (a buffer never crosses a page, so it
 * needs no contiguity).
 *
 * Log lines (the kernel prefixes "virtio-net: "):
 *   dma pages=<n> rx_ring=<phys>+<pages> tx_ring=<phys>+<pages>
 *       rx_bufs=<n> tx_bufs=<n>
 *   up mac=<mac> queue_rx=<n> queue_tx=<n> irq=<line>
 *   tx seq=<k>
 *   rx from=<mac> text=<payload>
 *   selftest done sent=<n> received=<n> irqs=<n>
 *   serving name=<name> prio=<n>
 *   attached mac=<mac> shm_pages=<n>
 *   detached rx=<n> tx=<n> rx_dropped=<n> tx_dropped=<n>  (a new attach)
 * Errors are logged by name and the driver exits with 1.
 *
 * Files: main.c (this: arguments, start, selftest), device.c (reset,
 * features, DMA), queues.c (virtqueues, interrupt), serve.c (netd);
 * vnet_drv.h holds the driver's state (vn).
 */
#include "common/cmdline.h"
#include "common/format.h"
#include "vnet_drv.h"

#define SUMMARY_DELAY   (3000ull * MS)
#define VN_PRIO         125     /* space/init/manifest.c: the unit's maximum */

struct args {
	uint16_t bar;
	unsigned irq;
	uint64_t node, count, period_ms, prio;
	bool selftest;
	char name[16];                  /* registered with init; default "net0" */
};

static int64_t parse_args(const struct aion_startup *st, struct args *a)
{
	char v[32];

	*a = (struct args){ .count = 5, .period_ms = 200, .prio = VN_PRIO, .name = "net0" };
	if (st->magic != AION_STARTUP_MAGIC)
		return -AION_EMALFORMED;
	if (vnet_args(st->args, &a->bar, &a->irq))
		return -AION_EINVAL;
	if (cmdline_get(st->args, "node", v, sizeof(v)) && !vnet_parse_u64(v, &a->node))
		return -AION_EINVAL;
	if (cmdline_get(st->args, "count", v, sizeof(v)) && !vnet_parse_u64(v, &a->count))
		return -AION_EINVAL;
	if (cmdline_get(st->args, "period_ms", v, sizeof(v)) &&
	    (!vnet_parse_u64(v, &a->period_ms) || a->period_ms == 0))
		return -AION_EINVAL;
	if (cmdline_get(st->args, "prio", v, sizeof(v)) &&
	    (!vnet_parse_u64(v, &a->prio) || a->prio > AION_PRIO_MAX))
		return -AION_EINVAL;
	a->selftest = cmdline_get(st->args, "mode", v, sizeof(v)) && strcmp(v, "selftest") == 0;
	if (cmdline_get(st->args, "name", v, sizeof(v))) {
		if (!v[0] || strlen(v) >= sizeof(a->name))
			return -AION_EINVAL;
		memcpy(a->name, v, strlen(v) + 1);
	}
	return 0;
}

/* A selftest frame "AION node=N seq=K"; the next one is due a period later,
 * the summary SUMMARY_DELAY after the last. */
static int64_t selftest_send(const struct args *a, uint64_t *next)
{
	char text[64];
	unsigned k = vn.sent;
	fmt_snprintf(text, sizeof(text), "AION node=%u seq=%u", vn.node, k);
	int64_t err = tx_send(text);
	if (err == 0) {
		vn.sent++;
		aion_printf("tx seq=%u", k);
	} else if (err != -AION_EAGAIN) {
		return err;
	}
	*next += a->period_ms * MS;
	if (vn.sent == a->count)
		*next += SUMMARY_DELAY - a->period_ms * MS;
	return 0;
}

/* Selftest mode: count frames, one per period, then the summary; frames
 * received meanwhile are logged (queues.c). Returns only on an error. */
static int selftest(const struct args *a)
{
	uint64_t next = aion_clock_ns() + a->period_ms * MS;
	bool summary = false;
	for (;;) {
		uint64_t bits = 0, now = aion_clock_ns(), timeout = 0;
		if (!summary)
			timeout = next > now ? next - now : 1;
		int64_t err = aion_wait(vn.notify, &bits, timeout);
		if (err == 0 && (bits & IRQ_BIT)) {
			if ((err = handle_irq()))
				return vnet_fail("irq ack", err);
		} else if (err && err != -AION_ETIMEDOUT) {
			return vnet_fail("wait", err);
		}
		if (summary || aion_clock_ns() < next)
			continue;
		if (vn.sent < a->count) {
			if ((err = selftest_send(a, &next)))
				return vnet_fail("tx", err);
		} else {
			aion_printf("selftest done sent=%u received=%u irqs=%u", vn.sent,
				    vn.received, vn.irqs);
			summary = true;
		}
	}
}

int64_t aion_main(uint64_t arg)
{
	struct args a;
	int64_t err;

	if ((err = parse_args((const struct aion_startup *)arg, &a)))
		return vnet_fail("args (want bar=0x.. irq=N [node=N mode=selftest name=..])", err);
	if (vnet_up(a.bar, a.irq, (unsigned)a.node))
		return 1;
	if (!a.selftest)
		return serve_start(a.prio, a.name);     /* this thread ends; the serving one goes on */
	return selftest(&a);
}
