/*
 * The virtqueues: receive buffer j is the chain 2j (the 10-byte virtio
 * header) -> 2j+1 (the frame), and so is transmit buffer j. Received
 * frames go to netd's rx ring when serving, or are logged in selftest
 * mode; netd's tx ring drains into free transmit buffers.
 */
#include "vnet_drv.h"

/* RX buffer j is the chain 2j (10-byte header) -> 2j+1 (the frame). */
void rx_fill(void)
{
	for (unsigned j = 0; j < vn.nrx; j++) {
		struct buf *b = &vn.rxb[j];
		virtq_set_desc(&vn.rx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN,
			       VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, (uint16_t)(2 * j + 1));
		virtq_set_desc(&vn.rx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN,
			       BUF_SIZE - VIRTIO_NET_HDR_LEN, VRING_DESC_F_WRITE, 0);
		virtq_push(&vn.rx, (uint16_t)(2 * j));
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
	struct vring_used_elem e;

	while (virtq_take_used(&vn.rx, &e)) {
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
		virtq_push(&vn.rx, (uint16_t)(2 * j));
		refilled = true;
	}
	if (refilled)
		virtq_notify(&vn.rx);
	if (pushed)
		vn.peer_pending = true;         /* serve.c's wait signals netd */
}

/* Frees the TX buffers the device has sent; true if it freed any. */
static bool tx_process(void)
{
	struct vring_used_elem e;
	bool freed = false;

	while (virtq_take_used(&vn.tx, &e))
		if (e.id / 2 < vn.ntx && vn.tx_busy[e.id / 2]) {
			vn.tx_busy[e.id / 2] = false;
			freed = true;
		}
	return freed;
}

/* Sends one frame; -AION_EAGAIN when every TX buffer is in flight. */
int64_t tx_send(const char *text)
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
	virtq_set_desc(&vn.tx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN, VRING_DESC_F_NEXT,
		       (uint16_t)(2 * j + 1));
	virtq_set_desc(&vn.tx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN, (uint32_t)len, 0, 0);
	vn.tx_busy[j] = true;
	virtq_push(&vn.tx, (uint16_t)(2 * j));
	virtq_notify(&vn.tx);
	return 0;
}

/*
 * Moves frames from netd's tx ring into free TX buffers, at most one
 * ring's worth; true when frames are left waiting for a free buffer.
 */
static bool tx_fill(struct netring *r)
{
	bool queued = false, left = false;
	unsigned j = 0;

	for (unsigned n = 0; n < NETRING_SLOTS; n++) {
		if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == r->tail)
			break;
		while (j < vn.ntx && vn.tx_busy[j])
			j++;
		if (j == vn.ntx) {
			left = true;
			break;
		}
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
		virtq_set_desc(&vn.tx, 2 * j, b->pa, VIRTIO_NET_HDR_LEN, VRING_DESC_F_NEXT,
			       (uint16_t)(2 * j + 1));
		virtq_set_desc(&vn.tx, 2 * j + 1, b->pa + VIRTIO_NET_HDR_LEN, len, 0, 0);
		vn.tx_busy[j] = true;
		virtq_push(&vn.tx, (uint16_t)(2 * j));
		vn.tx_frames++;
		queued = true;
	}
	if (queued)
		virtq_notify(&vn.tx);
	return left;
}

/*
 * Serving: netd's tx ring into the device. Sent buffers are reclaimed
 * here, lazily, not from an interrupt: the TX queue interrupts only while
 * frames wait for a buffer (device.c turns it off), which saves an
 * interrupt and a wake-up of this unit for every frame sent. A buffer
 * freed before the interrupt was turned on raises none, so the used ring
 * is read once more after turning it on.
 */
void tx_drain(void)
{
	if (!vn.shm)
		return;
	tx_process();
	bool left = tx_fill(&vn.shm->tx);
	if (left && !vn.tx_irq) {
		vn.tx_irq = true;
		virtq_irq(&vn.tx, true);
		if (tx_process())
			left = tx_fill(&vn.shm->tx);
	}
	if (!left && vn.tx_irq) {
		vn.tx_irq = false;
		virtq_irq(&vn.tx, false);
	}
}

/*
 * The device interrupted. On the shared line: acknowledge it (reading the
 * ISR drops the line), take what the queues finished, unmask the line
 * again. With MSI-X a message says only "a queue": no ISR to read, no
 * line to mask and unmask, five exits to the emulator fewer per interrupt
 * (the ISR read, and two I/O APIC writes each for the kernel's mask and
 * the unmask).
 */
int64_t handle_irq(void)
{
	vn.irqs++;
	if (vn.msix) {
		/* The queue's flag keeps the device quiet while the driver drains
		 * it, as the masked line does; a frame used before the flag went
		 * back on raises nothing, so look once more. */
		virtq_irq(&vn.rx, false);
		rx_process();
		tx_process();
		virtq_irq(&vn.rx, true);
		rx_process();
		return 0;
	}
	if (virtio_isr(vn.io) & VIRTIO_ISR_QUEUE) {
		rx_process();
		tx_process();
	}
	return aion_irq_ack(VN_HANDLE_IRQ);
}
