/*
 * libaion: PCI configuration space through ports 0xCF8/0xCFC (see
 * libaion/pci.h). It talks to the ports and needs the caller's enabled
 * capability for them; the decoders, which take plain data only, are in
 * pci_decode.c (the host tests build them too).
 */
#include <stddef.h>
#include "aion/error.h"
#include "libaion/pci.h"
#include "libaion/sys.h"

/* ---- configuration space access ---- */

#define CONFIG_ADDRESS  PCI_CONFIG_PORT
#define CONFIG_DATA     (PCI_CONFIG_PORT + 4)

uint32_t pci_read32(struct pci_addr a, unsigned off)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	return aion_inl(CONFIG_DATA);
}

uint16_t pci_read16(struct pci_addr a, unsigned off)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	return aion_inw((uint16_t)(CONFIG_DATA + (off & 2)));
}

uint8_t pci_read8(struct pci_addr a, unsigned off)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	return aion_inb((uint16_t)(CONFIG_DATA + (off & 3)));
}

void pci_write32(struct pci_addr a, unsigned off, uint32_t v)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	aion_outl(CONFIG_DATA, v);
}

void pci_write16(struct pci_addr a, unsigned off, uint16_t v)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	aion_outw((uint16_t)(CONFIG_DATA + (off & 2)), v);
}

void pci_write8(struct pci_addr a, unsigned off, uint8_t v)
{
	aion_outl(CONFIG_ADDRESS, pci_config_address(a, off));
	aion_outb((uint16_t)(CONFIG_DATA + (off & 3)), v);
}

void pci_read_config(struct pci_addr a, uint8_t cfg[PCI_CONFIG_SIZE])
{
	for (unsigned off = 0; off < PCI_CONFIG_SIZE; off += 4) {
		uint32_t v = pci_read32(a, off);
		cfg[off] = (uint8_t)v;
		cfg[off + 1] = (uint8_t)(v >> 8);
		cfg[off + 2] = (uint8_t)(v >> 16);
		cfg[off + 3] = (uint8_t)(v >> 24);
	}
}

/* Reads the header of one function; false when nothing answers there. */
static bool probe(struct pci_addr a, struct pci_device *d)
{
	uint8_t cfg[PCI_CONFIG_SIZE];

	if (pci_read16(a, PCI_VENDOR_ID) == PCI_VENDOR_NONE)
		return false;
	pci_read_config(a, cfg);
	d->addr = a;
	return pci_header_parse(cfg, sizeof(cfg), &d->hdr) == 0;
}

int pci_scan(int (*fn)(const struct pci_device *d, void *ctx), void *ctx)
{
	struct pci_device d;

	for (unsigned bus = 0; bus < PCI_SCAN_BUSES; bus++)
		for (unsigned dev = 0; dev < PCI_DEVICES; dev++) {
			struct pci_addr a = { (uint8_t)bus, (uint8_t)dev, 0 };
			if (!probe(a, &d))
				continue;
			bool multi = d.hdr.multifunction;
			int r = fn(&d, ctx);
			if (r)
				return r;
			for (unsigned f = 1; multi && f < PCI_FUNCTIONS; f++) {
				a.fn = (uint8_t)f;
				if (probe(a, &d) && (r = fn(&d, ctx)))
					return r;
			}
		}
	return 0;
}

struct find_ctx {
	uint16_t vendor, device;
	unsigned nth;
	struct pci_device *out;
};

static int find_one(const struct pci_device *d, void *ctx)
{
	struct find_ctx *c = ctx;

	if (d->hdr.vendor != c->vendor || d->hdr.device != c->device)
		return 0;
	if (c->nth--)
		return 0;
	*c->out = *d;
	return 1;
}

int pci_find(uint16_t vendor, uint16_t device, unsigned nth, struct pci_device *out)
{
	struct find_ctx c = { vendor, device, nth, out };
	return pci_scan(find_one, &c) == 1 ? 0 : -AION_ENOENT;
}

int pci_bar_probe(struct pci_addr a, unsigned index, struct pci_bar *out)
{
	if (index > 5)
		return -AION_EINVAL;
	unsigned off = PCI_BAR0 + 4 * index;
	uint32_t lo = pci_read32(a, off);
	bool wide = !(lo & 1) && ((lo >> 1) & 3) == 2;
	if (wide && index == 5)
		return -AION_EINVAL;
	uint32_t hi = wide ? pci_read32(a, off + 4) : 0;
	uint16_t cmd = pci_read16(a, PCI_COMMAND);

	/* No decoding while the BAR holds all ones: it would claim addresses. */
	pci_write16(a, PCI_COMMAND, cmd & (uint16_t)~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	pci_write32(a, off, 0xffffffffu);
	uint32_t sized_lo = pci_read32(a, off);
	pci_write32(a, off, lo);
	uint32_t sized_hi = 0;
	if (wide) {
		pci_write32(a, off + 4, 0xffffffffu);
		sized_hi = pci_read32(a, off + 4);
		pci_write32(a, off + 4, hi);
	}
	pci_write16(a, PCI_COMMAND, cmd);
	return pci_bar_decode(lo, hi, sized_lo, sized_hi, out);
}
