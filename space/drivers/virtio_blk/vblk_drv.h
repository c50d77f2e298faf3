/*
 * The virtio-blk driver's own parts (vblk.h has the request format and the
 * pure rules, ../virtio/virtio.h the legacy register block and the
 * virtqueue). One unit, one state (vb):
 *
 *   main.c     arguments, the start, the serving loop
 *   device.c   reset, features (FLUSH), capacity, the queue and its DMA page
 *   request.c  one request on the device, to its end or its timeout
 *   serve.c    the calls of aion/blk.h and the attached buffers
 */
#ifndef VBLK_DRV_H
#define VBLK_DRV_H

#include "libaion/lib.h"
#include "common/time.h"
#include "virtio.h"
#include "vblk.h"

#define VB_HANDLE_IO    AION_HANDLE(2, 1)
#define VB_HANDLE_EP    AION_HANDLE(3, 1)       /* the endpoint init made (RECV) */
#define VB_HANDLE_IRQ   AION_HANDLE(4, 1)       /* only with irq=N */

#define DMA_VADDR       0x0000000040000000ull
#define IRQ_BIT         1ull
#define VB_QUEUE        0
/* A request's chain: the header, up to BLK_BUF_PAGES data pieces, the status. */
#define VB_CHAIN_MAX    (BLK_BUF_PAGES + 2)

struct vblk_dev {
	uint16_t io;
	unsigned irq_line;              /* 0: the line is shared, polling */
	uint64_t capacity;              /* blocks */
	bool flush;                     /* VIRTIO_BLK_F_FLUSH negotiated */
	bool broken;                    /* a request timed out: exit after replying */
	struct virtq q;
	volatile struct virtio_blk_req *hdr;    /* in the DMA page no ring took */
	volatile uint8_t *status;
	uint64_t hdr_phys, status_phys;
	aion_handle_t notify;           /* IRQ_BIT, with irq=N */
	struct blk_attach att[BLK_ATTACH_MAX];
	uint64_t requests, errors;
};

extern struct vblk_dev vb;

/* Logs "error WHAT err=NAME"; returns 1, the driver's exit code. */
int vblk_fail(const char *what, int64_t err);

/* device.c: reset, features, capacity, queue, DRIVER_OK; 0, or 1 after logging why. */
int device_init(void);
/* device.c: stops the device using our memory (a request that timed out). */
void device_reset(void);

/*
 * request.c: runs one request (VIRTIO_BLK_T_*) at sector with the data
 * segments (none for a flush) and waits for it, at most
 * BLK_DEVICE_TIMEOUT_MS: 0, -AION_EIO (the device's status) or
 * -AION_ETIMEDOUT (then vb.broken is set and the device reset).
 */
int64_t request_run(uint32_t type, uint64_t sector, const struct blk_seg *segs, unsigned nsegs);

/* serve.c: answers calls on VB_HANDLE_EP until the device breaks. */
int serve_loop(void);

#endif /* VBLK_DRV_H */
