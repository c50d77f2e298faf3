/*
 * Devices found on the PCI bus at boot, for the services that drive them.
 * init alone holds the platform capability; it reads the PCI configuration
 * space once, remembers where each device is, and for every start of a
 * driver makes fresh capabilities for exactly that device's I/O ports and
 * interrupt line (a dead driver's went with its unit).
 */
#include "libaion/pci.h"
#include "common/format.h"
#include "init.h"

#define VIRTIO_VENDOR           0x1af4
#define VIRTIO_NET_LEGACY       0x1000  /* transitional virtio-net-pci, legacy registers */
#define IO_MAX                  64      /* IOPORT_CREATE's limit */

#define NICS 2                  /* the mesh NIC, and node 1's port-forward NIC */

static struct {
	bool found;
	uint16_t bar, ports;
	unsigned line;
} nics[NICS];

/* Records the nth legacy virtio-net device in nics[n]. */
static int64_t find_nic(unsigned n)
{
	struct pci_device d;
	struct pci_bar bar;

	int64_t err = pci_find(VIRTIO_VENDOR, VIRTIO_NET_LEGACY, n, &d);
	if (err || (err = pci_bar_probe(d.addr, 0, &bar)) < 0)
		return err;
	unsigned line = pci_irq_line(d.addr);
	if (bar.kind != PCI_BAR_IO || !bar.size || bar.size > IO_MAX ||
	    !line || line == PCI_IRQ_LINE_NONE)
		return -AION_EINVAL;    /* not legacy (disable-modern=on), or no IRQ routed */
	uint16_t cmd = pci_read16(d.addr, PCI_COMMAND);
	pci_write16(d.addr, PCI_COMMAND, (uint16_t)((cmd | PCI_COMMAND_IO |
		    PCI_COMMAND_MASTER) & ~PCI_COMMAND_INTX_OFF));
	nics[n].found = true;
	nics[n].bar = (uint16_t)bar.base;
	nics[n].ports = (uint16_t)bar.size;
	nics[n].line = line;
	aion_printf("devices nic=%u virtio-net bar=0x%x ports=%u irq=%u", n, nics[n].bar,
		    nics[n].ports, line);
	return 0;
}

void devices_scan(void)
{
	int64_t io = aion_ioport_create(AION_HANDLE_PLATFORM, PCI_CONFIG_PORT, PCI_CONFIG_PORTS);
	int64_t err = io < 0 ? io : aion_ioport_enable((aion_handle_t)io);

	for (unsigned n = 0; !err && n < NICS; n++)
		if ((err = find_nic(n)) && n == 0)
			aion_printf("devices nic=none err=%s", aion_error_name(err));
}

bool devices_have_nic(unsigned i)
{
	return i < NICS && nics[i].found;
}

int64_t devices_nic_args(unsigned i, char *args, unsigned size)
{
	if (!devices_have_nic(i))
		return -AION_ENOENT;
	aion_text_add(args, size, " bar=0x%x irq=%u", nics[i].bar, nics[i].line);
	if (i > 0)
		aion_text_add(args, size, " name=net%u", i);
	return 0;
}

int64_t devices_give_nic(unsigned i, aion_handle_t unit)
{
	if (!devices_have_nic(i))
		return -AION_ENOENT;
	return give_ports_irq(unit, nics[i].bar, nics[i].ports, nics[i].line);
}

/* Made fresh for each start of a driver: a dead driver's went with its unit. */
int64_t give_ports_irq(aion_handle_t unit, uint16_t base, uint16_t count, unsigned line)
{
	int64_t io = aion_ioport_create(AION_HANDLE_PLATFORM, base, count);
	int64_t irq = aion_irq_create(AION_HANDLE_PLATFORM, line);
	int64_t err = io < 0 ? io : irq < 0 ? irq :
		aion_cap_give(unit, (aion_handle_t)io, AION_RIGHT_READ | AION_RIGHT_WRITE);
	if (err >= 0)
		err = aion_cap_give(unit, (aion_handle_t)irq, AION_RIGHT_READ | AION_RIGHT_CONTROL);
	if (io > 0)
		aion_handle_close((aion_handle_t)io);
	if (irq > 0)
		aion_handle_close((aion_handle_t)irq);
	return err < 0 ? err : 0;
}
