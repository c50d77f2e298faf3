/*
 * virtio-net driver: the legacy (virtio 0.9.5) register layout, the split
 * virtqueue layout, and the pure helpers of vnet_pure.c (no system calls,
 * no port I/O: host-testable).
 */
#ifndef VNET_H
#define VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#define VIRTIO_STATUS_ACKNOWLEDGE       1
#define VIRTIO_STATUS_DRIVER            2
#define VIRTIO_STATUS_DRIVER_OK         4
#define VIRTIO_STATUS_FAILED            0x80

#define VIRTIO_ISR_QUEUE                1
#define VIRTIO_ISR_CONFIG               2

#define VIRTIO_NET_F_MAC                (1u << 5)
#define VIRTIO_NET_HDR_LEN              10      /* legacy, no mergeable buffers */

#define VNET_QUEUE_RX                   0
#define VNET_QUEUE_TX                   1

#define VRING_DESC_F_NEXT               1
#define VRING_DESC_F_WRITE              2
#define VRING_ALIGN                     4096u
#define VNET_PAGE                       4096u

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

/* Legacy layout (virtio 0.9.5, 2.6): 0 for a size that is 0 or not a power of two. */
int vring_layout(unsigned num, struct vring_layout *out);

/*
 * First index i (not marked in taken[]) such that pages i..i+need-1 are
 * physically consecutive (phys[i+k] == phys[i] + k * 4096) and none of
 * them is taken; -1 when there is none.
 */
int vnet_find_run(const uint64_t *phys, const bool *taken, unsigned n, unsigned need);

#define ETH_ALEN        6
#define ETH_HLEN        14
#define ETH_ZLEN        60      /* shortest frame, without the FCS */
#define ETH_FRAME_MAX   1514
#define VNET_ETHERTYPE  0x88b5  /* IEEE local experimental 1 */

/*
 * Builds a broadcast frame from src with VNET_ETHERTYPE and payload text
 * (padded with zeros to ETH_ZLEN). Returns its length or 0 when it does
 * not fit in cap.
 */
size_t vnet_build_frame(uint8_t *buf, size_t cap, const uint8_t src[ETH_ALEN],
			const char *text);

/*
 * Recognises a frame of VNET_ETHERTYPE: gives its source and copies its
 * text (up to the first NUL or non-printable byte) into text (n bytes,
 * NUL-terminated). Returns false for other frames.
 */
bool vnet_parse_frame(const uint8_t *frame, size_t len, uint8_t src[ETH_ALEN],
		      char *text, size_t n);

/* "52:54:00:00:00:01" into out (18 bytes). */
void vnet_format_mac(const uint8_t mac[ETH_ALEN], char out[18]);

/* Parses a decimal or 0x-hex number; false when s is not one (or overflows). */
bool vnet_parse_u64(const char *s, uint64_t *out);

#endif /* VNET_H */
