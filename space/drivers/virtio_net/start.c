/*
 * The driver's start, shared by its own unit (main.c) and by netd, which
 * runs the serving thread in its address space (netstack/netd/nic_in.c,
 * docs/network.md "The NIC inside netd"): the ports, the device, the
 * notification and the IRQ bound to it.
 */
#include "common/cmdline.h"
#include "vnet_drv.h"

struct vnet_dev vn;

int vnet_fail(const char *what, int64_t err)
{
	aion_printf("error %s err=%s", what, aion_error_name(err));
	return 1;
}

int64_t vnet_args(const char *args, uint16_t *bar, unsigned *irq)
{
	char v[24];
	uint64_t b, i;

	if (!cmdline_get(args, "bar", v, sizeof(v)))
		return -AION_ENOENT;
	if (!vnet_parse_u64(v, &b) || b == 0 || b > 0xffc0 ||
	    !cmdline_get(args, "irq", v, sizeof(v)) || !vnet_parse_u64(v, &i) ||
	    i >= AION_IRQ_MSI_BASE + AION_IRQ_MSI_COUNT)
		return -AION_EINVAL;
	*bar = (uint16_t)b;
	*irq = (unsigned)i;
	return 0;
}

int vnet_up(uint16_t bar, unsigned irq_line, unsigned node)
{
	int64_t err, n;

	vn.io = bar;
	vn.irq_line = irq_line;
	vn.msix = AION_IRQ_IS_MSI(irq_line);
	vn.node = node;
	if ((err = aion_ioport_enable(VN_HANDLE_IO)))
		return vnet_fail("ioport enable", err);
	if (device_init())
		return 1;
	if ((n = aion_notify_create()) < 0)
		return vnet_fail("notify create", n);
	vn.notify = (aion_handle_t)n;
	if ((err = aion_irq_set_notify(VN_HANDLE_IRQ, (aion_handle_t)n, IRQ_BIT)))
		return vnet_fail("irq set notify", err);
	aion_printf("up mac=%s queue_rx=%u queue_tx=%u irq=%u%s", vn.macs, vn.rx.num,
		    vn.tx.num, vn.irq_line, vn.msix ? " msix" : "");
	return 0;
}
