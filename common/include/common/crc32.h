/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of
 * the durable log store (mesh/logstore.h) and, later, of ext4's metadata.
 * Chosen over CRC-32 (IEEE) because it detects more error patterns at
 * the lengths stored on disk and x86 has an instruction for it (SSE4.2)
 * if a later version wants the speed. Pure: common/crc32.c, built for the
 * target and for the host tests (tests/unit/test_crc32.c).
 */
#ifndef AION_CRC32_H
#define AION_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * CRC-32C of data[0, len) continued from crc, the result of an earlier
 * call (0 to start): crc32c(crc32c(0, a), b) == crc32c(0, a followed by b).
 * Check value: crc32c(0, "123456789", 9) == 0xE3069283. data may be NULL
 * when len is 0.
 */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

#endif /* AION_CRC32_H */
