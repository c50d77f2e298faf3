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

static bool inside;                     /* the driver's thread runs in netd */

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
	inside = serve_start(NETD_PRIO, "net0") == 0;
	return inside;
}

/*
 * Polled (2026-12-07): once attached, netd's server thread runs the
 * driver's queues itself. The interrupt signals NETD_NIC_IRQ on netd's
 * notification, whose RECV is the server loop's wait; frames netd puts on
 * tx go to the device at the end of the loop turn (nic_kick), not by a
 * signal to the driver's thread. A packet in or out no longer wakes that
 * thread and switches back: two thread switches fewer each way. The
 * driver's thread stays for NET_ATTACH only: netd no longer probes a
 * polled driver's liveness (nic.c check_one), its own thread.
 */
bool nic_in_take(void)
{
	if (!inside)
		return false;
	int64_t err = vnet_poll_take(netd_notify, NETD_NIC_IRQ);
	if (err) {
		aion_printf("error nic poll err=%s: the driver's thread keeps the queues",
			    aion_error_name(err));
		return false;
	}
	aion_printf("nic polled by the server thread");
	return true;
}

void nic_in_poll(bool irq)
{
	vnet_poll(irq);
}
