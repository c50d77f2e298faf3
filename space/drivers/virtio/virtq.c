/*
 * Legacy virtio: the device's status and features, virtqueues, and the DMA
 * object their rings live in (virtio.h). Every register access is a port
 * of the device's BAR0, which the driver must have enabled.
 */
#include "libaion/lib.h"
#include "virtio.h"

#define DMA_ATTEMPTS    3
#define barrier()       __asm__ volatile("" ::: "memory")

void virtio_reset(uint16_t io)
{
	aion_outb((uint16_t)(io + VIRTIO_PCI_STATUS), 0);
}

int64_t virtio_begin(uint16_t io)
{
	virtio_reset(io);
	if (aion_inb((uint16_t)(io + VIRTIO_PCI_STATUS)) != 0)
		return -AION_EBUSY;
	aion_outb((uint16_t)(io + VIRTIO_PCI_STATUS), VIRTIO_STATUS_ACKNOWLEDGE);
	aion_outb((uint16_t)(io + VIRTIO_PCI_STATUS),
		  VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	return aion_inl((uint16_t)(io + VIRTIO_PCI_HOST_FEATURES));
}

void virtio_accept(uint16_t io, uint32_t features)
{
	aion_outl((uint16_t)(io + VIRTIO_PCI_GUEST_FEATURES), features);
}

void virtio_ready(uint16_t io)
{
	aion_outb((uint16_t)(io + VIRTIO_PCI_STATUS), VIRTIO_STATUS_ACKNOWLEDGE |
		  VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

void virtio_fail(uint16_t io)
{
	aion_outb((uint16_t)(io + VIRTIO_PCI_STATUS), VIRTIO_STATUS_FAILED);
}

uint8_t virtio_config8(uint16_t io, unsigned off)
{
	return aion_inb((uint16_t)(io + VIRTIO_PCI_CONFIG + off));
}

uint32_t virtio_config32(uint16_t io, unsigned off)
{
	return aion_inl((uint16_t)(io + VIRTIO_PCI_CONFIG + off));
}

uint8_t virtio_isr(uint16_t io)
{
	return aion_inb((uint16_t)(io + VIRTIO_PCI_ISR));
}

int64_t virtq_size(struct virtq *q, uint16_t io, unsigned index)
{
	aion_outw((uint16_t)(io + VIRTIO_PCI_QUEUE_SEL), (uint16_t)index);
	q->io = io;
	q->index = index;
	q->num = aion_inw((uint16_t)(io + VIRTIO_PCI_QUEUE_NUM));
	if (!vring_layout(q->num, &q->lay))
		return -AION_ENOENT;    /* 0: no such queue; else not a power of two */
	return aion_inl((uint16_t)(io + VIRTIO_PCI_QUEUE_PFN)) ? -AION_EBUSY : 0;
}

void virtq_place(struct virtq *q, const struct virtio_dma *d, int page)
{
	uint8_t *base = (uint8_t *)(d->va + (uint64_t)page * VIRTIO_PAGE);

	memset(base, 0, q->lay.pages * VIRTIO_PAGE);
	q->phys = d->phys[page];
	q->desc = (volatile struct vring_desc *)base;
	q->avail = (volatile uint16_t *)(base + q->lay.avail_off);
	q->used = (volatile uint16_t *)(base + q->lay.used_off);
	q->used_ring = (volatile struct vring_used_elem *)(base + q->lay.used_off + 4);
	q->avail_idx = q->last_used = 0;
}

void virtq_activate(struct virtq *q)
{
	aion_outw((uint16_t)(q->io + VIRTIO_PCI_QUEUE_SEL), (uint16_t)q->index);
	aion_outl((uint16_t)(q->io + VIRTIO_PCI_QUEUE_PFN), (uint32_t)(q->phys / VRING_ALIGN));
}

int64_t virtq_msix(struct virtq *q, uint16_t entry)
{
	aion_outw((uint16_t)(q->io + VIRTIO_PCI_QUEUE_SEL), (uint16_t)q->index);
	aion_outw((uint16_t)(q->io + VIRTIO_MSI_QUEUE_VECTOR), entry);
	return aion_inw((uint16_t)(q->io + VIRTIO_MSI_QUEUE_VECTOR)) == entry ? 0 : -AION_EIO;
}

void virtq_set_desc(struct virtq *q, unsigned i, uint64_t pa, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	q->desc[i].addr = pa;
	q->desc[i].len = len;
	q->desc[i].flags = flags;
	q->desc[i].next = next;
}

void virtq_push(struct virtq *q, uint16_t head)
{
	q->avail[2 + (q->avail_idx % q->num)] = head;
	barrier();
	q->avail_idx++;
	q->avail[1] = q->avail_idx;
	barrier();
}

/*
 * Skipped while the device says it needs none (VRING_USED_F_NO_NOTIFY:
 * QEMU sets it on a transmit queue whose work is already scheduled and on
 * a receive queue that has buffers). Each notify is a port write that QEMU
 * handles by waking its main loop: at a kick per batch both ways, the
 * main loop cost as much host time as the guest itself (issue 20). The
 * fence orders our avail index before the read of the flag, as the
 * device orders its flag before its read of the index.
 */
void virtq_notify(struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->used[0] & VRING_USED_F_NO_NOTIFY)
		return;
	aion_outw((uint16_t)(q->io + VIRTIO_PCI_QUEUE_NOTIFY), (uint16_t)q->index);
}

void virtq_irq(struct virtq *q, bool on)
{
	q->avail[0] = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool virtq_take_used(struct virtq *q, struct vring_used_elem *e)
{
	if (q->last_used == q->used[1])
		return false;
	barrier();      /* the element is read after the index that covers it */
	*e = q->used_ring[q->last_used % q->num];
	q->last_used++;
	return true;
}

/* Records the physical address of every page of mo; false if one fails. */
static int64_t dma_learn(struct virtio_dma *d, int64_t mo, unsigned pages)
{
	for (unsigned i = 0; i < pages; i++) {
		int64_t pa = aion_memory_phys((aion_handle_t)mo, i);
		if (pa < 0)
			return pa;
		d->phys[i] = (uint64_t)pa;
		d->taken[i] = false;
	}
	return 0;
}

/* Finds and marks every run; false when one is missing. */
static bool dma_runs(struct virtio_dma *d, const unsigned *runs, int *at, unsigned nruns)
{
	for (unsigned r = 0; r < nruns; r++) {
		at[r] = virtio_find_run(d->phys, d->taken, d->pages, runs[r]);
		if (at[r] < 0)
			return false;
		for (unsigned k = 0; k < runs[r]; k++)
			d->taken[at[r] + k] = true;
	}
	return true;
}

/* An object whose pages hold every run, or -AION_E...; failed tries are
 * kept until the end so that each try gets other frames. */
static int64_t dma_object(struct virtio_dma *d, const unsigned *runs, int *at, unsigned nruns)
{
	int64_t failed[DMA_ATTEMPTS], mo = -AION_ENOMEM;
	unsigned nfailed = 0;

	for (unsigned attempt = 0; attempt < DMA_ATTEMPTS; attempt++) {
		if ((mo = aion_memory_create(d->pages)) < 0)
			break;
		int64_t err = dma_learn(d, mo, d->pages);
		if (err) {
			aion_handle_close((aion_handle_t)mo);
			mo = err;
			break;
		}
		if (dma_runs(d, runs, at, nruns))
			break;
		aion_printf("dma attempt=%u pages=%u: no contiguous run, retrying",
			    attempt, d->pages);
		failed[nfailed++] = mo;
		mo = -AION_ENOMEM;
	}
	while (nfailed)
		aion_handle_close((aion_handle_t)failed[--nfailed]);
	return mo;
}

int64_t virtio_dma_setup(struct virtio_dma *d, uint64_t va, unsigned pages,
			 const unsigned *runs, int *at, unsigned nruns)
{
	if (pages > VIRTIO_DMA_MAX_PAGES)
		return -AION_ERANGE;    /* rings this large are not supported */
	d->va = va;
	d->pages = pages;
	int64_t mo = dma_object(d, runs, at, nruns);
	if (mo < 0)
		return mo;
	int64_t err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, va,
				      AION_PROT_READ | AION_PROT_WRITE, 0);
	/* The handle is kept: closing it would unmap (docs/abi.md, revoke). */
	if (err)
		aion_handle_close((aion_handle_t)mo);
	else
		d->mo = (aion_handle_t)mo;
	return err;
}
