/*
 * libaion: PCI configuration space through the legacy mechanism #1 ports
 * 0xCF8 (address) and 0xCFC..0xCFF (data). The caller must hold and have
 * enabled (aion_ioport_enable) an I/O port capability for 0xCF8..0xCFF
 * (base PCI_CONFIG_PORT, count PCI_CONFIG_PORTS); any other port access
 * ends the unit.
 *
 * The decoding (BAR values, a 256-byte header image) is pure and takes
 * plain data: pci_bar_decode and pci_header_parse touch no port and can be
 * compiled into host tests.
 */
#ifndef AION_PCI_H
#define AION_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_PORT         0xcf8
#define PCI_CONFIG_PORTS        8
#define PCI_SCAN_BUSES          8       /* buses 0..7: enough for QEMU's pc and q35 */
#define PCI_DEVICES             32
#define PCI_FUNCTIONS           8
#define PCI_CONFIG_SIZE         256

/* Header registers (type 0 unless noted). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION            0x08
#define PCI_PROG_IF             0x09
#define PCI_SUBCLASS            0x0a
#define PCI_CLASS               0x0b
#define PCI_HEADER_TYPE         0x0e
#define PCI_BAR0                0x10
#define PCI_SUBSYS_VENDOR       0x2c
#define PCI_SUBSYS_ID           0x2e
#define PCI_CAP_PTR             0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d
#define PCI_SECONDARY_BUS       0x19    /* type 1 (bridge) */

#define PCI_COMMAND_IO          0x0001
#define PCI_COMMAND_MEMORY      0x0002
#define PCI_COMMAND_MASTER      0x0004
#define PCI_COMMAND_INTX_OFF    0x0400

/* Capabilities: the list from PCI_CAP_PTR, each an id and the next's offset. */
#define PCI_CAP_MSIX            0x11
#define PCI_MSIX_CONTROL        2       /* 16: table size - 1, mask, enable */
#define PCI_MSIX_TABLE          4       /* 32: BAR index (bits 0-2), offset */
#define PCI_MSIX_ENABLE         0x8000
#define PCI_MSIX_MASK_ALL       0x4000
#define PCI_MSIX_ENTRY_SIZE     16      /* address lo, hi, data, vector control */

#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_VENDOR_NONE         0xffff
#define PCI_IRQ_LINE_NONE       0xff

struct pci_addr {
	uint8_t bus, dev, fn;
};

enum pci_bar_kind {
	PCI_BAR_NONE = 0,       /* not implemented (reads back 0) */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetchable;
	uint64_t base;          /* port number or physical address */
	uint64_t size;          /* bytes (ports for I/O), 0 when not sized */
};

/* What a type 0 or type 1 header holds, decoded from a config image. */
struct pci_header {
	uint16_t vendor, device;
	uint16_t command, status;
	uint8_t revision, prog_if, subclass, class_code;
	uint8_t header_type;    /* without the multifunction bit */
	bool multifunction;
	uint32_t bar[6];        /* raw; a bridge (type 1) has two */
	unsigned nbars;
	uint16_t subsys_vendor, subsys_id;
	uint8_t cap_ptr;
	uint8_t irq_line, irq_pin;
	uint8_t secondary_bus;  /* type 1 only */
};

struct pci_device {
	struct pci_addr addr;
	struct pci_header hdr;
};

/* ---- pure decoding (no I/O) ---- */

/*
 * Decodes one BAR from its value, the value of the next BAR (the high half
 * of a 64-bit memory BAR, else ignored), and what each read back after all
 * ones were written to it (sized_lo, sized_hi; pass 0 for "not sized", then
 * size is 0). Returns how many BAR slots it takes (1, or 2 for a 64-bit
 * memory BAR) or -AION_EINVAL for a reserved memory type.
 */
int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t sized_lo, uint32_t sized_hi,
		   struct pci_bar *out);

/*
 * Parses a configuration image (at least the first 64 bytes, len bytes).
 * Returns 0, -AION_ENOENT when no function answers (vendor 0xffff) or
 * -AION_ETRUNC when len < 64.
 */
int pci_header_parse(const uint8_t *cfg, unsigned len, struct pci_header *out);

/*
 * The offset of capability id in a configuration image (PCI_CONFIG_SIZE
 * bytes), or 0 when the function has none. A list that loops or leaves
 * the header's 64..255 bytes ends the search.
 */
unsigned pci_cap_find(const uint8_t cfg[PCI_CONFIG_SIZE], uint8_t id);

/* Little-endian field reads from a config image (no bounds check). */
static inline uint16_t pci_img16(const uint8_t *cfg, unsigned off)
{
	return (uint16_t)(cfg[off] | cfg[off + 1] << 8);
}

static inline uint32_t pci_img32(const uint8_t *cfg, unsigned off)
{
	return (uint32_t)pci_img16(cfg, off) | (uint32_t)pci_img16(cfg, off + 2) << 16;
}

/* The mechanism #1 address word (enable bit, bus, device, function, dword). */
static inline uint32_t pci_config_address(struct pci_addr a, unsigned off)
{
	return 0x80000000u | (uint32_t)a.bus << 16 | (uint32_t)(a.dev & 31) << 11 |
	       (uint32_t)(a.fn & 7) << 8 | (off & 0xfc);
}

/* ---- port I/O of any width (aion_inb/aion_outb are in libaion/sys.h) ---- */


/* ---- configuration space (ports 0xCF8..0xCFF) ---- */

uint32_t pci_read32(struct pci_addr a, unsigned off);
uint16_t pci_read16(struct pci_addr a, unsigned off);
uint8_t pci_read8(struct pci_addr a, unsigned off);
void pci_write32(struct pci_addr a, unsigned off, uint32_t v);
void pci_write16(struct pci_addr a, unsigned off, uint16_t v);
void pci_write8(struct pci_addr a, unsigned off, uint8_t v);

/* Reads the whole 256-byte configuration space of a function. */
void pci_read_config(struct pci_addr a, uint8_t cfg[PCI_CONFIG_SIZE]);

/*
 * Calls fn for every function present on buses 0..PCI_SCAN_BUSES-1
 * (functions 1..7 only for multifunction devices); stops early and returns
 * fn's value when it is non-zero. Returns 0 when the scan completed.
 */
int pci_scan(int (*fn)(const struct pci_device *d, void *ctx), void *ctx);

/* Finds the nth (0-based) function with this vendor and device id; 0 or -AION_ENOENT. */
int pci_find(uint16_t vendor, uint16_t device, unsigned nth, struct pci_device *out);

/*
 * Reads and sizes BAR index (0..5) by writing all ones (memory and I/O
 * decoding are switched off meanwhile and the BAR and command register are
 * restored). Returns the decoder's result (slots taken) or -AION_EINVAL.
 */
int pci_bar_probe(struct pci_addr a, unsigned index, struct pci_bar *out);

/* The interrupt line register (0x3C): the legacy IRQ the firmware routed, 0xff none. */
static inline uint8_t pci_irq_line(struct pci_addr a)
{
	return pci_read8(a, PCI_INTERRUPT_LINE);
}

#endif /* AION_PCI_H */
