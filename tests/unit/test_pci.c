/*
 * Host tests for libaion's PCI decoders (space/lib/pci_decode.c): the
 * capability list walk that finds a NIC's MSI-X capability, and the BAR
 * decoder that finds where its table lives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "libaion/pci.h"

/* A header with a capabilities list: status bit 4, the list from 0x34. */
static void with_caps(uint8_t *cfg, uint8_t first)
{
	memset(cfg, 0, PCI_CONFIG_SIZE);
	cfg[PCI_STATUS] = 0x10;
	cfg[PCI_CAP_PTR] = first;
}

static void cap(uint8_t *cfg, uint8_t off, uint8_t id, uint8_t next)
{
	cfg[off] = id;
	cfg[off + 1] = next;
}

/* QEMU's virtio-net-pci: vendor capabilities, then MSI-X at 0x98 (as seen). */
static void test_cap_find(void **state)
{
	(void)state;
	uint8_t cfg[PCI_CONFIG_SIZE];

	with_caps(cfg, 0x84);
	cap(cfg, 0x84, 0x09, 0x70);
	cap(cfg, 0x70, 0x09, 0x98);
	cap(cfg, 0x98, PCI_CAP_MSIX, 0x00);
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0x98);
	assert_int_equal(pci_cap_find(cfg, 0x09), 0x84);
	assert_int_equal(pci_cap_find(cfg, 0x05), 0);           /* MSI: absent */
	/* The low two bits of a pointer are reserved: ignored. */
	cfg[0x71] = 0x9b;
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0x98);
}

/* No list without status bit 4, even with a pointer in 0x34. */
static void test_cap_no_list(void **state)
{
	(void)state;
	uint8_t cfg[PCI_CONFIG_SIZE];

	with_caps(cfg, 0x40);
	cap(cfg, 0x40, PCI_CAP_MSIX, 0);
	cfg[PCI_STATUS] = 0;
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0);
}

/* A device's list that loops or points into the header ends the walk. */
static void test_cap_hostile_list(void **state)
{
	(void)state;
	uint8_t cfg[PCI_CONFIG_SIZE];

	with_caps(cfg, 0x40);
	cap(cfg, 0x40, 0x09, 0x50);
	cap(cfg, 0x50, 0x09, 0x40);                             /* a loop */
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0);
	with_caps(cfg, 0x40);
	cap(cfg, 0x40, 0x09, 0x10);                             /* into BAR0 */
	cfg[0x10] = PCI_CAP_MSIX;
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0);
	with_caps(cfg, 0xfc);                                   /* the last dword */
	cap(cfg, 0xfc, PCI_CAP_MSIX, 0);
	assert_int_equal(pci_cap_find(cfg, PCI_CAP_MSIX), 0xfc);
}

/* The MSI-X table's BAR: 32-bit memory, 4 KiB; and a 64-bit one. */
static void test_bar_memory(void **state)
{
	(void)state;
	struct pci_bar b;

	assert_int_equal(pci_bar_decode(0xfebd1000, 0, 0xfffff000, 0, &b), 1);
	assert_int_equal(b.kind, PCI_BAR_MEM32);
	assert_int_equal(b.base, 0xfebd1000);
	assert_int_equal(b.size, 4096);
	assert_int_equal(pci_bar_decode(0xfe00000c, 0x1, 0xffffc00c, 0xffffffff, &b), 2);
	assert_int_equal(b.kind, PCI_BAR_MEM64);
	assert_true(b.prefetchable);
	assert_int_equal(b.base, 0x1fe000000ull);
	assert_int_equal(b.size, 0x4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_find),
		cmocka_unit_test(test_cap_no_list),
		cmocka_unit_test(test_cap_hostile_list),
		cmocka_unit_test(test_bar_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
