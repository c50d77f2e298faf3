/* CRC-32C (common/crc32.h). Pure: no system calls, no libc. */
#include "common/crc32.h"

/*
 * The polynomial's effect on four bits at a time: small enough to check
 * by eye against the bitwise definition (tests/unit/test_crc32.c does),
 * at half the speed of a 256-entry table, which the store's sizes (a few
 * KiB per record, 128 KiB per snapshot) do not need.
 */
static const uint32_t crc32c_nibble[16] = {
	0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
	0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
	0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
	0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
};

uint32_t crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* The register runs inverted so leading zero bytes still count. */
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
		crc = (crc >> 4) ^ crc32c_nibble[crc & 15];
	}
	return ~crc;
}
