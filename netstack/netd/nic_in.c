/*
 * The NIC inside netd (docs/network.md "The NIC inside netd", issue 20):
 * when init gives netd the mesh NIC's ports at (2,1) and its IRQ at (3,1)
 * (args bar=0x.. irq=N), netd runs the virtio-net driver's serving thread
 * in its own address space instead of beside it in a unit of its own. The
 * protocol between them is unchanged (aion/netring.h: NET_ATTACH on the
 * name "net0", the rings, NETRING_SIGNAL both ways), but each hand-over
 * is now a switch between two threads of one address space: no CR3
 * write, so under TCG no flush of QEMU's software TLB, once each way per
 * packet. The driver's thread runs at netd's priority: an interrupt
 * while netd works waits until netd's loop blocks, which drains rx first.
 *
 * What isolation this gives up: a fault in the driver now ends netd too
 * (init restarts it, and the driver with it). It guarded little: the
 * device writes anywhere in memory by DMA (no IOMMU), so the driver was
 * trusted with the whole node already.
 */
#include "libaion/lib.h"
#include "netd.h"
#include "vnet_drv.h"

bool nic_in_start(const struct aion_startup *st, unsigned node)
{
	uint16_t bar;
	unsigned irq;

	if (st->magic != AION_STARTUP_MAGIC)
		return false;
	int64_t err = vnet_args(st->args, &bar, &irq);
	if (err == -AION_ENOENT)
		return false;                   /* the driver is a unit of its own, or no NIC */
	if (err) {
		aion_printf("error nic args err=%s", aion_error_name(err));
		return false;
	}
	if (vnet_up(bar, irq, node))
		return false;                   /* logged; loopback only */
	return serve_start(NETD_PRIO, "net0") == 0;
}
