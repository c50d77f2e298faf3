/*
 * virtio-net driver: the device's own constants and the pure helpers of
 * vnet_pure.c (no system calls, no port I/O: host-testable). The legacy
 * virtio register block and virtqueues are ../virtio/virtio.h's.
 */
#ifndef VNET_H
#define VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio.h"

#define VIRTIO_NET_F_MAC                (1u << 5)
#define VIRTIO_NET_HDR_LEN              10      /* legacy, no mergeable buffers */

#define VNET_QUEUE_RX                   0
#define VNET_QUEUE_TX                   1
#define VNET_PAGE                       VIRTIO_PAGE

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
