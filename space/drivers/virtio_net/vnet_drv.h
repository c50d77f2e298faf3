/*
 * The virtio-net driver's own parts (vnet.h has the device's constants and
 * the pure helpers, ../virtio/virtio.h the legacy register block and the
 * virtqueues). One unit, one state (vn):
 *
 *   main.c     the unit: arguments, the selftest mode
 *   start.c    the start (the unit's and netd's, which runs it inside)
 *   device.c   reset and feature negotiation, the DMA object, the rings' places
 *   queues.c   the virtqueues: receive, transmit, the interrupt
 *   serve.c    serving netd: NET_ATTACH and the serving thread
 */
#ifndef VNET_DRV_H
#define VNET_DRV_H

#include "libaion/lib.h"
#include "aion/netring.h"
#include "common/time.h"
#include "vnet.h"

#define VN_HANDLE_IO    AION_HANDLE(2, 1)
#define VN_HANDLE_IRQ   AION_HANDLE(3, 1)

/* Clear of netd's own mappings (its NICs' rings at 0x40000000, sockets'
 * areas at 0x50000000): netd runs this driver in its address space. */
#define DMA_VADDR       0x0000000060000000ull
#define BUF_SIZE        2048u
#define RX_BUFS_MAX     128     /* two descriptors each: header, frame */
#define TX_BUFS_MAX     16
#define IRQ_BIT         1ull
#define TX_FRAME_MAX    (ETH_FRAME_MAX + 4)     /* with one VLAN tag; no offloads */

struct buf {
	uint8_t *va;
	uint64_t pa;
};

struct vnet_dev {
	uint16_t io;
	unsigned irq_line, node;
	bool msix;                      /* irq_line is message-signalled: MSI-X on */
	uint8_t mac[ETH_ALEN];
	char macs[18];
	struct virtq rx, tx;
	struct buf rxb[RX_BUFS_MAX], txb[TX_BUFS_MAX];
	unsigned nrx, ntx;
	bool tx_busy[TX_BUFS_MAX];
	bool tx_irq;                    /* the TX queue interrupts (frames wait) */
	unsigned sent, received, irqs;
	/* serving netd */
	bool serving;
	struct netshm *shm;             /* NULL until the first NET_ATTACH */
	unsigned shm_slot;
	aion_handle_t shm_mo;           /* kept: the mapping lasts while its capability does */
	aion_handle_t peer;             /* netd's notification (SEND) */
	bool peer_pending;              /* frames went on rx: signal peer when waiting */
	aion_handle_t notify;           /* ours: IRQ_BIT and NETRING_SIGNAL */
	/* Inside netd, once attached: netd's own thread runs the queues
	 * (vnet_poll) and the serving thread only answers calls. */
	bool polled;
	aion_handle_t ep;
	uint64_t rx_frames, tx_frames, rx_dropped, tx_dropped;
};

extern struct vnet_dev vn;

/* start.c: logs "error WHAT err=NAME"; returns 1, the driver's exit code. */
int vnet_fail(const char *what, int64_t err);
/* start.c: the arguments init gives the driver, "bar=0x.. irq=N" (a port
 * base, and an IRQ line: AION_IRQ_MSI_BASE and up is MSI-X); 0,
 * -AION_ENOENT without bar, -AION_EINVAL. */
int64_t vnet_args(const char *args, uint16_t *bar, unsigned *irq);
/* start.c: the ports (VN_HANDLE_IO), the device, the notification with the
 * IRQ (VN_HANDLE_IRQ) bound to it; 0, or 1 after logging why. */
int vnet_up(uint16_t bar, unsigned irq_line, unsigned node);

/* device.c: reset, MAC, queues, DMA, DRIVER_OK; 0, or 1 after logging why. */
int device_init(void);

/* queues.c */
void rx_fill(void);
/* Sends one selftest frame; -AION_EAGAIN when every TX buffer is in flight. */
int64_t tx_send(const char *text);
/* Serving: frames from netd's tx ring into free TX buffers. */
void tx_drain(void);
/* The device interrupted: take what the queues finished, unmask the line. */
int64_t handle_irq(void);

/* serve.c: the serving thread for netd, registered as name (this thread ends). */
int64_t serve_start(uint64_t prio, const char *name);
/* serve.c, the driver inside netd: netd's thread takes the queues over
 * from the serving thread once attached. The interrupt then signals bit
 * on notify (netd's), and netd calls vnet_poll: true on that bit (the
 * interrupt's work), false when frames went on tx. 0, -AION_ENOENT not
 * attached, or IRQ_SET_NOTIFY's error (the serving thread keeps them). */
int64_t vnet_poll_take(aion_handle_t notify, uint64_t bit);
void vnet_poll(bool irq);

#endif /* VNET_DRV_H */
