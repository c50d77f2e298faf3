/*
 * One request on the device: the chain 0 (header) -> 1..n (the data
 * segments) -> n+1 (status byte), put on the queue, and the wait for the
 * device to use it. One request at a time, so the chain always starts at
 * descriptor 0 and the used element must name it.
 */
#include "vblk_drv.h"

#define POLL_FIRST_NS   (20 * US)
#define POLL_MAX_NS     (1 * MS)

static const char *op_name(uint32_t type)
{
	return type == VIRTIO_BLK_T_IN ? "read" : type == VIRTIO_BLK_T_OUT ? "write" : "flush";
}

static void chain(uint32_t type, uint64_t sector, const struct blk_seg *segs, unsigned nsegs)
{
	/* The device writes into the buffer on a read, reads it on a write. */
	uint16_t data = type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0;

	vb.hdr->type = type;
	vb.hdr->reserved = 0;
	vb.hdr->sector = sector;
	*vb.status = 0xff;      /* no device status: a request never completed reads as an error */
	virtq_set_desc(&vb.q, 0, vb.hdr_phys, sizeof(struct virtio_blk_req), VRING_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < nsegs; i++)
		virtq_set_desc(&vb.q, 1 + i, segs[i].phys, segs[i].len, data | VRING_DESC_F_NEXT,
			       (uint16_t)(2 + i));
	virtq_set_desc(&vb.q, 1 + nsegs, vb.status_phys, 1, VRING_DESC_F_WRITE, 0);
}

/* Sleeps on the interrupt for at most ns; reading the ISR lowers the line. */
static int64_t irq_wait(uint64_t ns)
{
	uint64_t bits;
	int64_t err = aion_wait(vb.notify, &bits, ns);

	if (err == -AION_ETIMEDOUT)
		return 0;
	if (err)
		return err;
	(void)virtio_isr(vb.io);
	return aion_irq_ack(VB_HANDLE_IRQ);
}

/* Until the device used our chain, or the deadline passed (-AION_ETIMEDOUT). */
static int64_t wait_used(uint64_t deadline, struct vring_used_elem *e)
{
	uint64_t nap = POLL_FIRST_NS;

	while (!virtq_take_used(&vb.q, e)) {
		uint64_t now = aion_clock_ns();
		if (now >= deadline)
			return -AION_ETIMEDOUT;
		uint64_t left = deadline - now;
		if (vb.irq_line) {
			int64_t err = irq_wait(left);
			if (err)
				return err;
			continue;
		}
		aion_sleep_ns(nap < left ? nap : left);
		nap = nap * 2 < POLL_MAX_NS ? nap * 2 : POLL_MAX_NS;
	}
	return 0;
}

/* The request did not end: the device must stop using our memory before
 * anyone answers; the serving loop exits after this reply. */
static int64_t give_up(uint32_t type, uint64_t sector, int64_t err)
{
	if (err == -AION_ETIMEDOUT)
		aion_printf("error op=%s sector=%lu timed out after %u ms: resetting the device",
			    op_name(type), (unsigned long)sector, BLK_DEVICE_TIMEOUT_MS);
	else
		aion_printf("error op=%s sector=%lu wait failed err=%s: resetting the device",
			    op_name(type), (unsigned long)sector, aion_error_name(err));
	device_reset();
	vb.broken = true;
	return err;
}

int64_t request_run(uint32_t type, uint64_t sector, const struct blk_seg *segs, unsigned nsegs)
{
	struct vring_used_elem e;
	uint32_t bytes = 0;

	for (unsigned i = 0; i < nsegs; i++)
		bytes += segs[i].len;
	chain(type, sector, segs, nsegs);
	virtq_push(&vb.q, 0);
	virtq_notify(&vb.q);
	vb.requests++;
	int64_t err = wait_used(aion_clock_ns() + BLK_DEVICE_TIMEOUT_MS * MS, &e);
	if (err)
		return give_up(type, sector, err);
	if (e.id != 0)
		aion_printf("error op=%s used id=%u, not 0", op_name(type), e.id);
	uint8_t status = *vb.status;
	err = e.id != 0 ? -AION_EIO : blk_status_error(status);
	if (err) {
		vb.errors++;
		aion_printf("error op=%s sector=%lu blocks=%u status=%u err=%s", op_name(type),
			    (unsigned long)sector, bytes / BLK_SIZE, status, aion_error_name(err));
	}
	return err;
}
