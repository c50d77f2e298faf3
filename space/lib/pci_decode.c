/*
 * libaion: the pure half of PCI (libaion/pci.h): a configuration image or
 * a BAR's values in, decoded fields out. No port is touched, so the host
 * tests (tests/unit/test_pci.c) build this file as it ships.
 */
#include <stdbool.h>
#include <stddef.h>
#include "aion/error.h"
#include "libaion/pci.h"

int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t sized_lo, uint32_t sized_hi,
		   struct pci_bar *out)
{
	*out = (struct pci_bar){ .kind = PCI_BAR_NONE };
	if (lo & 1) {
		out->kind = PCI_BAR_IO;
		out->base = lo & ~3u;
		/* I/O BARs decode at most 16 bits of address; the upper 16 may read 0. */
		uint32_t mask = sized_lo & ~3u;
		if (mask) {
			if (!(mask & 0xffff0000u))
				mask |= 0xffff0000u;
			out->size = (uint64_t)(~mask + 1u);
		}
		return 1;
	}
	switch ((lo >> 1) & 3) {
	case 0:                                 /* 32-bit */
		out->kind = (lo || sized_lo) ? PCI_BAR_MEM32 : PCI_BAR_NONE;
		out->prefetchable = (lo >> 3) & 1;
		out->base = lo & ~0xfu;
		if (sized_lo & ~0xfu)
			out->size = (uint64_t)(uint32_t)(~(sized_lo & ~0xfu) + 1u);
		return 1;
	case 2: {                               /* 64-bit: two slots */
		out->kind = PCI_BAR_MEM64;
		out->prefetchable = (lo >> 3) & 1;
		out->base = (uint64_t)hi << 32 | (lo & ~0xfu);
		uint64_t mask = (uint64_t)sized_hi << 32 | (sized_lo & ~0xfu);
		if (mask & ~0xfull)
			out->size = ~mask + 1;
		return 2;
	}
	default:                                /* 1: below 1 MiB (obsolete), 3: reserved */
		return -AION_EINVAL;
	}
}

int pci_header_parse(const uint8_t *cfg, unsigned len, struct pci_header *out)
{
	*out = (struct pci_header){ 0 };
	if (len < 64)
		return -AION_ETRUNC;
	out->vendor = pci_img16(cfg, PCI_VENDOR_ID);
	if (out->vendor == PCI_VENDOR_NONE)
		return -AION_ENOENT;
	out->device = pci_img16(cfg, PCI_DEVICE_ID);
	out->command = pci_img16(cfg, PCI_COMMAND);
	out->status = pci_img16(cfg, PCI_STATUS);
	out->revision = cfg[PCI_REVISION];
	out->prog_if = cfg[PCI_PROG_IF];
	out->subclass = cfg[PCI_SUBCLASS];
	out->class_code = cfg[PCI_CLASS];
	out->header_type = cfg[PCI_HEADER_TYPE] & 0x7f;
	out->multifunction = (cfg[PCI_HEADER_TYPE] & PCI_HEADER_MULTIFUNCTION) != 0;
	out->nbars = out->header_type == 0 ? 6 : out->header_type == 1 ? 2 : 0;
	for (unsigned i = 0; i < out->nbars; i++)
		out->bar[i] = pci_img32(cfg, PCI_BAR0 + 4 * i);
	if (out->header_type == 0) {
		out->subsys_vendor = pci_img16(cfg, PCI_SUBSYS_VENDOR);
		out->subsys_id = pci_img16(cfg, PCI_SUBSYS_ID);
	}
	if (out->header_type == 1)
		out->secondary_bus = cfg[PCI_SECONDARY_BUS];
	if (out->status & 0x10)                 /* capabilities list */
		out->cap_ptr = cfg[PCI_CAP_PTR] & 0xfc;
	out->irq_line = cfg[PCI_INTERRUPT_LINE];
	out->irq_pin = cfg[PCI_INTERRUPT_PIN];
	return 0;
}

unsigned pci_cap_find(const uint8_t cfg[PCI_CONFIG_SIZE], uint8_t id)
{
	if (!(pci_img16(cfg, PCI_STATUS) & 0x10))
		return 0;
	unsigned off = cfg[PCI_CAP_PTR] & 0xfc;
	/* At most 48 capabilities of 4 bytes fit in 64..255: bounds a loop. */
	for (unsigned n = 0; n < 48 && off >= 64 && off <= PCI_CONFIG_SIZE - 4; n++) {
		if (cfg[off] == id)
			return off;
		off = cfg[off + 1] & 0xfc;
	}
	return 0;
}

