/*
 * virtio-net: a userspace driver for QEMU's virtio-net-pci, legacy
 * interface only (virtio 0.9.5: I/O BAR0; `disable-modern=on`).
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
 * (vnet_find_run). The frame allocator hands out frames lowest first, so
 * such runs are the rule; when a run is missing the object is kept (so
 * the next one gets the next free frames) and another is tried, at most
 * DMA_ATTEMPTS times (the quota must allow that: 3 x ~83 frames). The
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
 */
#include "libaion/initclient.h"
#include "aion/initproto.h"
#include "libaion/lib.h"
#include "aion/netring.h"
#include "libaion/pci.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "vnet.h"

#define VN_HANDLE_IO    AION_HANDLE(2, 1)
#define VN_HANDLE_IRQ   AION_HANDLE(3, 1)

#define DMA_VADDR       0x0000000040000000ull
#define DMA_ATTEMPTS    3
#define DMA_MAX_PAGES   512
#define BUF_SIZE        2048u
#define RX_BUFS_MAX     128     /* two descriptors each: header, frame */
#define TX_BUFS_MAX     16
#define IRQ_BIT         1ull
#define MS              1000000ull
#define SUMMARY_DELAY   (3000ull * MS)

#define VN_PRIO         125     /* space/init/manifest.c: the unit's maximum */
#define LOOP_STACK_PAGES 8
#define SHM_VADDR       0x0000000050000000ull   /* two slots for struct netshm */
#define SHM_SLOT_SPAN   0x0000000000400000ull   /* 4 MiB: a memory object is <= 2 MiB */
#define TX_FRAME_MAX    (ETH_FRAME_MAX + 4)     /* with one VLAN tag; no offloads */

#define barrier()       __asm__ volatile("" ::: "memory")

struct vq {
	unsigned index, num;
	struct vring_layout lay;
	uint64_t phys;                  /* of its first page */
	volatile struct vring_desc *desc;
	volatile uint16_t *avail;       /* [0] flags, [1] idx, [2 + i] ring */
	volatile uint16_t *used;        /* [0] flags, [1] idx */
	volatile struct vring_used_elem *used_ring;
	uint16_t avail_idx, last_used;
};

struct buf {
	uint8_t *va;
	uint64_t pa;
};

static struct {
	uint16_t io;
	unsigned irq_line, node;
	uint8_t mac[ETH_ALEN];
	char macs[18];
	struct vq rx, tx;
	struct buf rxb[RX_BUFS_MAX], txb[TX_BUFS_MAX];
	unsigned nrx, ntx;
	bool tx_busy[TX_BUFS_MAX];
	unsigned sent, received, irqs;
	/* serving netd */
	bool serving;
	struct netshm *shm;             /* NULL until the first NET_ATTACH */
	unsigned shm_slot;
	aion_handle_t peer;             /* netd's notification (SEND) */
	aion_handle_t notify;           /* ours: IRQ_BIT and NETRING_SIGNAL */
	aion_handle_t ep;
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
} vn;

static struct aion_ipc_buffer ipc_buf __attribute__((aligned(4096)));

static uint64_t dma_phys[DMA_MAX_PAGES];
static bool dma_taken[DMA_MAX_PAGES];

static int fail(const char *what, int64_t err)
{
	aion_printf("error %s err=%s", what, aion_error_name(err));
	return 1;
}

static uint8_t reg8(unsigned off) { return aion_inb((uint16_t)(vn.io + off)); }
static uint16_t reg16(unsigned off) { return aion_inw((uint16_t)(vn.io + off)); }
static uint32_t reg32(unsigned off) { return aion_inl((uint16_t)(vn.io + off)); }
static void wreg8(unsigned off, uint8_t v) { aion_outb((uint16_t)(vn.io + off), v); }
static void wreg16(unsigned off, uint16_t v) { aion_outw((uint16_t)(vn.io + off), v); }
static void wreg32(unsigned off, uint32_t v) { aion_outl((uint16_t)(vn.io + off), v); }

static int64_t queue_size(unsigned index, struct vq *q)
{
	wreg16(VIRTIO_PCI_QUEUE_SEL, (uint16_t)index);
	q->index = index;
	q->num = reg16(VIRTIO_PCI_QUEUE_NUM);
	if (!vring_layout(q->num, &q->lay))
		return -AION_ENOENT;    /* 0: no such queue; else not a power of two */
	return reg32(VIRTIO_PCI_QUEUE_PFN) ? -AION_EBUSY : 0;
}

/* Marks and returns the first page of a contiguous run, or -1. */
static int take_run(unsigned n, unsigned need)
{
	int at = vnet_find_run(dma_phys, dma_taken, n, need);
	for (unsigned k = 0; at >= 0 && k < need; k++)
		dma_taken[at + k] = true;
	return at;
}

/*
 * Creates the DMA object, finds a contiguous run for each ring and pages
 * for the buffers; maps it at DMA_VADDR. Returns 0 or -AION_E....
 */
static int64_t dma_setup(int *rx_page, int *tx_page, unsigned *npages)
{
	unsigned buf_pages = (vn.nrx + vn.ntx + 1) / 2;
	unsigned want = vn.rx.lay.pages + vn.tx.lay.pages + buf_pages + 4;
	int64_t failed[DMA_ATTEMPTS];
	unsigned nfailed = 0;
	int64_t mo = -AION_ENOMEM;

	if (want > DMA_MAX_PAGES)
		return -AION_ERANGE;    /* rings this large are not supported */
	for (unsigned attempt = 0; attempt < DMA_ATTEMPTS; attempt++) {
		mo = aion_memory_create(want);
		if (mo < 0)
			break;
		for (unsigned i = 0; i < want; i++) {
			int64_t pa = aion_memory_phys((aion_handle_t)mo, i);
			if (pa < 0) {
				aion_handle_close((aion_handle_t)mo);
				return pa;
			}
			dma_phys[i] = (uint64_t)pa;
			dma_taken[i] = false;
		}
		*rx_page = take_run(want, vn.rx.lay.pages);
		*tx_page = *rx_page < 0 ? -1 : take_run(want, vn.tx.lay.pages);
		unsigned spare = want - vn.rx.lay.pages - vn.tx.lay.pages;
		if (*rx_page >= 0 && *tx_page >= 0 && spare >= buf_pages)
			break;
		aion_printf("dma attempt=%u pages=%u: no contiguous run, retrying",
			    attempt, want);
		failed[nfailed++] = mo;         /* kept: the next object gets other frames */
		mo = -AION_ENOMEM;
	}
	while (nfailed)
		aion_handle_close((aion_handle_t)failed[--nfailed]);
	if (mo < 0)
		return mo;
	int64_t err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, DMA_VADDR,
				      AION_PROT_READ | AION_PROT_WRITE);
	if (err) {
		aion_handle_close((aion_handle_t)mo);
		return err;
	}
	/* The mapping holds the object; the handle is not needed any more. */
	aion_handle_close((aion_handle_t)mo);
	*npages = want;
	return 0;
}

static void vq_place(struct vq *q, int page)
{
	uint8_t *base = (uint8_t *)(DMA_VADDR + (uint64_t)page * VNET_PAGE);

	memset(base, 0, q->lay.pages * VNET_PAGE);
	q->phys = dma_phys[page];
	q->desc = (volatile struct vring_desc *)base;
	q->avail = (volatile uint16_t *)(base + q->lay.avail_off);
	q->used = (volatile uint16_t *)(base + q->lay.used_off);
	q->used_ring = (volatile struct vring_used_elem *)(base + q->lay.used_off + 4);
	q->avail_idx = q->last_used = 0;
}

/* Hands out 2 KiB buffers from the pages no ring took. */
static void buffers_place(unsigned npages)
{
	unsigned k = 0, total = vn.nrx + vn.ntx;

	for (unsigned p = 0; p < npages && k < total; p++) {
		if (dma_taken[p])
			continue;
		for (unsigned half = 0; half < VNET_PAGE / BUF_SIZE && k < total; half++, k++) {
			struct buf *b = k < vn.nrx ? &vn.rxb[k] : &vn.txb[k - vn.nrx];
			b->va = (uint8_t *)(DMA_VADDR + (uint64_t)p * VNET_PAGE + half * BUF_SIZE);
			b->pa = dma_phys[p] + half * BUF_SIZE;
		}
	}
}

static void set_desc(struct vq *q, unsigned i, uint64_t pa, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	q->desc[i].addr = pa;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = next;
}

/* Offers the chain at head to the device (notify separately). */
static void vq_push(struct vq *q, uint16_t head)
{
	q->avail[2 + (q->avail_idx % q->num)] = head;
	barrier();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	barrier();
}

static void vq_notify(struct vq *q)
{
	barrier();
	wreg16(VIRTIO_PCI_QUEUE_NOTIFY, (uint16_t)q->index);
}

static void vq_activate(struct vq *q)
{
	wreg16(VIRTIO_PCI_QUEUE_SEL, (uint16_t)q->index);
	wreg32(VIRTIO_PCI_QUEUE_PFN, (uint32_t)(q->phys / VRING_ALIGN));
}

/* RX buffer j is the chain 2j (10-byte header) -> 2j+1 (the frame). */
static void rx_fill(void)
{
	for (unsigned j = 0; j < vn.nrx; j++) {
		struct buf *b = &vn.rxb[j];
		set_desc(&vn.rx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN,
			 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(2 * j + 1));
		set_desc(&vn.rx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN,
			 BUF_SIZE - VIRTIO_NET_HDR_LEN, VRING_DESC_F_WRITE, 0);
		vq_push(&vn.rx, (uint16_t)(2 * j));
	}
}

/* Serving: a received frame goes to netd's rx ring; true if it went. */
static bool rx_deliver(const uint8_t *frame, uint32_t len)
{
	if (!len)
		return false;
	if (!vn.shm || netring_push(&vn.shm->rx, frame, len)) {
		vn.rx_dropped++;        /* not attached yet, or the ring is full */
		return false;
	}
	vn.rx_frames++;
	return true;
}

static void rx_process(void)
{
	bool refilled = false, pushed = false;

	while (vn.rx.last_used != vn.rx.used[1]) {
		barrier();
		struct vring_used_elem e = vn.rx.used_ring[vn.rx.last_used % vn.rx.num];
		vn.rx.last_used++;
		unsigned j = e.id / 2;
		if (j >= vn.nrx || (e.id & 1)) {
			aion_printf("rx bad used id=%u len=%u", e.id, e.len);
			continue;
		}
		uint8_t src[ETH_ALEN];
		char text[80], from[18];
		uint32_t flen = e.len > VIRTIO_NET_HDR_LEN ? e.len - VIRTIO_NET_HDR_LEN : 0;
		if (flen > BUF_SIZE - VIRTIO_NET_HDR_LEN)
			flen = BUF_SIZE - VIRTIO_NET_HDR_LEN;
		if (vn.serving) {
			pushed |= rx_deliver(vn.rxb[j].va + VIRTIO_NET_HDR_LEN, flen);
		} else if (vnet_parse_frame(vn.rxb[j].va + VIRTIO_NET_HDR_LEN, flen, src,
					    text, sizeof(text))) {
			vn.received++;
			vnet_format_mac(src, from);
			aion_printf("rx from=%s text=%s", from, text);
		}
		vq_push(&vn.rx, (uint16_t)(2 * j));
		refilled = true;
	}
	if (refilled)
		vq_notify(&vn.rx);
	if (pushed)
		aion_signal(vn.peer, NETRING_SIGNAL);
}

static void tx_process(void)
{
	while (vn.tx.last_used != vn.tx.used[1]) {
		barrier();
		uint32_t id = vn.tx.used_ring[vn.tx.last_used % vn.tx.num].id;
		vn.tx.last_used++;
		if (id / 2 < vn.ntx)
			vn.tx_busy[id / 2] = false;
	}
}

/* Sends one frame; -AION_EAGAIN when every TX buffer is in flight. */
static int64_t tx_send(const char *text)
{
	unsigned j = 0;

	tx_process();
	while (j < vn.ntx && vn.tx_busy[j])
		j++;
	if (j == vn.ntx)
		return -AION_EAGAIN;
	struct buf *b = &vn.txb[j];
	memset(b->va, 0, VIRTIO_NET_HDR_LEN);   /* no checksum offload, no GSO */
	size_t len = vnet_build_frame(b->va + VIRTIO_NET_HDR_LEN,
				      BUF_SIZE - VIRTIO_NET_HDR_LEN, vn.mac, text);
	if (!len)
		return -AION_ERANGE;
	set_desc(&vn.tx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN, VRING_DESC_F_NEXT,
		 (uint16_t)(2 * j + 1));
	set_desc(&vn.tx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN, (uint32_t)len, 0, 0);
	vn.tx_busy[j] = true;
	vq_push(&vn.tx, (uint16_t)(2 * j));
	vq_notify(&vn.tx);
	return 0;
}

/*
 * Serving: moves frames from netd's tx ring into free TX buffers, at most
 * one ring's worth per call; what finds no free buffer stays in the ring
 * until a TX completion frees one.
 */
static void tx_drain(void)
{
	struct netring *r;
	bool queued = false;
	unsigned j = 0;

	if (!vn.shm)
		return;
	r = &vn.shm->tx;
	tx_process();
	for (unsigned n = 0; n < NETRING_SLOTS; n++) {
		while (j < vn.ntx && vn.tx_busy[j])
			j++;
		if (j == vn.ntx || __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == r->tail)
			break;
		struct buf *b = &vn.txb[j];
		uint8_t *frame = b->va + VIRTIO_NET_HDR_LEN;
		/* Longer frames come back cut to the buffer, so they fail the check. */
		uint32_t len = netring_pop(r, frame, BUF_SIZE - VIRTIO_NET_HDR_LEN);
		if (len < ETH_HLEN || len > TX_FRAME_MAX) {
			vn.tx_dropped++;
			continue;
		}
		if (len < ETH_ZLEN) {           /* pad runts to the minimum */
			memset(frame + len, 0, ETH_ZLEN - len);
			len = ETH_ZLEN;
		}
		memset(b->va, 0, VIRTIO_NET_HDR_LEN);   /* no checksum offload, no GSO */
		set_desc(&vn.tx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN, VRING_DESC_F_NEXT,
			 (uint16_t)(2 * j + 1));
		set_desc(&vn.tx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN, len, 0, 0);
		vn.tx_busy[j] = true;
		vq_push(&vn.tx, (uint16_t)(2 * j));
		vn.tx_frames++;
		queued = true;
	}
	if (queued)
		vq_notify(&vn.tx);
}

struct args {
	uint64_t bar, irq, node, count, period_ms, prio;
	bool selftest;
	char name[16];                  /* registered with init; default "net0" */
};

static int64_t parse_args(const struct aion_startup *st, struct args *a)
{
	char v[32];

	*a = (struct args){ .count = 5, .period_ms = 200, .prio = VN_PRIO, .name = "net0" };
	if (st->magic != AION_STARTUP_MAGIC)
		return -AION_EMALFORMED;
	if (!cmdline_get(st->args, "bar", v, sizeof(v)) || !vnet_parse_u64(v, &a->bar) ||
	    a->bar == 0 || a->bar > 0xffc0)
		return -AION_EINVAL;
	if (!cmdline_get(st->args, "irq", v, sizeof(v)) || !vnet_parse_u64(v, &a->irq))
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

/* Reset, feature negotiation (MAC only), queues, buffers, DRIVER_OK. */
static int device_init(void)
{
	int rx_page = -1, tx_page = -1;
	unsigned npages;
	int64_t err;

	wreg8(VIRTIO_PCI_STATUS, 0);
	if (reg8(VIRTIO_PCI_STATUS) != 0)
		return fail("reset", -AION_EBUSY);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint32_t host = reg32(VIRTIO_PCI_HOST_FEATURES);
	if (!(host & VIRTIO_NET_F_MAC)) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return fail("features (no VIRTIO_NET_F_MAC)", -AION_ENOENT);
	}
	wreg32(VIRTIO_PCI_GUEST_FEATURES, VIRTIO_NET_F_MAC);
	for (unsigned i = 0; i < ETH_ALEN; i++)
		vn.mac[i] = reg8(VIRTIO_PCI_CONFIG + i);
	vnet_format_mac(vn.mac, vn.macs);

	if ((err = queue_size(VNET_QUEUE_RX, &vn.rx)) || (err = queue_size(VNET_QUEUE_TX, &vn.tx))) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return fail("queue size", err);
	}
	vn.nrx = vn.rx.num / 2 < RX_BUFS_MAX ? vn.rx.num / 2 : RX_BUFS_MAX;
	vn.ntx = vn.tx.num / 2 < TX_BUFS_MAX ? vn.tx.num / 2 : TX_BUFS_MAX;
	if ((err = dma_setup(&rx_page, &tx_page, &npages))) {
		wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_FAILED);
		return fail("dma", err);
	}
	vq_place(&vn.rx, rx_page);
	vq_place(&vn.tx, tx_page);
	aion_printf("dma pages=%u rx_ring=0x%lx+%u tx_ring=0x%lx+%u rx_bufs=%u tx_bufs=%u",
		    npages, (unsigned long)vn.rx.phys, vn.rx.lay.pages,
		    (unsigned long)vn.tx.phys, vn.tx.lay.pages, vn.nrx, vn.ntx);
	buffers_place(npages);
	rx_fill();
	vq_activate(&vn.rx);
	vq_activate(&vn.tx);
	wreg8(VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_DRIVER_OK);
	vq_notify(&vn.rx);
	return 0;
}

/*
 * The memory object mapped at va must cover struct netshm: a page of ours
 * can be mapped at its last page only if the object does not reach it.
 */
static int64_t shm_check(uint64_t va)
{
	uint64_t last = va + (NETSHM_PAGES - 1) * VNET_PAGE;
	int64_t err = aion_anon_map(AION_HANDLE_SELF, last, VNET_PAGE, AION_PROT_READ);

	if (err == -AION_EEXIST)
		return 0;
	if (err == 0) {
		aion_anon_unmap(AION_HANDLE_SELF, last, VNET_PAGE);
		return -AION_ERANGE;
	}
	return err;
}

static uint64_t shm_va(unsigned slot)
{
	return SHM_VADDR + slot * SHM_SLOT_SPAN;
}

/*
 * NET_ATTACH with got[0] (memory object) and got[1] (netd's notification).
 * On success the notification is kept, the memory object's handle closed
 * (the mapping holds it), and an earlier attachment dropped; on error the
 * caller closes both and the earlier attachment stays.
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
	if ((err = aion_memory_map(got[0], AION_HANDLE_SELF, va,
				   AION_PROT_READ | AION_PROT_WRITE)))
		return err;
	if ((err = shm_check(va))) {
		aion_memory_unmap(AION_HANDLE_SELF, va);
		return err;
	}
	if (vn.shm) {
		aion_printf("detached rx=%lu tx=%lu rx_dropped=%lu tx_dropped=%lu",
			    (unsigned long)vn.rx_frames, (unsigned long)vn.tx_frames,
			    (unsigned long)vn.rx_dropped, (unsigned long)vn.tx_dropped);
		aion_memory_unmap(AION_HANDLE_SELF, shm_va(vn.shm_slot));
		aion_handle_close(vn.peer);
	}
	aion_handle_close(got[0]);
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

/* Answers one call on our endpoint (its capabilities are in ipc_buf). */
static void serve_call(const struct aion_msg *m)
{
	aion_handle_t got[AION_IPC_CAPS_MAX];
	unsigned ngot = AION_TAG_CAPS(m->tag);
	uint32_t label = AION_TAG_LABEL(m->tag);
	int64_t r;

	if (ngot > AION_IPC_CAPS_MAX)
		ngot = AION_IPC_CAPS_MAX;
	for (unsigned i = 0; i < ngot; i++)
		got[i] = ipc_buf.caps[i];       /* before the reply reuses the buffer */
	r = label == NET_ATTACH ? attach(got, ngot) : -AION_ENOSYS;
	/* Kept on success: got[1] (got[0] is closed, its mapping holds it). */
	for (unsigned i = r == 0 ? 2 : 0; i < ngot; i++)
		aion_handle_close(got[i]);
	struct aion_msg reply = { .tag = AION_TAG(label, 0, 0), .w = { (uint64_t)r } };
	if (r == 0) {
		reply.tag = AION_TAG(label, 0, 1);
		reply.w[1] = mac_word();
		ipc_buf.caps[0] = vn.notify;
		ipc_buf.cap_rights[0] = AION_RIGHT_SEND;
	}
	int64_t err = aion_reply(&reply);
	if (r || err)
		aion_printf("attach label=%u err=%s reply=%s", label, aion_error_name(r),
			    aion_error_name(err));
}

static char serve_name[16];             /* the name= arg */

/* The one serving thread: registers serve_name, then calls and signals forever. */
/* The device interrupted: acknowledge it (reading the ISR drops the line),
 * take what the queues finished, and unmask the line again. */
static int64_t handle_irq(void)
{
	uint8_t isr = reg8(VIRTIO_PCI_ISR);
	vn.irqs++;
	if (isr & VIRTIO_ISR_QUEUE) {
		rx_process();
		tx_process();
	}
	return aion_irq_ack(VN_HANDLE_IRQ);
}

static int64_t serve_loop(uint64_t prio)
{
	struct aion_msg m;
	int64_t err;

	if ((err = aion_ipc_buffer(&ipc_buf)))
		return fail("ipc buffer", err);
	if ((err = init_register(SVC_INIT_EP, &ipc_buf, serve_name, vn.ep,
				 AION_RIGHT_SEND | AION_RIGHT_GRANT)))
		return fail("register", err);
	aion_printf("serving name=%s prio=%lu", serve_name, (unsigned long)prio);
	for (;;) {
		tx_drain();
		if ((err = aion_recv(vn.ep, &m, AION_FOREVER)))
			return fail("recv", err);
		if (!(m.tag & AION_TAG_NOTIFY)) {
			serve_call(&m);
			continue;
		}
		if (m.w[0] & IRQ_BIT) {
			if ((err = handle_irq()))
				return fail("irq ack", err);
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
static int64_t serve_start(uint64_t prio)
{
	int64_t ep, t, err;

	vn.serving = true;
	if ((ep = aion_endpoint_create()) < 0)
		return fail("endpoint create", ep);
	vn.ep = (aion_handle_t)ep;
	uint64_t top = aion_stack_alloc(LOOP_STACK_PAGES);
	if (!top)
		return fail("stack", -AION_ENOMEM);
	uint64_t *sp = (uint64_t *)top;
	sp[-1] = (uint64_t)serve_loop;  /* read by aion_thread_trampoline */
	sp[-2] = 0;
	t = aion_thread_create(AION_HANDLE_SELF, (uint64_t)aion_thread_trampoline, top - 16,
			       prio, (unsigned)prio);
	if (t < 0)
		return fail("thread create", t);
	if ((err = aion_notify_bind(vn.notify, (aion_handle_t)t)))
		return fail("notify bind", err);
	if ((err = aion_thread_start((aion_handle_t)t)))
		return fail("thread start", err);
	aion_handle_close((aion_handle_t)t);
	return 0;
}

int64_t aion_main(uint64_t arg)
{
	struct args a;
	int64_t err, n;

	if ((err = parse_args((const struct aion_startup *)arg, &a)))
		return fail("args (want bar=0x.. irq=N [node=N mode=selftest name=..])", err);
	memcpy(serve_name, a.name, sizeof(serve_name));
	vn.io = (uint16_t)a.bar;
	vn.irq_line = (unsigned)a.irq;
	vn.node = (unsigned)a.node;
	if ((err = aion_ioport_enable(VN_HANDLE_IO)))
		return fail("ioport enable", err);
	if (device_init())
		return 1;
	if ((n = aion_notify_create()) < 0)
		return fail("notify create", n);
	vn.notify = (aion_handle_t)n;
	if ((err = aion_irq_set_notify(VN_HANDLE_IRQ, (aion_handle_t)n, IRQ_BIT)))
		return fail("irq set notify", err);
	aion_printf("up mac=%s queue_rx=%u queue_tx=%u irq=%u", vn.macs, vn.rx.num,
		    vn.tx.num, vn.irq_line);
	if (!a.selftest)
		return serve_start(a.prio);     /* this thread ends; the serving one goes on */

	uint64_t next = aion_clock_ns() + a.period_ms * MS;
	bool summary = false;
	for (;;) {
		uint64_t bits = 0, now = aion_clock_ns(), timeout = 0;
		if (!summary)
			timeout = next > now ? next - now : 1;
		err = aion_wait((aion_handle_t)n, &bits, timeout);
		if (err == 0 && (bits & IRQ_BIT)) {
			if ((err = handle_irq()))
				return fail("irq ack", err);
		} else if (err && err != -AION_ETIMEDOUT) {
			return fail("wait", err);
		}
		if (summary || aion_clock_ns() < next)
			continue;
		if (vn.sent < a.count) {
			char text[64];
			unsigned k = vn.sent;
			fmt_snprintf(text, sizeof(text), "AION node=%u seq=%u", vn.node, k);
			if ((err = tx_send(text)) == 0) {
				vn.sent++;
				aion_printf("tx seq=%u", k);
			} else if (err != -AION_EAGAIN) {
				return fail("tx", err);
			}
			next += a.period_ms * MS;
			if (vn.sent == a.count)
				next += SUMMARY_DELAY - a.period_ms * MS;
		} else {
			aion_printf("selftest done sent=%u received=%u irqs=%u", vn.sent,
				    vn.received, vn.irqs);
			summary = true;
		}
	}
}
