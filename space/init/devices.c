/*
 * Devices found on the PCI bus at boot, for the services that drive them.
 * init alone holds the platform capability; it reads the PCI configuration
 * space once, remembers where each device is, and for every start of a
 * driver makes fresh capabilities for exactly that device's I/O ports and
 * interrupt line (a dead driver's went with its unit).
 */
#include "libaion/pci.h"
#include "common/cmdline.h"
#include "common/format.h"
#include "init.h"
#include "virtio.h"

#define VIRTIO_VENDOR           0x1af4
#define VIRTIO_NET_LEGACY       0x1000  /* transitional virtio-net-pci, legacy registers */
#define VIRTIO_BLK_LEGACY       0x1001  /* transitional virtio-blk-pci */
#define IO_MAX                  64      /* IOPORT_CREATE's limit */

#define NICS 2                  /* the mesh NIC, and node 1's port-forward NIC */

struct pci_fn {
	bool found;
	struct pci_addr addr;
	uint16_t bar, ports;
	unsigned line;
};

static struct pci_fn nics[NICS];
static struct pci_fn disk;
static bool disk_polls;         /* its line is a NIC's: no IRQ, INTx masked */

/* The nth legacy virtio function with this device id; I/O and DMA on. */
static int64_t find_virtio(uint16_t id, unsigned n, struct pci_fn *out)
{
	struct pci_device d;
	struct pci_bar bar;

	int64_t err = pci_find(VIRTIO_VENDOR, id, n, &d);
	if (err || (err = pci_bar_probe(d.addr, 0, &bar)) < 0)
		return err;
	unsigned line = pci_irq_line(d.addr);
	if (bar.kind != PCI_BAR_IO || !bar.size || !line || line == PCI_IRQ_LINE_NONE)
		return -AION_EINVAL;    /* not legacy (disable-modern=on), or no IRQ routed */
	uint16_t cmd = pci_read16(d.addr, PCI_COMMAND);
	pci_write16(d.addr, PCI_COMMAND, (uint16_t)((cmd | PCI_COMMAND_IO |
		    PCI_COMMAND_MASTER) & ~PCI_COMMAND_INTX_OFF));
	/* The common registers and the start of the device's configuration
	 * (virtio-blk's BAR0 is 128 ports; its driver reads only the capacity). */
	uint16_t ports = bar.size < IO_MAX ? (uint16_t)bar.size : IO_MAX;
	*out = (struct pci_fn){ .found = true, .addr = d.addr, .bar = (uint16_t)bar.base,
				.ports = ports, .line = line };
	return 0;
}

/*
 * A NIC interrupts by MSI-X (msix.c) unless it cannot or aion.intx asks
 * for its INTx line (benchmarks compare the two). The driver knows which
 * from the line it is given.
 */
static int64_t find_nic(unsigned n)
{
	int64_t err = find_virtio(VIRTIO_NET_LEGACY, n, &nics[n]);
	if (err)
		return err;
	const char *how = "off (aion.intx)";
	if (!cmdline_get(bootinfo->cmdline, "aion.intx", NULL, 0)) {
		int64_t msix = msix_route(nics[n].addr, n, AION_IRQ_MSI_BASE + n);
		if (!msix)
			nics[n].line = AION_IRQ_MSI_BASE + n;
		how = msix ? aion_error_name(msix) : "on";
	}
	aion_printf("devices nic=%u virtio-net bar=0x%x ports=%u irq=%u msix=%s", n, nics[n].bar,
		    nics[n].ports, nics[n].line, how);
	return 0;
}

/*
 * The kernel gives an IRQ line one owner, and QEMU's pc machine routes
 * every PCI slot to line 10 or 11: a disk behind a NIC's line cannot have
 * it. Its INTx is masked then (a level line nobody acknowledges would keep
 * interrupting the NIC's driver), and its driver polls. aion.diskpoll on
 * the command line asks for that on any line (the tests drive both ways).
 */
static void find_disk(void)
{
	int64_t err = find_virtio(VIRTIO_BLK_LEGACY, 0, &disk);
	if (!err)
		err = devices_enable_ports(disk.bar, disk.ports);
	if (err) {
		disk.found = false;
		aion_printf("devices disk=none err=%s", aion_error_name(err));
		return;
	}
	unsigned shared = NICS;
	for (unsigned i = 0; i < NICS; i++)
		if (nics[i].found && nics[i].line == disk.line)
			shared = i;
	disk_polls = shared < NICS || cmdline_get(bootinfo->cmdline, "aion.diskpoll", NULL, 0);
	if (disk_polls)
		pci_write16(disk.addr, PCI_COMMAND,
			    (uint16_t)(pci_read16(disk.addr, PCI_COMMAND) | PCI_COMMAND_INTX_OFF));
	char how[32] = "";
	if (shared < NICS)
		fmt_snprintf(how, sizeof(how), " shared-with=nic%u: polling", shared);
	else if (disk_polls)
		fmt_snprintf(how, sizeof(how), " polling (aion.diskpoll)");
	aion_printf("devices disk virtio-blk bar=0x%x ports=%u irq=%u%s", disk.bar, disk.ports,
		    disk.line, how);
	if ((err = disk_setup()))
		aion_printf("devices disk endpoint err=%s", aion_error_name(err));
}

/* Ports for init itself; the range stays usable for init's lifetime (the
 * kernel allows a unit four ranges: PCI configuration, ACPI's PM1a control
 * and SMI command, the disk's registers). */
int64_t devices_enable_ports(uint16_t base, uint16_t count)
{
	int64_t io = aion_ioport_create(AION_HANDLE_PLATFORM, base, count);
	return io < 0 ? io : aion_ioport_enable((aion_handle_t)io);
}

void devices_scan(void)
{
	int64_t err = devices_enable_ports(PCI_CONFIG_PORT, PCI_CONFIG_PORTS);

	if (err) {
		aion_printf("devices none: no PCI configuration ports err=%s", aion_error_name(err));
		return;
	}
	for (unsigned n = 0; n < NICS; n++) {
		if ((err = find_nic(n))) {
			if (n == 0)
				aion_printf("devices nic=none err=%s", aion_error_name(err));
			break;
		}
	}
	find_disk();
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

bool devices_nic_inside(void)
{
	return devices_have_nic(0) && !cmdline_get(bootinfo->cmdline, "aion.nicunit", NULL, 0) &&
	       !cmdline_get(bootinfo->cmdline, "aion.nicselftest", NULL, 0);
}

int64_t devices_give_nic(unsigned i, aion_handle_t unit)
{
	if (!devices_have_nic(i))
		return -AION_ENOENT;
	return give_ports_irq(unit, nics[i].bar, nics[i].ports, nics[i].line);
}

bool devices_have_disk(void)
{
	return disk.found && disk_endpoint();
}

int64_t devices_disk_args(char *args, unsigned size)
{
	if (!devices_have_disk())
		return -AION_ENOENT;
	aion_text_add(args, size, " bar=%u irq=%u", disk.bar, disk_polls ? 0 : disk.line);
	return 0;
}

/* The driver's table after SVC_INIT_EP: its ports, the endpoint (RECV),
 * and its IRQ unless it polls (virtio_blk/main.c). */
int64_t devices_give_disk(aion_handle_t unit)
{
	if (!devices_have_disk())
		return -AION_ENOENT;
	int64_t io = aion_ioport_create(AION_HANDLE_PLATFORM, disk.bar, disk.ports);
	int64_t err = io < 0 ? io : aion_cap_give(unit, (aion_handle_t)io,
						  AION_RIGHT_READ | AION_RIGHT_WRITE);
	if (io > 0)
		aion_handle_close((aion_handle_t)io);
	if (err >= 0)
		err = aion_cap_give(unit, disk_endpoint(), AION_RIGHT_RECV);
	if (err >= 0 && !disk_polls) {
		int64_t irq = aion_irq_create(AION_HANDLE_PLATFORM, disk.line);
		err = irq < 0 ? irq : aion_cap_give(unit, (aion_handle_t)irq,
						    AION_RIGHT_READ | AION_RIGHT_CONTROL);
		if (irq > 0)
			aion_handle_close((aion_handle_t)irq);
	}
	return err < 0 ? err : 0;
}

/*
 * Before a disk driver's unit is destroyed: a reset makes the device stop
 * using the rings and buffers it was given (QEMU completes the requests in
 * flight first), which go back to the frame allocator with the unit. The
 * next driver starts from a reset device anyway.
 */
void devices_disk_quiesce(void)
{
	if (disk.found)
		aion_outb((uint16_t)(disk.bar + VIRTIO_PCI_STATUS), 0);
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
