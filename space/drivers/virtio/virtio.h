/*
 * Legacy virtio over PCI (virtio 0.9.5: an I/O port BAR0; QEMU's
 * `disable-modern=on`), shared by the virtio drivers (virtio-net,
 * virtio-blk): the register block, the split virtqueue's layout, and
 *
 *   vring.c  the pure pieces: where a ring's parts lie, contiguous page
 *            runs (no system calls, no port I/O: host-testable)
 *   virtq.c  the device's status and features, one queue's set-up,
 *            offering chains and taking used ones, the DMA object
 *
 * A driver includes libaion (for the port I/O of virtq.c) before or after
 * this header; this one needs only <stdint.h> and friends.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aion/object.h"

/* Legacy virtio PCI I/O BAR registers (offsets from BAR0). */
#define VIRTIO_PCI_HOST_FEATURES        0x00    /* 32 */
#define VIRTIO_PCI_GUEST_FEATURES       0x04    /* 32 */
#define VIRTIO_PCI_QUEUE_PFN            0x08    /* 32: physical address >> 12 */
#define VIRTIO_PCI_QUEUE_NUM            0x0c    /* 16, read-only */
#define VIRTIO_PCI_QUEUE_SEL            0x0e    /* 16 */
#define VIRTIO_PCI_QUEUE_NOTIFY         0x10    /* 16 */
#define VIRTIO_PCI_STATUS               0x12    /* 8 */
#define VIRTIO_PCI_ISR                  0x13    /* 8, read clears */
#define VIRTIO_PCI_CONFIG               0x14    /* device config, MSI-X off */
/* With MSI-X on, two vector registers come first and the device's
 * configuration starts VIRTIO_MSIX_SHIFT bytes later. */
#define VIRTIO_MSI_CONFIG_VECTOR        0x14    /* 16 */
#define VIRTIO_MSI_QUEUE_VECTOR         0x16    /* 16: the selected queue's */
#define VIRTIO_MSIX_SHIFT               4
#define VIRTIO_MSI_NO_VECTOR            0xffff

#define VIRTIO_STATUS_ACKNOWLEDGE       1
#define VIRTIO_STATUS_DRIVER            2
#define VIRTIO_STATUS_DRIVER_OK         4
#define VIRTIO_STATUS_FAILED            0x80

#define VIRTIO_ISR_QUEUE                1
#define VIRTIO_ISR_CONFIG               2

#define VRING_DESC_F_NEXT               1
#define VRING_DESC_F_WRITE              2       /* the device writes this buffer */
#define VRING_AVAIL_F_NO_INTERRUPT      1       /* a hint: the driver polls */
#define VRING_USED_F_NO_NOTIFY          1       /* the device: no need to notify me */
#define VRING_ALIGN                     4096u
#define VIRTIO_PAGE                     4096u

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Where the parts of a legacy vring of `num` entries lie, from its start. */
struct vring_layout {
	unsigned num;
	size_t avail_off;       /* flags, idx, ring[num], used_event */
	size_t used_off;        /* flags, idx, ring[num], avail_event (4096-aligned) */
	size_t size;            /* bytes */
	unsigned pages;         /* physically contiguous pages it needs */
};

/* ---- vring.c: pure ---- */

/* Legacy layout (virtio 0.9.5, 2.6): 0 for a size that is 0 or not a power of two. */
int vring_layout(unsigned num, struct vring_layout *out);

/*
 * First index i (not marked in taken[]) such that pages i..i+need-1 are
 * physically consecutive (phys[i+k] == phys[i] + k * 4096) and none of
 * them is taken; -1 when there is none.
 */
int virtio_find_run(const uint64_t *phys, const bool *taken, unsigned n, unsigned need);

/* ---- virtq.c: port I/O and system calls ---- */

#define VIRTIO_DMA_MAX_PAGES    512

/*
 * One memory object for a driver's DMA: its pages' physical addresses and
 * which of them a ring took. Memory objects are not physically contiguous
 * and a legacy vring must be, so rings get runs of consecutive pages
 * (virtio_find_run); the other pages are single buffers.
 */
struct virtio_dma {
	uint64_t va;                    /* where the object is mapped */
	aion_handle_t mo;               /* kept: a mapping lasts while its capability does */
	unsigned pages;
	uint64_t phys[VIRTIO_DMA_MAX_PAGES];
	bool taken[VIRTIO_DMA_MAX_PAGES];
};

/* One split virtqueue of a legacy device whose registers start at io. */
struct virtq {
	uint16_t io;
	unsigned index, num;
	struct vring_layout lay;
	uint64_t phys;                  /* of its first page */
	volatile struct vring_desc *desc;
	volatile uint16_t *avail;       /* [0] flags, [1] idx, [2 + i] ring */
	volatile uint16_t *used;        /* [0] flags, [1] idx */
	volatile struct vring_used_elem *used_ring;
	uint16_t avail_idx, last_used;
};

/*
 * Resets the device and says a driver is here (ACKNOWLEDGE, DRIVER).
 * Returns the device's features (>= 0) or -AION_EBUSY when the reset did
 * not take.
 */
int64_t virtio_begin(uint16_t io);
/* Resets the device: it stops using the rings and buffers it was given
 * (QEMU completes what was in flight before the write returns). */
void virtio_reset(uint16_t io);
/* Accepts features (a subset of virtio_begin's). */
void virtio_accept(uint16_t io, uint32_t features);
/* DRIVER_OK: the device may use the queues now. */
void virtio_ready(uint16_t io);
/* Gives up on the device (FAILED); it stays so until the next reset. */
void virtio_fail(uint16_t io);
/* The device's own configuration space (legacy), byte off (+ VIRTIO_MSIX_SHIFT
 * when MSI-X is on). */
uint8_t virtio_config8(uint16_t io, unsigned off);
uint32_t virtio_config32(uint16_t io, unsigned off);
/* Reads (and so clears) the interrupt status. */
uint8_t virtio_isr(uint16_t io);

/*
 * Selects queue index and reads its size into q: 0, -AION_ENOENT (no such
 * queue, or a size that is not a power of two) or -AION_EBUSY (the queue
 * is in use already: nobody reset the device).
 */
int64_t virtq_size(struct virtq *q, uint16_t io, unsigned index);
/* Puts q's ring at page `page` of d (a run of q->lay.pages), zeroed. */
void virtq_place(struct virtq *q, const struct virtio_dma *d, int page);
/* Tells the device where q's ring is. */
void virtq_activate(struct virtq *q);
/* MSI-X on: q interrupts through table entry `entry`; 0, or -AION_EIO
 * when the device refused it (it reads back VIRTIO_MSI_NO_VECTOR). */
int64_t virtq_msix(struct virtq *q, uint16_t entry);
void virtq_set_desc(struct virtq *q, unsigned i, uint64_t pa, uint32_t len,
		    uint16_t flags, uint16_t next);
/* Offers the chain at head to the device (notify separately). */
void virtq_push(struct virtq *q, uint16_t head);
void virtq_notify(struct virtq *q);
/*
 * Asks the device to interrupt when it uses q's buffers (on), or not to
 * (VRING_AVAIL_F_NO_INTERRUPT: a hint, which QEMU honours when neither
 * EVENT_IDX nor NOTIFY_ON_EMPTY is accepted). A buffer used just before
 * the flag was seen raises nothing: after turning it on, look at the used
 * ring again before waiting (the fence makes the store visible first).
 */
void virtq_irq(struct virtq *q, bool on);
/* Takes the next element the device used into *e; false when there is none. */
bool virtq_take_used(struct virtq *q, struct vring_used_elem *e);

/*
 * Creates the DMA object of `pages` pages, finds a contiguous run of
 * runs[i] pages for each ring i (at[i]: its first page) and maps the
 * object at va. A missing run makes it try another object (the frame
 * allocator hands out frames lowest first, so the next one gets other
 * frames), at most 3 times; the quota must allow that. Returns 0 or
 * -AION_E... (-AION_ERANGE: more than VIRTIO_DMA_MAX_PAGES).
 */
int64_t virtio_dma_setup(struct virtio_dma *d, uint64_t va, unsigned pages,
			 const unsigned *runs, int *at, unsigned nruns);

#endif /* VIRTIO_H */
