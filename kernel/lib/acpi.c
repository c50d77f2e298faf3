#include <stddef.h>
#include "acpi.h"
#include "aion/error.h"

#define SDT_HEADER      36
#define MADT_ENTRIES    44
#define MAX_RSDT_ENTRIES 64

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, 2);
	return v;
}

/* A whole table at phys, or NULL: first its header, then its claimed length. */
static const uint8_t *table(uint64_t phys, acpi_map_fn map, void *ctx, uint32_t *len)
{
	const uint8_t *h = map(phys, SDT_HEADER, ctx);
	if (!h)
		return NULL;
	*len = rd32(h + 4);
	if (*len < SDT_HEADER || *len > (1u << 20))
		return NULL;
	return map(phys, *len, ctx);
}

static void parse_entries(const uint8_t *madt, uint32_t len, struct acpi_madt *out)
{
	for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
		uint8_t type = madt[off], elen = madt[off + 1];
		if (elen < 2 || off + elen > len)
			break;
		if (type == 1 && elen >= 12 && !out->ioapic_phys) {
			out->ioapic_phys = rd32(madt + off + 4);
			out->ioapic_gsi_base = rd32(madt + off + 8);
		} else if (type == 2 && elen >= 10 && out->noverride < ACPI_MAX_OVERRIDES) {
			struct acpi_irq_override *o = &out->override[out->noverride++];
			o->isa_irq = madt[off + 3];
			o->gsi = rd32(madt + off + 4);
			o->flags = rd16(madt + off + 8);
		}
		off += elen;
	}
}

int acpi_parse_madt(const uint8_t *rsdp, unsigned rsdp_len, acpi_map_fn map,
		    void *ctx, struct acpi_madt *out)
{
	uint32_t len;

	static const char sig[8] = { 'R', 'S', 'D', ' ', 'P', 'T', 'R', ' ' };

	*out = (struct acpi_madt){ 0 };
	if (rsdp_len < 20)
		return -AION_ENOENT;
	for (unsigned i = 0; i < sizeof(sig); i++)
		if (rsdp[i] != (uint8_t)sig[i])
			return -AION_ENOENT;
	const uint8_t *rsdt = table(rd32(rsdp + 16), map, ctx, &len);
	if (!rsdt)
		return -AION_EMALFORMED;
	uint32_t n = (len - SDT_HEADER) / 4;
	for (uint32_t i = 0; i < n && i < MAX_RSDT_ENTRIES; i++) {
		uint32_t tlen;
		const uint8_t *t = table(rd32(rsdt + SDT_HEADER + 4 * i), map, ctx, &tlen);
		if (t && t[0] == 'A' && t[1] == 'P' && t[2] == 'I' && t[3] == 'C' &&
		    tlen >= MADT_ENTRIES) {
			parse_entries(t, tlen, out);
			return out->ioapic_phys ? 0 : -AION_ENOENT;
		}
	}
	return -AION_ENOENT;
}
