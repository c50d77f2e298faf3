/*
 * MSI-X for a PCI function (docs/network.md "MSI-X for the NIC"): table
 * entry 0 gets the message of a message-signalled IRQ line, the function
 * switches from its INTx pin to messages. Then an interrupt costs the
 * guest no I/O APIC mask and unmask and its driver no ISR read: each of
 * those is an exit to the emulator under its global lock.
 *
 * init does it, once, at boot: it alone holds the platform capability
 * that makes the line's IRQ object and maps the table's page. A driver
 * later gets the same line (a fresh IRQ object each start) and only
 * points its queues at entry 0 through its own registers.
 */
#include "libaion/pci.h"
#include "init.h"

/* Where init maps each function's MSI-X table page: clear of its heap
 * (0x80000000, libaion's malloc_unit.c) and its image. */
#define MSIX_VA(slot)   (0x0000000070000000ull + (uint64_t)(slot) * 4096)

/* The message line's IRQ object says to write, for entry 0. */
static int64_t line_message(unsigned line, uint64_t *msg)
{
	int64_t irq = aion_irq_create(AION_HANDLE_PLATFORM, line);
	if (irq < 0)
		return irq;
	int64_t m = aion_irq_msi_message((aion_handle_t)irq);
	aion_handle_close((aion_handle_t)irq);
	if (m < 0)
		return m;
	*msg = (uint64_t)m;
	return 0;
}

/* Maps the page of function a's MSI-X table at MSIX_VA(slot); its entry 0. */
static int64_t table_map(struct pci_addr a, unsigned cap, unsigned slot,
			 volatile uint32_t **entry)
{
	uint32_t where = pci_read32(a, cap + PCI_MSIX_TABLE);
	struct pci_bar bar;
	int64_t err = pci_bar_probe(a, where & 7, &bar);

	if (err < 0)
		return err;
	if (bar.kind != PCI_BAR_MEM32 && bar.kind != PCI_BAR_MEM64)
		return -AION_EINVAL;
	uint64_t phys = bar.base + (where & ~7u);
	if (!bar.base || (where & ~7u) + PCI_MSIX_ENTRY_SIZE > bar.size)
		return -AION_EINVAL;
	int64_t mo = aion_device_memory(AION_HANDLE_PLATFORM, phys & ~0xfffull, 1);
	if (mo < 0)
		return mo;
	/* The mapping lasts while the capability does: init keeps it. */
	err = aion_memory_map((aion_handle_t)mo, AION_HANDLE_SELF, MSIX_VA(slot),
			      AION_PROT_READ | AION_PROT_WRITE, 0);
	if (err) {
		aion_handle_close((aion_handle_t)mo);
		return err;
	}
	*entry = (volatile uint32_t *)(MSIX_VA(slot) + (phys & 0xfff));
	return 0;
}

int64_t msix_route(struct pci_addr a, unsigned slot, unsigned line)
{
	uint8_t cfg[PCI_CONFIG_SIZE];
	volatile uint32_t *entry;
	uint64_t msg;

	pci_read_config(a, cfg);
	unsigned cap = pci_cap_find(cfg, PCI_CAP_MSIX);
	if (!cap)
		return -AION_ENOENT;
	uint16_t ctl = pci_img16(cfg, cap + PCI_MSIX_CONTROL);
	/* The table decodes only with memory space on; masked meanwhile. */
	pci_write16(a, PCI_COMMAND, (uint16_t)(pci_read16(a, PCI_COMMAND) | PCI_COMMAND_MEMORY));
	pci_write16(a, cap + PCI_MSIX_CONTROL, (uint16_t)(ctl | PCI_MSIX_ENABLE | PCI_MSIX_MASK_ALL));
	int64_t err = line_message(line, &msg);
	if (!err)
		err = table_map(a, cap, slot, &entry);
	if (err) {
		pci_write16(a, cap + PCI_MSIX_CONTROL, (uint16_t)(ctl & ~PCI_MSIX_ENABLE));
		return err;
	}
	entry[0] = AION_MSI_ADDRESS(msg);
	entry[1] = 0;
	entry[2] = AION_MSI_DATA(msg);
	entry[3] = 0;                           /* vector control: unmasked */
	pci_write16(a, PCI_COMMAND, (uint16_t)(pci_read16(a, PCI_COMMAND) | PCI_COMMAND_INTX_OFF));
	pci_write16(a, cap + PCI_MSIX_CONTROL,
		    (uint16_t)((ctl | PCI_MSIX_ENABLE) & ~PCI_MSIX_MASK_ALL));
	return 0;
}
